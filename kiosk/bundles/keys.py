"""Ed25519 signing keys: the private key stays with whoever publishes bundles; kiosks trust public keys."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from kiosk.errors import BundleError, ConfigError, InputError

PREFIX = "ed25519:"


def public_text(raw: bytes) -> str:
    return PREFIX + base64.b64encode(raw).decode()


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def generate(out_dir: str | Path, name: str = "kiosk-bundles") -> tuple[Path, Path, str]:
    """Write NAME.key (private, mode 0600) and NAME.pub; return both paths and the public key text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    private, public = out / f"{name}.key", out / f"{name}.pub"
    if private.exists():
        raise InputError("key_exists", f"{private} already exists; refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = public_text(raw)
    public.write_text(text + "\n")
    return private, public, text


def load_private(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError("bad_signing_key", f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("bad_signing_key", f"{path} is not an Ed25519 private key")
    return key


def parse_trusted(text: str) -> dict[str, bytes]:
    """``[bundles] trusted_keys``: ``ed25519:BASE64`` entries separated by spaces or commas -> {key id: raw}."""
    keys: dict[str, bytes] = {}
    for item in text.replace(",", " ").split():
        if not item.startswith(PREFIX):
            raise ConfigError("bad_trusted_key", f"trusted key {item[:20]!r}... must start with {PREFIX!r}")
        try:
            raw = base64.b64decode(item[len(PREFIX):], validate=True)
        except ValueError as exc:
            raise ConfigError("bad_trusted_key", f"trusted key {item[:20]!r}... is not base64") from exc
        if len(raw) != 32:
            raise ConfigError("bad_trusted_key", f"trusted key {item[:20]!r}... is not 32 bytes")
        keys[key_id(raw)] = raw
    return keys


def verify(trusted: dict[str, bytes], data: bytes, signature: bytes) -> str:
    """Return the id of the trusted key that signed ``data``; else raise ``BundleError``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not trusted:
        raise BundleError("bundle_no_trusted_keys", "no trusted bundle keys are configured "
                          "([bundles] trusted_keys); refusing to install anything")
    for kid, raw in trusted.items():
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, data)
            return kid
        except InvalidSignature:
            continue
    raise BundleError("bundle_bad_signature", "the bundle's signature does not match any trusted key "
                      "(tampered manifest, flipped signature bit, or an unknown signer)")
