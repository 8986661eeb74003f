"""Ordered, named schema migrations. Append only: never edit a migration that has shipped.

Outbox tables (escalations, meters) carry delivery columns from the start so the sync worker can use
them as they are: a unique id fixed at enqueue time (the idempotency key), status, attempts, next attempt
time, the last error, and when it was sent.
"""

from __future__ import annotations

import sqlite_utils

def _ddl(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one (``executescript`` would commit the migration's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            db.conn.execute(statement)


_DELIVERY = """
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT
"""


def m001_initial(db: sqlite_utils.Database) -> None:
    _ddl(db, f"""
    CREATE TABLE escalations (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        session_id TEXT NOT NULL,
        question TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '{{}}',
        answer TEXT,
        answered_at TEXT,
        {_DELIVERY}
    );
    CREATE INDEX escalations_due ON escalations(status, next_attempt_at);
    CREATE TABLE meters (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        session_id TEXT NOT NULL,
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        tier TEXT NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        ttft_ms REAL NOT NULL,
        escalated INTEGER NOT NULL,
        {_DELIVERY}
    );
    CREATE INDEX meters_due ON meters(status, next_attempt_at);
    CREATE TABLE session_turns (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        time TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        source TEXT NOT NULL,
        entry_ids TEXT NOT NULL
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """)


def m002_health(db: sqlite_utils.Database) -> None:
    _ddl(db, f"""
    CREATE TABLE health_events (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        {_DELIVERY}
    );
    CREATE INDEX health_due ON health_events(status, next_attempt_at);
    """)


def m003_sketches(db: sqlite_utils.Database) -> None:
    _ddl(db, """
    CREATE TABLE turn_sketches (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        code TEXT NOT NULL,
        text TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        length INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """)


MIGRATIONS = [("001_initial", m001_initial), ("002_health", m002_health), ("003_sketches", m003_sketches)]
