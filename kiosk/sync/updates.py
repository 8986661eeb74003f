"""Releases from the hub: ask (signed) for the newest release open to this kiosk's ring, download it with
resume (HTTP Range), install it through the bundle store's verify-before-staging, health-gated install, and
tell the hub what happened. The kiosk trusts only its own keys: whatever the hub offers, a bundle that is
unsigned, tampered, signed by another key or older than what it has is refused before staging.

Crash-safe by construction: the download is a ``.part`` file that only grows and is checked against the
release's SHA-256 before use; the install is the bundle store's (a whole old or new version, always); what
the kiosk last told the hub is kept in ``updates.json`` and said again when it differs from the truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Callable

import httpx

from kiosk.errors import KioskError

log = logging.getLogger("kiosk.updates")
STATE_FILE = "updates.json"
# Refusals that are the release's own fault: reported, remembered, never tried again. Anything else (another
# process holds the bundle lock, a full disk, a timeout) is this kiosk's moment: it tries again later.
RELEASE_FAULTS = frozenset({
    "bundle_unhealthy", "bundle_bad_signature", "bundle_no_trusted_keys", "bundle_tampered", "bundle_not_newer",
    "bundle_bad_manifest", "bundle_bad_format", "bundle_expired", "bundle_size_mismatch", "bundle_unlisted_file",
    "bundle_missing_file", "bundle_bad_path", "bundle_too_big", "bundle_file_too_big", "bundle_damaged",
    "bundle_bad_version"})


class Updater:
    def __init__(self, config, http: httpx.Client, sign: Callable[[str, str, bytes], dict[str, str]],
                 install: Callable[[Path], dict], installed_version: Callable[[], int | None],
                 on_installed: Callable[[], None] | None = None, record: Callable[[str, dict], None] | None = None):
        self.url = config.updates.url
        self.base = self.url.rsplit("/v1/", 1)[0]
        self.downloads = config.data_path / "updates"  # not under bundles/: its recovery clears downloads
        self.state_path = config.data_path / STATE_FILE
        self.http, self.sign, self.install = http, sign, install
        self.installed_version, self.on_installed, self.record = installed_version, on_installed, record
        self.loaded: int | None = None  # the bundle version this process answers from (set at the first check)

    @classmethod
    def for_kiosk(cls, config, worker, on_installed: Callable[[], None] | None = None) -> "Updater":
        """Through the sync worker's HTTP client and signing key, into this kiosk's bundle store."""
        from kiosk.bundles.install import child_check, open_store
        from kiosk.store.health import record_health

        def install(path: Path) -> dict:
            return open_store(config).install(str(path), child_check(config))

        def installed_version() -> int | None:
            """The version on disk once any crash is put right: one that never passed its health check is
            checked (and reverted if it fails) before anyone calls it installed."""
            store = open_store(config)
            store.recover(child_check(config))
            return store.version_of(store.current())

        return cls(config, worker.http, worker._signed, install, installed_version, on_installed,
                   lambda kind, data: record_health(worker.db, kind, data))

    # -- local record ---------------------------------------------------------------------------------------
    def _state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {"failed": [], "reported": {}}

    def _save(self, state: dict) -> None:
        tmp = self.state_path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(state))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    # -- talking to the hub ---------------------------------------------------------------------------------
    def _get(self, path: str, headers: dict | None = None, stream: bool = False):
        h = {**(headers or {}), **self.sign("GET", self.base + path, b"")}
        if stream:
            return self.http.stream("GET", self.base + path, headers=h)
        return self.http.get(self.base + path, headers=h)

    def _report(self, state: dict, release: dict, what: str, detail: str = "") -> None:
        body = json.dumps({"release_id": release["id"], "state": what, "detail": detail[:400]}).encode()
        try:
            r = self.http.post(self.base + "/v1/updates/report", content=body, headers={
                "Content-Type": "application/json", **self.sign("POST", self.base + "/v1/updates/report", body)})
            if r.status_code == 200:
                state.setdefault("reported", {})[str(release["id"])] = what
                self._save(state)
        except httpx.HTTPError as exc:
            log.info("update report not delivered (said again next time): %s", exc)
        if self.record is not None and what in ("installed", "reverted", "failed"):
            self.record("update", {"release": release["id"], "version": release["version"], "state": what,
                                   "detail": detail[:300]})

    # -- one check ------------------------------------------------------------------------------------------
    def run_once(self) -> str:
        """What happened: none | current | skipped | installed | reverted | failed | offline | busy.
        One process at a time (the kiosk's own sync thread, `kiosk sync`): the others say busy."""
        import fcntl

        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.state_path.with_name(".updates.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return "busy"
            try:
                return self._run_locked()
            except KioskError as exc:  # the bundle lock is held, the disk is full...: next time
                log.info("release check postponed: %s", exc.message)
                return "busy"

    def _run_locked(self) -> str:
        try:
            r = self._get("/v1/updates")
            if r.status_code != 200:
                return "offline"
            release = r.json().get("release")
        except (httpx.HTTPError, ValueError, AttributeError):
            return "offline"
        if not isinstance(release, dict) or not isinstance(release.get("id"), int):
            return "none"
        state = self._state()
        rid = str(release["id"])
        have = self.installed_version() or 0  # after recovery: a version on disk has passed its health check
        if self.loaded is None:
            self.loaded = have
        if have >= int(release.get("version", 0)):  # installed (perhaps before a crash): make sure the hub knows
            if have == release["version"] and state.get("reported", {}).get(rid) != "installed":
                self._report(state, release, "installed", "already installed")
            self._adopt(have)  # installed by another process (`kiosk sync`) while this kiosk ran
            return "current"
        if rid in map(str, state.get("failed", [])):
            if state.get("reported", {}).get(rid) not in ("failed", "reverted"):
                self._report(state, release, state.get("outcome", {}).get(rid, "failed"), "failed before")
            return "skipped"
        if state.get("reported", {}).get(rid) != "downloading":
            self._report(state, release, "downloading")
        try:
            path = self._download(release)
        except KioskError as exc:
            log.warning("release %s not downloaded: %s", rid, exc.message)
            return "offline"
        try:
            result = self.install(path)
        except KioskError as exc:
            if exc.code not in RELEASE_FAULTS:
                raise
            what = "reverted" if exc.code == "bundle_unhealthy" else "failed"
            state.setdefault("failed", []).append(release["id"])
            state.setdefault("outcome", {})[rid] = what
            self._save(state)
            path.unlink(missing_ok=True)
            self._report(state, release, what, f"{exc.code}: {exc.message}")
            return what
        path.unlink(missing_ok=True)
        self._report(state, release, "installed", str(result.get("health", "")))
        self._adopt(int(release["version"]))
        for old in self.downloads.glob("release-*.part"):  # left by releases superseded meanwhile
            old.unlink(missing_ok=True)
        return "installed"

    def _adopt(self, version: int) -> None:
        """Answer from the installed bundle's pack, once per version this process has not loaded yet."""
        if version == self.loaded or self.on_installed is None:
            return
        try:
            self.on_installed()
            self.loaded = version
        except KioskError as exc:
            log.warning("bundle %s installed, but its pack was not loaded: %s", version, exc.message)

    def _download(self, release: dict) -> Path:
        """The release's bundle, resumed from what an earlier (interrupted) download left."""
        self.downloads.mkdir(parents=True, exist_ok=True)
        part = self.downloads / f"release-{release['id']}.part"
        done = self.downloads / f"release-{release['id']}.tar"
        if done.is_file() and _sha256(done) == release["sha256"]:
            return done
        have = part.stat().st_size if part.is_file() else 0
        if have > int(release["size"]):
            part.unlink()
            have = 0
        if have < int(release["size"]):
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self._get(release["url"], headers, stream=True) as r:
                    if r.status_code == 200 and have:  # the hub ignored the range: start again
                        have = 0
                        part.unlink(missing_ok=True)
                    elif r.status_code not in (200, 206):
                        raise KioskError("update_download", f"HTTP {r.status_code} for release {release['id']}")
                    with open(part, "ab") as f:
                        for chunk in r.iter_bytes(1 << 16):
                            have += len(chunk)
                            if have > int(release["size"]):  # never more than the ledger said: a full disk
                                raise KioskError("update_corrupt", "the hub sent more than the release's size")
                            f.write(chunk)
                        f.flush()
                        os.fsync(f.fileno())
            except httpx.HTTPError as exc:
                raise KioskError("update_download", f"download interrupted ({exc}); resumed next time") from exc
        if _sha256(part) != release["sha256"]:
            part.unlink(missing_ok=True)
            raise KioskError("update_corrupt", "the download does not match the release's SHA-256; fetched again")
        os.replace(part, done)
        return done


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
