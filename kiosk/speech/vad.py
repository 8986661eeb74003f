"""End-pointing: when did the visitor start and stop talking? Pure logic; time is passed in.

Feed ``process(frame_seconds, level, speech_prob)`` per audio frame (``level`` = RMS in 0..1). With a
speech probability (Silero VAD, ``kiosk.speech.silero``) speech is a probability over ``speech_prob`` to
start and over ``silence_prob`` to go on (hysteresis); without one (the energy fallback) it is a level well
above an adaptive noise floor. An utterance starts after ``start_s`` of speech and ends after
``end_silence_s`` of silence, at ``max_utterance_s``, on ``stop()`` (tap to stop), or gives up after
``no_speech_timeout_s`` without speech.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VadConfig:
    start_s: float = 0.12
    end_silence_s: float = 0.6
    # A shorter silence ends the utterance when what was said is already a whole sentence (the transcript
    # of the speculative final pass ends in . ? or !); 0 = always wait end_silence_s.
    complete_silence_s: float = 0.0
    # With an end-of-turn model: its verdict is asked after turn_check_s of silence; "still talking" holds
    # the utterance open until hesitation_s of silence (kiosk.speech.end_of_turn).
    turn_check_s: float = 0.2
    hesitation_s: float = 1.2
    max_utterance_s: float = 15.0
    no_speech_timeout_s: float = 8.0
    ratio: float = 3.0           # speech = level above ratio x noise floor
    min_level: float = 0.004     # ...and above this absolute level (digital silence is not speech)
    calibrate_s: float = 0.25    # the first frames measure the room, they are never speech
    speech_prob: float = 0.5     # with a speech detector: this probability starts speech...
    silence_prob: float = 0.35   # ...and below this one it has stopped
    # ...and the voice must stand out from the room: babble is speech too, but the visitor at the kiosk is
    # louder than the crowd behind them (start: this far over the noise floor; go on: the second).
    prob_ratio: float = 1.6
    prob_ratio_on: float = 1.5


class Endpointer:
    WAITING, SPEAKING, DONE = "waiting", "speaking", "done"

    def __init__(self, config: VadConfig = VadConfig()) -> None:
        self.c = config
        self.state = self.WAITING
        self.reason = ""
        self.noise = 0.0
        self.elapsed = 0.0
        self.speech_run = 0.0
        self.silence_run = 0.0
        self.held = False  # the end-of-turn model heard a pause, not an end: this silence may last longer
        self.utterance_s = 0.0
        self.started_at: float | None = None
        self.ended_at: float | None = None

    def is_speech(self, level: float) -> bool:
        floor = self.noise if self.noise > 0 else level
        return level >= self.c.min_level and level >= floor * self.c.ratio

    def process(self, seconds: float, level: float, speech_prob: float | None = None) -> str:
        """Advance by one frame; returns the state after it."""
        if self.state == self.DONE:
            return self.state
        calibrating = self.elapsed < self.c.calibrate_s
        if speech_prob is None:
            speech = not calibrating and self.is_speech(level)
        else:
            waiting = self.state == self.WAITING
            floor = self.noise if self.noise > 0 else level
            speech = (not calibrating
                      and speech_prob >= (self.c.speech_prob if waiting else self.c.silence_prob)
                      and level >= self.c.min_level
                      and level >= floor * (self.c.prob_ratio if waiting else self.c.prob_ratio_on))
        if calibrating:
            if speech_prob is None:  # the quietest frame: a level detector must not take the room for speech
                self.noise = level if self.noise == 0 else min(self.noise, level) if level > 0 else self.noise
            else:  # the room's typical level: a crowd's voices rise and fall around it
                self.noise = level if self.noise == 0 else 0.7 * self.noise + 0.3 * level
            self.noise = max(self.noise, 1e-5)
        elif not speech:  # track the noise floor only on non-speech frames, slowly
            self.noise = level if self.noise == 0 else 0.95 * self.noise + 0.05 * level
            self.noise = max(self.noise, 1e-5)
        self.elapsed += seconds
        if self.state == self.WAITING:
            self.speech_run = self.speech_run + seconds if speech else 0.0
            if self.speech_run >= self.c.start_s:
                self.state = self.SPEAKING
                self.started_at = self.elapsed - self.speech_run
                self.utterance_s = self.speech_run
            elif self.elapsed >= self.c.no_speech_timeout_s:
                self._finish("no_speech")
            return self.state
        self.utterance_s += seconds
        self.silence_run = 0.0 if speech else self.silence_run + seconds
        if speech:
            self.held = False
        if self.silence_run >= (self.c.hesitation_s if self.held else self.c.end_silence_s):
            self._finish("silence")
        elif self.utterance_s >= self.c.max_utterance_s:
            self._finish("max_length")
        return self.state

    def complete(self, reason: str = "complete") -> str:
        """What was said is finished (a whole sentence; the end-of-turn model): it ends before the full silence."""
        if self.state == self.SPEAKING:
            self._finish(reason)
        return self.state

    def hold(self) -> str:
        """The visitor is only pausing (or the end-of-turn model is still deciding): this silence ends the
        utterance at hesitation_s, not end_silence_s."""
        if self.state == self.SPEAKING and self.silence_run > 0:
            self.held = True
        return self.state

    def release(self) -> str:
        """Back to the ordinary silence rule for this silence (it may already be long enough)."""
        self.held = False
        return self.state

    def stop(self) -> str:
        """The visitor tapped stop."""
        if self.state != self.DONE:
            self._finish("tap" if self.state == self.SPEAKING else "cancelled")
        return self.state

    def _finish(self, reason: str) -> None:
        self.state, self.reason, self.ended_at = self.DONE, reason, self.elapsed

    @property
    def heard_speech(self) -> bool:
        return self.started_at is not None
