"""This kiosk's identity for its hub: an Ed25519 device key made at first start (data dir, mode 0600) and
the enrolment the hub granted (``hub.json``: its URLs, the device id, when)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import KioskError

KEY_FILE, HUB_FILE = "device_key.pem", "hub.json"


def device_key(data_dir: Path) -> Ed25519PrivateKey:
    """The device key, made once; a key file readable by others is refused, not used."""
    path = Path(data_dir) / KEY_FILE
    if path.is_file():
        if path.stat().st_mode & 0o077:
            raise KioskError("key_permissions", f"{path} is readable by others: chmod 600 it (or delete it to "
                             "make a new one and enrol again)")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KioskError("bad_device_key", f"{path} is not an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return key


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Enrolment:
    hub_url: str
    device_id: str
    ingest_url: str
    cloud_base_url: str
    ring: str
    enrolled_at: str

    def public(self) -> dict:
        return asdict(self)


def enrolment(data_dir: Path) -> Enrolment | None:
    path = Path(data_dir) / HUB_FILE
    try:
        return Enrolment(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise KioskError("bad_enrolment", f"{path} is unreadable ({exc}): enrol again") from exc


def save_enrolment(data_dir: Path, e: Enrolment) -> None:
    path = Path(data_dir) / HUB_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(e.public(), indent=1))
    os.replace(tmp, path)
