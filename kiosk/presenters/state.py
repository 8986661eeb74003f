"""What the touchscreen shows, as plain data. Widgets render it; they never decide anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Screen = Literal["attract", "conversation", "pin", "staff"]
Mic = Literal["off", "waiting", "opening", "listening", "unavailable"]  # waiting: for the wake word

TEXT_SCALES = (0.85, 1.0, 1.2, 1.45, 1.75)


@dataclass
class TurnView:
    """One question and its answer as the visitor sees them."""

    question: str
    answer: str = ""
    sources: list[str] = field(default_factory=list)  # headings of the pack entries used
    notice: str = ""  # e.g. passed on to staff / the cloud
    awaiting_reply: bool = False  # escalated: a staff or cloud answer may still arrive for it
    streaming: bool = True
    error: str = ""
    choices: list[str] = field(default_factory=list)  # "did you mean ...?": the entries offered, in words
    more: str = ""  # the rest of the answering entry, shown on a tap


@dataclass
class StatusView:
    """The status strip: every state in words (never colour alone)."""

    network: str = "Offline"  # "Online" / "Offline" / "Local only"
    mode: str = "Full answers"  # tier in words
    degraded: bool = False
    mic: str = "Microphone off"

    def line(self) -> str:
        return f"{self.network}  ·  {self.mode}  ·  {self.mic}"


@dataclass
class ViewState:
    screen: Screen = "attract"
    venue: str = ""
    suggestions: list[str] = field(default_factory=list)
    turns: list[TurnView] = field(default_factory=list)
    mic: Mic = "off"
    level: float = 0.0  # input level 0..1 while listening
    partial: str = ""  # live transcript
    busy: bool = False  # a turn is being answered
    keyboard: bool = False  # the type-instead panel is open
    countdown: int | None = None  # seconds left before the wipe ("Still there?"), or None
    message: str = ""  # one-line notice for the visitor (mic missing, question refused...)
    pin_digits: int = 0  # how many digits typed (shown as dots, never the digits)
    pin_message: str = ""
    pin_setting: bool = False  # first start: the PIN pad chooses the staff PIN instead of checking it
    staff: dict = field(default_factory=dict)
    staff_message: str = ""
    status: StatusView = field(default_factory=StatusView)
    text_scale: float = 1.0
    high_contrast: bool = False
    wake_phrase: str = ""  # hands-free listening is on: saying this starts a question

    @property
    def invitation(self) -> str:
        if self.wake_phrase:
            return f"Ask me anything about your visit: tap, type, or say “{self.wake_phrase}” and your question."
        return "Ask me anything about your visit, by voice or by typing."

    @property
    def talk_label(self) -> str:
        if self.mic == "listening":
            return "Listening… tap to stop"
        if self.mic == "opening":
            return "Opening microphone…"
        if self.busy:
            return "Answering…"
        if self.mic == "waiting":
            return f"Tap to talk, or say “{self.wake_phrase}”"
        return "Tap to talk"
