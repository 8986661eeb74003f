"""Every test runs against its own data dir and an empty config file (never the user's real ones)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
