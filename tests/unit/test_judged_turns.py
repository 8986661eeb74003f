"""The judge's decision in the pipeline, on scripted probabilities: questions the pack lists under an entry, and
follow-ups about the entry the visit is already about."""

from fakes import ENTRIES, FakeIndex, FakeLog, FixedModel, StepClock
from kiosk.config import TurnConfig
from kiosk.domain.passages import windows
from kiosk.domain.pipeline import TurnPipeline
from kiosk.domain.ports import Judgement
from kiosk.domain.text import asked_key


class MeaningIndex(FakeIndex):
    """Retrieval by words, and a flat similarity for every entry (so the judge's path is taken)."""

    def similar(self, question, limit):
        return [(e, 0.6) for e in self._entries][:limit]


class ScriptedJudge:
    """P(entry answers) by entry id (or a function of the question giving them): the decision is under test."""

    def __init__(self, p) -> None:
        self.p, self.asked = p, []

    def judge(self, question, entries):
        self.asked.append(question)
        p = self.p(question) if callable(self.p) else self.p
        return [Judgement(e, p.get(e.id, 0.01), windows(e)[0]) for e in entries]


def torn_unless_read_alone(together: dict[str, float], alone: dict[str, float]):
    """Read with the last question the judge is torn; read alone it is surer of nothing."""
    return lambda q: together if q.count("?") >= 2 else alone  # "How much are tickets? and for students?"


def make(p, asked=None):
    judge = ScriptedJudge(p)
    pipe = TurnPipeline(MeaningIndex(asked=asked), FixedModel(None), StepClock(), TurnConfig(), listeners=[FakeLog()],
                        judge=judge)
    return pipe, judge


def test_asked_key_ignores_case_punctuation_and_spacing():
    assert asked_key("  When are you OPEN?? ") == asked_key("when are you open") == "when are you open"


def test_a_question_the_pack_lists_under_an_entry_is_answered_from_it_even_when_the_judge_is_torn():
    torn = {"v#hours": 0.6, "f#cafe": 0.55}
    pipe, _ = make(torn, asked={"when are you open": "v#hours"})
    a = pipe.answer("When are you open?")
    assert (a.source, a.entry_ids) == ("knowledge", ["v#hours"]) and not a.choices
    other, _ = make(torn)  # not listed: the same probabilities offer a choice
    b = other.answer("When are you open?")
    assert b.source == "clarify" and [c.entry_id for c in b.choices][:2] == ["v#hours", "f#cafe"]


def test_a_listed_question_answers_without_the_judge_too():
    pipe = TurnPipeline(FakeIndex(asked={"is there a cafe": "f#cafe"}), FixedModel(None), StepClock(), TurnConfig())
    a = pipe.answer("Is there a cafe")
    assert a.entry_ids == ["f#cafe"] and a.answer == ENTRIES[3].body


def test_a_follow_up_is_answered_from_the_entry_the_visit_is_about():
    p = {"v#tickets": 0.95, "v#hours": 0.02, "f#cafe": 0.02}
    pipe, judge = make(p)
    first = pipe.answer("How much are tickets?", session_id="s")
    assert first.entry_ids == ["v#tickets"]
    judge.p = torn_unless_read_alone({"v#tickets": 0.4, "f#cafe": 0.45}, {"f#cafe": 0.2})  # torn ...
    a = pipe.answer("and for students?", session_id="s")
    assert a.entry_ids == ["v#tickets"] and a.source == "knowledge"  # ... the visit is about tickets
    assert any("How much are tickets?" in q for q in judge.asked)
    pipe.forget("s")
    b = pipe.answer("and for students?", session_id="s")  # after the wipe: nothing to lean on
    assert b.source == "clarify"


def test_the_entry_chosen_from_did_you_mean_is_what_the_next_follow_up_is_about():
    pipe, judge = make({"v#tickets": 0.5, "v#hours": 0.45})
    offered = pipe.answer("What does it cost?", session_id="s")
    assert offered.source == "clarify"
    chosen = pipe.choose("s", [c.entry_id for c in offered.choices].index("v#tickets"))
    assert chosen.entry_ids == ["v#tickets"]
    judge.p = torn_unless_read_alone({"v#tickets": 0.3, "v#hours": 0.35}, {"v#hours": 0.1})
    assert pipe.answer("and for children?", session_id="s").entry_ids == ["v#tickets"]


def test_a_follow_up_the_subject_cannot_answer_is_not_forced_onto_it():
    pipe, judge = make({"v#tickets": 0.95})
    pipe.answer("How much are tickets?", session_id="s")
    judge.p = {"v#tickets": 0.01, "f#toilets": 0.97}
    a = pipe.answer("and where are the toilets?", session_id="s")
    assert a.entry_ids == ["f#toilets"]


def test_a_follow_up_another_entry_clearly_answers_is_not_kept_on_the_subject():
    pipe, judge = make({"v#tickets": 0.95})
    pipe.answer("How much are tickets?", session_id="s")
    judge.p = torn_unless_read_alone({"v#tickets": 0.2, "f#cafe": 0.9}, {"f#cafe": 0.6})
    a = pipe.answer("and is there a cafe?", session_id="s")
    assert a.entry_ids == ["f#cafe"]


def test_a_listed_question_is_answered_from_the_start_of_a_long_entry():
    from kiosk.domain.models import Entry
    long = Entry("v#tickets", "Tickets", "Adults pay 14 euros. Students pay 9 euros. Children go free. "
                 "A family ticket is 32 euros. Tickets are valid all day.")
    judge = ScriptedJudge({"v#tickets": 0.7})
    pipe = TurnPipeline(MeaningIndex([long, *ENTRIES[2:]], asked={"how much is a ticket": "v#tickets"}),
                        FixedModel(None), StepClock(), TurnConfig(), judge=judge)
    judge.judge = lambda q, entries: [Judgement(e, 0.7, windows(e)[-1]) for e in entries]  # judge's pick: the end
    a = pipe.answer("How much is a ticket?")
    assert a.answer.startswith("Adults pay 14 euros.") and "valid all day" in a.more
    assert asked_key("Is there a café?") == asked_key("is there a cafe")
