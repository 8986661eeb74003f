"""Stop the local model from inventing facts: what it writes must be supported by what it was given.

Checked while tokens stream, so a visitor never sees an invented fact. Per completed word: numbers and
mid-sentence names must occur in the retrieved entries or the question, and at most one content word per
sentence may be foreign to them. Per completed sentence: one sentence of the entries must support it
(most of its content words, all of its numbers, the same polarity: "not allowed" is not "allowed", and
"closed" is not "open").
Text is released up to the last word that passed; the first failure ends generation.
"""

from __future__ import annotations

import re
from typing import Iterable

from kiosk.domain.text import STOPWORDS, sentences, stem
from kiosk.domain.thesaurus import related

_TOKEN = re.compile(r"\S+")
_DIGITS = re.compile(r"\d+(?:[:.,]\d+)*")
_ALPHA = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?:;]['\")\]]*$")
_ALWAYS_OK = frozenset({"i", "ok", "okay", "yes", "no"})
_NEGATIONS = frozenset({"not", "no", "never", "cannot", "nor", "n't", "none", "nothing", "nobody"})
# Words an answer may use without the pack saying them: they frame facts, they do not state any.
_FRAMING = frozenset(stem(w) for w in """
yes sure course also available located location find found welcome visitor visitors guest guests
information answer question ask asked asking happy glad help able just simply both either each every
""".split())
SUPPORT_RECALL = 0.7
# Words that state the opposite of each other: a sentence saying one where its supporting sentence says only
# the other has inverted the fact ("closed" for "open"), however many other words they share.
_OPPOSITES = tuple((frozenset(stem(w) for w in a.split()), frozenset(stem(w) for w in b.split())) for a, b in (
    ("open opens opened", "closed closes shut"),
    ("free", "pay paid charge charged cost costs"),
    ("allowed permitted welcome", "banned forbidden prohibited"),
    ("before", "after"),
    ("inside indoors", "outside outdoors"),
    ("upstairs", "downstairs"),
    ("available", "unavailable"),
    ("accepted", "refused"),
))


def _norm_number(s: str) -> str:
    return s.replace(",", "").replace(".", ":").rstrip(":")


def _numbers(text: str) -> set[str]:
    return {_norm_number(n) for n in _DIGITS.findall(text)}


def _content_stems(text: str) -> list[str]:
    return [stem(w) for w in _ALPHA.findall(text.lower().replace("n't", " not"))
            if len(w) >= 3 and w not in STOPWORDS and stem(w) not in _FRAMING]


def facts(sentence: str, known: str = "") -> set[str]:
    """What a sentence states: its content-word stems and numbers, leaving out the words of ``known`` (the
    venue's name) and the framing words of an answer ("yes", "of course", "available")."""
    return (set(_content_stems(sentence)) - set(_content_stems(known))) | _numbers(sentence)


_POLAR = frozenset().union(*(a | b for a, b in _OPPOSITES))


_CLAUSE = re.compile(r"[,;:]|\b(?:but|however|except|although|while|whereas)\b", re.IGNORECASE)


def _claims(text: str) -> set[tuple[int, int]]:
    """The polar statements of ``text``: (pair, side), a negation just before a word flipping its side
    ("not allowed" says what "banned" says; "no charge" what "free" says)."""
    toks = _ALPHA.findall(text.lower().replace("n't", " not"))
    out = set()
    for i, w in enumerate(toks):
        s = stem(w)
        for pair, (a, b) in enumerate(_OPPOSITES):
            if s in a or s in b:
                negated = any(t in _NEGATIONS for t in toks[max(0, i - 3):i])
                out.add((pair, int(s in b) ^ int(negated)))
    return out


def _inverted(sentence: str, source: str) -> str:
    """A polar statement of ``sentence`` that ``source`` makes only the other way round ('' if none)."""
    mine, theirs = _claims(sentence), _claims(source)
    for pair, side in sorted(mine):
        if (pair, 1 - side) in theirs and (pair, side) not in theirs:
            return sorted(_OPPOSITES[pair][side])[0]
    return ""


def _negated_about(text: str, topic: set[str], reach: int = 4) -> bool:
    """Whether ``text`` negates something in ``topic`` (a negation within ``reach`` words before it):
    "no password" does not negate a sentence about the network's name; "not allowed" negates "allowed"."""
    toks = _ALPHA.findall(text.lower().replace("n't", " not"))
    for i, w in enumerate(toks):
        if w in _NEGATIONS:
            after = {stem(t) for t in toks[i + 1: i + 1 + reach]}
            if any(related(a) & topic for a in after) or w in {"no", "never"} and i == 0:
                return True
    return False


class GroundingGate:
    """Feed streamed text; get back the part that is safe to show, or a reason in ``violation``."""

    def __init__(self, grounding_texts: Iterable[str], question: str = "") -> None:
        texts = list(grounding_texts)
        self._numbers = set().union(*(_numbers(t) for t in texts + [question]))
        self._vocab = {w.lower() for t in texts + [question] for w in _ALPHA.findall(t)}
        self._stems = {stem(w) for w in self._vocab}
        self._question_stems = set(_content_stems(question))
        self._sources = [(s, set(_content_stems(s)), _numbers(s)) for t in texts for s in sentences(t)]
        # Each clause of the entries with what it is about (content words and numbers), for ``_inversion``.
        self._clauses = [(c, set(_content_stems(c)) | _numbers(c))
                         for s, _, _ in self._sources for c in _CLAUSE.split(s) if c.strip()]
        self._text = ""
        self._released = 0
        self._sentence_start = True
        self._sentence = ""
        self._foreign_in_sentence = 0
        self.violation: str = ""

    def _supported(self, s: str) -> bool:
        return bool(related(s) & self._stems)

    def _check_word(self, word: str) -> str:
        for n in _DIGITS.findall(word):
            if _norm_number(n) not in self._numbers:
                return f"number {n!r} is not in the knowledge pack"
        core = re.sub(r"^[^\w]+|[^\w]+$", "", word)
        if core and core[0].isupper() and not self._sentence_start:
            for part in _ALPHA.findall(core.replace("'s", "").replace("’s", "")):
                low = part.lower()
                if len(low) < 2:  # "I'm", "I'll"
                    continue
                if stem(low) not in self._stems and low not in _ALWAYS_OK and low not in STOPWORDS:
                    return f"name {core!r} is not in the knowledge pack"
        for s in _content_stems(core):
            if not self._supported(s):
                self._foreign_in_sentence += 1
                if self._foreign_in_sentence > 1:
                    return f"word {core!r} is not supported by the knowledge pack"
        return ""

    def _inversion(self, sentence: str) -> str:
        """A polar statement of ``sentence`` ("open", "not allowed") that the clause of the pack about the same
        thing makes the other way round ("closed", "welcome"). "About the same thing": most in common of the
        other content words and numbers ("Mondays", "garden"), and at least half of them."""
        if not _claims(sentence):
            return ""
        topic = (set(_content_stems(sentence)) - _POLAR) | _numbers(sentence)
        if not topic:
            return ""
        overlap = [(len(topic & about), c) for c, about in self._clauses]
        most = max((n for n, _ in overlap), default=0)
        if 2 * most < len(topic):
            return ""
        return next((f for n, c in overlap if n == most for f in [_inverted(sentence, c)] if f), "")

    def check_sentence(self, sentence: str) -> str:
        """A sentence must be backed by one sentence of the entries (question words count as support), and
        must not state the opposite of what the pack says about the same thing."""
        flipped = self._inversion(sentence)
        if flipped:
            return f"sentence {sentence.strip()[:60]!r} inverts the pack ({flipped!r} where it says the opposite)"
        words = [w for w in _content_stems(sentence) if w not in self._question_stems]
        nums = _numbers(sentence)
        if not words and not nums:
            return ""
        best, best_recall = None, -1.0
        for src in self._sources:
            got = sum(1 for w in words if related(w) & src[1])
            recall = (got / len(words)) if words else 1.0
            if nums and not nums <= src[2]:
                recall = min(recall, 0.0)
            if recall > best_recall:
                best, best_recall = src, recall
        if best is None or best_recall < SUPPORT_RECALL:
            return f"sentence {sentence.strip()[:60]!r} is not supported by any sentence of the pack"
        mine = set(_content_stems(sentence)) | self._question_stems
        if _negated_about(sentence, best[1]) != _negated_about(best[0], mine):
            return f"sentence {sentence.strip()[:60]!r} contradicts the pack's polarity"
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
        if self.violation:
            return ""
        out = self._release_until(len(self._text))
        if not self.violation and self._sentence.strip():
            self.violation = self.check_sentence(self._sentence)
        return "" if self.violation else out

    def _release_until(self, end: int) -> str:
        chunk = self._text[self._released:end]
        for m in _TOKEN.finditer(chunk):
            word = m.group()
            reason = self._check_word(word)
            self._sentence += " " + word
            if not reason and _SENTENCE_END.search(word):
                reason = self.check_sentence(self._sentence)
                self._sentence, self._foreign_in_sentence = "", 0
            if reason:
                self.violation = reason
                # Release only the words of earlier, fully checked sentences.
                return ""
            self._sentence_start = bool(_SENTENCE_END.search(word))
        self._released = end
        return chunk

    @property
    def shown(self) -> str:
        return self._text[: self._released]
