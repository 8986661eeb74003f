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

from hubkit import CHROMIUM, ChatKiosk, hub_cli, until

from kiosk.hub.local import start_hub

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "packs" / "harbourlight"
QUESTION = "Is there a swimming pool at the museum?"


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
    kiosks: list[ChatKiosk] = []
    try:
        assert hub_cli(db, "pack", "import", str(SAMPLE), "--name", "harbourlight").returncode == 0
        assert hub_cli(db, "admin", "add-user", "curator", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        for i in range(10):  # two rings: 3 canary kiosks, 7 in the hall
            kiosks.append(ChatKiosk(tmp_path / f"k{i}", url, db, "canary" if i < 3 else "hall",
                                    KIOSK_KNOWLEDGE_EMBEDDINGS="0", KIOSK_BUNDLES_TRUSTED_KEYS=key["trusted_key"],
                                    KIOSK_BUNDLES_HEALTH_TIMEOUT_S="120"))
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
            packs_row.locator("input[name=password]").fill(PASSWORD)  # asked again: a cookie alone cannot publish
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
            promote = page.locator(f"section[data-release='{rel['id']}'] form[action$='/promote']")
            promote.locator("input[name=password]").fill(PASSWORD)
            promote.locator("button", has_text="Promote").click()
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
