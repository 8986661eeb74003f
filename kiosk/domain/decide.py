"""What the answer judge's probabilities decide (kiosk.domain.pipeline, ``_with_judge``): the best entry's
combined score (judge and retrieval, half each) at ``answer_at`` and ``margin`` ahead of the next answers;
else, with some entry at ``offer_at``, the ``choices`` likeliest are offered as "did you mean ...?"; else the
question is passed on. Chosen on venues the judge never trained on
(models/judge/README.md); ``[turn] judge_offer_at`` overrides ``offer_at``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    answer_at: float = 0.6     # judge and retrieval together, for the best entry, to answer from it ...
    margin: float = 0.2        # ... and its lead over the next entry
    offer_at: float = 0.1      # the judge below this for every entry: pass on
    choices: int = 3
