"""Events are kept for [hub] retention_days after the hub received them (issue 24), on real SQLite and
PostgreSQL: older ones are deleted a batch at a time, newer ones kept."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from kiosk.hub import store
from kiosk.hub.migrate import engine_for, upgrade
from kiosk.hub.tables import events


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres")
    eng = engine_for(url)
    upgrade(eng)
    yield eng
    eng.dispose()


def test_events_older_than_the_retention_are_deleted_in_batches(engine):
    now = store.now()
    with engine.begin() as c:
        c.execute(insert(events), [{"source": "k1", "id": f"e{i}", "type": "kiosk.health.started",
                                    "time": "2026-01-01T00:00:00Z", "data": {},
                                    "received_at": now - timedelta(days=500 if i < 25 else 10)} for i in range(40)])
    cutoff = now - timedelta(days=400)
    assert store.prune_events(engine, cutoff, batch=10) == 10
    assert store.prune_events(engine, cutoff, batch=10) == 10
    assert store.prune_events(engine, cutoff, batch=10) == 5
    assert store.prune_events(engine, cutoff, batch=10) == 0
    assert store.stats(engine)["events"] == {"kiosk.health.started": 15}
