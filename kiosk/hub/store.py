"""What the hub does with its database: enrolment codes, devices, nonces, events. Safe with several hub
processes on one database: every check-and-change is one statement the database makes atomic."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from kiosk.hub.tables import devices, enrol_codes, escalations, events, nonces

CODE_TTL = timedelta(hours=24)
RING = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_code(engine: Engine, ring: str = "all") -> str:
    """A one-time enrolment code (shown once; only its hash is kept), valid for a day. ValueError for a ring
    name that is not 1-64 letters, digits, dots, dashes or underscores."""
    if not RING.match(ring):
        raise ValueError("a ring name is 1-64 letters, digits, dots, dashes or underscores")
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    t = now()
    with engine.begin() as c:
        c.execute(insert(enrol_codes).values(code_hash=_hash(code), ring=ring, created_at=t,
                                             expires_at=t + CODE_TTL, used_by=None))
    return code


class EnrolError(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def enrol(engine: Engine, code: str, device_id: str, public_key: bytes, enrolled_as: str = "") -> str:
    """Spend ``code`` on this device; returns its ring. One transaction: a code is spent once, by one device.
    ``enrolled_as``: the host and port the kiosk reached the hub under (its enrolment's Host)."""
    if len(public_key) != 32:
        raise EnrolError("bad_public_key", "the public key is not a raw Ed25519 key (32 bytes)", 400)
    try:
        return _enrol(engine, code, device_id, public_key, enrolled_as[:300])
    except IntegrityError as exc:  # the same id enrolled at the same moment through another process
        raise EnrolError("device_exists", f"device {device_id!r} is already enrolled", 409) from exc


def _enrol(engine: Engine, code: str, device_id: str, public_key: bytes, enrolled_as: str) -> str:
    with engine.begin() as c:
        ring = c.execute(update(enrol_codes)
                         .where(enrol_codes.c.code_hash == _hash(code), enrol_codes.c.used_by.is_(None),
                                enrol_codes.c.expires_at > now())
                         .values(used_by=device_id).returning(enrol_codes.c.ring)).scalar()
        if ring is None:
            raise EnrolError("bad_code", "the enrolment code is unknown, used or expired", 403)
        if c.execute(select(devices.c.id).where(devices.c.id == device_id)).first() is not None:
            # Public keys are public: a code holder must not re-enrol (or move) someone else's device.
            raise EnrolError("device_exists", f"device {device_id!r} is already enrolled: enrol this "
                             "kiosk under another [device] id", 409)
        c.execute(insert(devices).values(id=device_id, public_key=public_key, ring=ring, state="active",
                                         enrolled_at=now(), last_seen=now(), enrolled_as=enrolled_as))
    return ring


def device(engine: Engine, device_id: str):
    with engine.connect() as c:
        return c.execute(select(devices).where(devices.c.id == device_id)).first()


def set_ring(engine: Engine, device_id: str, ring: str) -> bool:
    """Move a device to another rollout ring (from its next release check on)."""
    if not RING.match(ring):
        raise ValueError("a ring name is 1-64 letters, digits, dots, dashes or underscores")
    with engine.begin() as c:
        return c.execute(update(devices).where(devices.c.id == device_id).values(ring=ring)).rowcount == 1


def revoke(engine: Engine, device_id: str) -> bool:
    with engine.begin() as c:
        return c.execute(update(devices).where(devices.c.id == device_id).values(state="revoked")).rowcount == 1


def prune_nonces(engine: Engine, older_than: int) -> None:
    with engine.begin() as c:
        c.execute(nonces.delete().where(nonces.c.created < older_than))


def _upsert(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert


class Replayed(Exception):
    pass


def _spend(c, keyid: str, nonce: str, created: int) -> None:
    upsert = _upsert(c.engine)
    fresh = c.execute(upsert(nonces).values(keyid=keyid, nonce=nonce, created=created)
                      .on_conflict_do_nothing(index_elements=["keyid", "nonce"]).returning(nonces.c.nonce)).first()
    if fresh is None:
        raise Replayed()


def spend_nonce(engine: Engine, keyid: str, nonce: str, created: int) -> None:
    """Spend a signed request's nonce and note the device's contact (raises Replayed if spent before)."""
    with engine.begin() as c:
        _spend(c, keyid, nonce, created)
        c.execute(update(devices).where(devices.c.id == keyid).values(last_seen=now()))


class OverQuota(Exception):
    """The kiosk has sent its [hub] kiosk_events_per_day today: nothing of the batch is held."""


def ingest(engine: Engine, keyid: str, nonce: str, created: int, rows: list[dict[str, Any]],
           per_day: int = 0) -> int:
    """One transaction for one signed batch: spend the nonce (raises Replayed if it was spent before), hold
    the events (skipping any (source, id) already held), note the contact and count the new events against
    the kiosk's day (raises OverQuota, holding nothing, past ``per_day``; 0 = no quota). Returns how many
    were new."""
    upsert = _upsert(engine)
    t = now()
    today = t.strftime("%Y-%m-%d")
    with engine.begin() as c:
        _spend(c, keyid, nonce, created)
        new = 0
        if rows:
            res = c.execute(upsert(events).on_conflict_do_nothing(index_elements=["source", "id"])
                            .returning(events.c.id), [{**r, "received_at": t} for r in rows])
            new = len(res.all())
        same_day = devices.c.quota_day == today
        noted = update(devices).where(devices.c.id == keyid).values(
            last_seen=t, quota_day=today, events_today=case((same_day, devices.c.events_today + new), else_=new))
        if per_day:  # one statement: every hub process counts against the same row
            noted = noted.where(or_(and_(same_day, devices.c.events_today + new <= per_day),
                                    and_(~same_day, new <= per_day)))
        if c.execute(noted).rowcount != 1:
            raise OverQuota()
    return new


def prune_events(engine: Engine, older_than: datetime, batch: int = 10_000) -> int:
    """Delete up to ``batch`` events received before ``older_than`` ([hub] retention_days); how many went."""
    old = select(events.c.source, events.c.id).where(events.c.received_at < older_than).limit(batch)
    with engine.begin() as c:
        return c.execute(events.delete().where(tuple_(events.c.source, events.c.id).in_(old))).rowcount


def stats(engine: Engine) -> dict[str, Any]:
    with engine.connect() as c:
        by_state = dict(c.execute(select(devices.c.state, func.count()).group_by(devices.c.state)).all())
        by_type = dict(c.execute(select(events.c.type, func.count()).group_by(events.c.type)).all())
        esc = dict(c.execute(select(escalations.c.state, func.count()).group_by(escalations.c.state)).all())
    return {"devices": by_state, "events": by_type, "escalations": esc}
