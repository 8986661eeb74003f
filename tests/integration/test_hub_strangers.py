"""What anyone who can reach the hub may try without an account, against a real `kiosk hub serve` on SQLite over
loopback (issue 24, rows 1, 2, 10 and 13): a flood of wrong passwords, huge bodies, wrong passwords in a row,
slow and dropped connections. The kiosks' API and the health check keep answering; nothing is read whole."""

import asyncio
import socket
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kiosk.hub.local import start_hub
from tests.integration.hubkit import enrol_key, hub_cli, post_signed

PASSWORD = "correct horse battery"


@pytest.fixture
def hub(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    log = tmp_path / "hub.log"
    p, url = start_hub(db, env={"KIOSK_HUB_SLOW_REQUEST_S": "2"}, log=log)
    assert hub_cli(db, "admin", "add-user", "alice", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
    try:
        yield url, db, p, log
    finally:
        p.terminate()
        p.wait(timeout=10)


def _addr(url: str) -> tuple[str, int]:
    u = urlsplit(url)
    return u.hostname, u.port


def _status(response: bytes) -> int | None:
    parts = response.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _batch(device: str, n: int, tag: str) -> list[dict]:
    return [{"specversion": "1.0", "id": f"{tag}-{i}", "source": device, "type": "kiosk.usage.meter.v1",
             "time": "2026-11-26T00:00:00Z", "data": {"tokens_in": 1, "tokens_out": 1, "latency_ms": 100}}
            for i in range(n)]


def test_a_flood_of_wrong_passwords_leaves_healthz_and_the_kiosks_fast(hub):
    """Row 1: 150 attackers at once, each from its own address, each posting a wrong password every second
    (150 logins/s, far more than the hub could hash: before, 150 of them took /healthz to 29.5 s). /healthz
    p95 stays under 200 ms and a signed batch is accepted in under 1 s (the issue's bounds); logins beyond
    the password-check places are answered 429 at once. (Modest on purpose: this box has 2 shared cores,
    and a flood as fast as the replies come back measures the machine, not the hub's limits.)"""
    url, db, _, _ = hub
    host, port = _addr(url)
    device, key = enrol_key(url, db)
    body = b"name=alice&password=not-the-password"
    request = (b"POST /login HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (host.encode(), port, len(body), body))
    statuses: Counter = Counter()
    stop = threading.Event()

    async def attacker(n: int) -> None:
        await asyncio.sleep(n / 150)  # spread over the second
        while not stop.is_set():
            started = time.monotonic()
            try:
                r, w = await asyncio.open_connection(host, port, local_addr=(f"127.0.{1 + n // 200}.{1 + n % 200}", 0))
                w.write(request)
                statuses[_status(await asyncio.wait_for(r.read(), 60))] += 1
                w.close()
            except (OSError, asyncio.TimeoutError) as exc:
                statuses[type(exc).__name__] += 1
            await asyncio.sleep(max(0.0, started + 1.0 - time.monotonic()))

    async def flood() -> None:
        await asyncio.gather(*(attacker(n) for n in range(150)))

    t = threading.Thread(target=asyncio.run, args=(flood(),))
    t.start()
    health, batches = [], []
    probe = httpx.Client(base_url=url, timeout=30)  # one client: its own set-up is not the hub's latency
    try:
        time.sleep(1.0)  # the flood under way
        end = time.monotonic() + 10
        i = 0
        while time.monotonic() < end:
            t0 = time.perf_counter()
            assert probe.get("/healthz").status_code == 200
            health.append(time.perf_counter() - t0)
            if len(health) % 10 == 0:
                t0 = time.perf_counter()
                r = post_signed(url, device, key, "/v1/events", _batch(device, 100, f"b{i}"), client=probe)
                batches.append(time.perf_counter() - t0)
                assert r.status_code == 200 and r.json()["accepted"] == 100, r.text
                i += 1
            time.sleep(0.05)
    finally:
        stop.set()
        t.join(timeout=120)
    p95 = statistics.quantiles(health, n=20)[18]
    print("slowest", [round(h * 1000) for h in sorted(health)[-8:]], "median", round(statistics.median(health) * 1000))
    print(f"healthz p95 {p95 * 1000:.0f} ms over {len(health)}; batches max {max(batches) * 1000:.0f} ms; "
          f"logins {dict(statuses)}")
    assert set(statuses) <= {401, 429}, statuses  # wrong password, or wait: never an error
    assert statuses[429] > 0 and statuses[401] > 0, statuses
    assert p95 < 0.2, f"/healthz p95 {p95:.3f} s during the flood"
    assert max(batches) < 1.0, f"a signed batch took {max(batches):.3f} s during the flood"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _send_huge(host: str, port: int, path: str, size: int, chunked: bool) -> tuple[int | None, int]:
    """Send a ``size``-byte body (or try to): (the status the hub answered, bytes it let us send)."""
    s = socket.create_connection((host, port), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              f"{framing}\r\n\r\n".encode())
    got = bytearray()

    def read() -> None:  # the answer arrives while we are still sending
        try:
            while chunk := s.recv(65536):
                got.extend(chunk)
        except OSError:
            pass
    reader = threading.Thread(target=read)
    reader.start()
    piece, sent = b"a" * (1 << 20), 0
    try:
        while sent < size:
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
    except OSError:  # the hub closed the connection: the rest is never read
        pass
    reader.join(timeout=30)
    s.close()
    return _status(bytes(got)), sent


def test_huge_bodies_are_refused_before_they_are_read(hub):
    """Row 2: four 256 MB login bodies at once, declared and chunked, and a chunked 256 MB batch: each refused
    (413) long before it is sent; the hub's memory stays under the issue's 300 MB."""
    url, _, proc, _ = hub
    host, port = _addr(url)
    size = 256 << 20
    peak = [_rss_mb(proc.pid)]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak.append(_rss_mb(proc.pid))
            time.sleep(0.05)
    watcher = threading.Thread(target=watch)
    watcher.start()
    results = {}

    def send(name, path, chunked):
        results[name] = _send_huge(host, port, path, size, chunked)
    jobs = [threading.Thread(target=send, args=(f"login-{i}", "/login", i % 2 == 1)) for i in range(4)]
    jobs.append(threading.Thread(target=send, args=("events", "/v1/events", True)))
    for j in jobs:
        j.start()
    for j in jobs:
        j.join(timeout=120)
    done.set()
    watcher.join()
    print(f"rss peak {max(peak):.0f} MB; {results}")
    for name, (status, sent) in results.items():
        assert status == 413, (name, status)
        assert sent < 64 << 20, (name, sent)  # the hub stopped reading: what was sent sat in socket buffers
    assert max(peak) < 300, f"hub RSS reached {max(peak):.0f} MB"
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_wrong_passwords_in_a_row_make_the_address_and_the_account_wait(hub):
    """Row 10: after five wrong passwords the address waits, and so does the account from any address: even
    the right password is refused (429, Retry-After) until the wait is over, and then it works."""
    url, db, _, _ = hub

    def client(addr: str) -> httpx.Client:
        return httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address=addr))

    attacker = client("127.0.0.2")
    for _ in range(5):
        assert attacker.post("/login", data={"name": "alice", "password": "guess-guess"}).status_code == 401
    r = attacker.post("/login", data={"name": "alice", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1  # this address waits
    r = client("127.0.0.3").post("/login", data={"name": "alice", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1  # so does the account, from anywhere
    assert client("127.0.0.4").post("/login", data={"name": "bob", "password": "guess-guess"}).status_code == 401
    time.sleep(int(r.headers["retry-after"]) + 0.5)
    ok = client("127.0.0.5").post("/login", data={"name": "alice", "password": PASSWORD})
    assert ok.status_code == 303 and "hub_session" in ok.headers["set-cookie"]
    # An unknown name backs off alike: failures do not tell which names exist.
    for i in range(5):
        assert client(f"127.0.1.{i + 1}").post("/login", data={"name": "nobody", "password": "x" * 10}).status_code == 401
    assert client("127.0.1.9").post("/login", data={"name": "nobody", "password": "x" * 10}).status_code == 429
    # The right password cleared the account's count: one more wrong one does not make it wait.
    assert client("127.0.0.6").post("/login", data={"name": "alice", "password": "guess-guess"}).status_code == 401
    assert client("127.0.0.7").post("/login", data={"name": "alice", "password": PASSWORD}).status_code == 303


def test_slow_and_dropped_connections_are_closed_and_cost_one_log_line(hub):
    """Row 13: 200 sockets trickling a request's head or body are all closed (the hub runs with
    [hub] slow_request_s = 2); 50 clients that drop mid-body leave one log line each and no traceback."""
    url, _, _, log = hub
    host, port = _addr(url)
    socks = []
    for i in range(200):
        s = socket.create_connection((host, port), timeout=5)
        if i % 2:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        else:
            s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[")
        s.setblocking(False)
        socks.append(s)
    closed: dict[int, bytes] = {}
    deadline = time.monotonic() + 30  # generous: the hub's limit is 2 s
    while len(closed) < len(socks) and time.monotonic() < deadline:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                got = s.recv(4096)
                closed[i] = got  # b"": closed; otherwise the refusal, and then the close
            except BlockingIOError:
                try:
                    s.send(b"x")  # one more byte, as slowly as a slowloris
                except OSError:
                    closed[i] = b""
            except OSError:
                closed[i] = b""
        time.sleep(0.5)
    assert len(closed) == len(socks), f"{len(socks) - len(closed)} slow sockets still open"
    assert sum(_status(closed[i]) == 408 for i in range(0, 200, 2)) >= 90  # slow bodies are told why
    for s in socks:
        s.close()
    for i in range(50):  # clients that go away mid-body
        s = socket.create_connection((host, port), timeout=5)
        path = "/login" if i % 2 else "/v1/events"
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nname=al".encode())
        time.sleep(0.02)
        s.close()
    assert httpx.get(f"{url}/healthz").status_code == 200
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-2000:]
    dropped = [line for line in text.splitlines() if "went away" in line]
    assert len(dropped) == 50, text[-2000:]


def test_strangers_are_not_handed_the_routes_or_the_metrics(hub):
    """Row 12: no OpenAPI document or docs pages; /metrics not served without a configured token (with one,
    only to its holder: tests/integration/test_hub.py)."""
    url = hub[0]
    for path in ("/openapi.json", "/docs", "/redoc", "/metrics"):
        assert httpx.get(f"{url}{path}").status_code == 404, path


def test_a_request_with_both_content_length_and_transfer_encoding_is_refused(hub):
    """Issue 24, part 5: two framings of one body mean two different requests to two different readers (a proxy
    and the hub): refused, and the connection closed."""
    url = hub[0]
    host, port = _addr(url)
    for path in ("/login", "/v1/events"):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got = b""
        while chunk := s.recv(65536):
            got += chunk
        s.close()
        assert _status(got) == 400 and got.count(b"HTTP/1.1") == 1, (path, got[:300])  # nothing smuggled after it
