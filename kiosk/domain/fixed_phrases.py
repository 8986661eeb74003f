"""The sentences a kiosk says word for word, whatever the question: the pass-on sentence, the "did you mean"
lead-in, the declines, the built-in emergency instructions. The speaker synthesises them once per voice at
start, so they are spoken without waiting for the voice."""

from __future__ import annotations

from kiosk.domain.emergency import EmergencyKind, built_in
from kiosk.domain.heuristics import DONT_KNOW, decline
from kiosk.domain.pipeline import CLARIFY_PROMPT
from kiosk.domain.reply import WHAT_SORRY


def fixed_phrases(venue: str, emergency_number: str) -> list[str]:
    """Whole texts, as the turn emits them (the speaker splits them into sentences as it would when they come)."""
    return [DONT_KNOW, CLARIFY_PROMPT, WHAT_SORRY, decline(venue),
            *(built_in(kind, emergency_number) for kind in EmergencyKind)]
