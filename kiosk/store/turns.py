"""Durable side effects of a turn: one usage meter per answer, escalations, the session transcript."""

from __future__ import annotations

import json
import uuid

import sqlite_utils

from kiosk.domain.events import Answered, Chosen, TurnEvent
from kiosk.domain.models import Answer
from kiosk.domain.redact import RedactionError, redact
from kiosk.store.db import utcnow, write
from kiosk.store.outbox import KINDS


NOT_KEPT = "[not kept: it could not be redacted]"


def kept(text: str) -> str | None:
    """A visitor's words as they may be written to disk: redacted (e-mail addresses, card numbers, IBANs,
    phone numbers), or None when redaction fails (then nothing of them is written)."""
    try:
        return redact(text)[0]
    except RedactionError:
        return None


class TurnStore:
    """The turn's durable record. Everything of one turn commits in one transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def on_turn_event(self, event: TurnEvent) -> None:
        """The recorder listens to every turn: an answered turn is recorded before anyone else hears of it."""
        if isinstance(event, Answered):
            self.record(event.answer, event.session_id)
        elif isinstance(event, Chosen):
            self.record_choice(event)

    def record_choice(self, event: Chosen) -> None:
        """A "did you mean ...?" choice: the visitor's (redacted) wording for that entry, queued for the hub
        as a labelled example (question -> entry)."""
        question = kept(event.question)
        if question is None:
            return
        def tx(conn):
            conn.execute("INSERT INTO health_events (id, time, type, data) VALUES (?,?,?,?)",
                         (uuid.uuid4().hex, utcnow(), "clarify.chosen",
                          json.dumps({"question": question, "entry_id": event.entry_id,
                                      "offered": list(event.offered)})))

        write(self.db, tx)

    def record(self, answer: Answer, session_id: str) -> None:
        """No raw personal data reaches the disk: the question is redacted here, before it is queued for
        escalation or kept in the session's transcript (not only when it is sent)."""
        now = utcnow()
        question = kept(answer.question)

        def tx(conn):
            conn.execute(
                "INSERT INTO meters (id, time, session_id, source, model, tier, tokens_in, tokens_out, "
                "latency_ms, ttft_ms, escalated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (uuid.uuid4().hex, now, session_id, answer.source, answer.model or "none", answer.tier,
                 answer.tokens_in, answer.tokens_out, round(answer.total_ms, 2), round(answer.ttft_ms, 2),
                 int(answer.escalated)))
            if answer.escalated and question is not None:  # unredactable: the meter counts it, nothing is sent
                conn.execute(
                    "INSERT INTO escalations (id, created_at, session_id, question, context) VALUES (?,?,?,?,?)",
                    (uuid.uuid4().hex, now, session_id, question,
                     json.dumps({"entry_ids": answer.entry_ids, "confidence": round(answer.confidence, 3),
                                 "reason": answer.note, "reason_code": answer.reason,
                                 **({"choices": [c.public() for c in answer.choices]} if answer.choices else {})})))
            if answer.emergency:  # urgent: the hub shows it at the top of its Fleet page
                conn.execute("INSERT INTO health_events (id, time, type, data) VALUES (?,?,?,?)",
                             (uuid.uuid4().hex, now, "emergency",
                              json.dumps({"kind": answer.emergency, "entry_ids": answer.entry_ids})))
            conn.execute("INSERT INTO session_turns (session_id, time, question, answer, source, entry_ids) "
                         "VALUES (?,?,?,?,?,?)", (session_id, now, question or NOT_KEPT, answer.answer,
                                                  answer.source, json.dumps(answer.entry_ids)))

        write(self.db, tx)

    def reset_session(self, session_id: str | None = None) -> int:
        """Wipe the visitor transcript (all of it, or one session's); returns how many turns were removed."""
        def tx(conn):
            if session_id is None:
                return conn.execute("DELETE FROM session_turns").rowcount
            return conn.execute("DELETE FROM session_turns WHERE session_id = ?", (session_id,)).rowcount

        return int(write(self.db, tx))

    def session_turns(self, session_id: str) -> list[dict]:
        return list(self.db.query("SELECT * FROM session_turns WHERE session_id = ? ORDER BY seq", [session_id]))

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        from kiosk.store.outbox import Outbox

        report = Outbox(self.db).report()
        return {k: {s: report[k][s] for s in ("pending", "sent", "dead")} for k in KINDS}
