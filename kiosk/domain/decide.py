"""Answer, ask "did you mean ...?", or pass on: the decision on the answer judge's probabilities.

Sure of one entry -> answer from it. Unsure, but some entries are likely -> offer the 2-3 likeliest as
choices (plus "none of these"), so a visitor whose question the pack answers in other words still gets
the answer, and one whose question it does not answer is never told a neighbouring entry as fact. Nothing
likely -> pass the question on to staff. Thresholds were chosen on venues the judge never trained on
(models/judge/README.md); ``[turn] judge_answer_at`` / ``judge_offer_at`` override them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Sequence

from kiosk.domain.ports import Judgement


class Outcome(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    PASS_ON = "pass_on"


@dataclass(frozen=True)
class Policy:
    answer_at: float = 0.5     # the best window's probability to answer from its entry
    margin: float = 0.15       # ... and how far it must lead the best window of another entry
    offer_at: float = 0.1      # below this for every entry: pass on
    choices: int = 3


def decide(judged: Sequence[Judgement], policy: Policy, identifier_wins: bool = False) -> tuple[Outcome, list[Judgement]]:
    """``judged`` best first. ``identifier_wins``: the best entry alone holds an identifier the question
    names (a catalogue number, a gate), which outranks meaning but not the judge's doubt."""
    if not judged:
        return Outcome.PASS_ON, []
    best = judged[0]
    runner = judged[1].probability if len(judged) > 1 else 0.0
    if best.probability >= policy.answer_at and (best.probability - runner >= policy.margin or identifier_wins):
        return Outcome.ANSWER, [best]
    if best.probability >= policy.offer_at:
        return Outcome.CLARIFY, list(judged[: policy.choices])
    return Outcome.PASS_ON, []
