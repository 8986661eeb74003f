"""One voice turn, the same for `kiosk listen` and the touchscreen: listen (the kiosk's own voice gated out)
-> final transcript -> answer -> spoken sentence by sentence. Callers only choose how progress is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from kiosk.domain.events import TurnListener
from kiosk.domain.models import Answer
from kiosk.errors import MicUnavailable
from kiosk.speech.audio import loudness
from kiosk.speech.gate import gated
from kiosk.speech.kit import AudioSource, SpeechKit
from kiosk.speech.listen import Transcript, transcribe_blocks
from kiosk.speech.speaker import SpeakingListener
from kiosk.speech.wakeword import after_wake_word


def _nothing(*_args) -> None:
    return None


@dataclass(frozen=True)
class ListenProgress:
    """How a caller shows listening: the microphone is live, partial words, the input level (0..1)."""

    opened: Callable[[], None] = _nothing
    partial: Callable[[str], None] | None = None
    level: Callable[[float], None] | None = None
    woke: Callable[[], None] = _nothing  # hands-free: the wake word was heard, the question follows


@dataclass(frozen=True)
class VoiceResult:
    transcript: Transcript
    answer: Answer | None  # None: nothing was heard, or the caller declined to answer it


Ask = Callable[..., Answer]  # Kiosk.ask(question, *listeners)


class VoiceTurn:
    def __init__(self, kit: SpeechKit, ask: Ask) -> None:
        self.kit, self._ask = kit, ask

    def listen(self, source: AudioSource, progress: ListenProgress = ListenProgress(),
               should_stop: Callable[[], bool] = lambda: False, wake: bool = True) -> Transcript:
        """Until the visitor stops talking (or ``should_stop``); ``source`` is already open. ``wake``: with
        a wake word configured, wait for it first (a tap on the screen has already addressed the kiosk)."""
        rec, final = self.kit.recognizers()
        if not source.wait_ready():
            raise MicUnavailable("mic_unavailable", "the microphone delivers no audio")
        progress.opened()
        blocks = gated(source.blocks(), self.kit.speaker, self.kit.echo_cancelled)
        if self.kit.wake_word is not None and wake:
            blocks = after_wake_word(blocks, self.kit.wake_word, should_stop, progress.woke)
        if progress.level is not None:
            blocks = _metered(blocks, progress.level)
        return transcribe_blocks(blocks, rec, final, on_partial=progress.partial, endpoint=self.kit.endpoint,
                                 should_stop=should_stop, detector=self.kit.detector(),
                                 turn_model=self.kit.turn_model(), turn_threshold=self.kit.turn_threshold)

    def answer(self, question: str, listener: TurnListener | None = None) -> Answer:
        """Answer (typed or heard), spoken when the kiosk has a speaker."""
        listeners = [listener] if listener is not None else []
        if self.kit.speaker is not None:
            listeners.append(SpeakingListener(self.kit.speaker))
        return self._ask(question, *listeners)

    def __call__(self, source: AudioSource, progress: ListenProgress = ListenProgress(),
                 should_stop: Callable[[], bool] = lambda: False, listener: TurnListener | None = None,
                 after_listening: Callable[[], None] = _nothing,
                 proceed: Callable[[str], bool] = lambda _text: True, wake: bool = True) -> VoiceResult:
        """The whole turn. ``after_listening`` runs once the transcript is final (the touchscreen closes the
        microphone there); ``proceed`` sees the transcript (maybe empty) and may decline to answer it (a wiped session)."""
        try:
            transcript = self.listen(source, progress, should_stop, wake)
        finally:
            after_listening()
        go = proceed(transcript.text)  # told even when nothing was heard
        if not transcript.text or not go:
            return VoiceResult(transcript, None)
        return VoiceResult(transcript, self.answer(transcript.text, listener))


def _metered(blocks: Iterator[np.ndarray], level: Callable[[float], None]) -> Iterator[np.ndarray]:
    for block in blocks:
        level(loudness(block))
        yield block
