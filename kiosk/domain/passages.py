"""The pieces of an entry that the answer judge reads with a question: the heading with a window of two
neighbouring sentences. A one-fact question is judged against the sentences that hold the fact, and the
best window is also what the kiosk says first (the answer first, the rest of the entry a tap away)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing import Sequence

from kiosk.domain.answer_type import can_answer
from kiosk.domain.models import Entry
from kiosk.domain.text import content_terms, sentences
from kiosk.domain.thesaurus import related

WINDOW = 2          # sentences per window (neighbours overlap by one)
WHOLE_UP_TO = 3     # an entry of at most this many sentences is judged and said whole
NEAR = 0.15         # windows this close to an entry's best probability compete on what they say
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def entry_sentences(body: str) -> list[str]:
    """The body's sentences; list items and lines count as sentences of their own."""
    out: list[str] = []
    for line in body.splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            out.extend(sentences(line))
    return out


@dataclass(frozen=True)
class Window:
    entry_id: str
    first: int          # index of its first sentence in ``entry_sentences(body)``
    last: int           # index of its last sentence (inclusive)
    text: str           # what the judge reads: "heading: sentences"
    said: str           # what the kiosk says when this window answers: the sentences alone


def windows(entry: Entry) -> list[Window]:
    parts = entry_sentences(entry.body)
    if len(parts) <= WHOLE_UP_TO:
        said = " ".join(parts) or entry.body.strip()
        return [Window(entry.id, 0, max(0, len(parts) - 1), f"{entry.heading}: {said}", said)]
    out = []
    for i in range(len(parts) - WINDOW + 1):
        said = " ".join(parts[i:i + WINDOW])
        out.append(Window(entry.id, i, i + WINDOW - 1, f"{entry.heading}: {said}", said))
    return out


def rest_of(entry: Entry, window: Window) -> str:
    """The entry's other sentences, in order: what "More" shows after the answering window."""
    parts = entry_sentences(entry.body)
    return " ".join(p for i, p in enumerate(parts) if not window.first <= i <= window.last)


def answering_window(question: str, scored: Sequence[tuple[float, Window]]) -> tuple[float, Window]:
    """An entry's probability (its best window's) and the window to say first. The judge learned whether an
    entry answers, less which of its windows does (the windows of a long entry that answers often all score
    alike), so among the windows near the best it prefers one that can hold the kind of answer asked for (a
    price, a number), then the one sharing most of the question's words (a day, a name, "Saturday"), then
    the judge's own order."""
    best = max(p for p, _ in scored)
    asked = [(t, related(t) | {t}) for t in content_terms(question)]

    def covered(said: str) -> int:  # the question's words the window has (itself or a word for the same thing)
        have = set(content_terms(said))
        return sum(1 for _, forms in asked if forms & have)

    def key(pw: tuple[float, Window]) -> tuple:
        p, w = pw
        return can_answer(question, w.said), covered(w.said), p

    return best, max((pw for pw in scored if pw[0] >= best - NEAR), key=key)[1]


def said(entry: Entry, window: Window) -> str:
    """What the kiosk says from a judged entry: a short entry whole, a long one's answering window first."""
    return entry.body.strip() if len(entry_sentences(entry.body)) <= WHOLE_UP_TO else window.said


def more(entry: Entry, window: Window) -> str:
    """What "More about this" shows after it: nothing for a short entry."""
    return "" if len(entry_sentences(entry.body)) <= WHOLE_UP_TO else rest_of(entry, window)
