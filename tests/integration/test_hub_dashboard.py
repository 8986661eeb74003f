"""The hub's dashboard in a real headless browser (Debian's chromium driven by Playwright), with real kiosk
processes (`kiosk chat`, enrolled with `kiosk enrol`) syncing to a real hub over loopback: log in, see the
fleet, see a kiosk go offline, answer a queued question and watch the answer reach the visitor's open
session. With HUB_SCREENSHOTS_DIR set, the pages are also saved there (the README's screenshots)."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hubkit import CHROMIUM, ChatKiosk, hub_cli, until

from kiosk.hub.local import start_hub

PASSWORD = "staff password 42"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: `make test` installs it (KIOSK_APT_PACKAGES)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield b
        finally:
            b.close()


def test_log_in_see_a_kiosk_go_offline_and_answer_a_queued_question(tmp_path, browser):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db, env={"KIOSK_HUB_OFFLINE_AFTER_S": "6"})
    shots = Path(os.environ["HUB_SCREENSHOTS_DIR"]) if os.environ.get("HUB_SCREENSHOTS_DIR") else tmp_path
    kiosks = []
    try:
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        hall = ChatKiosk(tmp_path / "hall", url, db)
        shop = ChatKiosk(tmp_path / "shop", url, db)
        kiosks += [hall, shop]
        hall.ask("Where are the toilets?")
        hall.ask("Is there a swimming pool near here?")  # not in the pack: escalated, queued for staff
        shop.ask("When are you open?")
        shop.ask("Can I park a camper van overnight?")

        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/fleet")
        assert page.url.endswith("/login")
        page.fill("input[name=name]", "ops")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        assert "Wrong name or password" in page.inner_text("main")
        page.fill("input[name=name]", "ops")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        assert page.url.endswith("/fleet")

        def both_reported():
            page.reload()
            rows = {d: page.inner_text(f"tr[data-device='{d}']") for d in (hall.id, shop.id)}
            return all("online" in r and "ms" in r for r in rows.values()) and rows
        rows = until(both_reported, why="both kiosks online with a health snapshot on the Fleet page")
        assert "Maritime Museum" in rows[hall.id] and "minimal" in rows[hall.id].lower(), rows
        page.screenshot(path=str(shots / "hub-fleet.png"), full_page=True)

        # The shop kiosk loses power: no more contact; the Fleet page shows it offline.
        shop.stop()

        def shop_offline():
            page.reload()
            return "offline" in page.inner_text(f"tr[data-device='{shop.id}']")
        until(shop_offline, timeout=40, why="the killed kiosk shown offline")
        assert "online" in page.inner_text(f"tr[data-device='{hall.id}']")
        assert page.inner_text("#n-offline") == "1"
        page.screenshot(path=str(shots / "hub-fleet-offline.png"), full_page=True)

        # The queued question, answered from the Questions page, reaches the visitor still at the hall kiosk.
        page.click("text=Questions")

        def queued():
            page.reload()
            return page.locator("section.group", has_text="swimming pool").count() == 1
        until(queued, why="the escalated question in the review queue")
        assert page.locator("section.group", has_text="camper van").count() == 1
        page.screenshot(path=str(shots / "hub-questions.png"), full_page=True)
        group = page.locator("section.group", has_text="swimming pool")
        group.locator("textarea").fill("There is no pool here; the city baths are a 5 minute walk north.")
        group.locator("button[type=submit]").click()
        assert "Answered 1 question" in page.inner_text("main")
        until(lambda: "city baths" in hall.output(), why="the staff answer shown in the visitor's open session")
        assert "[Reply from our staff to" in hall.output()

        # Usage: a chart, per-kiosk figures, a reconciliation with nothing missing, a CSV for billing.
        page.click("text=Usage")
        assert page.locator("svg.chart").count() == 1
        per_kiosk = page.inner_text("#per-kiosk")
        assert hall.id in per_kiosk and shop.id in per_kiosk
        recon = page.inner_text("#reconciliation")
        assert "missing" not in recon and recon.count("ok") >= 2, recon
        page.screenshot(path=str(shots / "hub-usage.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("text=CSV for billing")
        rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
        assert {r["device"] for r in rows} == {hall.id, shop.id}
        assert sum(int(r["answers"]) for r in rows) >= 4 and sum(int(r["escalated"]) for r in rows) >= 2

        # Revoking from the Fleet page: the hall kiosk's next request is refused.
        page.click("text=Fleet")
        page.locator(f"tr[data-device='{hall.id}'] button", has_text="Revoke").click()
        assert "revoked" in page.inner_text(f"tr[data-device='{hall.id}']")
        st = json.loads(hub_cli(db, "stats", "--json").stdout)
        assert st["devices"] == {"active": 1, "revoked": 1}, st

        # Logged out, the pages are closed again.
        page.click("text=Log out")
        page.goto(f"{url}/questions")
        assert page.url.endswith("/login")
    finally:
        for k in kiosks:
            k.stop()
        hub.terminate()
        hub.wait(timeout=10)


def test_dashboard_refuses_forged_and_unauthenticated_requests(tmp_path):
    import httpx

    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    try:
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin",
                       input_=PASSWORD + "\n").returncode == 2  # exists
        anon = httpx.Client(base_url=url)
        for path in ("/fleet", "/usage", "/usage.csv", "/questions"):
            r = anon.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        assert anon.post("/questions/answer", data={"answer": "x", "item": "a/b"}).status_code == 303
        web = httpx.Client(base_url=url)
        r = web.post("/login", data={"name": "ops", "password": PASSWORD})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/fleet").text).group(1)
        # A form posted from another site (the browser's Origin) is refused even with the right token.
        r = web.post("/devices/x/revoke", data={"csrf": csrf}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        assert web.post("/devices/x/revoke", data={"csrf": "nope"}).status_code == 403
        assert web.post("/devices/x/revoke", data={"csrf": csrf}).status_code == 303
        # A device id a browser would rewrite as a path (enrolled before ids were checked) can still be revoked
        # from the Fleet page: the id travels in the form (issue 24, row 9).
        from datetime import datetime, timezone

        from sqlalchemy import insert

        from kiosk.hub.migrate import engine_for
        from kiosk.hub.tables import devices

        engine = engine_for(db)
        with engine.begin() as c:
            c.execute(insert(devices).values(id="..", public_key=b"k" * 32, ring="all", state="active",
                                             enrolled_at=datetime.now(timezone.utc)))
        engine.dispose()
        assert 'name="device" value=".."' in web.get("/fleet").text
        assert web.post("/devices/revoke", data={"csrf": csrf, "device": ".."}).status_code == 303
        assert json.loads(hub_cli(db, "stats", "--json").stdout)["devices"] == {"revoked": 1}
        assert "default-src 'self'" in web.get("/fleet").headers["content-security-policy"]
        assert web.post("/login", data={"name": "ops", "password": "wrong"}).status_code == 401
        assert web.post("/login", data={"name": "nobody", "password": "wrong"}).status_code == 401
        # A kiosk's odd health data cannot break a page: it is refused alone, as is a meter that cannot be billed.
        from kiosk.identity import device_key
        from kiosk.signatures import sign_request

        data = tmp_path / "kiosk"
        code = hub_cli(db, "enrol-code").stdout.strip()
        env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": ""}
        p = subprocess.run([sys.executable, "-m", "kiosk", "enrol", url, code, "--json"], env=env,
                           capture_output=True, text=True, timeout=120)
        device, key = json.loads(p.stdout)["device_id"], device_key(data)
        evs = [{"specversion": "1.0", "id": f"odd-{i}", "source": device, "type": t, "time": "2026-11-26T00:00:00Z",
                "data": d} for i, (t, d) in enumerate([
                    ("kiosk.health.health.snapshot", {"pack_version": 5, "warnings": 3, "sent": {"meters": "lots"},
                                                      "temp_c": "hot", "tier": ["x"]}),
                    ("kiosk.health.health.snapshot", [1, 2]),
                    ("kiosk.usage.meter.v1", {"tokens_in": 10.5, "source": "llm", "tier": "full"}),
                    ("kiosk.usage.meter.v1", {"tokens_in": 3, "tokens_out": 4, "escalated": "yes"}),
                    ("kiosk.usage.meter.v1", {"tokens_in": 3, "tokens_out": 4, "escalated": False,
                                              "source": "\t=1+1", "tier": "full"})])]
        body = json.dumps(evs).encode()
        r = httpx.post(f"{url}/v1/events", content=body, headers=sign_request(key, device, "POST", f"{url}/v1/events", body))
        # Odd snapshots and meters that cannot be billed are each refused alone (issue 24); the last is kept.
        assert r.status_code == 200 and [x["index"] for x in r.json()["rejected"]] == [0, 1, 2, 3], r.text
        for path in ("/fleet", "/usage", "/questions"):
            assert web.get(path).status_code == 200, path
        assert "'\t=1+1" in web.get("/usage.csv").text
    finally:
        hub.terminate()
        hub.wait(timeout=10)
