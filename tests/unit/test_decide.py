"""The judge's decision rule on plain numbers (kiosk.domain.decide.verdict): the pipeline and the threshold
sweep (models/judge/sweep.py) both decide with it."""

from kiosk.domain.decide import Policy, Verdict, verdict

POLICY = Policy(combine=0.85, answer_at=0.9, margin=0.15, offer_at=0.05, choices=3)


def decide(cands, decided=False, missing=False, answerable=lambda c: True):
    return verdict(cands, lambda c: c[1], lambda c: c[2], decided=decided, missing=missing,
                   answerable=answerable, policy=POLICY)


def test_sure_and_ahead_answers_from_the_best():
    d = decide([("a", 0.99, 0.9), ("b", 0.2, 0.8)])
    assert d.verdict is Verdict.ANSWER and d.likely[0][0] == "a"
    assert abs(d.sure - (0.85 * 0.99 + 0.15 * 0.9)) < 1e-9


def test_a_judge_very_sure_of_one_entry_answers_whatever_retrieval_says():
    d = decide([("a", 0.4, 0.9), ("b", 0.96, 0.1), ("c", 0.2, 0.5)])
    assert d.verdict is Verdict.ANSWER and d.likely[0][0] == "b"
    assert decide([("a", 0.6, 0.9), ("b", 0.96, 0.1)]).verdict is Verdict.CLARIFY  # not far enough ahead
    assert decide([("b", 0.96, 0.1)], missing=True).verdict is Verdict.CLARIFY


def test_sure_of_two_at_once_offers_both():
    d = decide([("a", 0.99, 0.9), ("b", 0.95, 0.9), ("c", 0.01, 0.1), ("d", 0.5, 0.0)])
    assert d.verdict is Verdict.CLARIFY and [c[0] for c in d.likely] == ["a", "b", "d"]


def test_nothing_likely_passes_on():
    assert decide([("a", 0.04, 0.9), ("b", 0.01, 0.9)]).verdict is Verdict.PASS
    assert decide([]).verdict is Verdict.PASS


def test_an_entry_that_cannot_hold_the_answer_is_offered_not_stated():
    d = decide([("a", 0.99, 0.9), ("b", 0.1, 0.1)], answerable=lambda c: c[0] != "a")
    assert d.verdict is Verdict.CLARIFY


def test_an_identifier_held_by_one_entry_answers_from_it_unless_one_named_is_missing():
    cands = [("holder", 0.3, 0.0), ("similar", 0.9, 0.9)]  # the judge's order, the holder first
    assert decide(cands, decided=True).likely[0][0] == "holder"
    assert decide(cands, decided=True).verdict is Verdict.ANSWER
    assert decide(cands, decided=True, missing=True).verdict is Verdict.CLARIFY
    assert decide([("holder", 0.01, 0.0), ("similar", 0.9, 0.9)], decided=True).likely[0][0] == "similar"
