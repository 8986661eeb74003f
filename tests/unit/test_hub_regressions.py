"""A rolling release is halted when the kiosks that installed it answer clearly worse than before (real SQLite)."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from kiosk.hub import regressions, releases
from kiosk.hub.migrate import engine_for, upgrade
from kiosk.hub.tables import device_updates, devices, events
from kiosk.hub.tables import releases as releases_table


def _setup(tmp_path, escalated_after: bool, latency_after: float, kiosks: int = 2, engine=None, pack="p",
           version=1, meter=None):
    """A release of ``pack`` installed an hour ago on ``kiosks`` kiosks, each with 30 meters before and 30
    after (``meter``: the data of every meter after it, instead)."""
    if engine is None:
        engine = engine_for(f"sqlite:///{tmp_path / 'h.db'}")
        upgrade(engine)
    now = datetime.now(timezone.utc)
    installed_at = now - timedelta(hours=1)
    with engine.begin() as c:
        rid = c.execute(insert(releases_table).values(
            bundle_version=version, pack_name=pack, pack_version=2, sha256="0" * 64, size=1, key_id="k",
            signed="hub", published_by="t", published_at=installed_at, rings=["canary", "all"], stage=0,
            state="rolling", halt_reason="", note="", blob=b"x").returning(releases_table.c.id)).scalar()
        for k in range(kiosks):
            dev = f"{pack}-k{k + 1}"
            c.execute(insert(devices).values(id=dev, public_key=b"x" * 32, ring="canary", state="active",
                                             enrolled_at=now, last_seen=now))
            c.execute(insert(device_updates).values(device_id=dev, release_id=rid, state="installed", detail="",
                                                    updated_at=installed_at))
            rows = []
            for i in range(30):
                for when, esc, lat in ((installed_at - timedelta(minutes=30 + i), i % 10 == 0, 300.0),
                                       (installed_at + timedelta(minutes=1 + i), escalated_after and i % 2 == 0,
                                        latency_after)):
                    data = {"escalated": esc, "latency_ms": lat, "tokens_in": 0, "tokens_out": 0}
                    rows.append({"source": dev, "id": f"{when.isoformat()}", "type": "kiosk.usage.meter.v1",
                                 "time": when.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
                                 "data": meter if meter is not None and when > installed_at else data,
                                 "received_at": now})
            c.execute(insert(events), rows)
    return engine, rid


def test_a_jump_in_the_escalation_rate_after_the_update_halts_the_release(tmp_path):
    engine, rid = _setup(tmp_path, escalated_after=True, latency_after=300.0)
    (got,) = regressions.check_all(engine)
    assert got[0] == rid and "escalation rate 10% -> 50%" in got[1] and "on 2 of 2 kiosks" in got[1], got
    assert releases.get(engine, rid).state == "halted"


def test_one_kiosk_alone_cannot_halt_a_release_and_three_do(tmp_path):
    """Issue 24, row 5: one kiosk's meters (made up or not) never halt a release for the fleet."""
    engine, rid = _setup(tmp_path, escalated_after=True, latency_after=300.0, kiosks=1)
    assert regressions.check_all(engine) == [] and releases.get(engine, rid).state == "rolling"
    three, rid3 = _setup(tmp_path, escalated_after=True, latency_after=300.0, kiosks=3, engine=engine, pack="q",
                         version=2)
    (got,) = regressions.check_all(engine)
    assert got[0] == rid3 and "on 3 of 3 kiosks" in got[1], got


def test_a_release_whose_meters_are_poisoned_is_checked_without_stopping_the_others(tmp_path):
    """Meters held before the hub checked every number (NaN, 1e999, a 400-digit latency, a string for
    escalated) are left out of the figures; the release beside it is still judged and halted."""
    engine, bad = _setup(tmp_path, escalated_after=False, latency_after=300.0, kiosks=2,
                         meter={"escalated": "yes", "latency_ms": 10**400, "tokens_in": 0})
    with engine.begin() as c:  # as stored by an older hub, bypassing ingest's checks
        c.execute(insert(events), [{"source": "p-k1", "id": f"nan-{i}", "type": "kiosk.usage.meter.v1",
                                    "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                    "data": {"escalated": False, "latency_ms": v}, "received_at": datetime.now(
                                        timezone.utc)} for i, v in enumerate([float("nan"), float("inf")])])
    _, good = _setup(tmp_path, escalated_after=False, latency_after=1500.0, kiosks=2, engine=engine, pack="q",
                     version=2)
    got = regressions.check_all(engine)
    assert [g[0] for g in got] == [good], got
    assert releases.get(engine, bad).state == "rolling"


def test_a_jump_in_latency_halts_it_and_a_steady_kiosk_does_not(tmp_path):
    engine, rid = _setup(tmp_path, escalated_after=False, latency_after=1500.0)
    assert "latency p95 300 -> 1500 ms" in regressions.check_all(engine)[0][1]
    steady, rid2 = _setup(tmp_path / "b", escalated_after=False, latency_after=320.0) if (tmp_path / "b").mkdir() \
        is None else (None, None)
    assert regressions.check_all(steady) == [] and releases.get(steady, rid2).state == "rolling"


def test_a_kiosk_restarting_again_and_again_after_the_update_halts_it(tmp_path):
    engine, rid = _setup(tmp_path, escalated_after=False, latency_after=300.0)
    at = releases.get(engine, rid).published_at
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    with engine.begin() as c:
        c.execute(insert(events), [{"source": "p-k1", "id": f"start-{i}", "type": "kiosk.health.started",
                                    "time": (at + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                    "data": {}, "received_at": at} for i in range(3)])
    assert "p-k1 started 3 times" in regressions.check_all(engine)[0][1]  # one kiosk's crash loop is enough


def test_a_device_moves_to_another_ring_and_is_offered_what_that_ring_is(tmp_path):
    import pytest

    from kiosk.hub import store

    engine, rid = _setup(tmp_path, escalated_after=False, latency_after=300.0)
    with engine.begin() as c:
        c.execute(insert(devices).values(id="k2", public_key=b"y" * 32, ring="hall", state="active",
                                         enrolled_at=datetime.now(timezone.utc), last_seen=None))
    assert releases.offer(engine, "k2") is None  # the release is open to canary only
    assert store.set_ring(engine, "k2", "canary") and releases.offer(engine, "k2").id == rid
    assert not store.set_ring(engine, "nobody", "canary")
    with pytest.raises(ValueError):
        store.set_ring(engine, "k2", "bad ring!")
