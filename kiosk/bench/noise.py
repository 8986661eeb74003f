"""End-pointing in a noisy hall: spoken questions mixed with crowd babble, music and street hum at a given
signal-to-noise ratio, run through the end-pointer with each speech detector. Counts, per detector:

* false start: speech detected in the noise before the question began;
* missed: the question was never detected (or only after it ended);
* cut off: the utterance was ended while the visitor was still talking;
* ran on: the noise kept the utterance open to its length limit (the answer then waits for it).

The noises are made here, from nothing recorded: babble is six eSpeak NG voices talking over each other,
music a chord progression with a beat, street hum low rumble with mains hum and passing traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from kiosk.speech.audio import RATE, resample, rms
from kiosk.speech.vad import Endpointer, VadConfig

BLOCK_S = 0.1
LEAD_S, TAIL_S = 1.5, 2.0
SLACK_S = 0.3  # how far from the question's true edges a detected edge may be


def espeak_speaker(voice: str = "en-us") -> Callable[[str, int], np.ndarray]:
    """``speak(text, wpm)``: eSpeak NG at 16 kHz, for the voices of a crowd."""
    from kiosk.speech.tts import EspeakTTS

    def speak(text: str, wpm: int) -> np.ndarray:
        tts = EspeakTTS(voice, wpm, 100)
        return resample(tts.synthesize(text), tts.sample_rate)

    return speak


BABBLE_LINES = ("Did you see the new exhibition on the second floor yesterday afternoon?",
                "We should get a coffee before the talk starts, the queue is getting long.",
                "My sister said the tickets were cheaper if you book them online in advance.",
                "I think the bus back to the station leaves every twenty minutes from here.",
                "The kids loved the dinosaur room, we stayed there for almost an hour.",
                "Can you hold my bag for a moment while I look for my phone?")


def babble(seconds: float, rng: np.random.Generator, speak: Callable[[str, int], np.ndarray]) -> np.ndarray:
    """Six voices (different speeds) talking at once, each looped with a random start."""
    n = int(seconds * RATE)
    out = np.zeros(n, np.float32)
    for i, line in enumerate(BABBLE_LINES):
        v = speak(line, 130 + 15 * i)
        v = np.tile(v, n // max(1, len(v)) + 2)
        start = int(rng.integers(0, max(1, len(v) - n)))
        out += v[start:start + n] * rng.uniform(0.6, 1.0)
    return out


def music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 311.1)]
    out = np.zeros_like(t)
    for k, chord in enumerate(chords * int(np.ceil(seconds / 2 / len(chords)) + 1)):
        seg = (t >= 2 * k) & (t < 2 * k + 2)
        for f in chord:
            for h, a in ((1, 1.0), (2, 0.4), (3, 0.2)):
                out[seg] += a * np.sin(2 * np.pi * f * h * t[seg])
    beat = 0.6 + 0.4 * (np.sin(2 * np.pi * 2.0 * t) > 0.7)  # a kick twice a second
    return (out * beat + 0.05 * rng.normal(size=len(t))).astype(np.float32)


def street(seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    rumble = np.cumsum(rng.normal(size=n))
    rumble -= np.convolve(rumble, np.ones(801) / 801, mode="same")  # brown noise without its drift
    hum = 0.3 * np.sin(2 * np.pi * 50 * t) + 0.15 * np.sin(2 * np.pi * 100 * t)
    cars = sum(np.exp(-((t - c) ** 2) / 0.8) for c in rng.uniform(0, seconds, 3))  # passing vehicles swell
    hiss = rng.normal(size=n) * (0.2 + 0.8 * cars)
    return (rumble / (np.abs(rumble).max() + 1e-9) + hum + 0.3 * hiss).astype(np.float32)


def mix(question: np.ndarray, noise: np.ndarray, snr_db: float) -> tuple[np.ndarray, float, float]:
    """``question`` placed after LEAD_S of noise, scaled so its level over the noise is ``snr_db``.
    Returns the mix and the question's true start and end (seconds; by 30 ms frames above -35 dB)."""
    lead, tail = int(LEAD_S * RATE), int(TAIL_S * RATE)
    noise = noise[: lead + len(question) + tail]
    frames = question[: len(question) // 480 * 480].reshape(-1, 480)
    levels = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    active = np.flatnonzero(levels > levels.max() * 10 ** (-35 / 20))
    speech_rms = float(np.sqrt(np.mean(frames[active].astype(np.float64) ** 2)))
    gain = speech_rms / (rms(noise) * 10 ** (snr_db / 20))
    out = noise * gain
    out[lead:lead + len(question)] += question
    peak = np.abs(out).max()
    out = out / peak * 0.5 if peak > 0 else out
    return out.astype(np.float32), LEAD_S + active[0] * 0.03, LEAD_S + (active[-1] + 1) * 0.03


@dataclass
class Outcome:
    false_start: bool = False
    missed: bool = False
    cut_off: bool = False
    ran_on: bool = False


def endpoint(clip: np.ndarray, start: float, end: float, detector=None, config: VadConfig = VadConfig()) -> Outcome:
    """What the end-pointer makes of one mixed clip (``detector``: a fresh Silero stream, or None)."""
    ep = Endpointer(config)
    block = int(BLOCK_S * RATE)
    for i in range(0, len(clip), block):
        b = clip[i:i + block]
        ep.process(len(b) / RATE, rms(b), detector.probability(b) if detector is not None else None)
        if ep.state == Endpointer.DONE:
            break
    out = Outcome()
    if ep.started_at is None or ep.started_at > end:
        out.missed = True
        return out
    out.false_start = ep.started_at < start - SLACK_S
    ended = ep.ended_at if ep.ended_at is not None else ep.elapsed
    out.cut_off = ended < end - SLACK_S and not out.false_start
    out.ran_on = ep.reason == "max_length" or ep.state != Endpointer.DONE
    return out


def noise_figures(questions: Sequence[np.ndarray], speak, detectors: dict[str, Callable[[], object]],
                  snrs: Sequence[float] = (10.0, 5.0), seed: int = 0) -> dict:
    """{noise: {snr: {detector: counts}}} over ``questions`` (16 kHz, clean speech)."""
    rng = np.random.default_rng(seed)
    makers = {"babble": lambda s: babble(s, rng, speak), "music": lambda s: music(s, rng),
              "street": lambda s: street(s, rng)}
    report: dict = {}
    for name, make in makers.items():
        for snr in snrs:
            counts = {d: {"false_start": 0, "missed": 0, "cut_off": 0, "ran_on": 0, "ok": 0} for d in detectors}
            for q in questions:
                clip, start, end = mix(q, make(LEAD_S + len(q) / RATE + TAIL_S + 1), snr)
                for d, fresh in detectors.items():
                    o = endpoint(clip, start, end, fresh())
                    c = counts[d]
                    for k in ("false_start", "missed", "cut_off", "ran_on"):
                        c[k] += int(getattr(o, k))
                    c["ok"] += int(not (o.false_start or o.missed or o.cut_off or o.ran_on))
            report.setdefault(name, {})[f"{snr:g} dB"] = counts
    return report


def bench_noise(config, questions: Sequence[str]) -> dict:
    """`kiosk bench`: the pack's questions in the configured voice, in babble, music and street noise at 10 and
    5 dB, end-pointed by level (energy) and by Silero VAD."""
    from kiosk.app import make_speech_detector, make_tts

    detector = make_speech_detector(config)
    if detector is None:
        return {"skipped": "no Silero VAD ([speech] vad, or the model did not load)"}
    voice = make_tts(config)
    clean = [resample(voice.synthesize(q), voice.sample_rate) for q in questions]
    speak = espeak_speaker(config.tts.espeak_voice)
    report = noise_figures(clean, speak, {"energy": lambda: None, "silero": detector.stream})
    rng = np.random.default_rng(11)
    minutes = 10.0
    rooms = {"babble": babble(60 * minutes, rng, speak), "music": music(60 * minutes, rng),
             "street": street(60 * minutes, rng)}
    idle = {name: {"energy": false_starts_in_noise(room / np.abs(room).max() * 0.3),
                   "silero": false_starts_in_noise(room / np.abs(room).max() * 0.3, detector.stream())}
            for name, room in rooms.items()}
    return {"questions": len(clean), "voice": voice.active, "by_noise": report,
            "false_starts_per_10_min_of_noise": idle}


def false_starts_in_noise(noise: np.ndarray, detector=None, config: VadConfig = VadConfig()) -> int:
    """Utterances the end-pointer starts in ``noise`` with nobody at the kiosk: it listens again after each
    one ends (or times out), as a kiosk left listening would."""
    starts, block = 0, int(BLOCK_S * RATE)
    ep = Endpointer(config)
    for i in range(0, len(noise), block):
        b = noise[i:i + block]
        ep.process(len(b) / RATE, rms(b), detector.probability(b) if detector is not None else None)
        if ep.state == Endpointer.DONE:
            starts += int(ep.heard_speech)
            ep = Endpointer(config)  # the detector's state carries on: it is the same room
    return starts + int(ep.heard_speech)
