"""Does the end-pointer wait for a visitor who pauses? Forty two-part utterances (written by a helper that saw
no code or thresholds: tests/benchmarks/hesitations.json): 24 questions with a hesitation mid-sentence, 8 pairs
of questions, 8 questions with an afterthought. Each is spoken in the kiosk's voice with a pause between the
parts, fed in real time through the kiosk's own end-pointer and recogniser; "cut" = the transcript lacks the
second part's last word (a recognition slip counts too, on both sides of a comparison).

    .venv/bin/python tests/benchmarks/hesitations.py [--pause 0.35] [--complete 0.3] [--turn model,silence]

Never asserts; prints figures. `--complete S` sets [speech] complete_silence_s for the run. `--turn` lists the
end-of-turn rules to compare on the same audio in the same run ("model": Smart Turn and the words, after
[speech] turn_check; "silence": end_silence_s); "wait" is from the end of the second part's speech to the
transcript (p50/p95 over the utterances not cut), on this machine as loaded now.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pause", type=float, default=0.35)
    ap.add_argument("--complete", type=float, default=None)
    ap.add_argument("--turn", default="silence", help="comma-separated: model, silence")
    ap.add_argument("--threshold", type=float, default=None, help="[speech] turn_threshold for the model rule")
    args = ap.parse_args()
    if args.complete is not None:
        os.environ["KIOSK_SPEECH_COMPLETE_SILENCE_S"] = str(args.complete)
    from kiosk.app import Kiosk, make_tts
    from kiosk.config import load_config
    from kiosk.speech.audio import RATE, Clip, resample
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.turn_model import load_turn_model
    import time

    items = json.loads((HERE / "hesitations.json").read_text())
    cfg = load_config(None)
    kiosk = Kiosk(cfg, load_model=False)
    kit = kiosk.speech()
    rec, final = kit.recognizers()
    voice = make_tts(cfg)
    modes = args.turn.split(",")
    turn_model = load_turn_model() if "model" in modes else None
    threshold = args.threshold if args.threshold is not None else cfg.speech.turn_threshold

    def spoken(text: str) -> np.ndarray:
        x = resample(voice.synthesize(text), voice.sample_rate)
        lv = np.sqrt((x[: len(x) // 160 * 160].reshape(-1, 160).astype(np.float64) ** 2).mean(axis=1))
        act = np.flatnonzero(lv > lv.max() * 0.02)
        return x[act[0] * 160:(act[-1] + 1) * 160]

    cuts = {m: {} for m in modes}
    waits: dict[str, list[float]] = {m: [] for m in modes}
    reasons: dict[str, dict[str, int]] = {m: {} for m in modes}
    try:
        for it in items:
            a, b = it["parts"]
            pa, pb = spoken(a), spoken(b)
            audio = np.concatenate([np.zeros(RATE // 2, np.float32), pa,
                                    np.zeros(int(RATE * args.pause), np.float32), pb,
                                    np.zeros(RATE * 2, np.float32)])
            speech_end = (RATE // 2 + len(pa) + int(RATE * args.pause) + len(pb)) / RATE
            for mode in modes:
                t0 = time.perf_counter()
                tr = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=True), rec, final,
                                       endpoint=kit.endpoint, detector=kit.detector(),
                                       turn_model=turn_model if mode == "model" else None,
                                       turn_threshold=threshold)
                ok = re.findall(r"[a-z']+", b.lower())[-1] in tr.text.lower()
                c = cuts[mode].setdefault(it["kind"], [0, 0])
                c[0], c[1] = c[0] + (not ok), c[1] + 1
                reasons[mode][tr.end_reason] = reasons[mode].get(tr.end_reason, 0) + 1
                if ok:
                    waits[mode].append((time.perf_counter() - t0 - speech_end) * 1000)
                else:
                    print(f"  {mode}: cut {it['kind']}: {a!r} | {b!r} -> {tr.text!r} ({tr.end_reason})")
    finally:
        kiosk.close()
    print(f"pause {args.pause} s, end_silence_s {kit.endpoint.end_silence_s}, complete_silence_s "
          f"{kit.endpoint.complete_silence_s}, hesitation_s {kit.endpoint.hesitation_s}, "
          f"turn_threshold {threshold}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for mode in modes:
        w = sorted(waits[mode])
        p50, p95 = (np.percentile(w, 50), np.percentile(w, 95)) if w else (float("nan"),) * 2
        print(f"  {mode:8}: " + ", ".join(f"{k} {v[0]}/{v[1]} cut" for k, v in cuts[mode].items())
              + f"; end of speech -> transcript p50 {p50:.0f} ms p95 {p95:.0f} ms; ended by {reasons[mode]}")


if __name__ == "__main__":
    main()
