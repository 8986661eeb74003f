"""`kiosk eval`'s file format and verdicts (pure logic)."""

import pytest

from kiosk.errors import InputError
from kiosk.evaluation.judge import Miss, judge
from kiosk.evaluation.questions import EvalQuestion, load_questions
from kiosk.evaluation.run import _visits


def q(**kw):
    return EvalQuestion(**{"id": "x", "q": "?", "scope": "in", **kw})


def test_verdicts():
    assert judge(q(facts=("9 euros",)), "Students pay 9 Euros.", False).passed
    assert judge(q(facts=("9 euros",)), "Students pay 9 euros.", True).miss is Miss.ESCALATED
    assert judge(q(facts=("9 euros",)), "Students pay 8 euros.", False).miss is Miss.MISSING_FACT
    assert judge(q(any_of=("free", "no charge")), "It is free.", False).passed
    assert judge(q(facts=("dogs",), forbidden=("are allowed",)), "Dogs are allowed.", False).miss is Miss.CONTRADICTION
    assert judge(q(facts=("9",)), "Students pay 9 euros and", False).miss is Miss.CUT
    assert judge(q(scope="out"), "I don't know", True).passed
    assert judge(q(scope="offtopic"), "I can only help with...", False, declined=True).passed
    assert judge(q(scope="out"), "The café opens at 10.", False).miss is Miss.ANSWERED_OUT_OF_SCOPE


def test_the_file_format_and_its_errors(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "a", "q": "one?", "scope": "in", "facts": ["1"], "not": ["2"], "session": "s"}\n'
                 '# a comment\n\n{"q": "two?", "scope": "out"}\n{"id": "c", "q": "and?", "scope": "in", '
                 '"tags": ["follow_up"], "session": "s"}\n')
    qs = load_questions(f)
    assert [x.id for x in qs] == ["a", "line4", "c"] and qs[0].forbidden == ("2",) and qs[2].follow_up
    assert [[x.id for x in v] for v in _visits(qs)] == [["a", "c"], ["line4"]]
    for bad in ('{"q": "x", "scope": "maybe"}', 'not json', '{"q": "x", "scope": "in", "facts": "9"}',
                '{"id": "a", "q": "x", "scope": "in"}\n{"id": "a", "q": "y", "scope": "in"}'):
        f.write_text(bad)
        with pytest.raises(InputError):
            load_questions(f)
    with pytest.raises(InputError):
        load_questions(tmp_path / "missing.jsonl")
    f.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError):
        load_questions(f)


def test_outcomes_of_the_three_way_decision():
    from kiosk.evaluation.judge import Outcome

    assert judge(q(facts=("9",)), "Students pay 9 euros.", False).outcome is Outcome.RIGHT_FIRST
    assert judge(q(facts=("9",)), "Students pay 8 euros.", False).outcome is Outcome.WRONG_FACT
    v = judge(q(facts=("9",)), "Did you mean", False, choices=["Adults pay 14.", "Students pay 9 euros."])
    assert not v.passed and v.outcome is Outcome.RIGHT_IN_CHOICE and "choice 2" in v.detail
    assert judge(q(facts=("9",)), "Did you mean", False, choices=["Adults pay 14."]).outcome is Outcome.CHOICES_WRONG
    assert judge(q(scope="out"), "Did you mean", False, choices=["x"]).outcome is Outcome.OFFERED
    assert judge(q(scope="out"), "The café opens at 10.", False).outcome is Outcome.WRONG_FACT
    assert not judge(q(scope="offtopic"), "I don't know", True).passed  # off topic must be declined
    em = q(scope="emergency", kind="fire", entry="Fire and evacuation")
    assert judge(em, "Leave by the nearest exit.", False, emergency="fire", headings=["Fire and evacuation"]).passed
    assert not judge(em, "Leave by the nearest exit.", False, emergency="fire", headings=["Toilets"]).passed
    assert judge(em, "...", False, emergency="medical").miss is Miss.EMERGENCY_KIND
    assert judge(em, "I don't know", True).miss is Miss.EMERGENCY_MISSED


def test_choices_offered_mid_visit_are_tapped_as_a_visitor_would_before_the_follow_up():
    from kiosk.domain.kinds import Route, Tier
    from kiosk.domain.models import Answer, Choice
    from kiosk.evaluation.run import evaluate

    class Kiosk:
        def __init__(self):
            self.calls = []

        def reset_session(self):
            self.calls.append("wipe")

        def ask(self, text):
            self.calls.append(text)
            if text == "tickets?":
                return Answer(text, "Did you mean", Route.CLARIFY, Tier.FULL, False, 0.5, ["e1", "e2"],
                              choices=[Choice("e1", "Parking", "Parking is 5 euros."),
                                       Choice("e2", "Tickets", "Adults pay 9 euros.")])
            return Answer(text, "Children pay 4 euros.", Route.KNOWLEDGE, Tier.FULL, False, 0.9, ["e2"])

        def choose(self, pick):
            self.calls.append(("choose", pick))

        class index:
            @staticmethod
            def entries():
                return []

    k = Kiosk()
    rows = [q(id="a", q="tickets?", facts=("9 euros",), session="s"),
            q(id="b", q="and kids?", facts=("4 euros",), session="s", tags=("follow_up",)),
            q(id="c", q="tickets?", facts=("nothing here",), session="t"),
            q(id="d", q="and after 6?", facts=("x",), session="t", tags=("follow_up",))]
    report = evaluate(k, rows)
    assert k.calls == ["wipe", "tickets?", ("choose", 1), "and kids?", "wipe", "tickets?", ("choose", None),
                       "and after 6?", "wipe"]
    s = report.summary()
    assert s["right_within_one_choice"]["count"] == 2 and s["follow_up"]["passed"] == 1
    assert s["follow_up_within_one_choice"]["count"] == 1
