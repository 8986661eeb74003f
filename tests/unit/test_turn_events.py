"""A turn reports itself as typed events; decisions and sketches use codes, never wording."""

import re

import pytest

from fakes import FakeIndex, FakeLLM, FakeLog, FixedModel, StepClock
from kiosk.config import TurnConfig
from kiosk.domain.events import (Answered, Escalated, Failed, FellBack, Retracted, Retrieved, Token, shown_text)
from kiosk.domain.kinds import FailCode, Reason, Route, Tier
from kiosk.domain.pipeline import TurnPipeline
from kiosk.errors import InputError, StorageError

STUDENTS = "How much do students pay for a ticket on a rainy day?"


def make(llm=None, *listeners, **cfg):
    log = FakeLog()
    return TurnPipeline(FakeIndex(), FixedModel(llm), StepClock(), TurnConfig(**cfg),
                        listeners=[log, *listeners]), log


def kinds(log):
    return [type(e).__name__ for e in log.events]


def test_a_direct_answer_is_retrieved_then_shown_then_answered():
    p, log = make(FakeLLM())
    a = p.answer("Where are the toilets?", session_id="s")
    assert kinds(log) == ["Retrieved", "Token", "Answered"]
    assert log.events[0].hits[0].entry.id == "f#toilets"
    assert log.events[-1] == Answered(a, "s") and a.source is Route.KNOWLEDGE and a.reason is None


def test_an_uncovered_question_is_escalated_with_a_reason_code():
    p, log = make(FakeLLM())
    a = p.answer("Is there a swimming pool?", session_id="s")
    assert kinds(log) == ["Retrieved", "Token", "Escalated", "Answered"]
    assert log.events[2].reason is Reason.NOT_COVERED and a.reason is Reason.NOT_COVERED and a.escalated


def test_a_streamed_answer_that_turns_ungrounded_falls_back_and_is_retracted():
    p, log = make(FakeLLM(["Students", " pay", " 5", " euros."]))
    a = p.answer(STUDENTS)
    fell = [e for e in log.events if isinstance(e, FellBack)]
    assert [f.reason for f in fell] == [Reason.UNGROUNDED] and a.reason is Reason.UNGROUNDED
    assert isinstance(log.events[-2], Retracted) and shown_text(log.events) == a.answer
    assert a.source is Route.HEURISTIC and "9 euros" in a.answer


def test_a_model_failure_and_an_unsure_model_have_their_own_codes():
    p, log = make(FakeLLM(["Students", " pay", " 9", " euros."], fail_after=2))
    assert p.answer(STUDENTS).reason is Reason.MODEL_FAILED
    p, log = make(FakeLLM(["I", " don't", " know."]))
    a = p.answer(STUDENTS)
    assert a.reason is Reason.MODEL_UNSURE and a.escalated
    assert any(isinstance(e, Escalated) and e.reason is Reason.MODEL_UNSURE for e in log.events)


def test_the_generation_budget_is_a_field_not_part_of_the_code():
    class Stalled(FakeLLM):
        def generate(self, question, context, max_tokens):
            import threading

            yield from FakeLLM.generate(self, question, context, 1)
            threading.Event().wait(2)

    p, log = make(Stalled(), generation_budget_s=0.2)
    p.clock = __import__("time")  # real time for the watchdog
    a = p.answer(STUDENTS)
    fell = next(e for e in log.events if isinstance(e, FellBack))
    assert fell.reason is Reason.GENERATION_BUDGET and fell.reason.value == "generation_budget_exceeded"
    assert "0.2 s" in fell.detail and a.reason is Reason.GENERATION_BUDGET


def test_unusable_input_fails_with_a_code_and_is_not_recorded():
    p, log = make(FakeLLM())
    with pytest.raises(InputError):
        p.answer(b"\x00\x01\x02binary")
    assert kinds(log) == ["Failed"] and log.events[0].code is FailCode.INVALID_INPUT and log.records == []


def test_a_recorder_that_cannot_store_fails_the_turn_before_the_screen_hears_it_answered():
    def full_disk(event):
        if isinstance(event, Answered):
            raise StorageError("disk_full", "no space")

    screen = FakeLog()
    p = TurnPipeline(FakeIndex(), FixedModel(FakeLLM()), StepClock(), TurnConfig(), listeners=[full_disk])
    with pytest.raises(StorageError):
        p.answer("Where are the toilets?", screen)
    assert [type(e) for e in screen.events] == [Retrieved, Token, Failed]
    assert screen.events[-1].code is FailCode.STORAGE


def test_the_minimal_tier_never_asks_the_model():
    llm = FakeLLM()
    p, _ = make(llm)
    a = p.answer(STUDENTS, tier="minimal")
    assert a.tier is Tier.MINIMAL and llm.calls == []


def test_codes_are_stable_identifiers():
    for enum in (Tier, Route, Reason, FailCode):
        for member in enum:
            assert re.fullmatch(r"[a-z][a-z_]*", member.value), member
    assert {r for r in Reason if r.escalates} == {Reason.NOT_COVERED, Reason.FACT_MISSING, Reason.MODEL_UNSURE,
                                                  Reason.NOT_CHOSEN}


def test_an_answer_cut_by_the_token_limit_is_trimmed_to_whole_sentences_and_the_tail_never_spoken():
    from kiosk.speech.speaker import SpeakingListener

    said = []

    class Voice:
        def say(self, s):
            said.append(s)

        def stop(self):
            said.append("<stop>")

    p, log = make(FakeLLM(["Students", " pay", " 9", " euros.", " Adults", " pay", " 14"]), grounding_check=False)
    speaking = SpeakingListener(Voice())
    a = p.answer(STUDENTS, speaking)
    assert a.answer == "Students pay 9 euros." and a.source is Route.LLM
    assert shown_text(log.events) == a.answer and said == ["Students pay 9 euros."]
