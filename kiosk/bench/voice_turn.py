"""End of speech to first answer audio, through the kiosk's own voice turn: a question in the configured
voice played in real time as if a microphone heard it, end-pointed, transcribed, answered and spoken back.
Parts: waiting for the silence that ends the utterance plus the final transcript, the answer (retrieval and
routing, or generation), and the first sentence's synthesis up to its first sample. The device's own buffer is
not in these figures (the speaker writes to a silent output here)."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kiosk.speech.audio import RATE
from kiosk.stats import percentile as pct

LEAD_S = 0.6  # WavSource's room tone before the question


class _Timed:
    """A WavSource that notes when its audio clock started (its first block's first sample)."""

    def __init__(self, source) -> None:
        self.source, self.t0 = source, 0.0

    def open(self):
        self.source.open()
        return self

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        return self.source.wait_ready(timeout_s)

    def blocks(self):
        for i, block in enumerate(self.source.blocks()):
            if i == 0:  # the first block arrives once it has been recorded: the clock started a block earlier
                self.t0 = time.perf_counter() - len(block) / RATE
            yield block

    def close(self) -> None:
        self.source.close()


def _speech_end_s(samples: np.ndarray) -> float:
    frames = samples[: len(samples) // 480 * 480].reshape(-1, 480)
    levels = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    active = np.flatnonzero(levels > levels.max() * 10 ** (-35 / 20))
    return (active[-1] + 1) * 480 / RATE if len(active) else 0.0


def bench_voice_turn(kiosk, questions: Sequence[str]) -> dict[str, Any]:
    from kiosk.speech.audio import resample, write_wav
    from kiosk.speech.capture import WavSource
    from kiosk.speech.speaker import SilentOutput, Speaker

    kit = kiosk.speech(speak=True)
    if kit.speaker is None:
        return {"skipped": "no voice"}
    voice = kit.speaker.tts
    kit.speaker.close()
    kit.speaker = Speaker(voice, SilentOutput())  # no device here: synthesis and hand-off are measured
    turn = kiosk.voice(speak=True)
    first = threading.Event()
    stamp: dict[str, float] = {}

    def on_event(ev) -> None:
        if ev.kind == "first_sample" and "first" not in stamp:
            stamp["first"] = ev.at
            first.set()

    kit.speaker.subscribe(on_event)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, q in enumerate(questions):
            clean = resample(voice.synthesize(q), voice.sample_rate)
            path = Path(tmp) / f"{i}.wav"
            write_wav(path, clean, RATE)
            source = _Timed(WavSource(path, realtime=True, lead_s=LEAD_S))
            stamp.clear()
            first.clear()
            kiosk.reset_session()
            transcript = turn.listen(source.open())
            heard = time.perf_counter()
            if not transcript.text:
                continue
            answer = turn.answer(transcript.text)
            answered = time.perf_counter()
            first.wait(10)
            kit.speaker.stop()
            kit.speaker.wait_idle(5)
            if "first" not in stamp:
                continue
            end = source.t0 + LEAD_S + _speech_end_s(clean)
            rows.append({"total": (stamp["first"] - end) * 1000, "endpoint_and_final": (heard - end) * 1000,
                         "answer": (answered - heard) * 1000, "first_audio": (stamp["first"] - answered) * 1000,
                         "route": str(answer.source), "end_reason": transcript.end_reason})
    if not rows:
        return {"skipped": "no question was heard and answered"}
    mode, why = kit.end_of_turn()
    out: dict[str, Any] = {"questions": len(rows), "voice": voice.active, "end_of_turn": mode,
                           "end_of_turn_reason": why, "end_silence_s": kiosk.config.speech.end_silence_s,
                           "ended_by": {r: sum(x["end_reason"] == r for x in rows) for r in
                                        sorted({x["end_reason"] for x in rows})}, "target_ms_p50": 700}
    for k in ("total", "endpoint_and_final", "answer", "first_audio"):
        vals = [r[k] for r in rows]
        out[f"{k}_ms_p50"], out[f"{k}_ms_p95"] = round(pct(vals, 50), 1), round(pct(vals, 95), 1)
    return out
