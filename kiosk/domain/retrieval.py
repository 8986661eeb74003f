"""Scoring retrieved entries by how much of the question they cover, weighted by term rarity.

A question's rare words carry its meaning ("swimming pool" in a museum pack): a word the pack has never
seen gets the highest weight, so a question about something the pack does not cover scores low even when
its common words ("museum", "open") match. That is what lets the kiosk say "I don't know" honestly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

from kiosk.domain.models import Entry, Hit
from kiosk.domain.text import content_terms, words, stem
from kiosk.domain.thesaurus import related

HEADING_BONUS = 1.0
BODY_MATCH = 0.7


@dataclass(frozen=True)
class TermStats:
    """Document frequencies over a pack, computed once per pack version."""

    n_entries: int
    doc_freq: dict[str, int]
    entry_terms: dict[str, tuple[frozenset[str], frozenset[str]]]  # id -> (heading stems, body stems)

    @classmethod
    def build(cls, entries: Sequence[Entry]) -> "TermStats":
        df: dict[str, int] = {}
        per: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for e in entries:
            head = frozenset(stem(w) for w in words(e.heading))
            body = frozenset(stem(w) for w in words(e.body))
            per[e.id] = (head, body)
            for t in head | body:
                df[t] = df.get(t, 0) + 1
        return cls(len(entries), df, per)

    def idf(self, term: str) -> float:
        df = max((self.doc_freq.get(t, 0) for t in related(term)), default=0)
        return math.log(1.0 + self.n_entries / (df + 0.5))

    def unknown_share(self, terms: Sequence[str]) -> float:
        """Share of the terms' weight on words (and their relatives) that no entry of the pack uses."""
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values())
        unknown = sum(w for t, w in weights.items() if not any(self.doc_freq.get(r) for r in related(t)))
        return unknown / total if total else 0.0

    def expand(self, terms: Sequence[str]) -> list[str]:
        """Query terms plus their thesaurus relatives that the pack actually uses (for FTS search)."""
        out: dict[str, None] = {}
        for t in terms:
            out.setdefault(t, None)
            for r in sorted(related(t)):
                if r in self.doc_freq:
                    out.setdefault(r, None)
        return list(out)


def score(question: str, candidates: Sequence[Entry], stats: TermStats) -> list[Hit]:
    """Coverage in 0..1 of the question's weighted content terms by each candidate, best first."""
    terms = content_terms(question)
    if not terms:
        return []
    weights = {t: stats.idf(t) for t in terms}
    total = sum(weights.values())
    hits = []
    for entry in candidates:
        head, body = stats.entry_terms.get(entry.id) or (
            frozenset(stem(w) for w in words(entry.heading)), frozenset(stem(w) for w in words(entry.body)))
        got = 0.0
        matched = []
        for t, w in weights.items():
            rel = related(t)
            if rel & head:
                got += w * HEADING_BONUS
                matched.append(t)
            elif rel & body:
                got += w * BODY_MATCH
                matched.append(t)
        hits.append(Hit(entry, got / total if total else 0.0, tuple(matched)))
    hits.sort(key=lambda h: h.coverage, reverse=True)
    return hits


@dataclass(frozen=True)
class Fusion:
    """How lexical coverage and dense similarity combine into one score (chosen by cross-validation over
    venue packs; see tests/benchmarks/tune_retrieval.py)."""

    dense_weight: float = 0.5
    sim_low: float = 0.2    # a cosine at or below this says nothing
    sim_high: float = 0.7   # at or above this, as sure as similarity gets

    def scaled(self, similarity: float) -> float:
        return min(1.0, max(0.0, (similarity - self.sim_low) / (self.sim_high - self.sim_low)))


def fuse(hits: Sequence[Hit], similarity: dict[str, float], fusion: Fusion) -> list[Hit]:
    """Hits with their dense similarity and fused score, best first. Without dense similarities (no
    embedding model) the score is the lexical coverage alone."""
    w = fusion.dense_weight if similarity else 0.0
    out = [replace(h, similarity=similarity.get(h.entry.id, 0.0),
                   score=(1 - w) * h.coverage + w * fusion.scaled(similarity.get(h.entry.id, 0.0)))
           for h in hits]
    out.sort(key=lambda h: h.score, reverse=True)
    return out
