"""Escalations answered by a real OpenAI-compatible server (llama_cpp.server on the embedded model)."""

import time

import pytest

from kiosk.app import Kiosk
from kiosk.config import load_config

pytestmark = pytest.mark.model


def test_an_escalation_is_answered_by_the_cloud_and_reaches_the_open_session(tmp_path, cloud):
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_CLOUD_BASE_URL": cloud, "KIOSK_LLM_ENABLED": "0",
                                 "KIOSK_SYNC_INTERVAL_S": "0.2"})
    kiosk = Kiosk(cfg)
    got = []
    try:
        kiosk.start_sync(on_answer=got.append)
        a = kiosk.ask("Is there a swimming pool near the museum? Mail me at pool.canary@example.org")
        assert a.escalated
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            time.sleep(0.2)
        assert got, list(kiosk.db.query("SELECT status, last_error, attempts FROM escalations"))
        assert got[0]["answer"].strip() and got[0]["session_id"] == kiosk.session_id
        (row,) = list(kiosk.db.query("SELECT status, answer, attempts FROM escalations"))
        assert row["status"] == "sent" and row["answer"] == got[0]["answer"] and row["attempts"] == 1
        # a question escalated in a session that has since ended is kept for the staff screen only
        kiosk.ask("Who carved the figurehead in the main hall?")
        kiosk.reset_session()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and kiosk.store.outbox_counts()["escalations"]["pending"]:
            time.sleep(0.2)
        assert len(got) == 1 and kiosk.store.outbox_counts()["escalations"]["sent"] == 2
    finally:
        kiosk.close()


def test_failed_turns_leave_redacted_sketches(tmp_path):
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_LLM_ENABLED": "0"})
    kiosk = Kiosk(cfg)
    try:
        for bad in [b"\x00binary from card 4111 1111 1111 1111", "x" * 900 + " anna@example.org"]:
            with pytest.raises(Exception):
                kiosk.ask(bad)
        rows = list(kiosk.db.query("SELECT * FROM turn_sketches ORDER BY time"))
        assert [r["code"] for r in rows] == ["binary_input", "question_too_long"]
        assert all("4111" not in r["text"] and "anna@" not in r["text"] and len(r["text_sha256"]) == 64
                   for r in rows)
        assert rows[1]["length"] == 917
    finally:
        kiosk.close()


def test_no_raw_personal_data_is_written_to_the_kiosks_disk(tmp_path):
    """Issue 15: an escalation kept the visitor's raw question (an e-mail address in it) on disk until it was
    delivered. Now questions are redacted before anything is written: the escalation queue, the session's
    transcript, and (secure_delete) the pages a wiped session leaves behind."""
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_LLM_ENABLED": "0"})
    secrets = ["jane.doe@example.com", "4111 1111 1111 1111", "+44 20 7946 0958"]
    kiosk = Kiosk(cfg)
    try:
        answers = [kiosk.ask(q) for q in (
            "Can a curator write to me at jane.doe@example.com about my grandfather's trawler logbook?",
            "I paid with card 4111 1111 1111 1111 and was charged twice for the planetarium, who refunds it?",
            "Please ring me back on +44 20 7946 0958 about booking the whole lighthouse for a wedding.")]
        assert any(a.escalated for a in answers)
        queued = [r["question"] for r in kiosk.db.query("SELECT question FROM escalations")]
        assert queued and all("[" in q for q in queued), queued
        kiosk.reset_session()
    finally:
        kiosk.close()
    for f in (tmp_path / "d").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for s in secrets:
                assert s.encode() not in data, (f.name, s)
