import json
import sqlite3

import pytest

from kiosk.domain.models import Answer
from kiosk.errors import StorageError
from kiosk.store.db import connect, migrate, write
from kiosk.store.turns import TurnStore


def answer(escalated=False):
    return Answer("Where is the pool?", "I don't know", "heuristic", "full", escalated, 0.1, ["a#b"],
                  ttft_ms=1.5, total_ms=2.5, tokens_in=3, tokens_out=4, model="m", note="why")


def test_database_is_wal_with_full_sync_and_migrated(tmp_path):
    db = connect(tmp_path / "k.db")
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    names = [r[0] for r in db.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == ["001_initial", "002_health", "003_sketches"]
    assert {"escalations", "meters", "session_turns", "state", "health_events"} <= set(db.table_names())
    assert migrate(db) == []  # idempotent


def test_a_failing_migration_is_rolled_back(tmp_path):
    db = connect(tmp_path / "k.db")

    def bad(d):
        d.conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, [("003_bad", bad)])
    assert "half" not in db.table_names()
    assert "003_bad" not in {r[0] for r in db.conn.execute("SELECT name FROM _migrations")}


def test_a_turn_records_meter_escalation_and_transcript(tmp_path):
    store = TurnStore(connect(tmp_path / "k.db"))
    store.record(answer(escalated=True), "s1")
    store.record(answer(), "s1")
    meters = list(store.db.query("SELECT * FROM meters"))
    assert len(meters) == 2 and len({m["id"] for m in meters}) == 2
    assert meters[0]["status"] == "pending" and meters[0]["tokens_out"] == 4 and meters[0]["tier"] == "full"
    esc = list(store.db.query("SELECT * FROM escalations"))
    assert len(esc) == 1 and json.loads(esc[0]["context"])["entry_ids"] == ["a#b"]
    assert store.outbox_counts()["meters"] == {"pending": 2, "sent": 0, "dead": 0}
    assert len(store.session_turns("s1")) == 2
    assert store.reset_session("s1") == 2 and store.session_turns("s1") == []
    assert store.outbox_counts()["escalations"]["pending"] == 1  # the outbox survives a session wipe


def test_a_full_disk_is_a_clear_error_and_loses_nothing_committed(tmp_path):
    store = TurnStore(connect(tmp_path / "k.db"))
    store.record(answer(), "s1")
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageError) as exc:
        for _ in range(500):
            store.record(Answer("q" * 2000, "a" * 2000, "heuristic", "full", True, 0.1), "s1")
    assert exc.value.code == "disk_full"
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.outbox_counts()["meters"]["pending"] >= 1


def test_a_corrupt_database_file_is_a_clear_error(tmp_path):
    (tmp_path / "k.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as exc:
        connect(tmp_path / "k.db")
    assert exc.value.code == "db_open"


def test_write_rolls_back_on_error(tmp_path):
    db = connect(tmp_path / "k.db")
    with pytest.raises(sqlite3.IntegrityError):
        write(db, lambda c: (c.execute("INSERT INTO state VALUES ('a', '1')"),
                             c.execute("INSERT INTO state VALUES ('a', '2')")))
    assert list(db.query("SELECT * FROM state")) == []
