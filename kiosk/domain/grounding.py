"""Stop the local model from inventing facts: numbers and names it writes must occur in what it was given.

Checked word by word while tokens stream, so a visitor never sees an invented number: text is released
only up to the last completed word that passed, and the first failing word ends generation.
"""

from __future__ import annotations

import re
from typing import Iterable

from kiosk.domain.text import STOPWORDS

_TOKEN = re.compile(r"\S+")
_DIGITS = re.compile(r"\d+(?:[:.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?:;]['\")\]]*$")
_ALWAYS_OK = frozenset({"i", "ok", "okay", "yes", "no"})


def _norm_number(s: str) -> str:
    return s.replace(",", "").replace(".", ":").rstrip(":")


def facts_of(texts: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Numbers and lower-cased words that grounded text may mention."""
    numbers: set[str] = set()
    vocab: set[str] = set()
    for text in texts:
        numbers.update(_norm_number(n) for n in _DIGITS.findall(text))
        vocab.update(w.lower() for w in re.findall(r"[^\W\d_]+", text))
    return frozenset(numbers), frozenset(vocab)


class GroundingGate:
    """Feed streamed text; get back the part that is safe to show, or a reason when a word is not grounded."""

    def __init__(self, grounding_texts: Iterable[str]) -> None:
        self._numbers, self._vocab = facts_of(grounding_texts)
        self._text = ""
        self._released = 0
        self._sentence_start = True
        self.violation: str = ""

    def _check(self, word: str) -> str:
        for n in _DIGITS.findall(word):
            if _norm_number(n) not in self._numbers:
                return f"number {n!r} is not in the knowledge pack"
        core = re.sub(r"^[^\w]+|[^\w]+$", "", word)
        if core and core[0].isupper() and not self._sentence_start:
            for part in re.findall(r"[^\W\d_]+", core):
                low = part.lower()
                if low not in self._vocab and low not in _ALWAYS_OK and low not in STOPWORDS:
                    return f"name {core!r} is not in the knowledge pack"
        self._sentence_start = bool(_SENTENCE_END.search(word))
        return ""

    def feed(self, piece: str) -> str:
        """Add generated text; return newly releasable text ('' if none or after a violation)."""
        if self.violation:
            return ""
        self._text += piece
        end = max(self._text.rfind(" "), self._text.rfind("\n"))
        return self._release_until(end) if end > self._released else ""

    def finish(self) -> str:
        """Check and release whatever remains at the end of generation."""
        return "" if self.violation else self._release_until(len(self._text))

    def _release_until(self, end: int) -> str:
        chunk = self._text[self._released:end]
        for m in _TOKEN.finditer(chunk):
            reason = self._check(m.group())
            if reason:
                self.violation = reason
                return ""
        self._released = end
        return chunk

    @property
    def shown(self) -> str:
        return self._text[: self._released]
