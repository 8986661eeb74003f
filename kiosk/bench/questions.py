"""The benchmark's questions, taken from the active pack itself: its suggested questions (`? ` lines) and a
question per entry heading. No evaluation data is read: timing figures do not depend on tuned questions."""

from __future__ import annotations

MAX_QUESTIONS = 30


def bench_questions(index) -> list[str]:
    questions = list(dict.fromkeys(index.suggestions()))
    for e in index.entries():
        q = f"What about {e.heading.rstrip('?.!').lower()}?"
        if q not in questions:
            questions.append(q)
    return questions[:MAX_QUESTIONS]
