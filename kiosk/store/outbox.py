"""Outbox queries for the sync worker: what is due, and what happened to it. Ids never change after enqueue
(they are the idempotency keys), so a crash between send and mark only causes a harmless re-send."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlite_utils

from kiosk.store.db import utcnow, write

KINDS = ("meters", "health_events", "escalations")
TIME_COLUMN = {"meters": "time", "health_events": "time", "escalations": "created_at"}


def _at(seconds_from_now: float) -> str:
    t = datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Outbox:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def due(self, kind: str, limit: int) -> list[dict]:
        col = TIME_COLUMN[kind]
        return list(self.db.query(
            f"SELECT * FROM {kind} WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            f"ORDER BY {col} LIMIT ?", [utcnow(), limit]))

    def mark_sent(self, kind: str, ids: list[str], extra: dict | None = None) -> None:
        now = utcnow()

        def tx(conn):
            for i in ids:
                conn.execute(f"UPDATE {kind} SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                             f"last_error = NULL WHERE id = ?", (now, i))
                if extra:
                    sets = ", ".join(f"{k} = ?" for k in extra)
                    conn.execute(f"UPDATE {kind} SET {sets} WHERE id = ?", (*extra.values(), i))
            conn.execute("INSERT INTO state VALUES ('sync.last_success', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (now,))

        write(self.db, tx)

    def mark_retry(self, kind: str, ids: list[str], delay_s: float, error: str) -> None:
        when = _at(delay_s)

        def tx(conn):
            for i in ids:
                conn.execute(f"UPDATE {kind} SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                             f"WHERE id = ?", (when, error[:500], i))

        write(self.db, tx)

    def mark_dead(self, kind: str, ids: list[str], reason: str) -> None:
        def tx(conn):
            for i in ids:
                conn.execute(f"UPDATE {kind} SET status = 'dead', attempts = attempts + 1, last_error = ? "
                             f"WHERE id = ?", (reason[:500], i))

        write(self.db, tx)

    def attempts(self, kind: str, ids: list[str]) -> int:
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        return int(self.db.conn.execute(f"SELECT MAX(attempts) FROM {kind} WHERE id IN ({marks})", ids).fetchone()[0]
                   or 0)

    def report(self) -> dict:
        out: dict = {}
        for kind in KINDS:
            counts = {"pending": 0, "sent": 0, "dead": 0}
            for status, n in self.db.conn.execute(f"SELECT status, COUNT(*) FROM {kind} GROUP BY status"):
                counts[status] = n
            dead = [{"id": r[0], "reason": r[1]} for r in self.db.conn.execute(
                f"SELECT id, last_error FROM {kind} WHERE status = 'dead' ORDER BY {TIME_COLUMN[kind]} DESC LIMIT 5")]
            out[kind] = {**counts, "dead_letters": dead}
        row = self.db.conn.execute("SELECT value FROM state WHERE key = 'sync.last_success'").fetchone()
        out["last_success"] = row[0] if row else None
        return out
