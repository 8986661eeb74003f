"""The real llama.cpp engine on the embedded model."""

import pytest

from kiosk.domain.models import Entry
from kiosk.errors import ModelError
from kiosk.llm.engine import LlamaEngine

pytestmark = pytest.mark.model

PACK = [Entry("v#hours", "Opening hours", "The museum is open Tuesday to Sunday from 10:00 to 17:30."),
        Entry("v#tickets", "Tickets", "Adult tickets cost 14 euros.")]


@pytest.fixture(scope="module")
def engine(model_path):
    e = LlamaEngine(model_path, "smollm2", n_ctx=2048, venue="Test Museum", pack=PACK)
    yield e
    e.close()


def test_warm_prefix_is_reused_across_turns(engine):
    n = engine.warm()
    assert n == len(engine.prefix_tokens) and engine.pack_in_prefix
    pieces = list(engine.generate("When do you open?", PACK[:1], 24))
    assert pieces and all(p.logprob <= 0 for p in pieces)
    first_turn = engine.last_prompt_tokens()
    assert first_turn < 40  # only the question was evaluated, not the prefix
    list(engine.generate("How much is a ticket?", PACK[1:], 24))
    assert engine.last_prompt_tokens() < 40


def test_greedy_answers_are_repeatable_and_use_the_pack(engine):
    a = "".join(p.text for p in engine.generate("When do you open?", PACK[:1], 32))
    b = "".join(p.text for p in engine.generate("When do you open?", PACK[:1], 32))
    assert a == b and a.strip()
    assert "10" in a or "17" in a or "Tuesday" in a


def test_abandoning_a_stream_releases_the_engine(engine):
    stream = engine.generate("Tell me about tickets", PACK, 32)
    next(stream)
    stream.close()
    assert list(engine.generate("When do you open?", PACK[:1], 4))


def test_reset_conversation_keeps_the_prefix_warm(engine):
    list(engine.generate("When do you open?", PACK[:1], 8))
    engine.reset_conversation()
    assert engine.llm.n_tokens == len(engine.prefix_tokens)
    list(engine.generate("When do you open?", PACK[:1], 8))
    assert engine.last_prompt_tokens() < 40


def test_a_question_too_long_for_the_context_is_refused(engine):
    with pytest.raises(ModelError) as exc:
        list(engine.generate("word " * 3000, PACK, 8))
    assert exc.value.code == "context_full"


def test_a_corrupt_file_is_a_model_error(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 2048)
    with pytest.raises(ModelError) as exc:
        LlamaEngine(bad, "bad")
    assert exc.value.code == "model_load_failed"


def test_a_pack_too_big_for_the_context_moves_to_the_suffix(model_path):
    big = [Entry(f"e#{i}", f"Topic {i}", "Some words about the topic. " * 20) for i in range(60)]
    e = LlamaEngine(model_path, "smollm2", n_ctx=1024, pack=big)
    try:
        assert not e.pack_in_prefix and len(e.prefix_tokens) < 200
        assert list(e.generate("Topic 3?", big[3:4], 4))
    finally:
        e.close()
