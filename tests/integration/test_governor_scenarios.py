"""Replayed resource scenarios through the emulator, against the real kiosk (real model, real SQLite)."""

import json
import time

import psutil
import pytest

from kiosk.app import Kiosk
from kiosk.config import load_config

pytestmark = pytest.mark.model

GOOD = {"mem_available_mb": 8000, "temp_c": 55, "battery_pct": 95, "on_battery": False, "disk_free_mb": 50000}


class ManualClock:
    """Real time plus an offset the test moves forward, so hysteresis needs no sleeping."""

    def __init__(self):
        self.offset = 0.0

    def monotonic(self):
        return time.monotonic() + self.offset


def rss_mb():
    return psutil.Process().memory_info().rss / 2**20


@pytest.fixture
def scenario(tmp_path):
    readings = tmp_path / "readings.json"
    readings.write_text(json.dumps(GOOD))
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "data"), "KIOSK_CONFIG": "",
                                 "KIOSK_TURN_COMPOSE": "1", **OLDER_DECISION,
                                 "KIOSK_RESOURCES_EMULATE": str(readings), "KIOSK_RESOURCES_RECOVER_S": "60"})
    clock = ManualClock()
    kiosk = Kiosk(cfg, clock=clock)
    yield kiosk, readings, clock
    kiosk.close()


def set_readings(path, **changes):
    path.write_text(json.dumps({**GOOD, **changes}))


QUESTION = "Is there somewhere to store my backpack?"  # routed to the LLM when it is loaded (older decision)
OLDER_DECISION = {"KIOSK_TURN_JUDGE": "0"}  # the signals model sends partial matches to the model: the governor's
# unloading and reloading of it is what these tests are about (the judge's own flows: test_answer_judge.py)


def test_memory_pressure_unloads_the_model_and_recovery_reloads_it(scenario):
    kiosk, readings, clock = scenario
    assert kiosk.tier == "full" and kiosk.engine is not None
    assert kiosk.ask(QUESTION).source == "llm"
    before = rss_mb()
    set_readings(readings, mem_available_mb=150)
    change = kiosk.tick()  # the next probe interval
    assert change.new == "minimal" and "memory" in change.reason
    assert kiosk.engine is None and before - rss_mb() > 50, (before, rss_mb())  # the model's memory is freed
    a = kiosk.ask(QUESTION)
    assert a.tier == "minimal" and a.source == "heuristic" and "locker" in a.answer.lower()
    set_readings(readings)
    assert kiosk.tick() is None and kiosk.tier == "minimal"   # good, but not for long enough yet
    clock.offset += 61
    change = kiosk.tick()
    assert change.new == "full" and kiosk.engine is not None
    assert kiosk.ask(QUESTION).source == "llm"
    events = [json.loads(r["data"]) | {"type": r["type"]}
              for r in kiosk.db.query("SELECT type, data FROM health_events ORDER BY time")]
    assert [(e["from"], e["to"]) for e in events if e["type"] == "tier.changed"] == [
        ("full", "minimal"), ("minimal", "full")]
    assert kiosk.status()["resources"]["simulated"] is True


def test_low_battery_reduces_and_answers_keep_coming(scenario):
    kiosk, readings, _ = scenario
    set_readings(readings, battery_pct=20, on_battery=True)
    assert kiosk.tick().new == "reduced"
    a = kiosk.ask(QUESTION)
    assert a.tier == "reduced" and a.answer and kiosk.engine is not None


def test_a_stalled_generation_is_answered_heuristically(tmp_path):
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "", "KIOSK_TURN_COMPOSE": "1",
                                 "KIOSK_TURN_GENERATION_BUDGET_S": "0.02", **OLDER_DECISION})
    kiosk = Kiosk(cfg)
    try:
        a = kiosk.ask(QUESTION)
        assert a.source == "heuristic" and "budget" in a.note and "locker" in a.answer.lower()
        for _ in range(2):
            kiosk.ask(QUESTION)
        assert kiosk.pipeline.breaker.state == "open"
        assert kiosk.status()["resources"]["breaker"] == "open"
    finally:
        kiosk.close()


def test_health_snapshot_goes_to_the_outbox(scenario):
    kiosk, _, _ = scenario
    kiosk.ask("Where are the toilets?")
    kiosk.health_snapshot()
    (row,) = list(kiosk.db.query("SELECT * FROM health_events WHERE type = 'health.snapshot'"))
    data = json.loads(row["data"])
    assert data["tier"] == "full" and data["rss_mb"] > 0 and data["latency_ms_p50"] >= 0 and row["status"] == "pending"


def test_the_minimal_tier_frees_the_embedding_model_and_gets_it_back(scenario):
    kiosk, _, _ = scenario
    embedder = kiosk.index.embedder
    assert embedder is not None and embedder.loaded and kiosk.index.dense
    kiosk.force_tier("minimal", "test")
    assert not embedder.loaded and not kiosk.index.dense
    a = kiosk.ask("Where are the toilets?")  # words only, and the model stays freed
    assert "ground floor" in a.answer and not embedder.loaded
    assert all(h.similarity == 0.0 for h in kiosk.pipeline.retrieve("Where are the toilets?", 3))
    kiosk.force_tier("full", "test")
    assert embedder.loaded and kiosk.index.dense
    assert any(h.similarity > 0 for h in kiosk.pipeline.retrieve("Where are the toilets?", 3))
