"""Retrieval by meaning with the real embedding model: vectors stored with the pack and the model's id,
paraphrases found, a changed model re-embeds, a broken one leaves retrieval by words."""

from pathlib import Path

import pytest

from kiosk.errors import ModelError
from kiosk.knowledge.embed import Embedder
from kiosk.knowledge.index import KnowledgeIndex

MARKET = Path(__file__).parents[1] / "eval" / "packs" / "street_market" / "pack"


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


def test_a_paraphrase_with_no_shared_word_finds_its_entry(tmp_path, embedder):
    ix = KnowledgeIndex(tmp_path / "k.db", embedder)
    pack, _ = ix.import_dir(MARKET)
    assert ix.meta()["embed_model"] == embedder.model_id
    n = ix.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    assert n >= 2 * len(pack.entries)
    assert ix.similar("Is there an ATM?", 3)[0][0].heading.lower() == "cash machine"
    top = ix.similar("My son is missing, what do I do?", 3)
    assert any("lost" in e.heading.lower() or "hatbox" in e.heading.lower() for e, _ in top), top


def test_another_model_re_embeds_and_a_broken_one_falls_back_to_words(tmp_path, embedder):
    ix = KnowledgeIndex(tmp_path / "k.db", embedder)
    ix.import_dir(MARKET)
    embedder_b = Embedder()
    embedder_b.model_id = "another-model:0000"
    ix2 = KnowledgeIndex(tmp_path / "k.db", embedder_b)
    assert ix2.similar("cash machine", 1) and ix2.meta()["embed_model"] == "another-model:0000"

    class Broken:
        model_id = "broken:1"

        def embed(self, texts):
            raise ModelError("embed_load_failed", "damaged")

    ix3 = KnowledgeIndex(tmp_path / "k3.db", Broken())
    pack, _ = ix3.import_dir(MARKET)  # imported all the same, by words
    assert ix3.embedder is None and len(ix3.entries()) == len(pack.entries) and ix3.similar("x", 1) == []
    assert ix3.search(["cash"], 3)


def test_the_kiosk_ranks_a_paraphrase_by_meaning(isolated_env):
    from kiosk.app import Kiosk
    from kiosk.config import load_config

    (isolated_env / "config.toml").write_text(f'[knowledge]\npack = "{MARKET}"\n[llm]\nenabled = false\n')
    kiosk = Kiosk(load_config(None), load_model=False)
    try:
        hits = kiosk.pipeline.retrieve("is there an atm around here", 3)
        assert hits[0].entry.heading.lower() == "cash machine" and hits[0].similarity > 0.3
        words_only = [h for h in hits if h.similarity == 0.0]
        assert len(words_only) < len(hits)
    finally:
        kiosk.close()


def test_the_sentence_that_holds_the_answer_is_chosen_by_meaning(tmp_path, embedder):
    from kiosk.domain.heuristics import best_sentences
    from kiosk.domain.models import Hit

    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "index.md").write_text(
        "# Test Hall\n\n## Getting here\nThe number 4 bus stops outside the main doors. The railway station is a "
        "ten-minute walk to the north. Drivers should use the multi-storey on Quay Road, which costs 2 euros an "
        "hour. Bicycle racks are beside the fountain.\n")
    ix = KnowledgeIndex(tmp_path / "k.db", embedder)
    ix.import_dir(pack)
    entry = ix.entries()[0]
    sims = ix.sentence_similarity("Is there somewhere to lock my bike?", entry)
    assert len(sims) == 4 and max(range(4), key=sims.__getitem__) == 3
    chosen = best_sentences("Is there somewhere to lock my bike?", Hit(entry, 0.5), limit=1, similarity=sims)
    assert chosen == "Bicycle racks are beside the fountain."
    train = ix.sentence_similarity("How far is the train?", entry)
    assert best_sentences("How far is the train?", Hit(entry, 0.5), limit=1, similarity=train).startswith(
        "The railway station")
    # (MiniLM is not always right at this grain: "Where can I leave my car?" is closest to the bus sentence.)
