"""This kiosk's identity for its hub: an Ed25519 device key made at first start (data dir, mode 0600) and
the enrolment the hub granted (``hub.json``: its URLs, the device id, when)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import KioskError

KEY_FILE, HUB_FILE = "device_key.pem", "hub.json"


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read: a fresh temp file (O_EXCL, no symlink followed), then renamed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def device_key(data_dir: Path, create: bool = True) -> Ed25519PrivateKey:
    """The device key, made once; a key file readable by others is refused, not used. A kiosk enrolled with a
    hub never makes a new one silently (the hub knows only the old one): that is an error to act on."""
    path = Path(data_dir) / KEY_FILE
    if path.is_file():
        if path.stat().st_mode & 0o077:
            raise KioskError("key_permissions", f"{path} is readable by others: chmod 600 it (or delete it to "
                             "make a new one and enrol again)")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KioskError("bad_device_key", f"{path} is not an Ed25519 key")
        return key
    if not create or (Path(data_dir) / HUB_FILE).is_file():
        raise KioskError("device_key_missing", f"{path} is missing but this kiosk is enrolled with a hub: restore "
                         f"the key, or delete {Path(data_dir) / HUB_FILE} and enrol again under a new [device] id")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
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
    updates_url: str = ""  # staged rollout: where this kiosk asks for releases (hubs before it had none)

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
    write_private(Path(data_dir) / HUB_FILE, json.dumps(e.public(), indent=1).encode())
