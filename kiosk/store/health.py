"""Health events in the outbox (tier changes, snapshots), in the CloudEvents-ready shape sync will send."""

from __future__ import annotations

import json
import uuid

import sqlite_utils

from kiosk.store.db import utcnow, write


def record_health(db: sqlite_utils.Database, kind: str, data: dict) -> str:
    event_id = uuid.uuid4().hex

    def tx(conn):
        conn.execute("INSERT INTO health_events (id, time, type, data) VALUES (?,?,?,?)",
                     (event_id, utcnow(), kind, json.dumps(data, default=str)))

    write(db, tx)
    return event_id


def recent_latencies(db: sqlite_utils.Database, limit: int = 200) -> list[float]:
    return [r[0] for r in db.conn.execute("SELECT latency_ms FROM meters ORDER BY time DESC LIMIT ?", (limit,))]
