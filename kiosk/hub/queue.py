"""The hub's escalations: claimed once per (device, id), settled with the upstream's verdict, answered by
staff from the review queue, and handed back to their kiosk once. Every change is one statement, so two hub
processes (or a kiosk's retry) never ask the upstream twice for one escalation or lose a staff answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, update

from kiosk.hub.store import _upsert, now
from kiosk.hub.tables import escalations

REVIEW_STATES = ("review",)


def age_s(row) -> float:
    """How long ago an escalation row was claimed (SQLite gives naive UTC datetimes, PostgreSQL aware ones)."""
    from datetime import timezone

    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=timezone.utc)
    return (now() - created).total_seconds()


def claim(engine: Engine, device_id: str, esc_id: str, question: str, pack: list[str]):
    """Insert the escalation as ``asking`` and return None, or return the row already held under that id."""
    upsert = _upsert(engine)
    with engine.begin() as c:
        new = c.execute(upsert(escalations).values(
            device_id=device_id, id=esc_id, created_at=now(), question=question, pack=pack, state="asking",
            reason="", detail="").on_conflict_do_nothing(index_elements=["device_id", "id"])
            .returning(escalations.c.id)).first()
        if new is not None:
            return None
        return c.execute(select(escalations).where(escalations.c.device_id == device_id,
                                                   escalations.c.id == esc_id)).first()


def claimed_since(engine: Engine, device_id: str, since_epoch: float) -> int:
    """How many escalations this device sent since then (each new one may ask the upstream once)."""
    from datetime import datetime, timezone

    since = datetime.fromtimestamp(since_epoch, timezone.utc)
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(escalations).where(
            escalations.c.device_id == device_id, escalations.c.created_at >= since)).scalar() or 0


def settle(engine: Engine, device_id: str, esc_id: str, state: str, reason: str, detail: str,
           answer: str) -> None:
    """The verdict on an escalation being asked (no effect once it is settled: staff may have answered)."""
    with engine.begin() as c:
        c.execute(update(escalations).where(escalations.c.device_id == device_id, escalations.c.id == esc_id,
                                            escalations.c.state == "asking")
                  .values(state=state, reason=reason, detail=detail[:2000], answer=answer or None,
                          answered_by="upstream" if state == "answered" else None,
                          answered_at=now() if state == "answered" else None))


def staff_answer(engine: Engine, device_id: str, esc_id: str, answer: str, user: str) -> bool:
    """Answer a queued escalation; False if it is not waiting for staff (answered meanwhile, or unknown)."""
    with engine.begin() as c:
        return c.execute(update(escalations).where(
            escalations.c.device_id == device_id, escalations.c.id == esc_id,
            escalations.c.state.in_(REVIEW_STATES)).values(
            state="staff", answer=answer, answered_by=user, answered_at=now())).rowcount == 1


def undelivered(engine: Engine, device_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Staff answers this kiosk has not yet taken."""
    with engine.connect() as c:
        rows = c.execute(select(escalations.c.id, escalations.c.answer, escalations.c.answered_at)
                         .where(escalations.c.device_id == device_id, escalations.c.state == "staff",
                                escalations.c.delivered_at.is_(None))
                         .order_by(escalations.c.answered_at).limit(limit)).all()
    return [{"id": r.id, "answer": r.answer, "answered_at": r.answered_at.isoformat()} for r in rows]


def delivered(engine: Engine, device_id: str, ids: list[str]) -> int:
    with engine.begin() as c:
        return c.execute(update(escalations).where(
            escalations.c.device_id == device_id, escalations.c.id.in_(ids), escalations.c.state == "staff",
            escalations.c.delivered_at.is_(None)).values(delivered_at=now())).rowcount


def review_queue(engine: Engine, limit: int = 500) -> list[Any]:
    """Escalations waiting for staff, newest first."""
    with engine.connect() as c:
        return c.execute(select(escalations).where(escalations.c.state.in_(REVIEW_STATES))
                         .order_by(escalations.c.created_at.desc()).limit(limit)).all()


def recent(engine: Engine, limit: int = 50) -> list[Any]:
    with engine.connect() as c:
        return c.execute(select(escalations).where(escalations.c.state.in_(("answered", "staff")))
                         .order_by(escalations.c.created_at.desc()).limit(limit)).all()
