"""Does the recogniser spell a venue's own names as its pack does? Questions written by helpers for the judge's
training venues (models/judge/venues/*/questions.jsonl; the helpers wrote each pack and its questions, and saw
no code) that name something of their venue Whisper's vocabulary does not hold whole ("colasay", "dijkzicht",
"bluewren": a word of two or more tokens), said by the Piper voice and by eSpeak NG, transcribed by the kiosk's
Whisper with the venue's pack words as its prompt and without, same run. A hit: the name comes back spelt as
the pack spells it (case aside).

    .venv/bin/python tests/benchmarks/pack_names.py [--per-venue 2] [--venues 20]

Never asserts; prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np

VENUES = Path(__file__).resolve().parents[2] / "models" / "judge" / "venues"
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][\w'-]+(?: [A-Z][\w'-]+)*")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-venue", type=int, default=2)
    ap.add_argument("--venues", type=int, default=20)
    args = ap.parse_args()
    from kiosk.app import make_tts
    from kiosk.bench.noise import espeak_speaker
    from kiosk.config import load_config
    from kiosk.knowledge.pack import load_pack
    from kiosk.speech.audio import RATE, resample
    from kiosk.speech.recognizers import WhisperRecognizer
    from kiosk.speech.setup import pack_bias

    cfg = load_config(None)
    whisper = WhisperRecognizer(threads=cfg.speech.threads, beam_size=cfg.speech.beam_size)
    tok = whisper.model.hf_tokenizer

    def unknown(name: str) -> bool:
        return any(len(tok.encode(" " + w, add_special_tokens=False).ids) >= 2 and len(w) > 3
                   for w in name.split())

    cases = []  # (venue, question, name, bias words)
    for v in sorted(VENUES.iterdir())[: args.venues]:
        pack = load_pack(v / "pack")
        names = {n for e in pack.entries for n in _NAME.findall(e.body)} | {pack.title}
        names = {n for n in names if unknown(n)}
        bias = pack_bias(pack.entries, pack.title)
        taken = 0
        for line in (v / "questions.jsonl").read_text().splitlines():
            q = json.loads(line)["q"]
            found = [n for n in names if re.search(r"\b" + re.escape(n.lower()) + r"\b", q.lower())]
            if found and taken < args.per_venue:
                cases.append((v.name, q, max(found, key=len), bias))
                taken += 1
    piper = make_tts(cfg)
    espeak = espeak_speaker()
    voices = {"piper": lambda t: resample(piper.synthesize(t), piper.sample_rate), "espeak": lambda t: espeak(t, 160)}
    def as_before(bias):  # the prompt until now: the first 60 words, cut at 400 characters
        whisper.set_bias([])
        whisper.prompt = ", ".join(bias[:60])[:400] or None

    sides = {"pack words off": lambda bias: whisper.set_bias([]), "as before": as_before,
             "pack words on": lambda bias: whisper.set_bias(bias)}
    hits = {(s, v): 0 for s in sides for v in voices}
    misses = []
    for venue, q, name, bias in cases:
        for vname, speak in voices.items():
            audio = np.concatenate([np.zeros(RATE // 4, np.float32), speak(q), np.zeros(RATE // 2, np.float32)])
            for side, words in sides.items():
                words(bias)
                text = whisper.transcribe(audio)
                ok = name.lower() in text.lower()
                hits[(side, vname)] += ok
                if not ok and side == "pack words on":
                    misses.append(f"  {venue} ({vname}): {name!r} in {q!r} -> {text!r}")
    print("\n".join(misses))
    n = len(cases)
    print(f"{n} questions from {len({c[0] for c in cases})} venues naming {len({c[2] for c in cases})} names")
    for side in sides:
        print(f"  {side}: " + ", ".join(f"{v} {hits[(side, v)]}/{n} ({hits[(side, v)] / max(1, n):.0%})"
                                        for v in voices))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
