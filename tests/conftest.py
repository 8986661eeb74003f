"""Every test runs against its own data dir and an empty config file (never the user's real ones)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "eval"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("KIOSK_"):
            monkeypatch.delenv(key)
    cfg = tmp_path / "config.toml"
    cfg.write_text("")
    monkeypatch.setenv("KIOSK_CONFIG", str(cfg))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The embedded default model. Missing = a set-up failure, reported loudly (never skipped)."""
    from kiosk.llm.manifest import find_spec, verify

    return verify(find_spec("smollm2-135m-instruct-q4_1"), check_hash=False)


@pytest.fixture(scope="module")
def real_kiosk(tmp_path_factory, model_path):
    """A real kiosk (real model, real SQLite, sample pack) shared by a module's tests."""
    from kiosk.app import Kiosk
    from kiosk.config import load_config

    from kiosk.staff_pin import save_pin

    data = tmp_path_factory.mktemp("kiosk-data")
    save_pin(data, "2468")  # as `kiosk pin set` would have: the touchscreen starts on the visitor's screen
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_TURN_COMPOSE": "1"})
    kiosk = Kiosk(cfg)
    assert kiosk.engine is not None, kiosk.startup.warnings
    yield kiosk
    kiosk.close()


def log_tail(f) -> str:
    f.seek(0)
    return f.read().decode(errors="replace")[-2000:]


@pytest.fixture(scope="session")
def cloud(model_path, tmp_path_factory):
    """A real OpenAI-compatible server (llama_cpp.server on the embedded model) on loopback: the cloud of
    the sync tests and the upstream of the hub's. Its base URL ends in /v1."""
    log = open(tmp_path_factory.mktemp("cloud") / "server.log", "w+b")  # a pipe would fill up and block it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host",
                             "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(300):
        try:
            if httpx.get(url + "/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
        assert proc.poll() is None, log_tail(log)
    else:
        proc.kill()
        raise AssertionError("llama_cpp.server did not start: " + log_tail(log))
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture
def postgres():
    """A real PostgreSQL (Debian's) in a temp dir, on a Unix socket only; stopped and removed afterwards."""
    from kiosk.hub.local import TempPostgres

    pg = TempPostgres()
    try:
        yield pg.url
    finally:
        pg.stop()
