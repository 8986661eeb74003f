"""SIGKILL an install at random points, many times: the kiosk always ends on the old or the new version,
whole (every file matches its signed manifest), and its health check passes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from bundle_helpers import Publisher, kiosk, status

pytestmark = pytest.mark.model
# 40 kills in the suite, spread evenly over the install (one in each 40th of it, at a random point inside),
# so every phase is hit as surely as by 100 uniform ones; the long sweep: KIOSK_BUNDLE_CRASH_ROUNDS=200.
ROUNDS = int(os.environ.get("KIOSK_BUNDLE_CRASH_ROUNDS", "40"))


@pytest.mark.timeout(2400)  # ~3 minutes alone on 2 cores; room for a busy CI machine
def test_killed_installs_always_leave_a_whole_healthy_version(isolated_env, model_path):
    from kiosk.bundles.health import check, open_store
    from kiosk.config import load_config

    pub = Publisher(isolated_env)
    rc, _, err = kiosk("bundle", "install", str(pub.build(1, model=model_path)))
    assert rc == 0, err
    # One full install, timed, so the kills spread over all of it (start-up, verify, stage, switch, check).
    bundle = pub.build(2, model=model_path)
    t0 = time.monotonic()
    rc, _, err = kiosk("bundle", "install", str(bundle))
    full_s = time.monotonic() - t0
    assert rc == 0, err
    bundle.unlink()
    rng = random.Random(20261125)
    version, ended = 2, {"old": 0, "new": 0}
    slots = list(range(ROUNDS))
    rng.shuffle(slots)
    for n in range(ROUNDS):
        new = version + 1
        bundle = pub.build(new, model=model_path, name="next.tar")
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "bundle", "install", str(bundle)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(full_s * (slots[n] + rng.random()) / ROUNDS)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the installer and its health-check child: a power cut
        except ProcessLookupError:
            pass
        proc.wait()
        st = status()  # finishes (checks or reverts) whatever the kill interrupted
        assert st["current"] in (version, new), (n, st)
        assert st["healthy"], (n, st)
        cfg = load_config(None)
        manifest = open_store(cfg).verify_installed()  # whole: signature and every file's sha256
        assert manifest.version == st["current"]
        result = check(cfg)
        assert result["ok"], (n, result)
        ended["new" if st["current"] == new else "old"] += 1
        version = max(st["current"], st["highest_seen"])  # a version seen once is never offered again
    print(f"\n{ROUNDS} killed installs (window {full_s:.1f} s): ended on the old version {ended['old']}, "
          f"on the new one {ended['new']}")
    assert ended["old"] and ended["new"], ended  # the kills really landed on both sides of the switch
