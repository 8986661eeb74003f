"""A staff account is something you can take back (issue 24, row 6), against a real `kiosk hub serve` on SQLite
and on PostgreSQL: a new password ends the old sessions, a removed user's cookie is dead, `logout-all` ends
everyone's. And the databases that hold sessions and visitors' questions are readable by their owner only."""

import os
import stat

import httpx
import pytest

from kiosk.hub.local import start_hub
from tests.integration.hubkit import hub_cli

OLD, NEW, BOB = "old password 1", "new password 2", "bob's password"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("postgres")


def _add(db: str, name: str, password: str, *flags: str) -> int:
    return hub_cli(db, "admin", "add-user", name, "--password-stdin", *flags, input_=password + "\n").returncode


def _login(url: str, name: str, password: str) -> tuple[int, httpx.Client]:
    web = httpx.Client(base_url=url)
    return web.post("/login", data={"name": name, "password": password}).status_code, web


def _in(web: httpx.Client) -> bool:
    r = web.get("/fleet")
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


def test_replacing_a_password_removing_a_user_and_logout_all_end_sessions(db):
    hub, url = start_hub(db)
    try:
        assert _add(db, "alice", OLD) == 0 and _add(db, "bob", BOB) == 0
        status, stolen = _login(url, "alice", OLD)  # the cookie someone copied
        assert status == 303 and _in(stolen)
        status, bob = _login(url, "bob", BOB)
        assert status == 303 and _in(bob)
        # After a suspected leak: a new password. The old cookie is dead at once, pages and forms alike.
        assert _add(db, "alice", NEW, "--replace") == 0
        assert not _in(stolen)
        assert stolen.post("/packs/entry", data={"pack": "x", "heading": "Pay", "answer": "by transfer",
                                                 "do": "save"}).status_code == 303  # to the login page
        assert _login(url, "alice", OLD)[0] == 401
        status, alice = _login(url, "alice", NEW)
        assert status == 303 and _in(alice)
        assert _in(bob)  # another user's session is untouched
        # Removing the user ends the new session too, and the name no longer logs in.
        assert hub_cli(db, "admin", "remove-user", "alice").returncode == 0
        assert not _in(alice) and _login(url, "alice", NEW)[0] == 401
        assert hub_cli(db, "admin", "remove-user", "alice").returncode == 4  # no such user
        # Everyone out.
        p = hub_cli(db, "admin", "logout-all")
        assert p.returncode == 0 and p.stdout.startswith("1 "), p.stdout
        assert not _in(bob)
        assert _login(url, "bob", BOB)[0] == 303  # logging in again works
    finally:
        hub.terminate()
        hub.wait(timeout=10)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_files_are_created_readable_by_their_owner_only(tmp_path):
    """Row 11's file modes: the hub's SQLite database (and its WAL) and the kiosk's kiosk.db and knowledge.db
    are created 0600, whatever the umask."""
    import subprocess
    import sys

    old = os.umask(0o022)
    try:
        db = f"sqlite:///{tmp_path / 'hub.db'}"
        assert hub_cli(db, "stats").returncode == 0
        data = tmp_path / "kiosk"
        env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
               "KIOSK_KNOWLEDGE_EMBEDDINGS": "0"}
        p = subprocess.run([sys.executable, "-m", "kiosk", "ask", "Where are the toilets?", "--json"], env=env,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
    finally:
        os.umask(old)
    files = [tmp_path / "hub.db", data / "kiosk.db", data / "knowledge.db"]
    files += [f for f in (tmp_path.glob("hub.db-*")) if f.exists()] + list(data.glob("*.db-wal"))
    assert {str(f): oct(_mode(f)) for f in files} == {str(f): oct(0o600) for f in files}


def test_a_session_alone_cannot_publish_promote_or_roll_back(tmp_path):
    """Row 6: with a copied session cookie, an entry can be saved but not put in front of the kiosks: publish,
    promote and roll back ask for the password again, and a release from the dashboard always starts at the
    first ring, with a health-check question."""
    import json
    import re
    import subprocess
    import sys
    from pathlib import Path

    key = json.loads(subprocess.run([sys.executable, "-m", "kiosk", "keys", "generate", "--out",
                                     str(tmp_path / "keys"), "--json"], capture_output=True, text=True,
                                    timeout=120).stdout)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    pack = Path(__file__).resolve().parents[2] / "assets" / "packs" / "harbourlight"
    assert hub_cli(db, "pack", "import", str(pack), "--name", "hl").returncode == 0
    hub, url = start_hub(db, env={"KIOSK_HUB_SIGNING_KEY": key["private_key"], "KIOSK_HUB_RINGS": "canary,all"})
    try:
        assert _add(db, "alice", OLD) == 0
        status, web = _login(url, "alice", OLD)
        assert status == 303
        csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/releases").text).group(1)
        form = {"csrf": csrf, "pack": "hl", "probe": "When is the museum open?", "rings": "all"}
        assert web.post("/releases/publish", data=form).status_code == 403                   # no password
        assert web.post("/releases/publish", data={**form, "password": "not it"}).status_code == 403
        assert web.post("/releases/publish", data={**form, "password": OLD, "probe": " "}).status_code == 400
        assert json.loads(hub_cli(db, "release", "list", "--json").stdout) == []
        r = web.post("/releases/publish", data={**form, "password": OLD})
        assert r.status_code == 303, r.text
        (rel,) = json.loads(hub_cli(db, "release", "list", "--json").stdout)
        assert rel["rings"] == ["canary", "all"] and rel["stage"] == 0  # "rings=all" asked for, canary first
        assert web.post(f"/releases/{rel['id']}/promote", data={"csrf": csrf}).status_code == 403
        assert web.post(f"/releases/{rel['id']}/rollback", data={"csrf": csrf}).status_code == 403
        assert json.loads(hub_cli(db, "release", "list", "--json").stdout)[0]["stage"] == 0
        assert web.post(f"/releases/{rel['id']}/promote", data={"csrf": csrf, "password": OLD}).status_code == 303
        assert json.loads(hub_cli(db, "release", "list", "--json").stdout)[0]["stage"] == 1
    finally:
        hub.terminate()
        hub.wait(timeout=10)
