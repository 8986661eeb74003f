import pytest

from fakes import ENTRIES, FakeIndex, FakeLLM, FakeLog, FixedModel, RecordingSink, StepClock
from kiosk.config import TurnConfig
from kiosk.domain.heuristics import DONT_KNOW
from kiosk.domain.pipeline import TurnPipeline
from kiosk.errors import InputError


def make(llm=None, **cfg):
    log = FakeLog()
    return TurnPipeline(FakeIndex(), FixedModel(llm), StepClock(), TurnConfig(**cfg), listeners=[log]), log


def test_a_clear_match_is_answered_from_the_entry_itself():
    p, log = make(FakeLLM())
    a = p.answer("Where are the toilets?")
    assert (a.source, a.escalated, a.entry_ids) == ("knowledge", False, ["f#toilets"])
    assert a.answer == ENTRIES[2].body and 0 < a.confidence <= 1
    assert log.records[0][0] is a
    assert p.models.current().calls == []


def test_an_uncovered_question_is_escalated_and_recorded():
    p, log = make(FakeLLM())
    a = p.answer("Is there a swimming pool?", session_id="s1")
    assert a.escalated and a.answer == DONT_KNOW and a.confidence < 0.38
    assert log.records == [(a, "s1")]


def test_a_partial_match_goes_to_the_llm_and_streams():
    llm = FakeLLM(["Students", " pay", " 9", " euros."])
    p, _ = make(llm)
    sink = RecordingSink()
    a = p.answer("How much do students pay for a ticket on a rainy day?", sink)
    assert a.source == "llm" and a.answer == "Students pay 9 euros."
    assert [k for k, _ in sink.events] == ["token"] * 4 and sink.shown == a.answer
    assert "v#tickets" in a.entry_ids and a.tokens_out == 4 and a.tokens_in == 7
    assert 0 < a.confidence <= 1 and a.ttft_ms > 0 and a.total_ms >= a.ttft_ms


def test_an_invented_number_falls_back_to_the_pack_and_retracts_the_stream():
    llm = FakeLLM(["Students", " pay", " 5", " euros", " today."])
    p, _ = make(llm)
    sink = RecordingSink()
    a = p.answer("How much do students pay for a ticket on a rainy day?", sink)
    assert a.source == "heuristic" and "9 euros" in a.answer and "5" not in sink.shown
    assert sink.events[-1][0] == "replace" and "ungrounded" in a.note


def test_model_saying_it_does_not_know_escalates():
    p, log = make(FakeLLM(["I", " don't", " know."]))
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    assert a.escalated and a.answer == DONT_KNOW and log.records[0][0].escalated


def test_a_model_failure_mid_answer_still_answers_from_the_pack():
    p, _ = make(FakeLLM(["Students", " pay", " 9", " euros."], fail_after=2))
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    assert a.source == "heuristic" and "9 euros" in a.answer and "model failed" in a.note


def test_without_a_model_partial_matches_get_heuristic_answers():
    p, _ = make(None)
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    assert a.source == "heuristic" and "Students pay 9 euros." in a.answer and not a.escalated


def test_minimal_tier_never_calls_the_model():
    llm = FakeLLM()
    p, _ = make(llm)
    a = p.answer("How much do students pay for a ticket on a rainy day?", tier="minimal")
    assert a.tier == "minimal" and a.source == "heuristic" and llm.calls == []


def test_bad_input_records_nothing():
    p, log = make(FakeLLM())
    with pytest.raises(InputError):
        p.answer(b"\x00\x01binary")
    with pytest.raises(InputError):
        p.answer("x" * 100_000)
    assert log.records == []


def test_grounding_check_can_be_disabled():
    p, _ = make(FakeLLM(["Students", " pay", " 5", " euros."]), grounding_check=False)
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    assert a.source == "llm" and "5 euros" in a.answer


def test_a_question_needing_a_number_is_escalated_when_the_entry_has_none():
    p, _ = make(FakeLLM())
    a = p.answer("How old are the toilets?")
    assert a.escalated and "number" in a.note
    assert not p.answer("How much are tickets?").escalated


class StalledLLM(FakeLLM):
    """Produces one token, then hangs until released (a stuck generation)."""

    def __init__(self):
        super().__init__(["Students", " pay"])
        import threading

        self.release = threading.Event()

    def generate(self, question, context, max_tokens):
        self.calls.append((question, [e.id for e in context]))
        from kiosk.domain.models import Piece

        yield Piece("Students", -0.1)
        self.release.wait(10)
        yield Piece(" pay", -0.1)


def test_a_stalled_generation_is_answered_from_the_pack_within_its_budget():
    import time

    llm = StalledLLM()
    log = FakeLog()
    p = TurnPipeline(FakeIndex(), FixedModel(llm), StepClock(0.0), TurnConfig(generation_budget_s=0.3),
                     listeners=[log])
    t = time.monotonic()
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    took = time.monotonic() - t
    llm.release.set()
    assert a.source == "heuristic" and "9 euros" in a.answer and "budget" in a.note
    assert took < 5  # bounded by the budget, not by the stuck model (generous: not a timing assertion)


def test_repeated_failures_open_the_breaker():
    llm = FakeLLM(["Students", " pay", " 9", " euros."], fail_after=1)
    p, _ = make(llm, breaker_failures=2, breaker_cooldown_s=1000)
    for _ in range(2):
        assert p.answer("How much do students pay for a ticket on a rainy day?").source == "heuristic"
    calls = len(llm.calls)
    a = p.answer("How much do students pay for a ticket on a rainy day?")
    assert a.source == "heuristic" and len(llm.calls) == calls and p.breaker.state == "open"
