"""The kiosk's own database: WAL, synchronous=FULL, named migrations applied in order inside a transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from kiosk.errors import StorageError
from kiosk.store.migrations import MIGRATIONS
from kiosk.store.private import create_private


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate; every failure becomes a ``StorageError`` naming the file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")  # a wiped session's words are overwritten, not just unlinked
        db = sqlite_utils.Database(conn)
        migrate(db)
        return db
    except sqlite3.DatabaseError as exc:
        raise StorageError("db_open", f"cannot open database {path}: {exc}") from exc
    except OSError as exc:
        raise StorageError("db_open", f"cannot create database {path}: {exc.strerror}") from exc


def migrate(db: sqlite_utils.Database, migrations: list[tuple[str, Callable]] | None = None) -> list[str]:
    """Apply the named migrations not yet recorded, each in its own transaction; returns what ran."""
    migrations = MIGRATIONS if migrations is None else migrations
    conn = db.conn
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    ran = []
    for name, step in migrations:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, utcnow()))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite already rolled back after SQLITE_FULL and friends
                conn.execute("ROLLBACK")
            raise
        ran.append(name)
    return ran


def write(db: sqlite_utils.Database, fn: Callable[[sqlite3.Connection], object]) -> object:
    """Run ``fn`` in one immediate transaction; a full disk or I/O error becomes a clear ``StorageError``."""
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:  # SQLite already rolled back after SQLITE_FULL and friends
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        msg = str(exc)
        code = "disk_full" if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL else "db_write"
        raise StorageError(code, f"could not save to {db.conn.execute('PRAGMA database_list').fetchone()[2]}:"
                                 f" {msg}") from exc
