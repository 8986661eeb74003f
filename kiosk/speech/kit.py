"""The speech pieces one kiosk uses, built once by the composition root: recognisers (loaded on first use),
end-pointer settings, the microphone factory and the speaker, if answers are spoken."""

from __future__ import annotations

from typing import Callable, Iterator, Protocol

import numpy as np

from kiosk.speech.vad import VadConfig


class AudioSource(Protocol):
    """Where listening reads audio: the microphone, or a recorded utterance in tests and demos."""

    def open(self) -> "AudioSource": ...
    def wait_ready(self, timeout_s: float = 5.0) -> bool: ...
    def blocks(self) -> Iterator[np.ndarray]: ...

    def close(self) -> None: ...


class SpeechKit:
    def __init__(self, recognizers: Callable[[], tuple], endpoint: VadConfig,
                 microphone: Callable[[], AudioSource], speaker=None,
                 speech_detector: Callable[[], object | None] | None = None, wake_word=None,
                 echo_cancelled: bool = False, turn_model: Callable[[], object] | None = None,
                 turn_allowed: Callable[[], bool] = lambda: True, turn_threshold: float = 0.5) -> None:
        self._build_recognizers = recognizers
        self._recognizers: tuple | None = None
        self._build_detector = speech_detector
        self._detector_model: object | None = None
        self.wake_word = wake_word  # hands-free: each question waits for it (None: the visitor taps to talk)
        self.echo_cancelled = echo_cancelled  # the microphone does not hear the kiosk's own voice
        self.endpoint = endpoint
        # End of turn by model ([speech] end_of_turn = "model"): built on first use; a model that will not
        # load leaves the silence rule, and so does a governor that has stepped down (turn_allowed).
        self._build_turn_model = turn_model
        self._turn_model: object | None = None
        self.turn_problem = ""
        self.turn_allowed = turn_allowed
        self.turn_threshold = turn_threshold
        self.microphone = microphone
        self.speaker = speaker

    def recognizers(self) -> tuple:
        """(streaming recogniser, final-pass recogniser or None), built on first use (Whisper loads in ~1 s)."""
        if self._recognizers is None:
            self._recognizers = self._build_recognizers()
        return self._recognizers

    def rebias(self, words) -> None:
        """The pack changed: recognisers already built take its words (ones built later get them anyway)."""
        for rec in self._recognizers or ():
            if rec is not None and hasattr(rec, "set_bias"):
                rec.set_bias(words)

    def detector(self):
        """A fresh speech detector for one utterance (Silero VAD), or None: the end-pointer goes by level."""
        if self._build_detector is None:
            return None
        if self._detector_model is None:
            self._detector_model = self._build_detector() or False
        return self._detector_model.stream() if self._detector_model else None

    def turn_model(self):
        """The end-of-turn model for the next utterance, or None: the silence rule ends it."""
        if self._build_turn_model is None or not self.turn_allowed():
            return None
        if self._turn_model is None:
            from kiosk.errors import KioskError

            try:
                self._turn_model = self._build_turn_model()
            except KioskError as exc:
                import logging

                logging.getLogger("kiosk").warning("end of turn by silence only: %s", exc.message)
                self._turn_model, self.turn_problem = False, exc.code
        return self._turn_model or None

    def end_of_turn(self) -> tuple[str, str]:
        """("model" | "silence", why) for status and bench; loads the model if it is wanted."""
        if self._build_turn_model is None:
            return "silence", "configured"
        if not self.turn_allowed():
            return "silence", "stepped_down"
        return ("model", "") if self.turn_model() is not None else ("silence", self.turn_problem)

    def close(self) -> None:
        if self.speaker is not None:
            self.speaker.close()
            self.speaker = None
