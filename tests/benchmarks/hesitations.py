"""Does the end-pointer wait for a visitor who pauses? Forty two-part utterances (written by a helper that saw
no code or thresholds: tests/benchmarks/hesitations.json): 24 questions with a hesitation mid-sentence, 8 pairs
of questions, 8 questions with an afterthought. Each is spoken in the kiosk's voice with a pause between the
parts, fed in real time through the kiosk's own end-pointer and recogniser; "cut" = the transcript lacks the
second part's last word (a recognition slip counts too, on both sides of a comparison).

    .venv/bin/python tests/benchmarks/hesitations.py [--pause 0.35] [--complete 0.3]

Never asserts; prints figures. `--complete S` sets [speech] complete_silence_s for the run.
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
    args = ap.parse_args()
    if args.complete is not None:
        os.environ["KIOSK_SPEECH_COMPLETE_SILENCE_S"] = str(args.complete)
    from kiosk.app import Kiosk, make_tts
    from kiosk.config import load_config
    from kiosk.speech.audio import RATE, Clip, resample
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks

    items = json.loads((HERE / "hesitations.json").read_text())
    cfg = load_config(None)
    kiosk = Kiosk(cfg, load_model=False)
    kit = kiosk.speech()
    rec, final = kit.recognizers()
    voice = make_tts(cfg)

    def spoken(text: str) -> np.ndarray:
        x = resample(voice.synthesize(text), voice.sample_rate)
        lv = np.sqrt((x[: len(x) // 160 * 160].reshape(-1, 160).astype(np.float64) ** 2).mean(axis=1))
        act = np.flatnonzero(lv > lv.max() * 0.02)
        return x[act[0] * 160:(act[-1] + 1) * 160]

    cuts: dict[str, list[int]] = {}
    try:
        for it in items:
            a, b = it["parts"]
            audio = np.concatenate([np.zeros(RATE // 2, np.float32), spoken(a),
                                    np.zeros(int(RATE * args.pause), np.float32), spoken(b),
                                    np.zeros(RATE * 2, np.float32)])
            tr = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=True), rec, final,
                                   endpoint=kit.endpoint, detector=kit.detector())
            ok = re.findall(r"[a-z']+", b.lower())[-1] in tr.text.lower()
            c = cuts.setdefault(it["kind"], [0, 0])
            c[0], c[1] = c[0] + (not ok), c[1] + 1
            if not ok:
                print(f"  cut {it['kind']}: {a!r} | {b!r} -> {tr.text!r} ({tr.end_reason})")
    finally:
        kiosk.close()
    print(f"pause {args.pause} s, end_silence_s {kit.endpoint.end_silence_s}, complete_silence_s "
          f"{kit.endpoint.complete_silence_s}: " + ", ".join(f"{k} {v[0]}/{v[1]} cut" for k, v in cuts.items()))


if __name__ == "__main__":
    main()
