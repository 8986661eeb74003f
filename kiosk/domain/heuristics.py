"""Answers composed from the pack without a language model: the cheapest tier, and the fallback."""

from __future__ import annotations

from typing import Sequence

from kiosk.domain.models import Hit
from kiosk.domain.text import content_terms, sentences, stem, words
from kiosk.domain.thesaurus import related

DONT_KNOW = ("I'm sorry, I don't have that information, so I have passed your question on to our staff. "
             "Please ask a member of staff at the front desk if you need help now.")


def decline(venue: str) -> str:
    return (f"I'm sorry, I can only help with questions about {venue or 'this venue'}. "
            "Is there anything about your visit I can help with?")


def best_sentences(question: str, hit: Hit, limit: int = 2, similarity: Sequence[float] = ()) -> str:
    """The sentences of the best entry that hold what the question asks, in their original order: by
    meaning when ``similarity`` (one cosine per sentence) is given, else by the terms they share."""
    parts = sentences(hit.entry.body)
    if len(parts) <= limit:
        return hit.entry.body.strip()
    wanted = [related(t) for t in content_terms(question)]
    scored = []
    for i, s in enumerate(parts):
        stems = {stem(w) for w in words(s)}
        overlap = sum(1 for rel in wanted if rel & stems)
        sim = similarity[i] if len(similarity) == len(parts) else 0.0
        scored.append((sim + overlap, -i, i, overlap or sim > 0))
    scored.sort(reverse=True)
    chosen = sorted(i for _, _, i, relevant in scored[:limit] if relevant)
    return " ".join(parts[i] for i in (chosen or range(limit)))
