"""What the turn pipeline needs from the outside world, as small Protocols (real and fake adapters)."""

from __future__ import annotations

from typing import Iterator, Mapping, Protocol, Sequence

from dataclasses import dataclass

from kiosk.domain.models import Entry, Piece
from kiosk.domain.passages import Window


class Clock(Protocol):
    def monotonic(self) -> float: ...


class KnowledgeIndex(Protocol):
    def entries(self) -> Sequence[Entry]:
        """Every entry of the current pack (packs are small; used for term statistics)."""

    def search(self, terms: Sequence[str], limit: int) -> Sequence[Entry]:
        """Candidate entries matching any of ``terms``, best first."""

    def version(self) -> str:
        """Content hash of the current pack ('' when none is imported)."""

    def similar(self, question: str, limit: int) -> Sequence[tuple[Entry, float]]:
        """Entries by meaning (cosine similarity of sentence embeddings), best first; [] when unavailable."""

    def sentence_similarity(self, question: str, entry: Entry) -> Sequence[float]:
        """One cosine per sentence of ``entry``'s body; [] when unavailable."""

    def asked(self) -> Mapping[str, str]:
        """Questions the pack lists under an entry ("? " lines in its section), by ``asked_key``: entry id."""


class LanguageModel(Protocol):
    name: str

    def generate(self, question: str, context: Sequence[Entry], max_tokens: int) -> Iterator[Piece]:
        """Stream an answer grounded on ``context``; the pack prefix is the model's own business."""

    def last_prompt_tokens(self) -> int:
        """Tokens evaluated for the most recent prompt (after prefix reuse)."""

    def reset_conversation(self) -> None:
        """Forget the visitor's turns (session wipe)."""

    def close(self) -> None:
        """Free the model (it is not used again)."""


class ModelSlot(Protocol):
    """Holds the loaded language model, if any: the runtime loads and frees it as the tier changes."""

    def current(self) -> LanguageModel | None: ...


@dataclass(frozen=True)
class Judgement:
    """How well one entry answers a question: its best window and the probability that it answers."""

    entry: Entry
    probability: float
    window: Window


class AnswerJudge(Protocol):
    """Reads the question with each entry's windows (a trained cross-encoder in the kiosk)."""

    def judge(self, question: str, entries: Sequence[Entry]) -> list[Judgement]:
        """One judgement per entry, in the order given."""
