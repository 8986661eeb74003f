"""The release ledger and staged rollout.

A release is a signed bundle in the kiosks' existing format (``kiosk/bundles``): made here from a pack version
with a key the hub holds (``publish``), or signed offline with ``kiosk bundle build`` and uploaded (``upload``).
Either way a kiosk verifies the signature against its own trusted keys before staging anything, so the hub
cannot make a kiosk install what its operator did not sign.

Rollout: ``rings`` in order (e.g. canary, then all); ``stage`` says how many of them are open. A kiosk is
offered the newest open release for its ring. A ring reporting a failed install or an automatic revert halts
the release: nobody else is offered it. Rolling back publishes the previous good pack as a new, higher
version (anti-rollback refuses an older version number, by design).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.hub.store import _upsert, now
from kiosk.hub.tables import device_updates, devices, releases

STATES = ("pending", "downloading", "installed", "reverted", "failed")
BAD = ("reverted", "failed")
MAX_BUNDLE = 64 * 1024 * 1024  # releases live in the database: packs (and configs), not models


class ReleaseError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _manifest(blob: bytes) -> dict[str, Any]:
    from kiosk.bundles.build import MANIFEST_NAME
    from kiosk.bundles.manifest import parse

    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:") as tar:
            m = parse(tar.extractfile(tar.getmember(MANIFEST_NAME)).read())
    except (tarfile.TarError, KeyError, AttributeError) as exc:
        raise ReleaseError("bad_bundle", f"not a readable bundle: {exc}") from exc
    except Exception as exc:  # BundleError from parse: its code and message
        raise ReleaseError(getattr(exc, "code", "bad_bundle"), getattr(exc, "message", str(exc))) from exc
    return {"version": m.version, "key_id": m.key_id, "has_model": bool(m.model)}


def next_version(engine: Engine) -> int:
    with engine.connect() as c:
        return (c.execute(select(func.max(releases.c.bundle_version))).scalar() or 0) + 1


def _insert(engine: Engine, blob: bytes, rings: list[str], user: str, signed: str, pack_name: str = "",
            pack_version: int | None = None, note: str = "") -> int:
    if len(blob) > MAX_BUNDLE:
        raise ReleaseError("too_large", f"a release is at most {MAX_BUNDLE >> 20} MB here: ship models by "
                           "`kiosk bundle install URL`, packs through the hub")
    info = _manifest(blob)
    rings = [r for r in dict.fromkeys(r.strip() for r in rings) if r]
    if not rings:
        raise ReleaseError("no_rings", "a release needs at least one ring (e.g. canary,all)")
    try:
        with engine.begin() as c:
            return c.execute(insert(releases).values(
                bundle_version=info["version"], pack_name=pack_name, pack_version=pack_version,
                sha256=hashlib.sha256(blob).hexdigest(), size=len(blob), key_id=info["key_id"], signed=signed,
                published_by=user, published_at=now(), rings=rings, stage=0, state="rolling", halt_reason="",
                note=note[:500], blob=blob).returning(releases.c.id)).scalar()
    except IntegrityError as exc:
        raise ReleaseError("version_exists", f"bundle version {info['version']} was released before; "
                           f"the next is {next_version(engine)}") from exc


def publish(engine: Engine, pack_name: str, pack_version: int | None, key_path: str | Path, rings: list[str],
            user: str, probe: tuple[str, str] = ("", ""), note: str = "") -> int:
    """Sign a pack version with the hub's key into a pack-only bundle and put it in the ledger."""
    from kiosk.bundles.build import build
    from kiosk.hub.packs import latest, write_dir

    row = latest(engine, pack_name, pack_version)
    if row is None:
        raise ReleaseError("no_pack", f"no pack {pack_name!r}" + (f" version {pack_version}" if pack_version else ""))
    with tempfile.TemporaryDirectory() as d:
        pack_dir = write_dir(row.files, Path(d) / "pack")
        out = Path(d) / "release.tar"
        try:
            build(key_path, next_version(engine), out, None, pack_dir, None, probe=probe)
        except Exception as exc:
            raise ReleaseError(getattr(exc, "code", "build_failed"), getattr(exc, "message", str(exc))) from exc
        return _insert(engine, out.read_bytes(), rings, user, "hub", pack_name, row.version,
                       note or f"{pack_name} v{row.version}")


def upload(engine: Engine, bundle: bytes, rings: list[str], user: str, note: str = "") -> int:
    """A bundle signed elsewhere (`kiosk bundle build` on the operator's machine) into the ledger."""
    return _insert(engine, bundle, rings, user, "offline", note=note or "uploaded")


def get(engine: Engine, release_id: int):
    with engine.connect() as c:
        return c.execute(select(releases).where(releases.c.id == release_id)).first()


def ledger(engine: Engine, limit: int = 50) -> list:
    with engine.connect() as c:
        return c.execute(select(*[col for col in releases.c if col.name != "blob"])
                         .order_by(releases.c.id.desc()).limit(limit)).all()


def open_rings(row) -> list[str]:
    return list(row.rings[: row.stage + 1])


def offer(engine: Engine, device_id: str):
    """The newest rolling release open to this device's ring (None if none)."""
    with engine.connect() as c:
        ring = c.execute(select(devices.c.ring).where(devices.c.id == device_id)).scalar()
        rows = c.execute(select(*[col for col in releases.c if col.name != "blob"])
                         .where(releases.c.state == "rolling").order_by(releases.c.bundle_version.desc())).all()
    for r in rows:
        opened = open_rings(r)
        if ring in opened or "all" in opened:
            return r
    return None


