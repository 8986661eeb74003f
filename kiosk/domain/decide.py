"""What the answer judge's probabilities decide (kiosk.domain.pipeline, ``_with_judge``): the best entry's
combined score (judge 0.85, retrieval 0.15) at ``answer_at`` and ``margin`` ahead of the next answers;
else, with some entry at ``offer_at``, the ``choices`` likeliest are offered as "did you mean ...?"; else the
question is passed on. Chosen on six dev venues the judge never trained on, for at most 2% of in-scope
questions answered wrongly and about 10% of unanswerable ones stated as fact (models/judge/README.md);
``[turn] judge_answer_at`` and ``judge_offer_at`` override them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    combine: float = 0.85      # an entry's score: this share of the judge's probability, the rest retrieval's
    answer_at: float = 0.9     # judge and retrieval together, for the best entry, to answer from it ...
    margin: float = 0.15       # ... and its lead over the next entry
    offer_at: float = 0.05     # the judge below this for every entry: pass on
    choices: int = 3
