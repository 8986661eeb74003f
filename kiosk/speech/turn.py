"""One voice turn, the same for `kiosk listen` and the touchscreen: listen (the kiosk's own voice gated out)
-> final transcript -> answer -> spoken sentence by sentence. Callers only choose how progress is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from kiosk.domain.events import TurnListener
from kiosk.domain.kinds import Route
from kiosk.domain.models import Answer
from kiosk.domain.reply import WHAT_SORRY, Reply, ReplyKind, read_reply, reply_prompt, spoken_offer
from kiosk.errors import KioskError, MicUnavailable
from kiosk.speech.audio import loudness
from kiosk.speech.gate import gated
from kiosk.speech.kit import AudioSource, SpeechKit
from kiosk.speech.listen import Transcript, transcribe_blocks
from kiosk.speech.recognizers import PromptedRecognizer
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
    offer: Answer | None = None  # the "did you mean ...?" turn, when the answer came from a reply to it
    replies: tuple[tuple[Transcript, Reply], ...] = ()  # what was heard after the offer, and what it meant

    def public(self) -> dict:
        out = {"transcript": self.transcript.public(), "answer": self.answer.public() if self.answer else None}
        if self.offer is not None:
            out["offer"] = self.offer.public()
            out["replies"] = [{"transcript": t.public(), "reply": r.public()} for t, r in self.replies]
        return out


Ask = Callable[..., Answer]     # Kiosk.ask(question, *listeners)
Choose = Callable[..., Answer]  # Kiosk.choose(pick, *listeners): a choice's index, or None for none of these
REPLY_TRIES = 2  # an unclear reply is asked once more; then the choices wait on the screen


class VoiceTurn:
    def __init__(self, kit: SpeechKit, ask: Ask, choose: Choose | None = None) -> None:
        self.kit, self._ask, self._choose = kit, ask, choose

    def listen(self, source: AudioSource, progress: ListenProgress = ListenProgress(),
               should_stop: Callable[[], bool] = lambda: False, wake: bool = True,
               prompt: str | None = None) -> Transcript:
        """Until the visitor stops talking (or ``should_stop``); ``source`` is already open. ``wake``: with
        a wake word configured, wait for it first (a tap on the screen has already addressed the kiosk).
        ``prompt``: the words the final transcript is likely to hold (a reply to "did you mean ...?")."""
        rec, final = self.kit.recognizers()
        if prompt and hasattr(final or rec, "transcribe"):
            final = PromptedRecognizer(final or rec, prompt)
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

    def _listeners(self, listener: TurnListener | None) -> list[TurnListener]:
        listeners = [listener] if listener is not None else []
        if self.kit.speaker is not None:
            listeners.append(SpeakingListener(self.kit.speaker))
        return listeners

    def answer(self, question: str, listener: TurnListener | None = None) -> Answer:
        """Answer (typed or heard), spoken when the kiosk has a speaker."""
        return self._ask(question, *self._listeners(listener))

    def settle(self, source: AudioSource, offer: Answer, progress: ListenProgress = ListenProgress(),
               should_stop: Callable[[], bool] = lambda: False, listener: TurnListener | None = None,
               on_reply: Callable[[Reply], None] = _nothing) -> tuple[Answer | None, tuple[tuple[Transcript, Reply], ...]]:
        """The kiosk has offered choices (and is saying them): listen for the short reply, barge-in allowed,
        and take the choice it names, or none of them ("neither": passed on; ``on_reply`` hears which first).
        An unclear reply is asked once more; then the choices wait on the screen (None). A tap
        (``should_stop``) ends the listening and decides instead: None, whatever was heard."""
        heard: list[tuple[Transcript, Reply]] = []
        reply = Reply(ReplyKind.UNCLEAR)
        for attempt in range(REPLY_TRIES):
            tr = self.listen(source, progress, should_stop, wake=False, prompt=reply_prompt(offer.choices))
            reply = read_reply(tr.text, offer.choices)
            heard.append((tr, reply))
            if should_stop():
                return None, tuple(heard)  # a tap on the screen: a button, or "stop listening", decides
            if reply.kind is not ReplyKind.UNCLEAR or tr.end_reason == "no_speech":
                break  # answered, or nobody replied: the choices wait on the screen
            if tr.text and self.kit.speaker is not None and attempt + 1 < REPLY_TRIES:  # (a noise: listen on)
                self.kit.speaker.say(WHAT_SORRY)
                self.kit.speaker.say(spoken_offer(offer.choices))
        if reply.kind is ReplyKind.UNCLEAR or self._choose is None:
            return None, tuple(heard)
        on_reply(reply)
        try:
            return self._choose(reply.index, *self._listeners(listener)), tuple(heard)
        except KioskError as exc:
            if exc.code == "no_choice_open":  # a tap took a choice while the visitor was answering
                return None, tuple(heard)
            raise

    def __call__(self, source: AudioSource, progress: ListenProgress = ListenProgress(),
                 should_stop: Callable[[], bool] = lambda: False, listener: TurnListener | None = None,
                 after_listening: Callable[[], None] = _nothing,
                 proceed: Callable[[str], bool] = lambda _text: True, wake: bool = True,
                 replies: bool = True) -> VoiceResult:
        """The whole turn. ``after_listening`` runs once the transcript is final (the touchscreen closes the
        microphone there); ``proceed`` sees the transcript (maybe empty) and may decline to answer it (a wiped
        session). ``replies``: when the answer offers choices, listen on ``source`` for the spoken reply
        (``settle``); a caller that closed the source in ``after_listening`` calls ``settle`` itself."""
        try:
            transcript = self.listen(source, progress, should_stop, wake)
        finally:
            after_listening()
        go = proceed(transcript.text)  # told even when nothing was heard
        if not transcript.text or not go:
            return VoiceResult(transcript, None)
        answer = self.answer(transcript.text, listener)
        if answer.source is not Route.CLARIFY or not answer.choices or not replies:
            return VoiceResult(transcript, answer)
        chosen, heard = self.settle(source, answer, progress, should_stop, listener)
        return VoiceResult(transcript, chosen or answer, answer, heard)


def _metered(blocks: Iterator[np.ndarray], level: Callable[[float], None]) -> Iterator[np.ndarray]:
    for block in blocks:
        level(loudness(block))
        yield block
