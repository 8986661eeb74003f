"""A hub refusing a signed batch's credentials (401/403: the kiosk's clock minutes off, a revoked key) is
not a reason to drop the events: they wait and are retried. Without a hub's signature (a plain ingest
endpoint) other 4xx answers still dead-letter, as before."""

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.store.db import connect
from kiosk.store.outbox import Outbox
from kiosk.sync.worker import SyncSettings, SyncWorker


def _worker(tmp_path, key, status):
    db = connect(tmp_path / "k.db")
    db.conn.execute("INSERT INTO meters (id, time, session_id, source, model, tier, tokens_in, tokens_out, "
                    "latency_ms, ttft_ms, escalated) VALUES ('m1', '2026-11-26T00:00:00Z', '', 'knowledge', 'none', "
                    "'full', 0, 0, 1.0, 1.0, 0)")
    transport = httpx.MockTransport(lambda req: httpx.Response(status, json={"error": "stale", "reason": "clock"}))
    return db, SyncWorker(db, SyncSettings(device_id="kiosk-a", ingest_url="http://127.0.0.1:9/v1/events",
                                           signing_key=key), transport=transport)


def test_a_refused_signature_keeps_the_events_for_a_retry(tmp_path):
    db, w = _worker(tmp_path, Ed25519PrivateKey.generate(), 401)
    report = w.run_once()
    assert report.retry.get("meters") == 1 and not report.dead
    assert Outbox(db).report()["meters"]["pending"] == 1


def test_without_signing_a_401_is_still_a_dead_letter(tmp_path):
    db, w = _worker(tmp_path / "x", None, 401)
    report = w.run_once()
    assert report.dead.get("meters") == 1
