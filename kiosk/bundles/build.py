"""`kiosk bundle build`: models, a knowledge pack and config into one signed tar file."""

from __future__ import annotations

import base64
import io
import os
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.bundles.keys import key_id, load_private
from kiosk.bundles.manifest import FORMAT, canonical, safe_path
from kiosk.errors import BundleError
from kiosk.transfer import Progress, no_progress, sha256_file

MANIFEST_NAME, SIGNATURE_NAME, FILES_PREFIX = "manifest.json", "manifest.sig", "files/"


def collect(model: Path | None, pack: Path | None, config: Path | None) -> list[tuple[str, Path]]:
    """(bundle path, source file) for everything going into the bundle."""
    items: list[tuple[str, Path]] = []
    if model is not None:
        if not model.is_file():
            raise BundleError("bundle_source_missing", f"model file {model} does not exist")
        items.append((f"models/{model.name}", model))
    if pack is not None:
        if not pack.is_dir():
            raise BundleError("bundle_source_missing", f"knowledge pack {pack} is not a directory")
        for p in sorted(pack.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                items.append((f"pack/{p.relative_to(pack).as_posix()}", p))
    if config is not None:
        if not config.is_file():
            raise BundleError("bundle_source_missing", f"config file {config} does not exist")
        items.append(("config/kiosk.toml", config))
    if not items:
        raise BundleError("bundle_empty", "nothing to bundle: give --model, --pack and/or --config")
    for name, _ in items:
        safe_path(name)
    return items


def build(key_path: str | Path, version: int, out: str | Path, model: Path | None, pack: Path | None,
          config: Path | None, expires_days: float = 90.0, probe: tuple[str, str] = ("", ""),
          now: datetime | None = None, progress: Progress = no_progress) -> dict:
    key = load_private(key_path)
    from cryptography.hazmat.primitives import serialization

    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if version < 1:
        raise BundleError("bundle_bad_version", "--version must be a positive integer")
    items = collect(model, pack, config)
    now = now or datetime.now(timezone.utc)
    manifest = {
        "format": FORMAT, "version": version, "key_id": key_id(pub),
        "created": now.isoformat(timespec="seconds"),
        "expires": (now + timedelta(days=expires_days)).isoformat(timespec="seconds"),
        "model": f"models/{model.name}" if model is not None else "",
        "pack": "pack" if pack is not None else "",
        "config": "config/kiosk.toml" if config is not None else "",
        "probe": {"question": probe[0], "entry": probe[1]},
        "files": [{"path": name, "sha256": sha256_file(src), "size": src.stat().st_size} for name, src in items],
    }
    data = canonical(manifest)
    signature = base64.b64encode(key.sign(data))
    out = Path(out)
    tmp = out.with_name(out.name + ".part")
    total, done = sum(src.stat().st_size for _, src in items), 0
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in ((MANIFEST_NAME, data), (SIGNATURE_NAME, signature)):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(payload), int(now.timestamp()), 0o644
            tar.addfile(info, io.BytesIO(payload))
        for name, src in items:
            info = tarfile.TarInfo(FILES_PREFIX + name)
            info.size, info.mtime, info.mode = src.stat().st_size, int(now.timestamp()), 0o644
            with open(src, "rb") as f:
                tar.addfile(info, f)
            done += info.size
            progress(done, total)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, out)
    return {"out": str(out), "version": version, "files": len(items), "bytes": total,
            "expires": manifest["expires"], "key_id": manifest["key_id"]}
