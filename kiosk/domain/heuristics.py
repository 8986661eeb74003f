"""Answers composed from the pack without a language model: the cheapest tier, and the fallback."""

from __future__ import annotations

from kiosk.domain.models import Hit
from kiosk.domain.text import content_terms, sentences, stem, words
from kiosk.domain.thesaurus import related

DONT_KNOW = ("I'm sorry, I don't have that information, so I have passed your question on to our staff. "
             "Please ask a member of staff at the front desk if you need help now.")


def decline(venue: str) -> str:
    return (f"I'm sorry, I can only help with questions about {venue or 'this venue'}. "
            "Is there anything about your visit I can help with?")


def best_sentences(question: str, hit: Hit, limit: int = 2) -> str:
    """The sentences of the best entry that share most terms with the question, in their original order."""
    parts = sentences(hit.entry.body)
    if len(parts) <= limit:
        return hit.entry.body.strip()
    wanted = [related(t) for t in content_terms(question)]
    scored = []
    for i, s in enumerate(parts):
        stems = {stem(w) for w in words(s)}
        scored.append((sum(1 for rel in wanted if rel & stems), -i, i))
    scored.sort(reverse=True)
    if scored[0][0] == 0:
        chosen = list(range(limit))
    else:
        chosen = sorted(i for overlap, _, i in scored[:limit] if overlap > 0)
    return " ".join(parts[i] for i in chosen)
