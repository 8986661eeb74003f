"""Question validation and the light text analysis used for routing (no NLP libraries on a kiosk)."""

from __future__ import annotations

import re
import unicodedata

from kiosk.errors import InputError

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset("""
a about after again all also am an and any anything are around as at be been before being both but by
can could did do does doing for from had has have having he her here hers him his how i if in into is it its
itself just me more most my no nor not of off on once only or other our ours out over own please same she
should so some such than that the their them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself
get gets getting got go goes going went does did doing bring time find want wanted need like know tell show let thanks thank hello hi hey excuse sorry
there's what's where's when's how's i'm it's can't don't isn't
today tonight now currently much many take come give say allow allowed possible somewhere place way
someone something yesterday tomorrow feel feeling help big large small little good nice old new
""".split())

_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


def stem(word: str) -> str:
    """A deliberately small suffix stripper: good enough to join 'tickets'/'ticket', 'opening'/'open'."""
    w = word.lower().replace("'s", "")
    w = unicodedata.normalize("NFKD", w)
    w = "".join(c for c in w if not unicodedata.combining(c))
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            if suffix == "es" and not re.search(r"(ch|sh|x|z)es$", w):
                continue
            w = w[: len(w) - len(suffix)] + repl
            break
    return w[:-1] if w.endswith("e") and len(w) > 4 else w


def words(text: str) -> list[str]:
    """Lower-cased words; a hyphenated word also yields its parts and its joined form ('wi-fi' -> 'wifi')."""
    out = []
    for w in _WORD.findall(text.lower()):
        if "-" in w:
            out.append(w.replace("-", ""))
            out.extend(p for p in w.split("-") if p)
        else:
            out.append(w)
    return out


def content_terms(text: str) -> list[str]:
    """Stemmed, de-duplicated content words in order of first appearance."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS or len(w) < 2:
            continue
        seen.setdefault(stem(w), None)
    return list(seen)


def asked_key(question: str) -> str:
    """A question as the pack's listed questions are matched: case, accents, punctuation and spacing ignored."""
    plain = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    return " ".join(words(plain))


def validate_question(raw: str | bytes, max_chars: int) -> str:
    """Return a clean question or raise ``InputError`` with a code the UI and CLI can show."""
    if isinstance(raw, (bytes, bytearray)):
        if b"\x00" in raw:
            raise InputError("binary_input", "That looks like binary data, not a question.")
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("binary_input", "That input is not valid UTF-8 text.") from exc
    if "\x00" in raw:
        raise InputError("binary_input", "That looks like binary data, not a question.")
    controls = sum(1 for c in raw if unicodedata.category(c) in {"Cc", "Cs", "Co"} and c not in "\t\n\r")
    if controls > max(2, len(raw) // 50):
        raise InputError("binary_input", "That looks like binary data, not a question.")
    text = " ".join(raw.split())
    if not text:
        raise InputError("empty_question", "Please type or say a question.")
    if len(text) > max_chars:
        raise InputError("question_too_long",
                         f"That question is {len(text)} characters long; please keep it under {max_chars}.")
    if not any(ch.isalnum() for ch in text):
        raise InputError("empty_question", "Please type or say a question in words.")
    return text


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text.strip())
    return [p.strip() for p in parts if p.strip()]


_SENTENCE_END = re.compile(r"[.!?][\"')\]\u201d\u2019]*(?=\s|$)")


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last complete sentence ('' when it has none)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else ""