def blob(engine: Engine, release_id: int) -> bytes | None:
    with engine.connect() as c:
        return c.execute(select(releases.c.blob).where(releases.c.id == release_id)).scalar()


def concerns(engine: Engine, device_id: str, row) -> bool:
    """Whether this device may speak of this release: its ring was opened to it, or it reported on it before."""
    with engine.connect() as c:
        ring = c.execute(select(devices.c.ring).where(devices.c.id == device_id)).scalar()
        before = c.execute(select(device_updates.c.state).where(
            device_updates.c.device_id == device_id, device_updates.c.release_id == row.id)).first()
    opened = open_rings(row)
    return before is not None or ring in opened or "all" in opened


def report(engine: Engine, device_id: str, release_id: int, state: str, detail: str) -> None:
    """A kiosk's word on a release; a failed install or a revert halts the release for everyone else."""
    if state not in STATES:
        raise ReleaseError("bad_state", f"state must be one of {', '.join(STATES)}")
    row = get(engine, release_id)
    if row is None or not concerns(engine, device_id, row):
        raise ReleaseError("not_offered", f"release {release_id} was never offered to this kiosk")
    upsert = _upsert(engine)
    with engine.begin() as c:
        c.execute(upsert(device_updates).values(device_id=device_id, release_id=release_id, state=state,
                                                detail=detail[:500], updated_at=now())
                  .on_conflict_do_update(index_elements=["device_id", "release_id"],
                                         set_={"state": state, "detail": detail[:500], "updated_at": now()}))
        if state in BAD:
            c.execute(update(releases).where(releases.c.id == release_id, releases.c.state == "rolling")
                      .values(state="halted", halt_reason=f"{device_id} {state}: {detail}"[:500]))


def promote(engine: Engine, release_id: int) -> list[str]:
    """Open the next ring; returns the open rings. Refused for a halted release."""
    with engine.begin() as c:
        r = c.execute(select(releases.c.rings, releases.c.stage, releases.c.state)
                      .where(releases.c.id == release_id)).first()
        if r is None:
            raise ReleaseError("no_release", f"no release {release_id}")
        if r.state != "rolling":
            raise ReleaseError("not_rolling", f"release {release_id} is {r.state}")
        stage = min(r.stage + 1, len(r.rings) - 1)
        c.execute(update(releases).where(releases.c.id == release_id).values(stage=stage))
    if stage == len(r.rings) - 1:
        supersede(engine, release_id)
    return list(r.rings[: stage + 1])


def supersede(engine: Engine, release_id: int) -> None:
    """A release open to every one of its rings replaces the older releases of its pack: they are no longer
    offered, rolled back or blamed for what happens after it."""
    r = get(engine, release_id)
    with engine.begin() as c:
        c.execute(update(releases).where(releases.c.pack_name == r.pack_name,
                                         releases.c.bundle_version < r.bundle_version,
                                         releases.c.state == "rolling").values(state="superseded"))


def newest_of_pack(engine: Engine, pack_name: str) -> int | None:
    with engine.connect() as c:
        return c.execute(select(releases.c.id).where(releases.c.pack_name == pack_name)
                         .order_by(releases.c.bundle_version.desc()).limit(1)).scalar()


def halt(engine: Engine, release_id: int, reason: str) -> bool:
    with engine.begin() as c:
        return c.execute(update(releases).where(releases.c.id == release_id, releases.c.state == "rolling")
                         .values(state="halted", halt_reason=reason[:500])).rowcount == 1


def rollback_target(engine: Engine, release_id: int) -> int | None:
    """The pack version a rollback of this release returns to: that of the newest earlier release of the pack
    that was not halted (None if it is not the pack's newest release, or there is none)."""
    r = get(engine, release_id)
    if r is None or not r.pack_name or newest_of_pack(engine, r.pack_name) != release_id:
        return None
    with engine.connect() as c:
        return c.execute(select(releases.c.pack_version).where(
            releases.c.pack_name == r.pack_name, releases.c.bundle_version < r.bundle_version,
            releases.c.state != "halted", releases.c.pack_version.is_not(None))
            .order_by(releases.c.bundle_version.desc()).limit(1)).scalar()


def rollback(engine: Engine, release_id: int, key_path: str | Path, user: str) -> int:
    """Halt the pack's newest release and publish the pack version of the last good release before it as a
    new, higher version to every ring the bad one had opened (kiosks accept it: its number is newer)."""
    r = get(engine, release_id)
    target = rollback_target(engine, release_id)
    if r is None or target is None:
        raise ReleaseError("no_previous", "only a pack's newest release can be rolled back, and only to an "
                           "earlier release of that pack that was not halted")
    halt(engine, release_id, f"rolled back by {user}")
    new = publish(engine, r.pack_name, target, key_path, open_rings(r), user,
                  note=f"rollback of release {release_id} to {r.pack_name} v{target}")
    with engine.begin() as c:  # the rollback goes straight to every ring the bad release reached
        c.execute(update(releases).where(releases.c.id == new).values(stage=len(open_rings(r)) - 1))
    supersede(engine, new)
    return new


def device_states(engine: Engine, release_id: int) -> dict[str, tuple[str, str]]:
    with engine.connect() as c:
        return {r.device_id: (r.state, r.detail) for r in c.execute(
            select(device_updates).where(device_updates.c.release_id == release_id))}


def as_json(row) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items() if k != "blob"}


def summary(engine: Engine) -> str:
    return json.dumps([as_json(r) for r in ledger(engine)])
