"""`kiosk models install vosk PATH_OR_URL`: from a USB stick (zip or folder) or a URL, verified, atomic."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

from kiosk.errors import InputError, ModelError
from kiosk.speech.recognizers import is_vosk_model
from kiosk.transfer import Progress, download, sha256_file

MAX_MODEL_BYTES = 4 << 30


def _download(url: str, dest: Path, progress: Progress) -> None:
    download(url, dest, MAX_MODEL_BYTES, progress, ModelError, "model")


def _extract(archive: Path, into: Path, progress: Progress) -> None:
    try:
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_MODEL_BYTES:
                raise ModelError("model_too_big", f"{archive} unpacks to {total >> 20} MB, over the limit")
            done = 0
            root = into.resolve()
            for m in members:
                target = (into / m.filename).resolve()
                if not str(target).startswith(str(root) + os.sep) and target != root:
                    raise ModelError("bad_archive", f"{archive} contains an unsafe path {m.filename!r}")
                z.extract(m, into)
                done += m.file_size
                progress(done, total)
    except zipfile.BadZipFile as exc:
        raise InputError("bad_archive", f"{archive} is not a zip file or a model folder") from exc


def _find_model_root(tree: Path) -> Path:
    candidates = [tree] + [p for p in tree.iterdir() if p.is_dir()]
    for c in candidates:
        if is_vosk_model(c):
            return c
    raise ModelError("not_a_vosk_model", "no Vosk model inside (expected am/final.mdl, conf/model.conf, graph/)")


def install_vosk(source: str, models_root: Path, sha256: str = "", name: str = "",
                 progress: Progress = lambda d, t: None) -> Path:
    """Verify, stage and atomically move a Vosk model into ``models_root/vosk/NAME``; returns its path."""
    dest_root = models_root / "vosk"
    staging = models_root / ".staging" / f"vosk-{os.getpid()}-{int(time.time() * 1000)}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        is_url = source.startswith(("http://", "https://"))
        if is_url:
            archive = staging / "download.zip"
            _download(source, archive, progress)
            default_name = Path(source.split("?")[0]).stem
        else:
            archive = Path(source).expanduser()
            if not archive.exists():
                raise InputError("not_found", f"{source} does not exist")
            default_name = archive.stem if archive.is_file() else archive.name
        if sha256 and (archive.is_dir() or sha256_file(archive, progress) != sha256.lower()):
            raise ModelError("checksum_mismatch", f"{source} does not match the expected sha256"
                             if archive.is_file() else "--sha256 needs a zip file, not a folder")
        tree = staging / "tree"
        if archive.is_dir():
            shutil.copytree(archive, tree, symlinks=False)
        else:
            _extract(archive, tree, progress)
        root = _find_model_root(tree)
        _check_loads(root)
        final = dest_root / (name or default_name)
        dest_root.mkdir(parents=True, exist_ok=True)
        old = None
        if final.exists():
            old = staging / "previous"
            os.replace(final, old)
        os.replace(root, final)  # same filesystem: atomic
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        parent = staging.parent
        if parent.exists() and not any(parent.iterdir()):
            parent.rmdir()


def _check_loads(root: Path) -> None:
    from kiosk.speech.recognizers import VoskRecognizer

    VoskRecognizer(root)  # raises ModelError when Vosk cannot load it


def installed_vosk_models(models_root: Path) -> list[Path]:
    d = models_root / "vosk"
    return sorted(p for p in d.iterdir() if p.is_dir() and is_vosk_model(p)) if d.is_dir() else []
