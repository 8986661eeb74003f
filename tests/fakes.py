"""Fakes for logic tests only. Every real adapter also has tests that run it for real."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

from kiosk.domain.models import Answer, Entry, Piece
from kiosk.errors import ModelError

ENTRIES = [
    Entry("v#hours", "Opening hours", "We are open Tuesday to Sunday from 10:00 to 17:30. Closed on Mondays."),
    Entry("v#tickets", "Tickets and prices", "Adult tickets cost 14 euros. Children go free. "
          "Students pay 9 euros. Tickets are valid all day."),
    Entry("f#toilets", "Toilets", "Toilets are on the ground floor behind the shop."),
    Entry("f#cafe", "Café", "The Galley Café serves soup and cakes from 10:00 to 17:00."),
]


class FakeIndex:
    def __init__(self, entries: Sequence[Entry] = ENTRIES, version: str = "v1") -> None:
        self._entries, self._version = list(entries), version

    def entries(self):
        return self._entries

    def version(self):
        return self._version

    def search(self, terms, limit):
        from kiosk.domain.text import stem, words

        ts = set(terms)
        scored = [(len(ts & {stem(w) for w in words(e.heading + " " + e.body)}), e) for e in self._entries]
        return [e for n, e in sorted(scored, key=lambda x: -x[0]) if n][:limit]


@dataclass
class FakeLLM:
    """Yields scripted pieces; raises ``fail`` part-way when given."""

    pieces: list[str] = field(default_factory=lambda: ["We", " open", " at", " 10:00."])
    fail_after: int | None = None
    name: str = "fake-llm"
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def generate(self, question: str, context: Sequence[Entry], max_tokens: int) -> Iterator[Piece]:
        self.calls.append((question, [e.id for e in context]))
        for i, p in enumerate(self.pieces[:max_tokens]):
            if self.fail_after is not None and i == self.fail_after:
                raise ModelError("model_failed", "boom")
            yield Piece(p, -0.1)

    def last_prompt_tokens(self) -> int:
        return 7


@dataclass
class FakeLog:
    records: list[tuple[Answer, str]] = field(default_factory=list)

    def record(self, answer: Answer, session_id: str) -> None:
        self.records.append((answer, session_id))


class StepClock:
    """Advances by ``step`` seconds on every reading: durations are deterministic."""

    def __init__(self, step: float = 0.001) -> None:
        self.t, self.step = 0.0, step

    def monotonic(self) -> float:
        self.t += self.step
        return self.t


@dataclass
class RecordingSink:
    events: list[tuple[str, str]] = field(default_factory=list)

    def token(self, text: str) -> None:
        self.events.append(("token", text))

    def replace(self, text: str) -> None:
        self.events.append(("replace", text))

    @property
    def shown(self) -> str:
        text = ""
        for kind, t in self.events:
            text = text + t if kind == "token" else t
        return text
