"""One kiosk cannot crowd out the others (issue 24, row 7), against real `kiosk hub serve` processes on one
SQLite database over loopback: its events per second and per day, its escalations in flight, its upstream
calls per hour and the pack text it sends are bounded; refusals are 429 with Retry-After, counted on
/metrics and shown on the Fleet page; another kiosk is served meanwhile."""

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from kiosk.hub.local import start_hub
from kiosk.signatures import sign_request
from tests.integration.hubkit import enrol_key, hub_cli, post_signed

PASSWORD = "kiosk limits 123"
TOKEN = {"Authorization": "Bearer limits-token"}


def _batch(device: str, tag: str, n: int = 100) -> list[dict]:
    return [{"specversion": "1.0", "id": f"{tag}-{i}", "source": device, "type": "kiosk.health.started",
             "time": "2026-11-26T00:00:00Z", "data": {"bundle": ""}} for i in range(n)]


def _held(db: str) -> int:
    return json.loads(hub_cli(db, "stats", "--json").stdout)["events"].get("kiosk.health.started", 0)


def test_a_kiosks_events_per_second_and_per_day_are_bounded_and_others_still_get_in(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    fast, url = start_hub(db, env={"KIOSK_HUB_KIOSK_EVENTS_PER_S": "20", "KIOSK_HUB_METRICS_TOKEN": "limits-token"})
    daily, url2 = start_hub(db, env={"KIOSK_HUB_KIOSK_EVENTS_PER_DAY": "250"})
    try:
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        a, key_a = enrol_key(url, db)
        b, key_b = enrol_key(url, db)
        # Kiosk a floods: 20 batches of 100 at once. Its bucket holds 10 s of 20 events/s: two batches.
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda i: post_signed(url, a, key_a, "/v1/events", _batch(a, f"flood{i}")),
                                range(20)))
        ok = [r for r in got if r.status_code == 200]
        refused = [r for r in got if r.status_code == 429]
        assert len(ok) + len(refused) == 20 and 2 <= len(ok) <= 3, [r.status_code for r in got]
        assert all(r.json()["error"] == "events_per_s" and int(r.headers["retry-after"]) >= 1 for r in refused)
        assert _held(db) <= 300
        r = post_signed(url, b, key_b, "/v1/events", _batch(b, "b1"))  # another kiosk: its own bucket
        assert r.status_code == 200 and r.json()["accepted"] == 100, r.text
        metrics = httpx.get(f"{url}/metrics", headers=TOKEN).text
        assert f'kiosk_hub_kiosk_refusals_total{{limit="events_per_s"}} {len(refused)}' in metrics, metrics
        web = httpx.Client(base_url=url)
        assert web.post("/login", data={"name": "ops", "password": PASSWORD}).status_code == 303
        row = re.search(rf'<tr data-device="{a}">.*?</tr>', web.get("/fleet").text, re.S).group(0)
        assert re.search(rf'class="refused warn">{len(refused)}<', row), row

        # Per day, counted in the database: every hub process agrees. Through the second process (250 a
        # day), kiosk a, which has sent 200 or 300 today, is refused; kiosk b (100) is not.
        r = post_signed(url2, a, key_a, "/v1/events", _batch(a, "day"))
        assert (r.status_code, r.json()["error"]) == (429, "events_per_day") and int(r.headers["retry-after"]) >= 1
        r = post_signed(url2, b, key_b, "/v1/events", _batch(b, "b2"))
        assert r.status_code == 200 and r.json()["accepted"] == 100, r.text
        r = post_signed(url2, b, key_b, "/v1/events", _batch(b, "b2"))  # the same again: duplicates are free
        assert r.status_code == 200 and r.json()["duplicates"] == 100, r.text
    finally:
        for p in (fast, daily):
            p.terminate()
            p.wait(timeout=10)


class Blackhole:
    """An upstream that takes each request and never answers (until the hub gives up): records every body."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.bodies: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        size = int(re.search(rb"content-length: *(\d+)", head, re.I).group(1))
        while len(body) < size:
            body += conn.recv(65536)
        self.bodies.append(body)
        while conn.recv(65536):  # until the hub hangs up
            pass
        conn.close()


def _escalate(url: str, device: str, key, esc_id: str, pack: list[str]) -> httpx.Response:
    body = json.dumps({"model": "x", "messages": [{"role": "user", "content": "Can I park a camper van?"}],
                       "metadata": {"kiosk_pack": pack, "kiosk_venue": "City Museum",
                                    "kiosk_escalation_id": esc_id}}).encode()
    return httpx.post(f"{url}/v1/chat/completions", content=body, timeout=60, headers={
        "Idempotency-Key": esc_id, "Content-Type": "application/json",
        **sign_request(key, device, "POST", f"{url}/v1/chat/completions", body)})


def test_a_kiosks_escalations_in_flight_upstream_calls_and_pack_text_are_bounded(tmp_path):
    upstream = Blackhole()
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db, "--upstream", upstream.url, env={
        "KIOSK_HUB_UPSTREAM_TIMEOUT_S": "3", "KIOSK_HUB_KIOSK_UPSTREAM_PER_HOUR": "3"})
    try:
        a, key_a = enrol_key(url, db)
        b, key_b = enrol_key(url, db)
        pack = [f"Entry {i}. " + "The museum has a car park on Quay Street. " * 95 for i in range(12)]  # 48 kB
        assert len("".join(pack)) > 45_000
        with ThreadPoolExecutor(5) as pool:
            mine = [pool.submit(_escalate, url, a, key_a, f"a{i}", pack) for i in range(4)]
            time.sleep(0.5)
            other = pool.submit(_escalate, url, b, key_b, "b0", pack)
            codes = sorted(f.result().status_code for f in mine)
            assert codes == [202, 202, 429, 429], codes  # two asked at once; two told to come back
            assert [f.result().json()["error"] for f in mine if f.result().status_code == 429] == \
                ["escalations_in_flight"] * 2
            assert other.result().status_code == 202  # the other kiosk is served meanwhile, not 503
        assert other.result().json()["kiosk_hub"] == {"state": "review", "reason": "upstream_down"}
        asked = len(upstream.bodies)
        assert asked == 3, asked
        # Kiosk a has asked twice this hour; a third may ask, a fourth waits for staff without an upstream call.
        assert _escalate(url, a, key_a, "a-third", pack).json()["kiosk_hub"]["reason"] == "upstream_down"
        r = _escalate(url, a, key_a, "a-fourth", pack)
        assert r.status_code == 202 and r.json()["kiosk_hub"] == {"state": "review", "reason": "kiosk_quota"}
        assert len(upstream.bodies) == asked + 1
        # Each upstream call carried at most 12,000 characters of the kiosk's 48 kB of pack text.
        for body in upstream.bodies:
            system = json.loads(body)["messages"][0]["content"]
            assert len(system) < 12_000 + 1_000, len(system)
    finally:
        hub.terminate()
        hub.wait(timeout=10)
