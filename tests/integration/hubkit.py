"""What the hub's end-to-end tests share: `kiosk hub` commands, waiting for a condition, and `kiosk chat` as a
real kiosk process enrolled with a hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"


def hub_cli(db: str, *args: str, input_: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", "hub", *args, "--db", db], capture_output=True,
                          text=True, timeout=180, input=input_)


def until(check, timeout: float = 120.0, every: float = 0.5, why: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out: {why}")


class ChatKiosk:
    """`kiosk chat` enrolled in ``ring``: monitor, sync and release checks in the background (fast intervals,
    no model), visitors' questions on stdin, its output in ``chat.out``."""

    def __init__(self, data: Path, url: str, db: str, ring: str = "hall", **env: str) -> None:
        self.data = data
        self.env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
                    "KIOSK_SYNC_INTERVAL_S": "0.5", "KIOSK_RESOURCES_PROBE_INTERVAL_S": "0.5",
                    "KIOSK_RESOURCES_HEALTH_INTERVAL_S": "1", "KIOSK_UPDATES_INTERVAL_S": "1",
                    "KIOSK_SESSION_IDLE_RESET_S": "600", **env}
        code = hub_cli(db, "enrol-code", "--ring", ring).stdout.strip()
        p = subprocess.run([sys.executable, "-m", "kiosk", "enrol", url, code, "--json"], env=self.env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr + p.stdout
        self.id = json.loads(p.stdout)["device_id"]
        self.out = open(data / "chat.out", "w+")
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk", "chat"], stdin=subprocess.PIPE,
                                     stdout=self.out, stderr=subprocess.STDOUT, text=True, env=self.env)

    def ask(self, question: str) -> None:
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()

    def output(self) -> str:
        self.out.seek(0)
        return self.out.read()

    def bundle_version(self) -> int | None:
        link = self.data / "bundles" / "current"
        return int(link.resolve().name[1:]) if link.is_symlink() else None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.kill()
        self.out.close()


def enrol_key(url: str, db: str, ring: str = "all", device_id: str | None = None, key=None, host: str = ""):
    """A device enrolled straight over HTTP with a fresh Ed25519 key, or ``key`` (no kiosk process), under
    the hub's name ``host`` if given (as a kiosk reaching the hub by a DNS name): (device id, key)."""
    import base64
    import secrets

    import httpx
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = key or Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    device_id = device_id or f"kiosk-{secrets.token_hex(4)}"
    code = hub_cli(db, "enrol-code", "--ring", ring).stdout.strip()
    r = httpx.post(f"{url}/v1/enrol", json={"code": code, "device_id": device_id,
                                            "public_key": base64.b64encode(raw).decode()},
                   headers={"Host": host} if host else {})
    assert r.status_code == 200, r.text
    return device_id, key


def post_signed(url: str, device_id: str, key, path: str, payload, timeout: float = 30.0, client=None):
    """A request signed by the device, as a kiosk sends it (through ``client``, an httpx.Client, if given)."""
    import httpx

    from kiosk.signatures import sign_request

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return (client or httpx).post(url + path, content=body, timeout=timeout,
                      headers={"Content-Type": "application/json", **sign_request(key, device_id, "POST", url + path, body)})
