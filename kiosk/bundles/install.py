"""The bundle store as this kiosk's config sets it up, and the post-install health check as the installer runs
it: `kiosk bundle check --json` in a child process (the check itself is ``kiosk.bundles.health.check``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from kiosk.bundles.keys import parse_trusted
from kiosk.bundles.store import BundleStore, HealthCheck, Limits
from kiosk.config import Config


def open_store(config: Config) -> BundleStore:
    b = config.bundles
    return BundleStore(config.bundles_path, parse_trusted(b.trusted_keys),
                       Limits(b.max_file_mb << 20, b.max_total_mb << 20))


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
