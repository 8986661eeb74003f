"""What the answer judge's probabilities decide (kiosk.domain.pipeline, ``_with_judge``): the best entry's
combined score (judge 0.7, retrieval 0.3) at ``answer_at`` and ``margin`` ahead of the next answers, as does
the judge alone when it is very sure of one entry (``alone_at``, ``alone_margin``: "can we eat our own
sandwiches?" found by meaning in the café entry, whose words retrieval scores low);
else, with some entry at ``offer_at``, the ``choices`` likeliest are offered as "did you mean ...?"; else the
question is passed on. Chosen on six dev venues the judge never trained on, for at most 2% of in-scope
questions answered wrongly and about 10% of unanswerable ones stated as fact (models/judge/README.md);
``[turn] judge_answer_at`` and ``judge_offer_at`` override them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    combine: float = 0.7       # an entry's score: this share of the judge's probability, the rest retrieval's
    answer_at: float = 0.8     # judge and retrieval together, for the best entry, to answer from it ...
    margin: float = 0.3        # ... and its lead over the next entry
    offer_at: float = 0.05     # the judge below this for every entry: pass on
    choices: int = 3
    alone_at: float = 0.9      # the judge this sure of one entry ...
    alone_margin: float = 0.5  # ... and this far ahead of the next answers, whatever retrieval's score


class Verdict(Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    PASS = "pass"


@dataclass(frozen=True)
class Decision(Generic[T]):
    verdict: Verdict
    likely: list[T]     # the candidates, likeliest first (for CLARIFY, the ones to offer)
    sure: float         # the combined score of the first


def verdict(ranked: Sequence[T], probability: Callable[[T], float], fused: Callable[[T], float], *,
            decided: bool, missing: bool, answerable: Callable[[T], bool], policy: Policy,
            answer_at: float | None = None, offer_at: float | None = None) -> Decision[T]:
    """The rule itself, on any candidates (the pipeline's judgements, models/judge/sweep.py's dumped rows).
    ``ranked``: the judge's order (a named identifier's holder first when ``decided``); ``fused``: retrieval's
    score (0 for an identifier holder from outside its top); ``missing``: the question names an identifier no
    entry holds (never answered as fact); ``answerable``: the entry can hold the kind of answer asked for."""
    answer_at = answer_at or policy.answer_at
    offer_at = offer_at or policy.offer_at
    w = policy.combine

    def mix(c: T) -> float:
        return w * probability(c) + (1 - w) * fused(c)

    likely = sorted(ranked, key=lambda c: -mix(c))
    by_identifier = decided and bool(ranked) and probability(ranked[0]) >= offer_at
    if by_identifier:
        likely = list(ranked)  # a named identifier held by one entry: that entry first
    by_judge = sorted(ranked, key=lambda c: -probability(c))
    alone_at = max(policy.alone_at, answer_at)  # a stricter answer line ([turn] judge_answer_at) holds here too
    judge_alone = len(by_judge) > 0 and probability(by_judge[0]) >= alone_at and \
        probability(by_judge[0]) - (probability(by_judge[1]) if len(by_judge) > 1 else 0.0) >= policy.alone_margin
    if judge_alone and not by_identifier:
        likely = by_judge
    sure = [mix(c) for c in likely[:2]]
    lead = sure[0] - (sure[1] if len(sure) > 1 else 0.0) if sure else 0.0
    if likely and not missing and (by_identifier or judge_alone or sure[0] >= answer_at and lead >= policy.margin) \
            and answerable(likely[0]):
        return Decision(Verdict.ANSWER, likely, sure[0])
    if likely and max(probability(c) for c in likely) >= offer_at:
        return Decision(Verdict.CLARIFY, likely[: policy.choices], sure[0])
    return Decision(Verdict.PASS, likely, sure[0] if sure else 0.0)
