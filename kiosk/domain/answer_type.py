"""What kind of answer a question asks for, and whether an entry can possibly give it.

"How old is the building?" needs a number; an entry about the building's Wi-Fi has none, however many
words it shares with the question. A cheap check that turns such near misses into honest escalations.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"\b(how (much|many|long|old|far|late|early)|what (time|year|age)|when (is|are|was|were|do|does|did|will|"
    r"can)|until when|what does .+ cost|what do(es)? .+ cost|what is the (price|cost|fee)|which year)\b",
    re.IGNORECASE)
_PRICE = re.compile(r"\b(how much|cost|price|fee|pay)\b", re.IGNORECASE)
_PERSON = re.compile(r"^\s*(who|whom|whose)\b", re.IGNORECASE)
_NAME_MID_SENTENCE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")


def expected_type(question: str) -> str:
    if _PERSON.search(question):
        return "person"
    if _NUMBER.search(question):
        return "price" if _PRICE.search(question) else "number"
    return ""


def can_answer(question: str, text: str) -> bool:
    kind = expected_type(question)
    if kind in ("number", "price"):
        words = r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred" + (
            "|free|no charge" if kind == "price" else "")
        return bool(re.search(r"\d", text)) or bool(re.search(rf"\b({words})\b", text, re.I))
    if kind == "person":
        return bool(_NAME_MID_SENTENCE.search(text))
    return True
