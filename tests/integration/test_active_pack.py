"""`kiosk knowledge import` makes a pack the active one, and it stays active across restarts; the configured
pack only seeds a fresh kiosk or comes back when its own files change."""

import json
import shutil
from pathlib import Path

from test_cli import kiosk, lines

from kiosk.config import SAMPLE_PACK

MARKET = Path(__file__).parents[1] / "eval" / "packs" / "street_market" / "pack"
NO_MODEL = {"KIOSK_LLM_ENABLED": "0"}


def ask(q):
    rc, out, err = kiosk("ask", "--json", q, env=NO_MODEL)
    assert rc == 0, err
    return lines(out)[0]


def status():
    rc, out, err = kiosk("status", "--json", env=NO_MODEL)
    assert rc == 0, err
    return json.loads(out)["pack"]


def test_an_imported_pack_survives_restarts_until_the_configured_pack_changes(isolated_env):
    configured = isolated_env / "configured"
    shutil.copytree(SAMPLE_PACK, configured)
    (isolated_env / "config.toml").write_text(f'[knowledge]\npack = "{configured}"\n')
    assert "17:30" in ask("What time do you close?")["answer"]           # the configured pack seeds it
    assert status()["origin"] == "configured"

    rc, out, err = kiosk("knowledge", "import", str(MARKET), "--json")
    assert rc == 0, err
    for _ in range(2):                                                    # two restarts: still the market
        p = status()
        assert (p["origin"], p["path"], p["title"]) == ("imported", str(MARKET.resolve()),
                                                         "Lantern Square Weekend Market")
        a = ask("Where is the Hatbox?")
        assert not a["escalated"] and a["entry_ids"][0].startswith("index#"), a

    with (configured / "visiting.md").open("a") as f:                    # the operator edits the configured pack
        f.write("\n## Ferry times\nThe ferry leaves at 09:15 from pier 3.\n")
    assert "09:15" in ask("When does the ferry leave?")["answer"]
    assert status()["origin"] == "configured"
