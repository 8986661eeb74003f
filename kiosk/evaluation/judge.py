"""Whether one answer is right, from the evaluation question's expectations. Pure logic."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Sequence

from kiosk.evaluation.questions import EvalQuestion

_ENDS_SENTENCE = tuple('.!?"\')\u201d\u2019\u2026')


class Miss(StrEnum):
    ESCALATED = "escalated"              # in scope, but passed on
    MISSING_FACT = "missing_fact"
    CONTRADICTION = "contradiction"      # holds a fact the question marks as wrong
    ANSWERED_OUT_OF_SCOPE = "answered_out_of_scope"
    CUT = "cut_mid_sentence"
    CHOICES = "offered_choices"          # in scope, offered "did you mean ...?" (right or not: see Outcome)
    NOT_DECLINED = "not_declined"        # off topic, but not declined
    EMERGENCY_MISSED = "emergency_missed"
    EMERGENCY_KIND = "emergency_wrong_kind"


class Outcome(StrEnum):
    """What the visitor got, for the figures the answer issue is measured by."""

    RIGHT_FIRST = "right_first_time"
    RIGHT_IN_CHOICE = "right_within_one_choice"   # offered choices, one of which answers it
    WRONG_FACT = "wrong_answer_stated_as_fact"     # answered, and the answer is wrong (or out of scope)
    CHOICES_WRONG = "choices_without_the_answer"
    OFFERED = "offered_choices"                    # out of scope: choices, none stated as fact
    PASSED_ON = "passed_on"
    DECLINED = "declined"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    miss: Miss | None = None
    detail: str = ""
    outcome: Outcome | None = None


def cut_mid_sentence(text: str) -> bool:
    t = text.rstrip()
    return bool(t) and not t.endswith(_ENDS_SENTENCE)


def _facts(q: EvalQuestion, answer: str) -> Verdict:
    text = answer.casefold()
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


def judge(q: EvalQuestion, answer: str, escalated: bool, declined: bool = False,
          choices: Sequence[str] = (), emergency: str = "", headings: Sequence[str] = ()) -> Verdict:
    """``escalated``: passed on to staff; ``declined``: refused as off-topic; ``choices``: what each "did you
    mean ...?" choice would say (none for a plain answer); ``emergency``: the kind the kiosk answered;
    ``headings``: of the entries the answer came from (an emergency must get the pack's entry when it has one)."""
    if q.scope == "emergency":
        if not emergency or escalated:
            return Verdict(False, Miss.EMERGENCY_MISSED, answer[:120], Outcome.PASSED_ON if escalated else
                           Outcome.WRONG_FACT)
        if q.kind and emergency != q.kind:
            return Verdict(False, Miss.EMERGENCY_KIND, f"{emergency} for {q.kind}", Outcome.EMERGENCY)
        if q.entry and q.entry not in headings:
            return Verdict(False, Miss.EMERGENCY_KIND, f"not the pack's entry {q.entry!r}", Outcome.EMERGENCY)
        return Verdict(True, outcome=Outcome.EMERGENCY)
    if declined:
        outcome = Outcome.DECLINED
    elif escalated:
        outcome = Outcome.PASSED_ON
    else:
        outcome = None
    if q.scope == "offtopic":
        return Verdict(True, outcome=Outcome.DECLINED) if declined else \
            Verdict(False, Miss.NOT_DECLINED, answer[:120], outcome or Outcome.WRONG_FACT)
    if q.scope != "in":
        if outcome is not None or choices:
            return Verdict(True, outcome=outcome or Outcome.OFFERED)
        return Verdict(False, Miss.ANSWERED_OUT_OF_SCOPE, answer[:120], Outcome.WRONG_FACT)
    if outcome is not None:
        return Verdict(False, Miss.ESCALATED, outcome=outcome)
    if choices:
        right = [i for i, c in enumerate(choices) if _facts(q, c).passed]
        return Verdict(False, Miss.CHOICES, f"choice {right[0] + 1} of {len(choices)} answers it" if right else
                       "no choice answers it", Outcome.RIGHT_IN_CHOICE if right else Outcome.CHOICES_WRONG)
    v = _facts(q, answer)
    return Verdict(v.passed, v.miss, v.detail, Outcome.RIGHT_FIRST if v.passed else Outcome.WRONG_FACT)
