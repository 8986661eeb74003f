"""Hands-free listening: a wake word ("okay nabu", "hey jarvis", ...) for visitors who cannot reach the
screen. microWakeWord models (Apache-2.0) run by ``pymicro-wakeword`` on TensorFlow Lite; off by default
(``[speech] wake_word``)."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np

from kiosk.errors import SpeechUnavailable

WAKE_WORDS = ("okay_nabu", "hey_jarvis", "hey_mycroft")  # models/manifest.toml


class WakeWord:
    """Streaming detector: ``heard(block)`` is True on the block that completes the wake word."""

    def __init__(self, name: str) -> None:
        if name not in WAKE_WORDS:
            raise SpeechUnavailable("wake_word_unknown", f"unknown wake word {name!r}; one of {', '.join(WAKE_WORDS)}")
        self.name = name
        try:
            self.reset()
        except Exception as exc:  # ImportError, the TFLite library: hands-free is then unavailable
            raise SpeechUnavailable("wake_word_unavailable", f"wake word {name!r} cannot load: {exc}") from exc
        self.phrase = self._model.wake_word

    def heard(self, block: np.ndarray) -> bool:
        pcm = (np.clip(block, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        hit = False
        for features in self._features.process_streaming(pcm):
            hit = bool(self._model.process_streaming(features)) or hit
        return hit

    def reset(self) -> None:
        """A fresh model and feature front end: the streaming model keeps state between calls, and no
        half-heard wake word may carry into the next wait (a few milliseconds)."""
        from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model

        old = getattr(self, "_model", None)
        self._model = MicroWakeWord.from_builtin(Model(self.name))
        self._features = MicroWakeWordFeatures()
        if old is not None:
            old.close()


def after_wake_word(blocks: Iterable[np.ndarray], wake: WakeWord, should_stop: Callable[[], bool] = lambda: False,
                    woke: Callable[[], None] = lambda: None) -> Iterator[np.ndarray]:
    """Nothing until the wake word is heard, then everything after it (the question). ``should_stop`` ends
    the wait with nothing (a tap, a typed question, a wiped session); ``woke`` is told when it is heard."""
    it = iter(blocks)
    for block in it:
        if should_stop():
            return
        if wake.heard(block):
            wake.reset()
            woke()
            break
    else:
        return
    yield from it
