"""Whether the pack answers a question: several weak signals combined by a small logistic model.

No single signal separates answerable from unanswerable questions across venues (measured over the eval
packs: a paraphrase may share no word with its entry, and a question the pack does not answer may be as
similar to an entry as one it does). Together they do better; the weights below were fitted and the
threshold chosen by leave-one-venue-out cross-validation (tests/benchmarks/tune_answerability.py, which
prints the held-out figures). Whether the top entry holds the kind of value asked for (a number, a
name) stays a separate, hard check (``answer_type``). Used when dense similarities exist; words-only retrieval keeps the lexical
coverage threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Signals:
    """What retrieval knows about its best candidate for one question."""

    coverage: float    # share of the question's weighted terms the top entry holds
    similarity: float  # cosine of the question and the top entry's best passage
    sentence: float    # best cosine of the question and one sentence of the top entry
    unknown: float     # share of the question's term weight on words the pack never uses
    margin: float      # how far the top entry's fused score leads the runner-up

    def vector(self) -> tuple[float, ...]:
        return (self.coverage, self.similarity, self.sentence, self.unknown, self.margin)


NAMES = ("coverage", "similarity", "sentence", "unknown", "margin")


@dataclass(frozen=True)
class Answerability:
    """A logistic model over ``Signals`` (weights on the raw values) and the probability to answer at."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, s: Signals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, s.vector()))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def answers(self, s: Signals, threshold: float = 0.0) -> bool:
        """Whether to answer; ``threshold`` 0 means the fitted one."""
        return self.probability(s) >= (threshold or self.threshold)


# Fitted on all five eval venues by tests/benchmarks/tune_answerability.py (its last lines print these).
FITTED = Answerability(weights=(0.286, -5.722, 10.971, -1.607, 2.670), bias=-0.985, threshold=0.67)
