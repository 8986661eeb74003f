"""Visitors' own wording, end to end: a kiosk offers "did you mean ...?", the visitor picks an entry, the choice
reaches the hub (a real `kiosk chat` syncing over loopback), the curator lists those words under that entry,
and a kiosk given the pack's new version answers them from it at once."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from hubkit import ChatKiosk, hub_cli, until

from kiosk.hub.local import start_hub
from kiosk.hub.wording import with_question
from kiosk.knowledge.pack import load_pack

SAMPLE = Path(__file__).parents[2] / "assets" / "packs" / "harbourlight"
PASSWORD = "staff password 42"
UNSURE = {"KIOSK_TURN_JUDGE": "1", "KIOSK_TURN_JUDGE_ANSWER_AT": "0.999", "KIOSK_TURN_JUDGE_OFFER_AT": "0.001"}
QUESTION = "where do i stick my coat while we look round"
ENTRY = "facilities#lockers-and-cloakroom"


def test_a_visitors_chosen_wording_becomes_a_question_the_pack_answers(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    kiosk = None
    try:
        assert hub_cli(db, "admin", "add-user", "ops", "--password-stdin", input_=PASSWORD + "\n").returncode == 0
        assert hub_cli(db, "pack", "import", str(SAMPLE), "--name", "harbourlight").returncode == 0
        kiosk = ChatKiosk(tmp_path / "hall", url, db, **UNSURE)  # the judge sure of nothing: choices offered
        kiosk.ask(QUESTION)
        shown = until(lambda: re.findall(r"(\d)\. Lockers and cloakroom", kiosk.output()), 120,
                      why="the choices on the kiosk's screen")
        kiosk.ask(shown[0])
        until(lambda: f"from {ENTRY}" in kiosk.output(), 60, why="the chosen entry's answer")

        web = httpx.Client(base_url=url)
        assert web.post("/login", data={"name": "ops", "password": PASSWORD}).status_code == 303
        page = until(lambda: (lambda t: QUESTION in t and t)(web.get("/questions").text), 60,
                     why="the choice synced to the hub's Questions page")
        assert ENTRY in page and "List under this entry" in page and "listed in the newest" not in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = {"csrf": csrf, "pack": "harbourlight", "entry": ENTRY, "question": QUESTION}
        r = web.post("/packs/wording", data=form)
        assert r.status_code == 303 and "version%202" in r.headers["location"], r.headers
        assert "listed in the newest pack version" in web.get("/questions").text
        assert web.post("/packs/wording", data={**form, "entry": "facilities#no-such"}).status_code == 400
        assert web.post("/packs/wording", data={**form, "csrf": "forged"}).status_code == 403

        out = tmp_path / "v2"
        assert hub_cli(db, "pack", "export", "harbourlight", str(out)).returncode == 0
        assert (QUESTION, ENTRY) in load_pack(out).asked
        assert "? " + QUESTION not in load_pack(out).entries[0].body  # listed, not part of any answer
        # A fresh kiosk given the new version answers those words from that entry, sure of nothing else.
        env = {**os.environ, "KIOSK_DATA_DIR": str(tmp_path / "fresh"), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
               "KIOSK_KNOWLEDGE_PACK": str(out), **UNSURE}
        p = subprocess.run([sys.executable, "-m", "kiosk", "ask", "--json", QUESTION.upper() + "?"], env=env,
                           capture_output=True, text=True, timeout=300)
        got = json.loads(p.stdout.strip().splitlines()[-1])
        assert got["source"] == "knowledge" and got["entry_ids"] == [ENTRY], got
    finally:
        if kiosk is not None:
            kiosk.stop()
        hub.terminate()
        hub.wait(timeout=30)


def test_listing_a_question_keeps_the_rest_of_the_file_and_finds_a_repeated_heading():
    files = {"faq.md": "# FAQ\n\n## Parking\nFree.\n\n## Parking\nThe second car park costs 2 euros.\n",
             "index.md": "# Venue\n? When are you open?\n\n## Hours\nDaily 9-5.\n"}
    after = with_question(files, "faq#parking-2", "  can I park at the back ")
    assert after["index.md"] == files["index.md"]
    assert after["faq.md"] == ("# FAQ\n\n## Parking\nFree.\n\n## Parking\n? can I park at the back\n"
                               "The second car park costs 2 euros.\n")
    assert with_question(after, "faq#parking-2", "Can I park at the back?") == after  # already listed
