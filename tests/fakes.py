"""Fakes for logic tests only. Every real adapter also has tests that run it for real."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from kiosk.domain.events import Answered, Retracted, Token
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
    def __init__(self, entries: Sequence[Entry] = ENTRIES, version: str = "v1", asked: dict | None = None) -> None:
        self._entries, self._version, self._asked = list(entries), version, dict(asked or {})

    def entries(self):
        return self._entries

    def version(self):
        return self._version

    def similar(self, question, limit):
        return []

    def sentence_similarity(self, question, entry):
        return []

    def asked(self):
        return self._asked

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

    def reset_conversation(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class FixedModel:
    """A model slot that always holds the same model (or none)."""

    llm: FakeLLM | None = None

    def current(self):
        return self.llm


@dataclass
class FakeLog:
    """A turn listener that keeps what the recorder would store."""

    records: list[tuple[Answer, str]] = field(default_factory=list)
    events: list = field(default_factory=list)

    def __call__(self, event) -> None:
        self.events.append(event)
        if isinstance(event, Answered):
            self.records.append((event.answer, event.session_id))


class StepClock:
    """Advances by ``step`` seconds on every reading: durations are deterministic."""

    def __init__(self, step: float = 0.001) -> None:
        self.t, self.step = 0.0, step

    def monotonic(self) -> float:
        self.t += self.step
        return self.t


@dataclass
class RecordingSink:
    """A turn listener keeping the screen's view of it: ("token", text) and ("replace", text)."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, event) -> None:
        if isinstance(event, Token):
            self.events.append(("token", event.text))
        elif isinstance(event, Retracted):
            self.events.append(("replace", event.text))

    @property
    def shown(self) -> str:
        text = ""
        for kind, t in self.events:
            text = text + t if kind == "token" else t
        return text


class ManualClock:
    """Time moves only when a test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class FakeServices:
    """The presenter's services, scripted (logic tests only; tests/ui drive the real ones)."""

    heard: str = "where are the toilets"
    answer_tokens: tuple[str, ...] = ("Toilets are ", "on the ground floor.")
    escalated: bool = False
    listen_error: Exception | None = None
    ask_error: Exception | None = None
    calls: list[str] = field(default_factory=list)
    tier: str = "full"
    wake_phrase: str = ""  # hands-free off
    pins: list[str] = field(default_factory=list)  # staff PINs chosen on the touchscreen
    wake: Callable[[Callable[[], bool]], bool] = lambda should_stop: True  # heard, or called off: False
    choices: tuple[str, ...] = ()  # "did you mean ...?": asking offers these
    spoken_reply: int | None | str = "unclear"  # what a spoken reply names: an index, None (neither), or unclear

    def venue(self) -> str:
        return "Test Museum"

    def suggestions(self, n: int) -> list[str]:
        return ["When are you open?", "Where are the toilets?", "Is there a café?"][:n]

    def hands_free(self) -> str:
        return self.wake_phrase

    def set_pin(self, pin: str) -> str:
        from kiosk.domain.pin import make_record

        self.pins.append(pin)
        return make_record(pin)

    def talk(self, on_open, on_partial, on_level, should_stop, on_heard, listener, on_wake=None):
        """As the real voice turn: listen, tell what was heard, answer it unless told not to. Hands-free
        (``on_wake``): ``self.wake`` decides whether the wake word comes before the wait is called off."""
        if on_wake is not None:
            self.calls.append("wait_for_wake")
            if not self.wake(should_stop):
                on_heard("")
                return None
            on_wake()
        text = self.listen(on_open, on_partial, on_level, should_stop)
        if not on_heard(text) or not text:
            return None
        return self.ask(text, listener)

    def listen(self, on_open, on_partial, on_level, should_stop) -> str:
        self.calls.append("listen")
        if self.listen_error is not None:
            raise self.listen_error
        on_open()
        on_level(0.5)
        on_partial(self.heard.split()[0])
        return "" if should_stop() and not self.heard else self.heard

    def ask(self, question, listener):
        self.calls.append(f"ask:{question}")
        if self.ask_error is not None:
            raise self.ask_error
        if self.choices:
            from kiosk.domain.models import Choice

            listener(Token("I'm not sure which of these you mean. Please choose one:"))
            return Answer(question, "I'm not sure which of these you mean. Please choose one:", "clarify",
                          self.tier, False, 0.5, [f"f#{i}" for i in range(len(self.choices))],
                          choices=[Choice(f"f#{i}", c, f"{c} answer.") for i, c in enumerate(self.choices)])
        for t in self.answer_tokens:
            listener(Token(t))
        return Answer(question, "".join(self.answer_tokens), "llm", self.tier, self.escalated, 0.9,
                      entry_ids=["f#toilets"])

    def choose(self, pick, listener):
        self.calls.append(f"choose:{pick}")
        text = "Passed on." if pick is None else f"{self.choices[pick]} answer."
        listener(Token(text))
        return Answer("q", text, "knowledge", self.tier, pick is None, 0.5,
                      entry_ids=[] if pick is None else [f"f#{pick}"])

    def reply(self, on_open, on_partial, on_level, should_stop, on_reply, listener):
        """As VoiceTurn.settle: listen, then the choice the reply names, unless a tap decided first."""
        from kiosk.domain.reply import Reply, ReplyKind

        self.calls.append("reply")
        on_open()
        if should_stop() or self.spoken_reply == "unclear":
            return None
        pick = self.spoken_reply
        on_reply(Reply(ReplyKind.NONE) if pick is None else Reply(ReplyKind.CHOICE, pick))
        return self.choose(pick, listener)

    def stop_speaking(self) -> None:
        self.calls.append("stop_speaking")

    def sources(self, entry_ids):
        return ["Toilets" for i in entry_ids if i == "f#toilets"]

    def reset_session(self) -> None:
        self.calls.append("reset_session")

    def status(self) -> dict:
        return {"network": "Offline", "mode": "Full answers" if self.tier == "full" else "Saving power",
                "degraded": self.tier != "full"}

    def staff_report(self) -> dict:
        self.calls.append("staff_report")
        return {"Tier": self.tier, "Outbox": "0 waiting"}

    def sync_now(self) -> str:
        self.calls.append("sync_now")
        return "sent 0"

    def reload_pack(self) -> str:
        self.calls.append("reload_pack")
        return "reloaded"
