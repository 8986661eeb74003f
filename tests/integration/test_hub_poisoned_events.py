"""No kiosk can break the hub's pages for the others (issue 24, rows 4 and 7 in part), against a real
`kiosk hub serve` on SQLite and on PostgreSQL: an enrolled kiosk's poisoned events (a 400-digit temperature,
NaN and 1e999 latencies, made-up event types, numbers as strings, deep or huge data) are each rejected on
their own, the good ones beside them kept; and rows an older hub held unchecked are skipped by the pages."""

import json
from datetime import datetime, timezone

import httpx
import pytest

from kiosk.hub.local import start_hub
from tests.integration.hubkit import enrol_key, hub_cli, post_signed

PASSWORD = "poisoned events 1"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("postgres")


def _ev(device: str, i: int, kind: str, data) -> dict:
    return {"specversion": "1.0", "id": f"ev-{i}", "source": device, "type": kind,
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "data": data}


METER, SNAPSHOT = "kiosk.usage.meter.v1", "kiosk.health.health.snapshot"
GOOD_METER = {"source": "llm", "tier": "full", "model": "m", "tokens_in": 10, "tokens_out": 20, "latency_ms": 850.5,
              "ttft_ms": 120.0, "escalated": False, "session_id": ""}
GOOD_SNAPSHOT = {"tier": "full", "latency_ms_p50": 400.0, "latency_ms_p95": 900.0, "temp_c": 61.5, "pack": "Museum",
                 "pack_version": "3", "bundle": "", "warnings": ["low_disk"], "sent": {"meters": 1},
                 "battery_pct": "unknown", "throttled": None}


def test_poisoned_events_are_rejected_alone_and_every_page_still_renders(db, tmp_path):
    hub, url = start_hub(db, env={"KIOSK_HUB_METRICS_TOKEN": "m-token"})
    try:
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        device, key = enrol_key(url, db)
        poisoned = [
            (SNAPSHOT, {**GOOD_SNAPSHOT, "temp_c": 10**400}),                 # 400 digits
            (METER, {**GOOD_METER, "latency_ms": float("nan")}),
            (METER, {**GOOD_METER, "latency_ms": "@INF@"}),                  # 1e999 in the JSON text
            (METER, {**GOOD_METER, "tokens_in": "10"}),
            (METER, {**GOOD_METER, "escalated": "yes"}),
            (SNAPSHOT, {**GOOD_SNAPSHOT, "temp_c": "hot"}),
            (SNAPSHOT, {**GOOD_SNAPSHOT, "sent": {"meters": -1.5}}),
            ("kiosk.made.up.type", {}),
            (METER, {**GOOD_METER, "x": [[[[[[1]]]]]]}),                    # deeper than any kiosk writes
            (METER, {**GOOD_METER, "x": "a" * 20000}),                     # bigger than any kiosk writes
            (METER, [1, 2]),
            (METER, {**GOOD_METER, "extra": 1e300 * 10}),                   # inf, in a field the hub does not read
        ]
        batch = [_ev(device, 0, METER, GOOD_METER), _ev(device, 1, SNAPSHOT, GOOD_SNAPSHOT)]
        batch += [_ev(device, 2 + i, kind, data) for i, (kind, data) in enumerate(poisoned)]
        body = json.dumps(batch).replace('"@INF@"', "1e999").encode()
        r = post_signed(url, device, key, "/v1/events", body)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["accepted"] == 2, out
        assert [x["index"] for x in out["rejected"]] == list(range(2, 2 + len(poisoned))), out
        assert all(x["reason"] for x in out["rejected"])
        metrics = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer m-token"})
        assert metrics.status_code == 200 and "made.up" not in metrics.text
        web = httpx.Client(base_url=url)
        assert web.post("/login", data={"name": "ops", "password": PASSWORD}).status_code == 303
        for path in ("/fleet", "/usage", "/usage.csv", "/questions", "/releases"):
            assert web.get(path).status_code == 200, path
        assert "61.5" in web.get("/fleet").text or "62" in web.get("/fleet").text

        # Rows an older hub held without these checks: each page leaves out what it cannot show.
        from sqlalchemy import insert

        from kiosk.hub.migrate import engine_for
        from kiosk.hub.tables import events

        legacy = [_ev(device, 100, SNAPSHOT, {**GOOD_SNAPSHOT, "temp_c": 10**400}),
                  _ev(device, 101, METER, {**GOOD_METER, "tokens_in": 10**400}),
                  _ev(device, 102, METER, {**GOOD_METER, "tokens_out": "lots"})]
        if db.startswith("sqlite"):  # PostgreSQL's JSON cannot hold these at all
            legacy += [_ev(device, 103, METER, {**GOOD_METER, "tokens_in": float("nan")})]
        engine = engine_for(db)
        with engine.begin() as c:
            c.execute(insert(events), [{"source": device, "id": e["id"], "type": e["type"], "time": e["time"],
                                        "data": e["data"], "received_at": datetime.now(timezone.utc)} for e in legacy])
        engine.dispose()
        for path in ("/fleet", "/usage", "/usage.csv", "/questions"):
            assert web.get(path).status_code == 200, path
        rows = web.get("/usage.csv").text.splitlines()
        assert any(device in row and ",llm,full," in row for row in rows[1:]), rows
    finally:
        hub.terminate()
        hub.wait(timeout=10)
