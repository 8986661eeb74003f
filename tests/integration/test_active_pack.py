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


def test_a_pack_imported_before_the_first_start_is_the_one_that_answers(isolated_env):
    """A provisioning script's order on a fresh data dir: import, ask, restart, ask. Nothing has started the
    kiosk before the import, and the configured (sample) pack must not take over at the first start."""
    assert not (isolated_env / "data").exists()
    rc, out, err = kiosk("knowledge", "import", str(MARKET), "--json")
    assert rc == 0, err
    a = ask("Where is the Hatbox?")                                       # the kiosk's very first start
    assert not a["escalated"] and a["entry_ids"][0].startswith("index#"), a
    p = status()
    assert (p["origin"], p["title"]) == ("imported", "Lantern Square Weekend Market"), p
    a = ask("Where is the Hatbox?")                                       # a restart: still the market
    assert not a["escalated"] and a["entry_ids"][0].startswith("index#"), a
    assert status()["title"] == "Lantern Square Weekend Market"


def test_configuring_a_pack_after_an_import_makes_the_configured_one_active(isolated_env):
    """What the operator did last wins: import first, then point the config at another pack."""
    rc, out, err = kiosk("knowledge", "import", str(MARKET), "--json")
    assert rc == 0, err
    assert status()["title"] == "Lantern Square Weekend Market"
    configured = isolated_env / "configured"
    shutil.copytree(SAMPLE_PACK, configured)
    (isolated_env / "config.toml").write_text(f'[knowledge]\npack = "{configured}"\n')
    assert "17:30" in ask("What time do you close?")["answer"]
    assert status()["origin"] == "configured"


def test_an_import_after_a_bundle_install_stays_active(isolated_env):
    """A bundle with a pack installed first (as a USB provisioning step), then the venue's own pack imported:
    the import is what answers, across restarts; a newer bundle then brings its pack back."""
    from bundle_helpers import Publisher

    pub = Publisher(isolated_env)
    rc, out, err = kiosk("bundle", "install", str(pub.build(1)))
    assert rc == 0, err + out
    assert "17:30" in ask("What time do you close?")["answer"]
    rc, out, err = kiosk("knowledge", "import", str(MARKET), "--json")
    assert rc == 0, err
    for _ in range(2):
        a = ask("Where is the Hatbox?")
        assert not a["escalated"] and a["entry_ids"][0].startswith("index#"), a
    rc, out, err = kiosk("bundle", "install", str(pub.build(2)))
    assert rc == 0, err + out
    assert "17:30" in ask("What time do you close?")["answer"]
