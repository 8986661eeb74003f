"""No personal data in either data dir after a sync (issue 24, row 11): a real kiosk enrolled with `kiosk
enrol`, visitors' questions holding the forms that used to get through, `kiosk sync` to a real hub on SQLite;
and a signed escalation with raw personal data (as an older kiosk would send it), redacted again by the hub.
Then every file under the kiosk's data dir and the hub's is searched byte for byte."""

import json
import os
import subprocess
import sys

from kiosk.hub.local import start_hub
from kiosk.identity import device_key
from kiosk.signatures import sign_request
from tests.integration.hubkit import hub_cli

FORMS = ["alice dot smith at example dot com", "alice.smith @ example.com", "cvv 9317 exp 11/29",
         "221B Baker Street, NW1 6XE", "password hunter2 PIN 8642", "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"]
RAW = "card 4111 1111 1111 1111, mail zed@example.org, phone +44 20 7946 0958, alice dot smith at example dot com"
NEEDLES = ["alice", "smith", "9317", "11/29", "Baker", "6XE", "hunter2", "8642", "4111", "zed@", "7946",
           "ａｌｉｃｅ"]


def _kiosk(data, *args):
    env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
           "KIOSK_KNOWLEDGE_EMBEDDINGS": "0"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _found(root) -> list[tuple[str, str]]:
    hits = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            blob = open(os.path.join(dirpath, f), "rb").read()
            hits += [(os.path.join(dirpath, f), n) for n in NEEDLES if n.encode() in blob]
    return hits


def test_the_listed_personal_data_is_in_no_file_of_either_data_dir_after_a_sync(tmp_path):
    hub_dir, data = tmp_path / "hub", tmp_path / "kiosk"
    hub_dir.mkdir()
    db = f"sqlite:///{hub_dir / 'hub.db'}"
    hub, url = start_hub(db)
    try:
        p = _kiosk(data, "enrol", url, hub_cli(db, "enrol-code").stdout.strip(), "--json")
        assert p.returncode == 0, p.stderr + p.stdout
        device = json.loads(p.stdout)["device_id"]
        for form in FORMS:
            p = _kiosk(data, "ask", f"Can you send my tickets to {form}?", "--json")
            assert p.returncode == 0 and json.loads(p.stdout)["escalated"], p.stdout + p.stderr
        p = _kiosk(data, "sync", "--json")
        assert p.returncode == 0, p.stderr
        # An older kiosk's escalation, signed, with the raw data in it: the hub redacts it again.
        import httpx

        body = json.dumps({"model": "x", "messages": [{"role": "user", "content": RAW}],
                           "metadata": {"kiosk_pack": ["Tickets. Adult tickets cost 12 euros."],
                                        "kiosk_escalation_id": "raw-1"}}).encode()
        r = httpx.post(f"{url}/v1/chat/completions", content=body, headers={
            "Idempotency-Key": "raw-1", "Content-Type": "application/json",
            **sign_request(device_key(data), device, "POST", f"{url}/v1/chat/completions", body)})
        assert r.status_code == 202, r.text
        held = json.loads(hub_cli(db, "stats", "--json").stdout)["escalations"]
        assert sum(held.values()) == len(FORMS) + 1, held
    finally:
        hub.terminate()
        hub.wait(timeout=10)
    assert _found(data) == [] and _found(hub_dir) == []
