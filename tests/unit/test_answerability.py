"""The answerability model: a logistic combination of retrieval signals (pure logic)."""

from kiosk.domain.answerability import FITTED, Answerability, Signals
from kiosk.domain.retrieval import TermStats
from kiosk.domain.models import Entry


def test_probability_is_a_logistic_of_the_weighted_signals():
    model = Answerability(weights=(1.0, 0.0, 0.0, 0.0, 0.0), bias=-0.5, threshold=0.5)
    assert model.probability(Signals(0.5, 0, 0, 0, 0)) == 0.5
    assert model.answers(Signals(0.6, 0, 0, 0, 0)) and not model.answers(Signals(0.4, 0, 0, 0, 0))
    assert not model.answers(Signals(0.6, 0, 0, 0, 0), threshold=0.9)  # an operator's own threshold wins


def test_fitted_model_rises_with_evidence_and_falls_with_unknown_words():
    base = Signals(coverage=0.3, similarity=0.5, sentence=0.5, unknown=0.2, margin=0.1)
    closer = Signals(coverage=0.3, similarity=0.5, sentence=0.7, unknown=0.2, margin=0.1)
    stranger = Signals(coverage=0.3, similarity=0.5, sentence=0.5, unknown=0.8, margin=0.1)
    assert FITTED.probability(closer) > FITTED.probability(base) > FITTED.probability(stranger)
    assert 0.0 < FITTED.threshold < 1.0
    assert FITTED.answers(Signals(1.0, 0.8, 0.8, 0.0, 0.3))
    assert not FITTED.answers(Signals(0.0, 0.2, 0.2, 1.0, 0.0))


def test_unknown_share_weighs_words_the_pack_never_uses():
    stats = TermStats.build([Entry("a", "Toilets", "The toilets are on the ground floor."),
                             Entry("b", "Cafe", "The cafe sells coffee and cake.")])
    assert stats.unknown_share(["toilet"]) == 0.0
    assert stats.unknown_share(["zebracanary"]) == 1.0
    assert 0.0 < stats.unknown_share(["toilet", "zebracanary"]) < 1.0
    assert stats.unknown_share([]) == 0.0
