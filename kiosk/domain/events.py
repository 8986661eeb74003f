"""What a turn reports while it runs. Presenter, speaker, meters and sketches subscribe to these.

A turn emits, in order: ``Retrieved``; any number of ``Token`` and ``Retracted``; ``FellBack`` when the
local model's text was replaced by the pack's own sentences; ``Escalated`` when the question is passed on;
and exactly one of ``Answered`` (always last for a turn that answered) or ``Failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Union

from kiosk.domain.kinds import FailCode, Reason
from kiosk.domain.models import Answer, Hit
from kiosk.errors import InputError, KioskError, ModelError, StorageError


@dataclass(frozen=True)
class Retrieved:
    question: str
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Token:
    """More answer text to show (and speak)."""

    text: str


@dataclass(frozen=True)
class Retracted:
    """Everything shown so far is withdrawn and replaced by ``text``."""

    text: str


@dataclass(frozen=True)
class FellBack:
    reason: Reason
    question: str
    detail: str = ""   # numbers and settings live here, never in ``reason``


@dataclass(frozen=True)
class Escalated:
    answer: Answer
    session_id: str
    reason: Reason


@dataclass(frozen=True)
class Answered:
    answer: Answer
    session_id: str


@dataclass(frozen=True)
class Chosen:
    """A visitor took one of the "did you mean ...?" choices: their wording for that entry (synced to the
    hub, where the curator can add it to the entry as an example question)."""

    question: str
    entry_id: str
    session_id: str
    offered: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    code: FailCode
    question: str | bytes
    error: KioskError


TurnEvent = Union[Retrieved, Token, Retracted, FellBack, Escalated, Answered, Chosen, Failed]
TurnListener = Callable[[TurnEvent], None]


def fail_code(err: KioskError) -> FailCode:
    if isinstance(err, InputError):
        return FailCode.INVALID_INPUT
    if isinstance(err, StorageError):
        return FailCode.STORAGE
    if isinstance(err, ModelError):
        return FailCode.MODEL
    return FailCode.INTERNAL


class Emitter:
    """Calls each listener in order; a listener that raises stops the turn (the recorder must not fail
    silently), so durable listeners go first."""

    def __init__(self, listeners: Iterable[TurnListener | None]) -> None:
        self.listeners = [fn for fn in listeners if fn is not None]

    def __call__(self, event: TurnEvent) -> None:
        for fn in self.listeners:
            fn(event)


def shown_text(events: Iterable[TurnEvent]) -> str:
    """What a screen following ``events`` shows at the end (tokens appended, retractions replacing)."""
    text = ""
    for ev in events:
        if isinstance(ev, Token):
            text += ev.text
        elif isinstance(ev, Retracted):
            text = ev.text
    return text
