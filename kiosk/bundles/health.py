"""Is the installed bundle usable? Whole on disk, the model loads, the pack answers a probe question.

The installer runs the check as a child process (`kiosk bundle check`), so a model that crashes llama.cpp
fails the check instead of killing the installer half-way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from kiosk.bundles.keys import parse_trusted
from kiosk.bundles.store import BundleStore, HealthCheck, Limits
from kiosk.config import Config
from kiosk.errors import KioskError


def open_store(config: Config) -> BundleStore:
    b = config.bundles
    return BundleStore(config.bundles_path, parse_trusted(b.trusted_keys),
                       Limits(b.max_file_mb << 20, b.max_total_mb << 20))


def check(config: Config) -> dict:
    """In this process: raises nothing, returns {"ok", "detail", ...}."""
    from kiosk.app import Kiosk, composing

    store = open_store(config)
    out: dict = {"version": store.version_of(store.current())}
    try:
        manifest = store.verify_installed() if store.current() is not None else None
    except KioskError as exc:
        return {**out, "ok": False, "detail": f"{exc.code}: {exc.message}"}
    if manifest is not None and manifest.model:  # a bundle's model is proven even where it does not phrase answers
        config = composing(config)
    kiosk = Kiosk(config, warm=False)  # loading and a short generation prove the model; warming is start-up's job
    try:
        if kiosk.startup.warnings:
            w = kiosk.startup.warnings[0]
            return {**out, "ok": False, "detail": f"{w['code']}: {w['message']}"}
        if manifest is not None and manifest.model and kiosk.engine is None:
            return {**out, "ok": False, "detail": "the bundle's model did not load"}
        question = (manifest.probe_question if manifest else "") or config.bundles.probe_question
        if kiosk.engine is not None:
            entries = kiosk.index.entries()[:1]
            if not any(piece.text for piece in kiosk.engine.generate(question, entries, 4)):
                return {**out, "ok": False, "detail": "the model loaded but generated nothing"}
        ans = kiosk.ask(question)
        expected = manifest.probe_entry if manifest else ""
        ok = not ans.escalated and (not expected or expected in ans.entry_ids)
        detail = (f"model {'loaded' if kiosk.engine else 'not used'}; probe {question!r} -> "
                  f"{ans.source} from {', '.join(ans.entry_ids) or 'no entry'}")
        if not ok:
            detail += f" (expected an answer from {expected or 'the pack'})"
        return {**out, "ok": ok, "detail": detail}
    except KioskError as exc:
        return {**out, "ok": False, "detail": f"{exc.code}: {exc.message}"}
    finally:
        kiosk.reset_session()
        kiosk.close()


def child_check(config: Config) -> HealthCheck:
    """The check as the installer runs it: `kiosk bundle check --json` in a child, with a time limit."""
    def run() -> tuple[bool, str]:
        cmd = [sys.executable, "-m", "kiosk"]
        if config.source:
            cmd += ["--config", config.source]
        cmd += ["bundle", "check", "--json"]
        env = {**os.environ, "KIOSK_DATA_DIR": str(config.data_path)}
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                               timeout=config.bundles.health_timeout_s)
        except subprocess.TimeoutExpired:
            return False, f"no answer within {config.bundles.health_timeout_s:.0f} s"
        try:
            result = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return False, f"check exited {r.returncode}: {r.stderr.strip()[-300:]}"
        return bool(result.get("ok")), str(result.get("detail", ""))
    return run
