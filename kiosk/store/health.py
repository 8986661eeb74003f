"""Health events in the outbox (tier changes, snapshots), in the CloudEvents-ready shape sync will send."""

from __future__ import annotations

import json
import logging
import uuid

import sqlite_utils

from kiosk.domain.events import Failed, FellBack, TurnEvent
from kiosk.errors import KioskError
from kiosk.store.db import utcnow, write

log = logging.getLogger("kiosk")


def record_health(db: sqlite_utils.Database, kind: str, data: dict) -> str:
    event_id = uuid.uuid4().hex

    def tx(conn):
        conn.execute("INSERT INTO health_events (id, time, type, data) VALUES (?,?,?,?)",
                     (event_id, utcnow(), kind, json.dumps(data, default=str)))

    write(db, tx)
    return event_id


def recent_latencies(db: sqlite_utils.Database, limit: int = 200) -> list[float]:
    return [r[0] for r in db.conn.execute("SELECT latency_ms FROM meters ORDER BY time DESC LIMIT ?", (limit,))]


def record_sketch(db: sqlite_utils.Database, code: str, raw: str | bytes, detail: str = "") -> None:
    """A failed turn, reproducible offline without personal data: redacted text, a hash, the error code."""
    import hashlib

    from kiosk.domain.redact import RedactionError, redact

    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
    text = data[:2000].decode("utf-8", "replace").replace("\x00", "\\0")
    try:
        text = redact(text)[0]
    except RedactionError:
        text = "[unredactable]"

    def tx(conn):
        conn.execute("INSERT INTO turn_sketches VALUES (?,?,?,?,?,?,?)",
                     (uuid.uuid4().hex, utcnow(), code, text[:500], hashlib.sha256(data).hexdigest(), len(data),
                      detail[:300]))

    write(db, tx)


class SketchRecorder:
    """Listens to every turn and keeps a sketch of each that failed or fell back from the model."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def __call__(self, event: TurnEvent) -> None:
        if isinstance(event, Failed):
            self._store(event.error.code, event.question, event.error.message)
        elif isinstance(event, FellBack):
            self._store(event.reason, event.question, event.detail)

    def _store(self, code: str, question: str | bytes, detail: str) -> None:
        try:
            record_sketch(self.db, code, question, detail)
        except KioskError as exc:  # a full disk must not turn a refused question into a crash
            log.warning("sketch not stored: %s", exc.message)
