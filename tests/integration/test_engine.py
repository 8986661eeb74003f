"""The real llama.cpp engine on the embedded model."""

import pytest

from kiosk.domain.models import Entry
from kiosk.errors import ModelError
from kiosk.llm.engine import LlamaEngine, PrefixCache

pytestmark = pytest.mark.model

PACK = [Entry("v#hours", "Opening hours", "The museum is open Tuesday to Sunday from 10:00 to 17:30."),
        Entry("v#tickets", "Tickets", "Adult tickets cost 14 euros.")]


@pytest.fixture(scope="module")
def engine(model_path):
    e = LlamaEngine(model_path, "smollm2", n_ctx=2048, venue="Test Museum", pack=PACK)
    e.warm()
    yield e
    e.close()


def text_of(pieces):
    return "".join(p.text for p in pieces)


def test_every_entry_prefix_is_warmed_and_only_the_question_is_evaluated(engine):
    assert set(engine.cache.items) == {"", "v#hours", "v#tickets"}
    pieces = list(engine.generate("When do you open?", PACK[:1], 24))
    assert pieces and all(p.logprob <= 0 for p in pieces)
    assert engine.last_prompt_tokens() < 20  # the question and closing tags, not the prefix
    list(engine.generate("How much is a ticket?", PACK[1:], 24))  # a different entry: restored snapshot
    assert engine.last_prompt_tokens() < 20


def test_a_restored_snapshot_gives_the_same_answer_as_a_fresh_evaluation(engine, model_path):
    warm = text_of(engine.generate("How much is a ticket?", PACK[1:], 24))
    text_of(engine.generate("When do you open?", PACK[:1], 4))  # move away, then come back via snapshot
    again = text_of(engine.generate("How much is a ticket?", PACK[1:], 24))
    cold = LlamaEngine(model_path, "smollm2", n_ctx=2048, venue="Test Museum", pack=PACK, prefix_cache_mb=0)
    try:
        fresh = text_of(cold.generate("How much is a ticket?", PACK[1:], 24))
        assert cold.last_prompt_tokens() > 20 and not cold.cache.items  # budget 0: nothing cached
    finally:
        cold.close()
    assert warm == again == fresh and "14" in warm


def test_pack_prefix_mode_shares_one_prefix(model_path):
    e = LlamaEngine(model_path, "smollm2", n_ctx=2048, venue="Test Museum", pack=PACK, prefix_mode="pack")
    try:
        assert e.pack_in_prefix and e.warm() == len(e.pack_tokens)
        answer = text_of(e.generate("When do you open?", PACK[:1], 24))
        assert answer.strip() and e.last_prompt_tokens() < 20
    finally:
        e.close()


def test_a_pack_too_big_for_the_context_uses_entry_prefixes(model_path):
    big = [Entry(f"e#{i}", f"Topic {i}", "Some words about the topic. " * 20) for i in range(60)]
    e = LlamaEngine(model_path, "smollm2", n_ctx=1024, pack=big, prefix_mode="pack")
    try:
        assert not e.pack_in_prefix and e.prefix_mode == "entry"
        assert list(e.generate("Topic 3?", big[3:4], 4))
    finally:
        e.close()


def test_abandoning_a_stream_releases_the_engine(engine):
    stream = engine.generate("Tell me about tickets", PACK, 32)
    next(stream)
    stream.close()
    assert list(engine.generate("When do you open?", PACK[:1], 4))


def test_reset_conversation_keeps_prefixes_warm(engine):
    list(engine.generate("When do you open?", PACK[:1], 8))
    engine.reset_conversation()
    assert engine.llm.n_tokens <= len(engine.system_tokens)
    list(engine.generate("When do you open?", PACK[:1], 8))
    assert engine.last_prompt_tokens() < 20


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


def test_prefix_cache_drops_least_recently_used_beyond_budget():
    import ctypes

    c = PrefixCache(budget_bytes=250)
    for k in "abc":
        c.put(k, [1], (ctypes.c_uint8 * 100)())
    assert list(c.items) == ["b", "c"] and c.bytes == 200
    c.get("b")
    c.put("d", [1], (ctypes.c_uint8 * 100)())
    assert list(c.items) == ["b", "d"]
    assert not c.put("huge", [1], (ctypes.c_uint8 * 300)())
