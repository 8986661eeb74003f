"""Requests mean only what they were signed for (issue 24, row 8 in part), against a real `kiosk hub serve` on
SQLite over loopback: an escalation's id is the signed body's, so a rewritten Idempotency-Key header cannot
file a question under another's id; and enrolment never hands out URLs built from the request's Host."""

import base64
import json

import httpx

from kiosk.hub.local import start_hub
from kiosk.signatures import sign_request
from tests.integration.hubkit import enrol_key, hub_cli


def _escalation(esc_id, question: str = "Is there a swimming pool?") -> bytes:
    meta = {"kiosk_pack": ["Tickets. Adult tickets cost 12 euros."], "kiosk_escalation_id": esc_id}
    if esc_id is None:
        del meta["kiosk_escalation_id"]
    return json.dumps({"model": "x", "messages": [{"role": "user", "content": question}], "metadata": meta}).encode()


def test_a_rewritten_idempotency_key_and_a_forged_host_change_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    try:
        device, key = enrol_key(url, db)

        def post(body: bytes, header_id: str | None) -> httpx.Response:
            headers = {"Content-Type": "application/json",
                       **sign_request(key, device, "POST", f"{url}/v1/chat/completions", body)}
            if header_id is not None:
                headers["Idempotency-Key"] = header_id
            return httpx.post(f"{url}/v1/chat/completions", content=body, headers=headers)

        first = post(_escalation("q-0", "Can I park a camper van?"), "q-0")
        assert first.status_code == 202, first.text
        # On the way, someone rewrites the header of another question to the first one's id.
        r = post(_escalation("q-1"), "q-0")
        assert (r.status_code, r.json()["error"]) == (400, "idempotency_mismatch"), r.text
        r = post(_escalation(None), "q-1")  # an id only in the header is not one the kiosk signed
        assert (r.status_code, r.json()["error"]) == (400, "malformed"), r.text
        assert post(_escalation("q-1"), None).status_code == 202  # the signed id is enough
        from kiosk.hub.migrate import engine_for
        from kiosk.hub.queue import review_queue

        held = {row.id: row.question for row in review_queue(engine_for(db))}
        assert held == {"q-0": "Can I park a camper van?", "q-1": "Is there a swimming pool?"}, held

        # Enrolment with a forged Host: the URLs handed out are the hub's own address, not the sender's pick.
        code = hub_cli(db, "enrol-code").stdout.strip()
        r = httpx.post(f"{url}/v1/enrol", headers={"Host": "attacker.example:9999"}, json={
            "code": code, "device_id": "kiosk-host-test", "public_key": base64.b64encode(b"k" * 32).decode()})
        assert r.status_code == 200, r.text
        urls = [v for k, v in r.json().items() if k.endswith("_url")]
        assert urls and all(u.startswith(url + "/v1") for u in urls), urls
    finally:
        hub.terminate()
        hub.wait(timeout=10)


def test_a_kiosk_keeps_to_the_hub_it_enrolled_with_whatever_urls_come_back(tmp_path):
    """A reply (or whoever rewrote it) naming another server: the kiosk's outbox, escalations and updates
    still go to the hub the operator gave `kiosk enrol`."""
    import os
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Liar(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["content-length"]))
            out = json.dumps({"device_id": "kiosk-liar-test", "ring": "all",
                              "ingest_url": "http://attacker.example:9999/v1/events",
                              "cloud_base_url": "http://attacker.example:9999/v1",
                              "updates_url": "http://attacker.example:9999/v1/updates"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        env = {**os.environ, "KIOSK_DATA_DIR": str(tmp_path / "kiosk"), "KIOSK_CONFIG": ""}
        p = subprocess.run([sys.executable, "-m", "kiosk", "enrol", hub, "CODE", "--json"], env=env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        saved = json.loads((tmp_path / "kiosk" / "hub.json").read_text())
        urls = [v for k, v in saved.items() if k.endswith("_url")]
        assert urls and all(u == hub or u.startswith(hub + "/v1") for u in urls), saved
    finally:
        server.shutdown()


def test_a_batch_signed_for_one_hub_is_refused_by_another(tmp_path):
    """Row 8: the same device id and public key enrolled at hubs A and B (public keys are public). A batch the
    kiosk signed for A (its host and port are in the signature) is refused by B, even with A's name forged in
    the Host header, whether B knows its name from --public-url or from the connection; a signature that
    names no hub at all (the older profile) is refused."""
    db_a, db_b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    db_c = f"sqlite:///{tmp_path / 'c.db'}"
    a, url_a = start_hub(db_a)
    from kiosk.hub.local import free_port

    port_b = free_port()
    b, url_b = start_hub(db_b, "--public-url", f"http://127.0.0.1:{port_b}", port=port_b)
    c, url_c = start_hub(db_c)  # no --public-url: it knows its own address from the connection
    try:
        device, key = enrol_key(url_a, db_a, device_id="kiosk-twice")
        enrol_key(url_b, db_b, device_id="kiosk-twice", key=key)
        enrol_key(url_c, db_c, device_id="kiosk-twice", key=key)
        batch = json.dumps([{"specversion": "1.0", "id": "e1", "source": device, "type": "kiosk.health.started",
                             "time": "2026-11-26T00:00:00Z", "data": {}}]).encode()
        signed = {"Content-Type": "application/json",
                  **sign_request(key, device, "POST", f"{url_a}/v1/events", batch)}
        for other in (url_b, url_c):
            for headers in (signed, {**signed, "Host": url_a.split("//")[1]}):
                r = httpx.post(f"{other}/v1/events", content=batch, headers=headers)
                assert (r.status_code, r.json()["error"]) == (401, "bad_signature"), (other, r.text)
        # The older profile (method, path and body only) names no hub: refused everywhere, before any key.
        unbound = {**signed, "Signature-Input": signed["Signature-Input"].replace(
            '("@method" "@authority" "@path" "@query" "content-digest")', '("@method" "@path" "content-digest")')}
        r = httpx.post(f"{url_a}/v1/events", content=batch, headers=unbound)
        assert (r.status_code, r.json()["error"]) == (401, "bad_signature_input"), r.text
        r = httpx.post(f"{url_a}/v1/events", content=batch, headers=signed)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        # On loopback the hub answers to localhost as well (the port must be its own).
        local = {"Content-Type": "application/json",
                 **sign_request(key, device, "POST", url_c.replace("127.0.0.1", "localhost") + "/v1/events", batch)}
        r = httpx.post(f"{url_c}/v1/events", content=batch, headers={**local, "Host": url_c.split("//")[1].replace(
            "127.0.0.1", "localhost")})
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        # A kiosk that reached hub C by a DNS name when it enrolled signs for that name, and C accepts it from
        # that kiosk only; the first kiosk's signature for the same name is not for C.
        named = url_c.split(":")[-1]
        dns_device, dns_key = enrol_key(url_c, db_c, device_id="kiosk-by-name", host=f"hub.venue.test:{named}")
        for dev, k, status in ((dns_device, dns_key, 200), (device, key, 401)):
            body = batch.replace(b'"source": "kiosk-twice"', f'"source": "{dev}"'.encode())
            h = {"Content-Type": "application/json", "Host": f"hub.venue.test:{named}",
                 **sign_request(k, dev, "POST", f"http://hub.venue.test:{named}/v1/events", body)}
            r = httpx.post(f"{url_c}/v1/events", content=body, headers=h)
            assert r.status_code == status, (dev, r.text)
        assert json.loads(hub_cli(db_b, "stats", "--json").stdout)["events"] == {}
    finally:
        for p in (a, b, c):
            p.terminate()
            p.wait(timeout=10)
