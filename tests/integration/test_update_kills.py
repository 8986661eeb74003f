"""A kiosk SIGKILLed at random moments while it downloads and installs releases from the hub (50 times) always
ends on a whole old or new version, and once it syncs again the hub's view of it matches its own."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.hub.local import start_hub

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "packs" / "harbourlight"
KILLS = 50


def test_a_kiosk_killed_during_download_and_install_ends_whole_and_the_hub_agrees(tmp_path, monkeypatch):
    from kiosk.bundles.install import child_check, open_store
    from kiosk.config import load_config
    from kiosk.hub import packs, releases
    from kiosk.hub.migrate import engine_for

    keys = json.loads(subprocess.run([sys.executable, "-m", "kiosk", "keys", "generate", "--out",
                                      str(tmp_path / "keys"), "--json"], capture_output=True, text=True).stdout)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    data = tmp_path / "kiosk"
    env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
           "KIOSK_KNOWLEDGE_EMBEDDINGS": "0", "KIOSK_BUNDLES_TRUSTED_KEYS": keys["trusted_key"]}
    eng = engine_for(db)
    rng = random.Random(16)
    try:
        packs.import_dir(eng, "hl", SAMPLE, "test")
        code = subprocess.run([sys.executable, "-m", "kiosk", "hub", "enrol-code", "--db", db],
                              capture_output=True, text=True).stdout.strip()
        p = subprocess.run([sys.executable, "-m", "kiosk", "enrol", url, code, "--json"], env=env,
                           capture_output=True, text=True, timeout=120)
        device = json.loads(p.stdout)["device_id"]
        config = load_config(None, env=env)
        for k in ("KIOSK_LLM_ENABLED", "KIOSK_KNOWLEDGE_EMBEDDINGS", "KIOSK_BUNDLES_TRUSTED_KEYS"):
            monkeypatch.setenv(k, env[k])  # for the health check a recovery may run

        def current() -> int | None:
            """The version the kiosk is on once it has put right whatever the kill interrupted, as it does
            before anything else: a version that never passed its health check is checked (or reverted)."""
            store = open_store(config)
            store.recover(child_check(config))
            return store.version_of(store.current())

        def sync(kill_after: float | None = None) -> float:
            t = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sync", "--json"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=kill_after if kill_after is not None else 300)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            return time.monotonic() - t

        def release() -> dict:
            n = len(releases.ledger(eng)) + 1
            packs.add_entry(eng, "hl", f"Locker {n}", f"Locker {n} is by the entrance.", "test")
            rid = releases.publish(eng, "hl", None, keys["private_key"], ["all"], "test")
            return releases.as_json(releases.get(eng, rid))

        latest = release()
        sync()
        assert current() == latest["bundle_version"]
        latest = release()
        full = sync()  # one whole download, install and health check (not the first), to spread the kills over
        assert current() == latest["bundle_version"]
        idle = min(sync() for _ in range(2))  # a sync with nothing to install: start-up and delivery only
        seen = {"old": 0, "new": 0}
        for _ in range(KILLS):
            if current() == latest["bundle_version"]:
                old, latest = latest["bundle_version"], release()
            else:
                old = current()
            sync(kill_after=rng.uniform(0.6 * idle, full))  # mostly while it downloads, installs and checks
            now_on = current()
            assert now_on in (old, latest["bundle_version"]), (now_on, old, latest)
            if now_on is not None:
                open_store(config).verify_installed()  # every file of the version it is on, whole
            seen["new" if now_on == latest["bundle_version"] else "old"] += 1
        assert seen["old"] and seen["new"], seen  # the kills landed both before and after the switch
        # Synced again, undisturbed: the kiosk is on the newest release and the hub says so; every release it
        # holds as installed is one the kiosk reached, and nothing it reverted is called installed.
        sync()
        assert current() == latest["bundle_version"]
        on = current()
        for r in releases.ledger(eng):
            st = releases.device_states(eng, r.id).get(device, ("", ""))[0]
            if r.bundle_version == on:
                assert st == "installed", (r.id, st)
            assert not (r.bundle_version > on and st == "installed"), (r.id, st, on)  # never ahead of the kiosk
        print(f"{KILLS} kills between {0.6 * idle:.2f} and {full:.2f} s: {seen['old']} left on the old version, "
              f"{seen['new']} on the new")
    finally:
        eng.dispose()
        hub.terminate()
        hub.wait(timeout=10)
