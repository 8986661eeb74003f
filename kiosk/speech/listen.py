"""From audio blocks to a transcript: end-pointing, streaming partials, the accurate final pass."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from kiosk.speech.audio import RATE, rms
from kiosk.speech.end_of_turn import Turn, ends_open, verdict
from kiosk.speech.recognizers import Recognizer
from kiosk.speech.vad import Endpointer, VadConfig

SPECULATE_AFTER_S = 0.2
SPECULATE_EARLY_S = 0.1  # when a whole sentence may end the utterance early, its pass must start sooner
_SENTENCE_END = (".", "?", "!")


def whole_sentence(text: str) -> bool:
    """A transcript that reads as finished: two or more words ending in . ? or ! (not a trailing "..."),
    and not on a word that cannot end an English sentence."""
    t = text.strip()
    if len(t.split()) < 2 or not t.endswith(_SENTENCE_END) or t.endswith(("..", "…")):
        return False
    return not ends_open(t)


@dataclass
class Transcript:
    text: str
    engine: str
    duration_s: float
    elapsed_s: float
    partials: list[str] = field(default_factory=list)
    final_engine: str = ""
    end_reason: str = ""
    speech_end_to_final_ms: float = 0.0
    end_of_turn: str = "silence"  # what could end it: "model" (the end-of-turn model) or "silence"

    @property
    def rtf(self) -> float:
        return self.elapsed_s / self.duration_s if self.duration_s else 0.0

    def public(self) -> dict:
        return {"text": self.text, "engine": self.engine, "final_engine": self.final_engine or self.engine,
                "duration_s": round(self.duration_s, 3), "elapsed_s": round(self.elapsed_s, 3),
                "rtf": round(self.rtf, 3), "partials": self.partials, "end_reason": self.end_reason,
                "end_of_turn": self.end_of_turn}


def transcribe_blocks(blocks: Iterable[np.ndarray], rec: Recognizer, final_pass: Recognizer | None = None,
                      on_partial: Callable[[str], None] | None = None, endpoint: VadConfig | None = None,
                      should_stop: Callable[[], bool] = lambda: False, detector=None, turn_model=None,
                      turn_threshold: float = 0.5) -> Transcript:
    """Recognise until the blocks end or, with ``endpoint``, until the visitor stops talking.

    ``detector`` (a ``SileroStream``) gives the end-pointer a speech probability per block; without one it
    goes by level. ``turn_model`` (a ``SmartTurn``): after ``turn_check_s`` of silence it is asked, beside the
    speculative final pass, whether the visitor has finished (kiosk.speech.end_of_turn). ``elapsed_s``
    counts only recognition work (not waiting for real-time audio), so ``rtf`` is the engine's cost per
    second of audio.
    """
    stream = rec.stream()
    ep = Endpointer(endpoint) if endpoint else None
    # With end-pointing, the accurate final pass starts speculatively once the visitor falls silent, so it
    # is (nearly) done by the time the silence is long enough to count as the end of the utterance.
    accurate = final_pass if final_pass is not None else (rec if hasattr(rec, "transcribe") else None)
    pool = ThreadPoolExecutor(2) if ep is not None and accurate is not None else None
    spec: tuple[int, Future] | None = None
    turn: Future | None = None  # the end-of-turn model's P(finished) for the current silence
    speculate_after = (SPECULATE_EARLY_S if ep is not None and ep.c.complete_silence_s else
                       ep.c.turn_check_s if ep is not None and turn_model is not None else SPECULATE_AFTER_S)
    partials: list[str] = []
    kept: list[np.ndarray] = []
    heard: list[np.ndarray] = []
    work = 0.0
    n = 0
    for block in blocks:
        if ep is not None:
            state = ep.process(len(block) / RATE, rms(block),
                               detector.probability(block) if detector is not None else None)
            if should_stop():
                ep.stop()
            if ep.state == Endpointer.WAITING:
                kept = kept[-3:] + [block]  # keep a little audio from just before speech began
                continue
            if kept:
                block, kept = np.concatenate(kept + [block]), []
        n += len(block)
        heard.append(block)
        t = time.perf_counter()
        partial = stream.accept(block)
        work += time.perf_counter() - t
        if partial:
            partials.append(partial)
            if on_partial:
                on_partial(partial)
        if pool is not None:
            if ep.silence_run == 0.0:
                spec = turn = None  # still talking: a speculative pass would miss words
            elif spec is None and ep.silence_run >= speculate_after:
                audio = np.concatenate(heard)
                spec = (n, pool.submit(accurate.transcribe, audio))
                if turn_model is not None:
                    turn = pool.submit(turn_model.complete_probability, audio)
                    ep.hold()  # the silence does not end the turn while the model decides (the transcript
                    # is waited for at the end anyway), only the hesitation limit does
            elif turn is not None and turn.done() and spec[1].done():
                says = verdict(turn.result(), spec[1].result(), turn_threshold)
                if says is Turn.FINISHED:
                    state = ep.complete("turn_model")
                elif says is Turn.UNSURE:
                    state = ep.release()
                turn = None
            elif (spec is not None and ep.c.complete_silence_s and ep.silence_run >= ep.c.complete_silence_s
                  and spec[1].done() and whole_sentence(spec[1].result())):
                state = ep.complete()
        if ep is not None and state == Endpointer.DONE:
            break
    t = time.perf_counter()
    final_engine = ""
    if spec is not None:
        text, final_engine = spec[1].result(), accurate.name  # audio after the snapshot is silence
    else:
        text = stream.final() if final_pass is None or not n else ""
        if final_pass is not None and n:
            text, final_engine = final_pass.transcribe(np.concatenate(heard)), final_pass.name
    if pool is not None:
        pool.shutdown(wait=False)
    done = time.perf_counter()
    work += done - t
    return Transcript(text.strip(), rec.name, n / RATE, work, partials, final_engine,
                      ep.reason if ep else "end_of_audio", (done - t) * 1000,
                      "model" if turn_model is not None and pool is not None else "silence")
