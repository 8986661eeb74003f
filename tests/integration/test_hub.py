"""The fleet hub for real: `kiosk hub serve` on SQLite over loopback, a real kiosk enrolled with
`kiosk enrol`, its outbox delivered by `kiosk sync` in signed batches, and every kind of bad request
refused with a clear status and reason, nothing of it stored, the hub still serving."""

import base64
import json
import os
import stat
import subprocess
import sys
import time

import httpx
import pytest

from kiosk.hub.local import start_hub
from kiosk.identity import device_key
from kiosk.signatures import sign_request


def hub_cli(db: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", "hub", *args, "--db", db], capture_output=True,
                          text=True, timeout=120)


METRICS_TOKEN = "metrics-token-for-the-tests"
METRICS = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def hub(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    p, url = start_hub(db, env={"KIOSK_HUB_METRICS_TOKEN": METRICS_TOKEN})
    try:
        yield url, db
    finally:
        p.terminate()
        p.wait(timeout=10)


def kiosk(data, *args, stdin=None):
    env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": ""}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=300)


def enrolled(hub, data) -> str:
    url, db = hub
    code = hub_cli(db, "enrol-code", "--ring", "canary").stdout.strip()
    p = kiosk(data, "enrol", url, code, "--json")
    assert p.returncode == 0, p.stderr + p.stdout
    return json.loads(p.stdout)["device_id"]



def test_an_enrolled_kiosk_delivers_its_outbox_signed_and_each_event_is_held_once(hub, tmp_path):
    url, db = hub
    data = tmp_path / "kiosk"
    device = enrolled(hub, data)
    assert stat.S_IMODE((data / "device_key.pem").stat().st_mode) == 0o600
    p = kiosk(data, "ask", "Where are the toilets?", "--json")
    assert p.returncode == 0, p.stderr
    p = kiosk(data, "sync", "--json")
    assert p.returncode == 0, p.stderr
    sent = json.loads(p.stdout)
    stats = json.loads(hub_cli(db, "stats", "--json").stdout)
    assert stats["devices"] == {"active": 1}
    st = json.loads(kiosk(data, "status", "--json").stdout)["hub"]
    assert st["enrolled"] and st["url"] == url and st["device_id"] == device and st["last_contact"], st
    assert stats["events"].get("kiosk.usage.meter.v1", 0) >= 1, (sent, stats)
    # The same events again (a retry after a lost reply): held once.
    key = device_key(data)
    ev = {"specversion": "1.0", "id": "retry-1", "source": device, "type": "kiosk.health.started",
          "time": "2026-11-26T00:00:00Z", "data": {}}
    for expected in (1, 0):
        body = json.dumps([ev]).encode()
        r = httpx.post(f"{url}/v1/events", content=body, headers=sign_request(key, device, "POST", f"{url}/v1/events", body))
        assert r.status_code == 200 and r.json()["accepted"] == expected, r.text
    assert httpx.get(f"{url}/metrics").status_code == 401  # issue 24, row 12: behind the token
    assert httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    metrics = httpx.get(f"{url}/metrics", headers=METRICS).text
    assert 'kiosk_hub_events{type="kiosk.health.started"} 1' in metrics and 'kiosk_hub_devices{state="active"} 1' in metrics
    # A code is spent once.
    code = hub_cli(db, "enrol-code").stdout.strip()
    assert kiosk(tmp_path / "k2", "enrol", url, code).returncode == 0
    p = kiosk(tmp_path / "k3", "enrol", url, code, "--json")
    assert p.returncode != 0 and "refused" in p.stdout + p.stderr


def test_bad_requests_are_refused_with_a_reason_and_nothing_is_stored(hub, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    url, db = hub
    data = tmp_path / "kiosk"
    device = enrolled(hub, data)
    key = device_key(data)

    def event(i, source=device):
        return {"specversion": "1.0", "id": f"e{i}", "source": source, "type": "kiosk.health.started",
                "time": "2026-11-26T00:00:00Z", "data": {"i": i}}

    def post(body: bytes, headers: dict) -> httpx.Response:
        return httpx.post(f"{url}/v1/events", content=body, headers={"Content-Type": "application/json", **headers})

    body = json.dumps([event(1)]).encode()
    signed = sign_request(key, device, "POST", f"{url}/v1/events", body)
    cases = {
        "unsigned": (body, {}, 401, "unsigned"),
        "wrongly signed": (body, sign_request(Ed25519PrivateKey.generate(), device, "POST", f"{url}/v1/events", body),
                           401, "bad_signature"),
        "tampered body": (json.dumps([event(2)]).encode(), signed, 401, "bad_digest"),
        # Issue 24, row 12: an unknown device is refused as a wrong signature is, word for word.
        "unknown device": (body, sign_request(key, "kiosk-nobody", "POST", f"{url}/v1/events", body), 401,
                           "bad_signature"),
        "stale": (body, sign_request(key, device, "POST", f"{url}/v1/events", body, now=time.time() - 3600), 401, "stale"),
        "oversized": (b"[" + b" " * (1024 * 1024 + 10) + b"]", {}, 413, "too_large"),
    }
    answers = {}
    for name, (b, h, status, code) in cases.items():
        r = post(b, h)
        assert (r.status_code, r.json()["error"]) == (status, code), (name, r.text)
        assert r.json()["reason"]
        answers[name] = r.json()
    assert answers["unknown device"] == answers["wrongly signed"]
    bad_json = b"{not json"
    r = post(bad_json, sign_request(key, device, "POST", f"{url}/v1/events", bad_json))
    assert (r.status_code, r.json()["error"]) == (400, "malformed_json")
    assert json.loads(hub_cli(db, "stats", "--json").stdout)["events"] == {}  # nothing of any of them held
    # One good event, one claiming another device, one malformed: the good one is kept.
    mixed = json.dumps([event(3), event(4, source="kiosk-other"), {"id": "x"}]).encode()
    r = post(mixed, sign_request(key, device, "POST", f"{url}/v1/events", mixed))
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    reasons = {x["index"]: x["reason"] for x in r.json()["rejected"]}
    assert "not the signing device" in reasons[1] and "specversion" in reasons[2]
    # Replayed: the very same signed request again.
    r = post(body, signed)
    assert r.status_code == 200
    r = post(body, signed)
    assert (r.status_code, r.json()["error"]) == (401, "replayed")
    # Revoked: refused from the next request on.
    assert hub_cli(db, "revoke", device).returncode == 0
    b5 = json.dumps([event(5)]).encode()
    r = post(b5, sign_request(key, device, "POST", f"{url}/v1/events", b5))
    assert (r.status_code, r.json()["error"]) == (403, "revoked")
    assert json.loads(hub_cli(db, "stats", "--json").stdout)["events"] == {"kiosk.health.started": 2}  # e3, e1
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_two_hub_processes_on_postgresql_behave_as_one(postgres, tmp_path):
    """A fleet: two `kiosk hub serve` on one real PostgreSQL. A kiosk enrols through one and delivers
    through the other; the same batch sent to both at once is held once; a revocation made through either
    is refused by both."""
    from concurrent.futures import ThreadPoolExecutor

    (p1, url1), (p2, url2) = start_hub(postgres), start_hub(postgres)
    try:
        data = tmp_path / "kiosk"
        device = enrolled((url1, postgres), data)
        key = device_key(data)
        batch = [{"specversion": "1.0", "id": f"m{i}", "source": device, "type": "kiosk.usage.meter.v1",
                  "time": "2026-11-26T00:00:00Z", "data": {"i": i}} for i in range(50)]
        body = json.dumps(batch).encode()

        def send(url):
            return httpx.post(f"{url}/v1/events", content=body,
                              headers=sign_request(key, device, "POST", f"{url}/v1/events", body)).json()

        for _ in range(3):  # the same 50 events, at both processes at once, three times
            with ThreadPoolExecutor(2) as pool:
                got = list(pool.map(send, [url1, url2]))
            assert sum(g["accepted"] + g["duplicates"] for g in got) == 100, got
        stats = json.loads(hub_cli(postgres, "stats", "--json").stdout)
        assert stats["events"] == {"kiosk.usage.meter.v1": 50} and stats["devices"] == {"active": 1}
        assert hub_cli(postgres, "revoke", device).returncode == 0
        for url in (url1, url2):
            b = json.dumps(batch[:1]).encode()
            r = httpx.post(f"{url}/v1/events", content=b, headers=sign_request(key, device, "POST", f"{url}/v1/events", b))
            assert (r.status_code, r.json()["error"]) == (403, "revoked")
    finally:
        for p in (p1, p2):
            p.terminate()
            p.wait(timeout=10)


def test_hub_bench_runs_and_counts_every_event_once():
    """`kiosk hub bench` end to end at a small scale (the figures are for the README, not asserted)."""
    p = subprocess.run([sys.executable, "-m", "kiosk", "hub", "bench", "--kiosks", "20", "--batches", "2",
                        "--events", "10", "--json"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    for name in ("sqlite_1_process", "postgresql_2_processes", "postgresql_2_processes_paced", "postgresql_sigkill"):
        x = r[name]
        assert x["events"] == 400 and x["lost"] == 0 and x["duplicated"] == 0 and x["events_per_s"] > 0, (name, x)


def test_malformed_signatures_enrolments_and_event_types_get_4xx_not_500(hub, tmp_path):
    """From a second look at the hub: inputs that used to crash it (500) or pass unchecked."""
    url, db = hub
    data = tmp_path / "kiosk"
    device = enrolled(hub, data)
    key = device_key(data)
    body = b"[]"
    h = sign_request(key, device, "POST", f"{url}/v1/events", body)
    for name, headers in {
        "signature not base64": {**h, "Signature": "kiosk=:abc:"},
        "created too long": {**h, "Signature-Input": h["Signature-Input"].replace("created=", "created=" + "9" * 400)},
    }.items():
        r = httpx.post(f"{url}/v1/events", content=body, headers=headers)
        assert r.status_code == 401, (name, r.status_code, r.text)
    deep = b"[" * 100000 + b"]" * 100000
    r = httpx.post(f"{url}/v1/enrol", content=deep[:1000000])
    assert r.status_code == 400, r.text
    # Issue 24, row 9: "." and ".." (paths a browser rewrites), a leading dash or dot, a slash.
    for bad_id in (None, 'a"b', "x" * 200, ".", "..", ".hidden", "-x", "a/b", "a/../b"):
        code = hub_cli(db, "enrol-code").stdout.strip()
        r = httpx.post(f"{url}/v1/enrol", json={"code": code, "device_id": bad_id,
                                                "public_key": base64.b64encode(b"k" * 32).decode()})
        assert r.status_code == 400, (bad_id, r.text)
    assert json.loads(hub_cli(db, "stats", "--json").stdout)["devices"] == {"active": 1}
    p = hub_cli(db, "enrol-code", "--ring", "../all")  # ring names are checked when a code is made
    assert p.returncode == 2 and "ring name" in p.stderr
    # Someone else's device id and (public) key with a valid code: refused, the device keeps its ring.
    from kiosk.identity import public_key_bytes

    code = hub_cli(db, "enrol-code", "--ring", "all").stdout.strip()
    r = httpx.post(f"{url}/v1/enrol", json={"code": code, "device_id": device,
                                            "public_key": base64.b64encode(public_key_bytes(key)).decode()})
    assert (r.status_code, r.json()["error"]) == (409, "device_exists")
    # Event types become metric labels: only plain names are held.
    ev = {"specversion": "1.0", "id": "t1", "source": device, "type": 'x"} 999\nfake 1\n#',
          "time": "2026-11-26T00:00:00Z", "data": {}}
    b = json.dumps([ev, {**ev, "id": "t2", "type": "kiosk.ok", "data": {"s": "a\u0000b"}}]).encode()
    r = httpx.post(f"{url}/v1/events", content=b, headers=sign_request(key, device, "POST", f"{url}/v1/events", b))
    assert r.status_code == 200 and r.json()["accepted"] == 0 and len(r.json()["rejected"]) == 2, r.text
    assert "fake" not in httpx.get(f"{url}/metrics", headers=METRICS).text


def test_an_enrolled_kiosk_whose_key_is_gone_keeps_its_events_and_says_why(hub, tmp_path):
    url, db = hub
    data = tmp_path / "kiosk"
    enrolled(hub, data)
    assert kiosk(data, "ask", "Where are the toilets?").returncode == 0
    (data / "device_key.pem").unlink()
    p = kiosk(data, "sync", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(hub_cli(db, "stats", "--json").stdout)["events"] == {}
    outbox = json.loads(kiosk(data, "status", "--json").stdout)["outbox"]
    assert outbox["meters"]["pending"] >= 1 and outbox["meters"]["dead"] == 0, outbox
    p = kiosk(data, "enrol", url, hub_cli(db, "enrol-code").stdout.strip())
    assert p.returncode != 0 and "device_key" in p.stdout + p.stderr
