"""Bring a hub database to the current schema (Alembic, run by every hub command before it starts)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from kiosk.store.private import create_private

HERE = Path(__file__).parent


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"timeout": 30})
        if eng.url.database and eng.url.database != ":memory:":
            create_private(eng.url.database)

        @event.listens_for(eng, "connect")
        def _pragmas(conn, _record) -> None:  # several writers: WAL, and wait for the lock
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
        return eng
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
