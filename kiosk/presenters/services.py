"""What the touchscreen presenter (kiosk.presenters.kiosk) is given: the kiosk's services, its settings,
and the words an error becomes for a visitor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from kiosk.domain.events import TurnListener
from kiosk.errors import InputError, KioskError, MicUnavailable, SpeechUnavailable


class Services(Protocol):
    """What the presenter needs from the kiosk; the real one is ``kiosk.ui.services.KioskServices``."""

    def venue(self) -> str: ...
    def suggestions(self, n: int) -> list[str]: ...
    def talk(self, on_open: Callable[[], None], on_partial: Callable[[str], None],
             on_level: Callable[[float], None], should_stop: Callable[[], bool],
             on_heard: Callable[[str], bool], listener: TurnListener,
             on_wake: Callable[[], None] | None = None) -> Any:
        """One voice turn. ``on_heard`` gets the final transcript (maybe empty) and says whether to answer
        it; returns the answer, or None when nothing was answered. ``on_wake`` given: wait for the wake
        word first and tell it when heard (hands-free)."""
    def hands_free(self) -> str:
        """The wake phrase when hands-free listening is on, else ""."""
    def ask(self, question: str, listener: TurnListener) -> Any: ...
    def choose(self, pick: int | None, listener: TurnListener) -> Any: ...
    def reply(self, on_open: Callable[[], None], on_partial: Callable[[str], None],
              on_level: Callable[[float], None], should_stop: Callable[[], bool],
              on_reply: Callable[[Any], None], listener: TurnListener) -> Any:
        """Listen for a spoken reply to the open "did you mean ...?" and answer the choice it names
        (``on_reply`` first); None when nothing clear was said or a tap (``should_stop``) decides."""
    def stop_speaking(self) -> None: ...
    def sources(self, entry_ids: list[str]) -> list[str]: ...
    def reset_session(self) -> None: ...
    def status(self) -> dict: ...
    def staff_report(self) -> dict: ...
    def sync_now(self) -> str: ...
    def reload_pack(self) -> str: ...
    def set_pin(self, pin: str) -> str:
        """Keep a new staff PIN; returns its record (raises ValueError for one that is not 4-8 digits)."""


@dataclass(frozen=True)
class Settings:
    idle_reset_s: float = 45.0
    countdown_s: float = 10.0
    pin_record: str = ""  # kiosk.domain.pin: empty = no PIN yet, the screen asks for one
    pin_attempts: int = 5
    pin_lockout_s: float = 60.0
    text_scale: float = 1.0
    high_contrast: bool = False
    suggestions: int = 4

    @classmethod
    def from_config(cls, config, pin_record: str) -> "Settings":
        ui, s = config.ui, config.session
        return cls(idle_reset_s=s.idle_reset_s, countdown_s=min(s.countdown_s, s.idle_reset_s),
                   pin_record=pin_record, pin_attempts=ui.pin_attempts,
                   pin_lockout_s=ui.pin_lockout_s, text_scale=ui.text_scale, high_contrast=ui.high_contrast,
                   suggestions=ui.suggestions)


def visitor_message(err: KioskError) -> str:
    """The one place an error becomes words for a visitor (operators read codes in the log/status)."""
    if isinstance(err, MicUnavailable):
        return "The microphone is not working right now. Please type your question instead."
    if isinstance(err, InputError):  # its message is written for the person who typed it
        return err.message[:1].upper() + err.message[1:]
    if isinstance(err, SpeechUnavailable):
        return "Speech recognition is unavailable. Please type your question instead."
    return "Sorry, something went wrong. Please try again or ask a member of staff."

