"""The typed values turns and tiers are decided on: tiers, routes, and why a turn fell back or escalated.

Every decision in the kiosk compares these, never the wording of a message; the values are also the stable
identifiers written to meters, sketches and JSON output.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """How much the kiosk can afford right now, best first."""

    FULL = "full"
    REDUCED = "reduced"
    MINIMAL = "minimal"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)

    @property
    def uses_model(self) -> bool:
        return self is not Tier.MINIMAL

    @staticmethod
    def worst(*tiers: "Tier") -> "Tier":
        return max(tiers, key=lambda t: t.rank)


_TIER_ORDER = (Tier.FULL, Tier.REDUCED, Tier.MINIMAL)


class Route(StrEnum):
    """Where an answer came from (``source`` in ``kiosk ask --json`` and the meters)."""

    KNOWLEDGE = "knowledge"   # a pack entry, verbatim
    LLM = "llm"               # the local model, grounded on the pack
    HEURISTIC = "heuristic"   # the best sentences of an entry, no model (also the "I don't know" reply)
    CLOUD = "cloud"           # the cloud model, for an escalated question
    CLARIFY = "clarify"       # "did you mean ...?": the likeliest entries offered as choices


class Reason(StrEnum):
    """Why a turn did not end as a plain answer: an escalation, or a fallback from the local model."""

    # escalated: the visitor is told the question was passed on
    NOT_COVERED = "not_covered"               # the pack does not cover the question
    FACT_MISSING = "fact_missing"             # the best entry lacks the kind of fact asked (a time, a price...)
    MODEL_UNSURE = "model_unsure"             # the model said it could not answer from the pack
    NOT_CHOSEN = "not_chosen"                 # "did you mean ...?" and the visitor chose none of them
    # fell back: the pack's own sentences replace what the model was saying
    MODEL_FAILED = "model_failed"
    GENERATION_BUDGET = "generation_budget_exceeded"
    UNGROUNDED = "ungrounded"
    MODEL_EMPTY = "model_empty"
    # declined: not a question about the venue (abuse, attempts to re-instruct the kiosk); not passed on
    OFF_TOPIC = "off_topic"

    @property
    def escalates(self) -> bool:
        return self in _ESCALATING


_ESCALATING = frozenset({Reason.NOT_COVERED, Reason.FACT_MISSING, Reason.MODEL_UNSURE, Reason.NOT_CHOSEN})


class FailCode(StrEnum):
    """Why a turn produced no answer at all (the visitor is shown a message instead)."""

    INVALID_INPUT = "invalid_input"   # empty, too long, binary: nothing was recorded
    STORAGE = "storage"               # the answer could not be recorded (full disk...)
    MODEL = "model"
    SPEECH = "speech"                 # microphone or recogniser
    INTERNAL = "internal"
