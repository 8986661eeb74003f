"""Plain data that flows through a visitor's turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from kiosk.domain.kinds import Reason, Route, Tier


@dataclass(frozen=True)
class Entry:
    """One ``## `` section of a knowledge pack."""

    id: str
    heading: str
    body: str
    title: str = ""


@dataclass(frozen=True)
class Hit:
    """A retrieved entry with the pipeline's own estimate of how well it covers the question."""

    entry: Entry
    coverage: float                 # lexical: share of the question's weighted terms the entry holds
    matched: tuple[str, ...] = ()
    similarity: float = 0.0         # dense: cosine of the question and the entry's best passage
    score: float = 0.0              # both fused: what routing and ranking use


@dataclass(frozen=True)
class Piece:
    """One generated token's text and its log-probability under the model."""

    text: str
    logprob: float


@dataclass(frozen=True)
class Choice:
    """One "did you mean ...?" choice: an entry, its label in plain words, and what the kiosk says if it is
    taken (the entry's sentences that best answer the question)."""

    entry_id: str
    label: str
    answer: str

    def public(self) -> dict[str, str]:
        return {"entry_id": self.entry_id, "label": self.label, "answer": self.answer}


@dataclass
class Answer:
    """The outcome of one turn: what the visitor sees plus what the meters and escalations record."""

    question: str
    answer: str
    source: Route
    tier: Tier
    escalated: bool
    confidence: float
    entry_ids: list[str] = field(default_factory=list)
    ttft_ms: float = 0.0
    total_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    reason: Reason | None = None  # why it escalated or fell back; None for a plain answer
    note: str = ""                # the same in words, with figures, for operators' logs
    choices: list[Choice] = field(default_factory=list)  # a "did you mean ...?" turn's choices
    more: str = ""                # the rest of the answering entry, a tap away
    emergency: str = ""           # the EmergencyKind this turn answered, '' for none

    def public(self) -> dict[str, object]:
        """The fields of ``kiosk ask --json``."""
        return {
            "question": self.question, "answer": self.answer, "source": self.source, "tier": self.tier,
            "escalated": self.escalated, "confidence": round(self.confidence, 3),
            "ttft_ms": round(self.ttft_ms, 1), "total_ms": round(self.total_ms, 1),
            "tokens_out": self.tokens_out, "entry_ids": list(self.entry_ids),
            **({"choices": [c.public() for c in self.choices]} if self.choices else {}),
            **({"more": self.more} if self.more else {}),
            **({"emergency": self.emergency} if self.emergency else {}),
        }
