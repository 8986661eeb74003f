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
                 echo_cancelled: bool = False) -> None:
        self._build_recognizers = recognizers
        self._recognizers: tuple | None = None
        self._build_detector = speech_detector
        self._detector_model: object | None = None
        self.wake_word = wake_word  # hands-free: each question waits for it (None: the visitor taps to talk)
        self.echo_cancelled = echo_cancelled  # the microphone does not hear the kiosk's own voice
        self.endpoint = endpoint
        self.microphone = microphone
        self.speaker = speaker

    def recognizers(self) -> tuple:
        """(streaming recogniser, final-pass recogniser or None), built on first use (Whisper loads in ~1 s)."""
        if self._recognizers is None:
            self._recognizers = self._build_recognizers()
        return self._recognizers

    def detector(self):
        """A fresh speech detector for one utterance (Silero VAD), or None: the end-pointer goes by level."""
        if self._build_detector is None:
            return None
        if self._detector_model is None:
            self._detector_model = self._build_detector() or False
        return self._detector_model.stream() if self._detector_model else None

    def close(self) -> None:
        if self.speaker is not None:
            self.speaker.close()
            self.speaker = None
