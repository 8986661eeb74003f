"""From an unanswered question to updated kiosks, for real: a hub on SQLite, real kiosk processes (`kiosk chat`)
enrolled in two rings, a staff entry added to the hub's copy of the pack, a signed pack-only release rolled out
to the canary ring and promoted to all; then a broken release that halts after the canary ring."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kiosk.hub.local import start_hub

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "packs" / "harbourlight"
QUESTION = "Is there a swimming pool at the museum?"


def hub_cli(db, *args, input_=None):
    return subprocess.run([sys.executable, "-m", "kiosk", "hub", *args, "--db", db], capture_output=True,
                          text=True, timeout=180, input=input_)


class Kiosk:
    """`kiosk chat`: sync, health snapshots and release checks in the background; visitors on stdin."""

    def __init__(self, data: Path, url: str, db: str, ring: str, trusted: str) -> None:
        self.data = data
        self.env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
                    "KIOSK_KNOWLEDGE_EMBEDDINGS": "0", "KIOSK_SYNC_INTERVAL_S": "0.5",
                    "KIOSK_UPDATES_INTERVAL_S": "1", "KIOSK_SESSION_IDLE_RESET_S": "600",
                    "KIOSK_BUNDLES_TRUSTED_KEYS": trusted, "KIOSK_BUNDLES_HEALTH_TIMEOUT_S": "120"}
        code = hub_cli(db, "enrol-code", "--ring", ring).stdout.strip()
        p = subprocess.run([sys.executable, "-m", "kiosk", "enrol", url, code, "--json"], env=self.env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr + p.stdout
        self.id = json.loads(p.stdout)["device_id"]
        self.out = open(data / "chat.out", "w+")
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.out.close()


def until(check, timeout=120.0, every=0.5, why=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out: {why}")


def ledger(db):
    return {r["id"]: r for r in json.loads(hub_cli(db, "release", "list", "--json").stdout)}


def states(db, release_id):
    from kiosk.hub import releases
    from kiosk.hub.migrate import engine_for

    engine = engine_for(db)
    try:
        return {d: s for d, (s, _) in releases.device_states(engine, release_id).items()}
    finally:
        engine.dispose()


def test_a_staff_entry_reaches_the_canary_ring_then_everyone_and_a_broken_release_halts(tmp_path):
    keys = subprocess.run([sys.executable, "-m", "kiosk", "keys", "generate", "--out", str(tmp_path / "keys"),
                           "--json"], capture_output=True, text=True, timeout=60)
    key = json.loads(keys.stdout)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    kiosks: list[Kiosk] = []
    try:
        assert hub_cli(db, "pack", "import", str(SAMPLE), "--name", "harbourlight").returncode == 0
        for i in range(4):
            kiosks.append(Kiosk(tmp_path / f"k{i}", url, db, "canary" if i < 2 else "hall", key["trusted_key"]))
        canary, hall = kiosks[:2], kiosks[2:]
        # A visitor asks what no pack answers: escalated, queued at the hub.
        canary[0].ask(QUESTION)
        until(lambda: json.loads(hub_cli(db, "stats", "--json").stdout)["escalations"].get("review"),
              why="the question queued at the hub")

        # A staff member writes the entry; it is published to the canary ring only.
        from kiosk.hub import packs
        from kiosk.hub.migrate import engine_for

        engine = engine_for(db)
        v = packs.add_entry(engine, "harbourlight", "Swimming pool", "There is no swimming pool at the "
                            "museum. The city baths are a five minute walk north, on Quay Street.", "staff")
        engine.dispose()
        p = hub_cli(db, "release", "publish", "harbourlight", "--key", key["private_key"], "--rings",
                    "canary,all", "--probe-question", QUESTION, "--json")
        assert p.returncode == 0, p.stderr
        rel = json.loads(p.stdout)
        assert rel["pack_version"] == v and rel["signed"] == "hub" and rel["rings"] == ["canary", "all"]

        until(lambda: all(states(db, rel["id"]).get(k.id) == "installed" for k in canary),
              why="the canary kiosks installed the release")
        assert all(k.bundle_version() == rel["bundle_version"] for k in canary)
        time.sleep(3)  # the hall ring has had several checks meanwhile: it must not be offered the release
        assert all(k.bundle_version() is None and k.id not in states(db, rel["id"]) for k in hall)
        canary[1].ask(QUESTION)
        until(lambda: "Quay Street" in canary[1].output(), why="a canary kiosk answers from the new entry")

        # Promoted to all: the hall ring installs it and answers locally.
        assert hub_cli(db, "release", "promote", str(rel["id"])).returncode == 0
        until(lambda: all(states(db, rel["id"]).get(k.id) == "installed" for k in kiosks),
              why="every kiosk installed the release")
        for k in hall:
            k.ask(QUESTION)
        until(lambda: all("Quay Street" in k.output() for k in hall), why="the hall kiosks answer it")

        # A broken release (its health check cannot pass): the canary ring reverts, the release halts,
        # and no kiosk outside the canary ring installs it.
        p = hub_cli(db, "release", "publish", "harbourlight", "--key", key["private_key"], "--rings",
                    "canary,all", "--probe-question", "Where can I land my helicopter?", "--json")
        bad = json.loads(p.stdout)
        until(lambda: ledger(db)[bad["id"]]["state"] == "halted", why="the broken release halted")
        why = ledger(db)[bad["id"]]["halt_reason"]
        assert "reverted" in why and "health check" in why, why
        assert hub_cli(db, "release", "promote", str(bad["id"])).returncode == 2  # a halted release stays halted
        time.sleep(3)
        st = states(db, bad["id"])
        assert all(k.id not in st for k in hall), st
        assert all(k.bundle_version() == rel["bundle_version"] for k in kiosks)  # everyone on the good one
        until(lambda: any(s == "reverted" for s in states(db, bad["id"]).values()), why="revert reported")
    finally:
        for k in kiosks:
            k.stop()
        hub.terminate()
        hub.wait(timeout=10)
