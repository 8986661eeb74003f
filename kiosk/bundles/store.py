"""Installed bundles on the kiosk: verify everything first, stage, switch atomically, check, revert.

Layout under ``<data dir>/bundles``::

    versions/v7/        one directory per installed version (manifest.json, manifest.sig, files...)
    current -> versions/v7      the one switch: a symlink replaced with rename(2)
    previous -> versions/v6     where a failed health check or `kiosk bundle rollback` goes back to
    staging/  downloads/        scratch; whatever a crash leaves there is removed on the next run
    state.json                  the highest version ever accepted (rollback protection) and a history

A crash at any point leaves ``current`` on the old version or the new one, whole; a new version that
has not passed its health check yet (``.healthy`` missing) is checked, or reverted, by the next command.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from kiosk.bundles.build import FILES_PREFIX, MANIFEST_NAME, SIGNATURE_NAME
from kiosk.bundles.keys import verify
from kiosk.bundles.manifest import MAX_MANIFEST_BYTES, Manifest, parse
from kiosk.errors import BundleError
from kiosk.transfer import Progress, download, no_progress, sha256_file

HEALTHY, FAILED = ".healthy", ".failed"
SPACE_MARGIN = 64 << 20
HealthCheck = Callable[[], tuple[bool, str]]


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_total_bytes: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class BundleStore:
    def __init__(self, root: str | Path, trusted: dict[str, bytes], limits: Limits,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.root = Path(root)
        self.trusted, self.limits, self.now = trusted, limits, now
        self.versions = self.root / "versions"

    # -- state ------------------------------------------------------------------------------------------
    def _link(self, name: str) -> Path | None:
        link = self.root / name
        if not link.is_symlink():
            return None
        target = (self.root / os.readlink(link)).resolve()
        return target if target.is_dir() else None

    def current(self) -> Path | None:
        return self._link("current")

    def previous(self) -> Path | None:
        return self._link("previous")

    @staticmethod
    def version_of(path: Path | None) -> int | None:
        return int(path.name[1:]) if path is not None and path.name[1:].isdigit() else None

    def _state(self) -> dict:
        try:
            return json.loads((self.root / "state.json").read_text())
        except (OSError, ValueError):
            return {"highest": 0, "history": []}

    def _write_state(self, state: dict) -> None:
        tmp = self.root / "state.json.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / "state.json")
        _fsync_dir(self.root)

    def _event(self, kind: str, **data) -> None:
        state = self._state()
        cur = self.version_of(self.current())
        if cur is not None:
            state["highest"] = max(state.get("highest", 0), cur)
        state["history"] = (state.get("history", []) + [{"time": self.now().isoformat(timespec="seconds"),
                                                         "event": kind, **data}])[-50:]
        self._write_state(state)

    def highest(self) -> int:
        return max(self._state().get("highest", 0), self.version_of(self.current()) or 0)

    def _point(self, name: str, target: Path | None) -> None:
        """Atomically make ``name`` point at ``target`` (or remove it)."""
        link = self.root / name
        if target is None:
            if link.is_symlink():
                link.unlink()
        else:
            tmp = self.root / f".{name}.{os.getpid()}"
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            os.symlink(os.path.relpath(target, self.root), tmp)
            os.replace(tmp, link)
        _fsync_dir(self.root)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BundleError("bundle_busy", "another bundle operation is running") from exc
            yield

    # -- reading a bundle -------------------------------------------------------------------------------
    def _open(self, source: str, progress: Progress) -> tuple[Path, bool]:
        if source.startswith(("http://", "https://")):
            (self.root / "downloads").mkdir(parents=True, exist_ok=True)
            dest = self.root / "downloads" / f"{os.getpid()}.tar"
            download(source, dest, self.limits.max_total_bytes + MAX_MANIFEST_BYTES * 4, progress,
                     BundleError, "bundle")
            return dest, True
        path = Path(source)
        if not path.is_file():
            raise BundleError("bundle_not_found", f"bundle {source} does not exist")
        return path, False

    def inspect(self, tar: tarfile.TarFile) -> Manifest:
        """Signature, then policy (version, expiry, limits, space): nothing is written."""
        members = {m.name: m for m in tar.getmembers()}
        raw, sig = members.get(MANIFEST_NAME), members.get(SIGNATURE_NAME)
        if raw is None or sig is None:
            raise BundleError("bundle_bad_format", "not a kiosk bundle (no manifest.json / manifest.sig)")
        if raw.size > MAX_MANIFEST_BYTES or sig.size > 1024:
            raise BundleError("bundle_bad_format", "the manifest or signature is too large")
        data = tar.extractfile(raw).read()
        try:
            signature = base64.b64decode(tar.extractfile(sig).read().strip(), validate=True)
        except ValueError as exc:
            raise BundleError("bundle_bad_signature", "the signature is not base64") from exc
        verify(self.trusted, data, signature)
        m = parse(data)
        if m.version <= self.highest():
            raise BundleError("bundle_not_newer", f"bundle version {m.version} is not newer than version "
                              f"{self.highest()} (already installed or seen); refusing a rollback")
        if m.expires <= self.now():
            raise BundleError("bundle_expired", f"the bundle's manifest expired at {m.expires.isoformat()}; "
                              "refusing a stale (frozen) update")
        for f in m.files:
            if f.size > self.limits.max_file_bytes:
                raise BundleError("bundle_file_too_big", f"{f.path} is {f.size >> 20} MB, over the "
                                  f"{self.limits.max_file_bytes >> 20} MB per-file limit")
        if m.total_bytes > self.limits.max_total_bytes:
            raise BundleError("bundle_too_big", f"the bundle holds {m.total_bytes >> 20} MB, over the "
                              f"{self.limits.max_total_bytes >> 20} MB limit")
        expected = {FILES_PREFIX + f.path: f for f in m.files}
        for name, member in members.items():
            if name in (MANIFEST_NAME, SIGNATURE_NAME) or (member.isdir() and name.rstrip("/") + "/" in
                                                          ("files/",)):
                continue
            if name not in expected:
                raise BundleError("bundle_unlisted_file", f"{name} is in the bundle but not in its manifest")
            if not member.isreg():
                raise BundleError("bundle_bad_format", f"{name} is not a regular file")
            if member.size != expected[name].size:
                raise BundleError("bundle_size_mismatch", f"{name} is {member.size} bytes; the manifest says "
                                  f"{expected[name].size}")
        missing = [f.path for f in m.files if FILES_PREFIX + f.path not in members]
        if missing:
            raise BundleError("bundle_missing_file", f"the bundle lacks {', '.join(missing[:3])}")
        self.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.root).free
        if free < m.total_bytes + SPACE_MARGIN:
            raise BundleError("bundle_no_space", f"{m.total_bytes >> 20} MB needed, {free >> 20} MB free")
        return m

    def _stream(self, tar: tarfile.TarFile, m: Manifest, into: Path | None, progress: Progress) -> None:
        """Hash every file (and, with ``into``, write it); any mismatch raises. Sizes are capped as read."""
        done = 0
        for f in m.files:
            src = tar.extractfile(tar.getmember(FILES_PREFIX + f.path))
            h, n = hashlib.sha256(), 0
            out = None
            if into is not None:
                dest = into / f.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                out = open(dest, "wb")
            try:
                while block := src.read(1 << 20):
                    n += len(block)
                    if n > f.size:
                        raise BundleError("bundle_size_mismatch", f"{f.path} is larger than its manifest entry")
                    h.update(block)
                    if out is not None:
                        out.write(block)
                    done += len(block)
                    progress(done, m.total_bytes)
                if out is not None:
                    out.flush()
                    os.fsync(out.fileno())
            finally:
                if out is not None:
                    out.close()
            if into is not None:  # the bundle's own time: derived caches (the model's runtime copy) stay valid
                mtime = tar.getmember(FILES_PREFIX + f.path).mtime
                os.utime(into / f.path, (mtime, mtime))
            if n != f.size or h.hexdigest() != f.sha256:
                raise BundleError("bundle_tampered", f"{f.path} does not match its signed sha256/size "
                                  "(tampered or corrupt); nothing was installed")

    # -- install ----------------------------------------------------------------------------------------
    def install(self, source: str, health: HealthCheck, progress: Progress = no_progress,
                verify_progress: Progress = no_progress) -> dict:
        with self.locked():
            self._recover_locked(health)
            path, downloaded = self._open(source, progress)
            try:
                with tarfile.open(path, "r:") as tar:
                    m = self.inspect(tar)
                    self._stream(tar, m, None, verify_progress)  # refuse a tampered file before staging
                    final = self._stage(tar, m, progress)
            except tarfile.TarError as exc:
                raise BundleError("bundle_bad_format", f"{source} is not a readable bundle: {exc}") from exc
            finally:
                if downloaded:
                    path.unlink(missing_ok=True)
            old = self.current()
            self._point("previous", old)
            self._point("current", final)
            self._event("switched", version=m.version, previous=self.version_of(old))
            ok, detail = self._check(health)
            result = {"version": m.version, "previous": self.version_of(old), "files": len(m.files),
                      "bytes": m.total_bytes, "expires": m.expires.isoformat(), "health": detail}
            if not ok:
                self._revert(final, old, detail)
                raise BundleError("bundle_unhealthy", f"version {m.version} failed its health check ({detail}); "
                                  f"reverted to version {self.version_of(old) or 'none'}")
            self._prune()
            return result

    def _stage(self, tar: tarfile.TarFile, m: Manifest, progress: Progress) -> Path:
        staging = self.root / "staging" / f"v{m.version}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        self._stream(tar, m, staging, progress)
        for name in (MANIFEST_NAME, SIGNATURE_NAME):
            (staging / name).write_bytes(tar.extractfile(tar.getmember(name)).read())
        for d in sorted({p.parent for p in staging.rglob("*")} | {staging}, key=lambda p: -len(p.parts)):
            _fsync_dir(d)
        self.versions.mkdir(parents=True, exist_ok=True)
        final = self.versions / f"v{m.version}"
        if final.exists():  # left by a crash after staging but before the switch: never current
            shutil.rmtree(final)
        os.replace(staging, final)
        _fsync_dir(self.versions)
        return final

    def _check(self, health: HealthCheck) -> tuple[bool, str]:
        try:
            ok, detail = health()
        except Exception as exc:  # a crashing check is a failed check
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if ok and (cur := self.current()) is not None:
            (cur / HEALTHY).write_text(self.now().isoformat())
            _fsync_dir(cur)
        return ok, detail

    def _revert(self, bad: Path, old: Path | None, detail: str) -> None:
        self._point("current", old)
        self._point("previous", None)
        (bad / FAILED).write_text(detail)
        self._event("reverted", version=self.version_of(bad), to=self.version_of(old), reason=detail)
        shutil.rmtree(bad, ignore_errors=True)

    def _prune(self) -> None:
        keep = {self.current(), self.previous()}
        for d in self.versions.iterdir() if self.versions.is_dir() else ():
            if d.resolve() not in keep:
                shutil.rmtree(d, ignore_errors=True)

    # -- recovery, rollback, status ---------------------------------------------------------------------
    def recover(self, health: HealthCheck) -> list[str]:
        with self.locked():
            return self._recover_locked(health)

    def _recover_locked(self, health: HealthCheck) -> list[str]:
        """Finish whatever a crash interrupted; returns what was done."""
        done: list[str] = []
        for scratch in ("staging", "downloads"):
            if (self.root / scratch).exists() and any((self.root / scratch).iterdir()):
                shutil.rmtree(self.root / scratch, ignore_errors=True)
                done.append(f"removed leftover {scratch}")
        for tmp in self.root.glob(".*.*"):
            if tmp.is_symlink() and tmp.name.startswith((".current.", ".previous.")):
                tmp.unlink()
        (self.root / "state.json.tmp").unlink(missing_ok=True)
        prev = self.previous()
        if prev is not None and not (prev / HEALTHY).exists():  # a version that never passed its check
            self._point("previous", None)
            done.append(f"dropped unchecked version {self.version_of(prev)} as a rollback target")
        cur = self.current()
        if (self.root / "current").is_symlink() and cur is None:  # points at a vanished directory
            self._point("current", self.previous())
            done.append("current pointed nowhere: back to the previous version")
            cur = self.current()
        if cur is not None and not (cur / HEALTHY).exists():
            ok, detail = self._check(health)
            if ok:
                done.append(f"version {self.version_of(cur)} passed its health check")
                self._event("checked", version=self.version_of(cur))
            else:
                prev = self.previous()
                self._revert(cur, prev, detail)
                done.append(f"version {self.version_of(cur)} failed its health check: reverted to "
                            f"{self.version_of(prev) or 'none'}")
        if self.versions.is_dir():
            self._prune()
        if cur is not None and self._state().get("highest", 0) < (self.version_of(self.current()) or 0):
            self._event("recovered")
        return done

    def rollback(self, health: HealthCheck) -> dict:
        with self.locked():
            self._recover_locked(health)
            cur, prev = self.current(), self.previous()
            if prev is None:
                raise BundleError("bundle_no_previous", "there is no previous version to roll back to")
            self._point("previous", cur)  # a crash from here on recovers to a checked version
            self._point("current", prev)
            (prev / HEALTHY).unlink(missing_ok=True)  # it must pass again, here and now
            ok, detail = self._check(health)
            if not ok:
                self._point("current", cur)
                self._point("previous", prev)
                raise BundleError("bundle_unhealthy", f"version {self.version_of(prev)} failed its health check "
                                  f"({detail}); staying on version {self.version_of(cur)}")
            self._point("previous", None)
            self._event("rolled_back", version=self.version_of(prev), was=self.version_of(cur))
            if cur is not None:
                shutil.rmtree(cur, ignore_errors=True)
            return {"version": self.version_of(prev), "was": self.version_of(cur), "health": detail}

    def status(self) -> dict:
        cur, prev = self.current(), self.previous()
        info: dict = {"current": self.version_of(cur), "previous": self.version_of(prev),
                      "highest_seen": self.highest(), "healthy": bool(cur and (cur / HEALTHY).exists()),
                      "history": self._state().get("history", [])[-5:]}
        if cur is not None:
            m = parse((cur / MANIFEST_NAME).read_bytes())
            info.update(expires=m.expires.isoformat(), key_id=m.key_id, files=len(m.files), bytes=m.total_bytes,
                        model=m.model, pack=m.pack, config=m.config)
        return info

    def verify_installed(self) -> Manifest:
        """The current version is whole: its signature still verifies and every file matches."""
        cur = self.current()
        if cur is None:
            raise BundleError("bundle_none", "no bundle is installed")
        data = (cur / MANIFEST_NAME).read_bytes()
        verify(self.trusted, data, base64.b64decode((cur / SIGNATURE_NAME).read_bytes().strip()))
        m = parse(data)
        for f in m.files:
            p = cur / f.path
            try:
                whole = p.stat().st_size == f.size and sha256_file(p) == f.sha256
            except OSError as exc:
                raise BundleError("bundle_damaged", f"{f.path} is unreadable: {exc}") from exc
            if not whole:
                raise BundleError("bundle_damaged", f"{f.path} no longer matches the installed manifest")
        return m
