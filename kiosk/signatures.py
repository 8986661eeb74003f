"""Signed HTTP requests between a kiosk and its hub: a profile of RFC 9421 (HTTP Message Signatures) with
Ed25519 (RFC 9421 section 3.3.6) and a Content-Digest (RFC 9530).

The signature covers ``"@method" "@path" "content-digest"`` with the parameters ``created`` (Unix time),
``nonce`` (random, never reused), ``keyid`` (the device id) and ``alg="ed25519"``, under the label ``kiosk``::

    Content-Digest: sha-256=:<base64 of the body's SHA-256>:
    Signature-Input: kiosk=("@method" "@path" "content-digest");created=1767225600;nonce="...";keyid="...";alg="ed25519"
    Signature: kiosk=:<base64 Ed25519 signature of the signature base>:

The verifier rebuilds the signature base from the request itself (RFC 9421 section 2.5), so a body, method
or path changed in transit fails; ``created`` outside the allowed skew and a ``nonce`` seen before
(replay) are refused by the caller, which keeps the nonces.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LABEL = "kiosk"
COMPONENTS = ('"@method"', '"@path"', '"content-digest"')
MAX_SKEW_S = 300


class SignatureError(Exception):
    """A request whose signature is missing, malformed or wrong; ``code`` says which (typed, for callers)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _params(created: int, nonce: str, keyid: str) -> str:
    return f'({" ".join(COMPONENTS)});created={created};nonce="{nonce}";keyid="{keyid}";alg="ed25519"'


def signature_base(method: str, path: str, digest: str, params: str) -> bytes:
    return (f'"@method": {method.upper()}\n"@path": {path}\n"content-digest": {digest}\n'
            f'"@signature-params": {params}').encode()


def sign_request(key: Ed25519PrivateKey, keyid: str, method: str, path: str, body: bytes,
                 now: float | None = None) -> dict[str, str]:
    """The headers that sign this request."""
    digest = content_digest(body)
    params = _params(int(now if now is not None else time.time()), secrets.token_urlsafe(16), keyid)
    sig = key.sign(signature_base(method, path, digest, params))
    return {"Content-Digest": digest, "Signature-Input": f"{LABEL}={params}",
            "Signature": f"{LABEL}=:{base64.b64encode(sig).decode()}:"}


@dataclass(frozen=True)
class Signed:
    keyid: str
    nonce: str
    created: int


_INPUT = re.compile(r'^kiosk=\(([^)]*)\);created=(\d{1,12});nonce="([A-Za-z0-9_\-]{8,64})";'
                    r'keyid="([A-Za-z0-9._\-]{1,128})";alg="ed25519"$')
_SIG = re.compile(r"^kiosk=:([A-Za-z0-9+/=]+):$")


def parse(headers) -> Signed:
    """The signature's parameters, before its key is looked up (raises SignatureError)."""
    sig_input, sig = headers.get("signature-input"), headers.get("signature")
    if not sig_input or not sig or not headers.get("content-digest"):
        raise SignatureError("unsigned", "the request is not signed (Signature, Signature-Input, Content-Digest)")
    m = _INPUT.match(sig_input.strip())
    if not m or m.group(1).split() != list(COMPONENTS) or not _SIG.match(sig.strip()):
        raise SignatureError("bad_signature_input", "Signature-Input is not the kiosk profile of RFC 9421")
    return Signed(keyid=m.group(4), nonce=m.group(3), created=int(m.group(2)))


def verify(headers, method: str, path: str, body: bytes, public_key: bytes, now: float | None = None) -> Signed:
    """Check a request's signature against the device's raw Ed25519 public key (raises SignatureError)."""
    signed = parse(headers)
    if headers["content-digest"].strip() != content_digest(body):
        raise SignatureError("bad_digest", "Content-Digest does not match the body")
    now = time.time() if now is None else now
    if abs(now - signed.created) > MAX_SKEW_S:
        raise SignatureError("stale", f"signature created {int(now - signed.created)} s from now (limit {MAX_SKEW_S} s)")
    params = headers["signature-input"].strip()[len(LABEL) + 1:]
    try:
        raw = base64.b64decode(_SIG.match(headers["signature"].strip()).group(1), validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            raw, signature_base(method, path, headers["content-digest"].strip(), params))
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise SignatureError("bad_signature", "the signature does not verify with the device's key") from exc
    return signed
