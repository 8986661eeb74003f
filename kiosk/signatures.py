"""Signed HTTP requests between a kiosk and its hub: a profile of RFC 9421 (HTTP Message Signatures) with
Ed25519 (RFC 9421 section 3.3.6) and a Content-Digest (RFC 9530).

The signature covers ``"@method" "@authority" "@path" "@query" "content-digest"`` with the parameters
``created`` (Unix time), ``nonce`` (random, never reused), ``keyid`` (the device id) and ``alg="ed25519"``,
under the label ``kiosk``::

    Content-Digest: sha-256=:<base64 of the body's SHA-256>:
    Signature-Input: kiosk=("@method" "@authority" "@path" "@query" "content-digest");created=1767225600;nonce="...";keyid="...";alg="ed25519"
    Signature: kiosk=:<base64 Ed25519 signature of the signature base>:

so a request signed for one hub means nothing to another (``@authority``: host and port, as the kiosk was
told to reach its hub). The older profile without ``@authority`` and ``@query`` is refused: a request signed
that way could be replayed at any hub where the device is enrolled.

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
COMPONENTS = ('"@method"', '"@authority"', '"@path"', '"@query"', '"content-digest"')
MAX_SKEW_S = 300


class SignatureError(Exception):
    """A request whose signature is missing, malformed or wrong; ``code`` says which (typed, for callers)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _params(components: tuple[str, ...], created: int, nonce: str, keyid: str) -> str:
    return f'({" ".join(components)});created={created};nonce="{nonce}";keyid="{keyid}";alg="ed25519"'


def authority_of(url: str) -> str:
    """A URL's host and port as a Host header names them (lower case, no default port)."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    default = {"http": 80, "https": 443}.get(u.scheme)
    host = u.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host if u.port in (None, default) else f"{host}:{u.port}"


def signature_base(method: str, path: str, digest: str, params: str, authority: str, query: str = "") -> bytes:
    """RFC 9421 section 2.5."""
    lines = [f'"@method": {method.upper()}', f'"@authority": {authority.lower()}', f'"@path": {path}',
             f'"@query": ?{query}', f'"content-digest": {digest}', f'"@signature-params": {params}']
    return "\n".join(lines).encode()


def sign_request(key: Ed25519PrivateKey, keyid: str, method: str, target: str, body: bytes,
                 now: float | None = None) -> dict[str, str]:
    """The headers that sign this request. ``target``: the full URL (its host and port, path and query are
    signed); a bare path is a ValueError (a signature must name the hub it is for)."""
    from urllib.parse import urlsplit

    if not target.startswith(("http://", "https://")):
        raise ValueError(f"sign the full URL, not {target!r}: the hub's host and port are part of the signature")
    digest = content_digest(body)
    created, nonce = int(now if now is not None else time.time()), secrets.token_urlsafe(16)
    url = urlsplit(target)
    params = _params(COMPONENTS, created, nonce, keyid)
    base = signature_base(method, url.path or "/", digest, params, authority_of(target), url.query)
    sig = key.sign(base)
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
    components = m.group(1).split() if m else []
    if components != list(COMPONENTS) or not _SIG.match(sig.strip()):
        raise SignatureError("bad_signature_input", "Signature-Input is not the kiosk profile of RFC 9421 "
                             "(method, authority, path, query and content digest)")
    return Signed(keyid=m.group(4), nonce=m.group(3), created=int(m.group(2)))


def verify(headers, method: str, path: str, body: bytes, public_key: bytes, now: float | None = None,
           authority: str = "", query: str = "") -> Signed:
    """Check a request's signature against the device's raw Ed25519 public key (raises SignatureError).
    ``authority``: the verifier's own host and port, which a signature covering ``@authority`` must name."""
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
            raw, signature_base(method, path, headers["content-digest"].strip(), params, authority, query))
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise SignatureError("bad_signature", "the signature does not verify with the device's key") from exc
    return signed
