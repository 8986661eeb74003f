"""Signed bundles for tests: real keys, real tar files, real tampering."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from kiosk.config import SAMPLE_PACK


class Publisher:
    """A signing key, a kiosk config that trusts it, and bundle building."""

    def __init__(self, tmp: Path, extra_config: str = "") -> None:
        from kiosk.bundles.keys import generate

        self.tmp = tmp
        self.key, _, self.trusted = generate(tmp / "keys")
        self.config = Path(os.environ["KIOSK_CONFIG"])
        self.config.write_text(f'[bundles]\ntrusted_keys = "{self.trusted}"\n{extra_config}')
        from datetime import datetime, timezone

        self.now = datetime.now(timezone.utc)  # one build time: the model's runtime copy is derived once

    def build(self, version: int, *, model: Path | None = None, pack: Path | None = SAMPLE_PACK,
              expires_days: float = 30, key: Path | None = None, name: str | None = None) -> Path:
        from kiosk.bundles.build import build

        out = self.tmp / (name or f"v{version}.tar")
        build(key or self.key, version, out, model, pack, None, expires_days=expires_days,
              probe=("When are you open?", "visiting#opening-hours"),
              now=self.now)
        return out


def retar(src: Path, dst: Path, edit: dict) -> Path:
    """Copy a bundle, passing chosen members' bytes through ``edit[name](data) -> data``."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read()
            if m.name in edit:
                data = edit[m.name](data)
            info = tarfile.TarInfo(m.name)
            info.size, info.mtime, info.mode = len(data), m.mtime, m.mode
            tout.addfile(info, io.BytesIO(data))
    return dst


def kiosk(*args: str, timeout: float = 300) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def status() -> dict:
    rc, out, err = kiosk("bundle", "status", "--json")
    assert rc == 0, err
    return json.loads(out)


def copy_pack(dst: Path) -> Path:
    shutil.copytree(SAMPLE_PACK, dst)
    return dst
