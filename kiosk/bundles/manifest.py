"""The signed manifest of a bundle: what it holds (path, sha256, size per file), its version and expiry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kiosk.errors import BundleError

FORMAT = "kiosk-bundle/1"
MAX_MANIFEST_BYTES = 1 << 20
ROOTS = ("models/", "pack/", "config/")  # the only places a bundle may write
_SAFE = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._ -]+)*$")


def canonical(obj: dict) -> bytes:
    """The exact bytes that are signed (and stored)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_time(text: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise BundleError("bundle_bad_manifest", f"manifest {what} {text!r} is not an ISO time") from exc
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def safe_path(path: Any) -> str:
    if (not isinstance(path, str) or not _SAFE.match(path) or not path.startswith(ROOTS)
            or any(part in ("", ".", "..") for part in path.split("/"))):
        raise BundleError("bundle_bad_path", f"manifest path {path!r} is not allowed "
                          f"(relative, under {', '.join(ROOTS)}, no '..')")
    return path


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    raw: dict
    version: int
    created: datetime
    expires: datetime
    key_id: str
    files: tuple[FileEntry, ...]
    model: str
    pack: str
    config: str
    probe_question: str
    probe_entry: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def parse(data: bytes) -> Manifest:
    """Validate the structure of signed manifest bytes (the signature is checked before this)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError("bundle_bad_manifest", f"manifest is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BundleError("bundle_bad_manifest", f"not a {FORMAT} manifest")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError("bundle_bad_manifest", f"manifest version {version!r} is not a positive integer")
    files, seen = [], set()
    for item in raw.get("files") or []:
        if not isinstance(item, dict):
            raise BundleError("bundle_bad_manifest", "manifest file entries must be objects")
        path = safe_path(item.get("path"))
        digest, size = item.get("sha256"), item.get("size")
        if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise BundleError("bundle_bad_manifest", f"{path}: sha256 must be 64 hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BundleError("bundle_bad_manifest", f"{path}: size must be a non-negative integer")
        if path in seen:
            raise BundleError("bundle_bad_manifest", f"{path} is listed twice")
        seen.add(path)
        files.append(FileEntry(path, digest, size))
    if not files:
        raise BundleError("bundle_bad_manifest", "the manifest lists no files")
    model, pack, config = (str(raw.get(k) or "") for k in ("model", "pack", "config"))
    if model and model not in seen:
        raise BundleError("bundle_bad_manifest", f"the model {model!r} is not among the bundle's files")
    if pack and not any(p.startswith(pack.rstrip("/") + "/") for p in seen):
        raise BundleError("bundle_bad_manifest", f"the pack directory {pack!r} has no files in the bundle")
    if config and config not in seen:
        raise BundleError("bundle_bad_manifest", f"the config {config!r} is not among the bundle's files")
    probe = raw.get("probe") or {}
    return Manifest(raw, version, parse_time(raw.get("created", ""), "created"),
                    parse_time(raw.get("expires", ""), "expires"), str(raw.get("key_id", "")), tuple(files),
                    model, pack, config, str(probe.get("question", "")), str(probe.get("entry", "")))
