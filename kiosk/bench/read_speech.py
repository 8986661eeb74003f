"""Word error rate on real read speech: the recordings in the pocketsphinx 5.1.1 source release on PyPI
(five card names said by one speaker, five LibriVox sentences read by another; BSD-2-Clause / LibriVox
public domain), fetched once into the cache and checked against a pinned digest. Also mixed with crowd
babble at 10 dB SNR. Both go through the same chain as `kiosk transcribe FILE`."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

SDIST = ("https://files.pythonhosted.org/packages/61/e7/13e0e787ff467218de880310d79cba14424f13b87171ac44af0bde1e428c/"
         "pocketsphinx-5.1.1.tar.gz")
SHA256 = "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355"
_TRANSCRIPTS = ("test/data/cards/cards.transcription", "test/data/librivox/transcription")
_LINE = re.compile(r"<s>\s*(.*?)\s*</s>\s*\((\S+)\)")


@dataclass(frozen=True)
class Recording:
    name: str
    text: str
    samples: np.ndarray  # 16 kHz mono float32


def _fetch(cache: Path, fetch: bool = True) -> bytes:
    path = cache / "pocketsphinx-5.1.1.tar.gz"
    if not path.is_file() and not fetch:
        raise RuntimeError(f"not fetched (--offline) and not in {cache}")
    if not path.is_file():
        import httpx

        cache.mkdir(parents=True, exist_ok=True)
        data = httpx.get(SDIST, timeout=120, follow_redirects=True).content
        if hashlib.sha256(data).hexdigest() != SHA256:
            raise RuntimeError(f"{SDIST}: digest mismatch")
        path.with_suffix(".part").write_bytes(data)
        path.with_suffix(".part").replace(path)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError(f"{path}: digest mismatch; delete it to fetch again")
    return data


def recordings(cache: Path, fetch: bool = True) -> list[Recording]:
    from kiosk.speech.audio import read_wav

    with tarfile.open(fileobj=io.BytesIO(_fetch(cache, fetch))) as tar:
        root = tar.getnames()[0].split("/")[0]
        out = []
        for tfile in _TRANSCRIPTS:
            folder = tfile.rsplit("/", 1)[0]
            for text, name in _LINE.findall(tar.extractfile(f"{root}/{tfile}").read().decode()):
                wav = tar.extractfile(f"{root}/{folder}/{name}.wav").read()
                out.append(Recording(name, text, read_wav(io.BytesIO(wav), 60).samples))
    return out


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
        "sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ABBREV = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay"}


def _number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _number(n % 100))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalise(text: str) -> list[str]:
    """Words for scoring, as Whisper's evaluations normalise: case, punctuation, hyphens, digits spelled
    out, common abbreviations expanded."""
    text = re.sub(r"[-_/]", " ", text.lower())
    text = re.sub(r"\d+", lambda m: " " + _number(int(m.group())) + " ", text)
    return [_ABBREV.get(w, w) for w in re.findall(r"[a-z']+", text)]


def edits(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


def doubled(ref: list[str], hyp: list[str]) -> bool:
    """The transcript says a word or phrase again straight after itself where the reader did not."""
    from kiosk.speech.recognizers import loops

    return loops(" ".join(hyp)) and not loops(" ".join(ref))


def score(recs: list[Recording], transcribe: Callable[[np.ndarray], str]) -> dict[str, Any]:
    errs = words = dup = 0
    audio_s = cpu_s = 0.0
    misses = []
    for r in recs:
        t = time.perf_counter()
        hyp = transcribe(r.samples)
        cpu_s += time.perf_counter() - t
        audio_s += len(r.samples) / 16000
        ref, h = normalise(r.text), normalise(hyp)
        e = edits(ref, h)
        errs, words, dup = errs + e, words + len(ref), dup + doubled(ref, h)
        if e:
            misses.append(f"{r.name}: {r.text!r} -> {hyp!r}")
    return {"recordings": len(recs), "words": words, "errors": errs, "wer": round(errs / max(1, words), 3),
            "doubled": dup, "rtf": round(cpu_s / max(audio_s, 1e-9), 3), "misses": misses}


def chain(rec, final) -> Callable[[np.ndarray], str]:
    """What `kiosk transcribe FILE` does with a recording, as a function of its samples."""
    from kiosk.speech.audio import RATE, Clip
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks

    def run(samples: np.ndarray) -> str:
        return transcribe_blocks(wav_blocks(Clip(samples, RATE, 1, 2, len(samples) / RATE)), rec, final).text

    return run


def babble_mix(recs: list[Recording], snr_db: float, seed: int = 7) -> list[Recording]:
    from kiosk.bench.noise import LEAD_S, TAIL_S, babble, espeak_speaker, mix

    rng = np.random.default_rng(seed)
    speak = espeak_speaker()
    out = []
    for r in recs:
        noise = babble(LEAD_S + len(r.samples) / 16000 + TAIL_S + 0.1, rng, speak)
        out.append(Recording(r.name, r.text, mix(r.samples, noise, snr_db)[0].astype(np.float32)))
    return out


def bench_read_speech(kiosk, cache: Path, fetch: bool = True) -> dict[str, Any]:
    try:
        recs = recordings(cache, fetch)
    except Exception as exc:  # no registry, digest mismatch: say so in the report
        return {"skipped": f"real read speech unavailable: {exc}"}
    rec, final = kiosk.speech().recognizers()
    accurate = final or rec
    noisy = babble_mix(recs, 10.0)
    out: dict[str, Any] = {"engine": accurate.name, "beam_size": getattr(accurate, "beam_size", 1)}
    out["clean"], out["babble_10db"] = score(recs, chain(rec, final)), score(noisy, chain(rec, final))
    if out["beam_size"] > 1:  # the baseline, in the same run: greedy decoding
        accurate.beam_size = 1
        try:
            out["greedy"] = {"clean": score(recs, chain(rec, final)), "babble_10db": score(noisy, chain(rec, final))}
        finally:
            accurate.beam_size = out["beam_size"]
    out.update(target_wer=0.08, target_babble_wer=0.25)
    return out
