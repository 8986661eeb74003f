"""From an unanswered question to updated kiosks, for real: a hub on SQLite, real kiosk processes (`kiosk chat`)
enrolled in two rings, a staff entry added to the hub's copy of the pack, a signed pack-only release rolled out
to the canary ring and promoted to all; then a broken release that halts after the canary ring."""

import json
import os
import signal
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


CHROMIUM = "/usr/lib/chromium/chromium"
PASSWORD = "curator password 7"


def test_an_unanswered_question_becomes_a_pack_entry_released_to_canary_then_all_and_a_broken_release_halts(
        tmp_path):
    from playwright.sync_api import sync_playwright

    keys = subprocess.run([sys.executable, "-m", "kiosk", "keys", "generate", "--out", str(tmp_path / "keys"),
                           "--json"], capture_output=True, text=True, timeout=60)
    key = json.loads(keys.stdout)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db, env={"KIOSK_HUB_SIGNING_KEY": key["private_key"], "KIOSK_HUB_RINGS": "canary,all",
                                  "KIOSK_KNOWLEDGE_EMBEDDINGS": "0"})
    shots = Path(os.environ["HUB_SCREENSHOTS_DIR"]) if os.environ.get("HUB_SCREENSHOTS_DIR") else tmp_path
    kiosks: list[Kiosk] = []
    try:
        assert hub_cli(db, "pack", "import", str(SAMPLE), "--name", "harbourlight").returncode == 0
        assert hub_cli(db, "admin", "add-user", "curator", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        for i in range(10):  # two rings: 3 canary kiosks, 7 in the hall
            kiosks.append(Kiosk(tmp_path / f"k{i}", url, db, "canary" if i < 3 else "hall", key["trusted_key"]))
        canary, hall = kiosks[:3], kiosks[3:]
        # A visitor asks what no pack answers: escalated, queued at the hub.
        canary[0].ask(QUESTION)
        until(lambda: json.loads(hub_cli(db, "stats", "--json").stdout)["escalations"].get("review"),
              why="the question queued at the hub")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/login")
            page.fill("input[name=name]", "curator")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            # The curator turns the queued question into a pack entry, previews what it changes, saves.
            page.goto(f"{url}/questions")
            group = page.locator("section.group", has_text="swimming pool")
            group.locator("summary").click()
            form = group.locator("form[action='/packs/entry']")
            form.locator("input[name=heading]").fill("Swimming pool")
            form.locator("textarea").fill("There is no swimming pool at the museum. The city baths are a five "
                                          "minute walk north, on Quay Street.")
            form.locator("button[value=preview]").click()
            # The visitor's question changes to answered; none of the pack's own questions changes.
            assert page.inner_text("#changed-count").startswith("1 of 29"), page.inner_text("main")
            row = page.locator("#preview tr", has_text="swimming pool").inner_text()
            assert "escalated" in row and "answered from" in row, row
            page.screenshot(path=str(shots / "hub-preview.png"), full_page=True)
            page.click("button[value=save]")
            assert "version 2 saved" in page.inner_text("#msg")
            # Published to the canary ring, with the question as the kiosks' health check.
            packs_row = page.locator("#packs tr", has_text="harbourlight")
            packs_row.locator("input[name=probe]").fill(QUESTION)
            packs_row.locator("button", has_text="Publish").click()
            rel = max(ledger(db).values(), key=lambda r: r["id"])
            assert rel["pack_version"] == 2 and rel["signed"] == "hub" and rel["rings"] == ["canary", "all"]

            until(lambda: all(states(db, rel["id"]).get(k.id) == "installed" for k in canary),
                  why="the canary kiosks installed the release")
            assert all(k.bundle_version() == rel["bundle_version"] for k in canary)
            time.sleep(3)  # the hall ring has had several checks meanwhile: it must not be offered the release
            assert all(k.bundle_version() is None and k.id not in states(db, rel["id"]) for k in hall)
            canary[1].ask(QUESTION)
            until(lambda: "Quay Street" in canary[1].output(), why="a canary kiosk answers from the new entry")

            # Promoted to all from the Releases page: every kiosk installs it, and one that was switched off
            # meanwhile catches up when it is back.
            away = hall[-1]
            away.kill()
            page.goto(f"{url}/releases")
            page.locator(f"section[data-release='{rel['id']}'] button", has_text="Promote").click()
            until(lambda: all(states(db, rel["id"]).get(k.id) == "installed" for k in kiosks if k is not away),
                  why="every running kiosk installed the release")
            assert away.bundle_version() is None
            away.start()
            until(lambda: states(db, rel["id"]).get(away.id) == "installed", why="the returning kiosk caught up")
            page.goto(f"{url}/releases")
            page.screenshot(path=str(shots / "hub-releases.png"), full_page=True)
            # Every kiosk now answers it locally, with the hub unreachable (stopped).
            hub.send_signal(signal.SIGSTOP)
            try:
                for k in kiosks:
                    k.ask(QUESTION)
                until(lambda: all(k.output().count("Quay Street") >= (2 if k is canary[1] else 1) for k in kiosks),
                      why="every kiosk answers it")
            finally:
                hub.send_signal(signal.SIGCONT)

            # A broken release (its health check cannot pass): the canary ring reverts on its own, the
            # release halts, no kiosk outside the canary ring installs it, and the page says why.
            p = hub_cli(db, "release", "publish", "harbourlight", "--key", key["private_key"], "--rings",
                        "canary,all", "--probe-question", "Where can I land my helicopter?", "--json")
            bad = json.loads(p.stdout)
            until(lambda: ledger(db)[bad["id"]]["state"] == "halted", why="the broken release halted")
            why = ledger(db)[bad["id"]]["halt_reason"]
            assert "reverted" in why and "health check" in why, why
            assert hub_cli(db, "release", "promote", str(bad["id"])).returncode == 2  # halted stays halted
            time.sleep(3)
            st = states(db, bad["id"])
            assert all(k.id not in st for k in hall), st
            assert all(k.bundle_version() == rel["bundle_version"] for k in kiosks)  # all on the good one
            page.goto(f"{url}/releases")
            assert "Halted:" in page.locator(f"section[data-release='{bad['id']}']").inner_text()
            page.screenshot(path=str(shots / "hub-releases-halted.png"), full_page=True)
            browser.close()
    finally:
        for k in kiosks:
            k.stop()
        hub.terminate()
        hub.wait(timeout=10)
