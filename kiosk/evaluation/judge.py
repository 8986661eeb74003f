"""Whether one answer is right, from the evaluation question's expectations. Pure logic."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.evaluation.questions import EvalQuestion

_ENDS_SENTENCE = tuple('.!?"\')\u201d\u2019\u2026')


class Miss(StrEnum):
    ESCALATED = "escalated"              # in scope, but passed on
    MISSING_FACT = "missing_fact"
    CONTRADICTION = "contradiction"      # holds a fact the question marks as wrong
    ANSWERED_OUT_OF_SCOPE = "answered_out_of_scope"
    CUT = "cut_mid_sentence"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    miss: Miss | None = None
    detail: str = ""


def cut_mid_sentence(text: str) -> bool:
    t = text.rstrip()
    return bool(t) and not t.endswith(_ENDS_SENTENCE)


def judge(q: EvalQuestion, answer: str, escalated: bool, declined: bool = False) -> Verdict:
    """``escalated``: passed on to staff; ``declined``: refused as off-topic (both count as not answering)."""
    text = answer.casefold()
    not_answered = escalated or declined
    if q.scope != "in":
        if not_answered:
            return Verdict(True)
        return Verdict(False, Miss.ANSWERED_OUT_OF_SCOPE, answer[:120])
    if not_answered:
        return Verdict(False, Miss.ESCALATED)
    wrong = [f for f in q.forbidden if f.casefold() in text]
    if wrong:
        return Verdict(False, Miss.CONTRADICTION, ", ".join(wrong))
    missing = [f for f in q.facts if f.casefold() not in text]
    if q.any_of and not any(a.casefold() in text for a in q.any_of):
        missing.append(" | ".join(q.any_of))
    if missing:
        return Verdict(False, Miss.MISSING_FACT, ", ".join(missing))
    if cut_mid_sentence(answer):
        return Verdict(False, Miss.CUT, answer[-40:])
    return Verdict(True)
