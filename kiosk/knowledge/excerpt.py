"""The pack text an escalation carries to the hub: the entries the kiosk retrieved, then those sharing words
with the question, then the rest of a small pack, up to a budget. The hub tells its upstream to answer from
these and checks the answer against them."""

from __future__ import annotations

import re
from typing import Sequence

from kiosk.domain.text import STOPWORDS

MOST_ENTRIES = 12
MOST_CHARS = 12_000


def escalation_entries(index, question: str, entry_ids: Sequence[str]) -> list[str]:
    """``index`` is a KnowledgeIndex; entries as "heading. body" strings."""
    every = {e.id: e for e in index.entries()}
    words = [w for w in re.findall(r"[^\W\d_]{3,}", question.lower()) if w not in STOPWORDS]
    ordered = [every[i] for i in entry_ids if i in every]
    ordered += list(index.search(words, MOST_ENTRIES)) if words else []
    ordered += list(every.values())
    out, seen, size = [], set(), 0
    for e in ordered:
        text = f"{e.heading}. {e.body}"
        if e.id in seen or size + len(text) > MOST_CHARS:
            continue
        seen.add(e.id)
        out.append(text)
        size += len(text)
        if len(out) == MOST_ENTRIES:
            break
    return out


def pack_text(config, question: str, entry_ids: Sequence[str]) -> tuple[str, list[str]]:
    """(venue name, entries) for an escalation, read on a connection of its own (the sync thread's)."""
    from kiosk.knowledge.index import KnowledgeIndex

    index = KnowledgeIndex(config.knowledge_db_path)
    try:
        return config.device.venue or index.meta().get("title", ""), escalation_entries(index, question, entry_ids)
    finally:
        index.close()
