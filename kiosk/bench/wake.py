"""The optional wake word: misses on the wake phrase said in the configured voice (three speeds, alone and
followed by a question), and false accepts per hour of other speech (the pack's questions) and of noise
(babble, music, street hum), all made here."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from kiosk.speech.audio import RATE

CARRIERS = ("{}.", "{}, where are the toilets?", "{}! What time do you close?")
SPEEDS = (0.85, 1.0, 1.15)
PHRASES = {"okay_nabu": "Okay Nabu", "hey_jarvis": "Hey Jarvis", "hey_mycroft": "Hey Mycroft", "alexa": "Alexa"}


def _detections(wake, audio: np.ndarray) -> int:
    wake.reset()
    return sum(wake.heard(audio[i:i + RATE // 10]) for i in range(0, len(audio), RATE // 10))


def bench_wake_word(config, questions: Sequence[str], name: str = "okay_nabu", minutes: float = 5.0) -> dict[str, Any]:
    from kiosk.bench.noise import babble, espeak_speaker, music, street
    from kiosk.errors import KioskError
    from kiosk.llm.manifest import locate_voice
    from kiosk.speech.audio import resample
    from kiosk.speech.voices import PiperTTS
    from kiosk.speech.wakeword import WakeWord

    try:
        wake = WakeWord(name)
        voice = PiperTTS(config.tts.voice, locate_voice(config.tts.voice))
    except KioskError as exc:
        return {"skipped": exc.message}
    from piper import SynthesisConfig

    def say(text: str, speed: float = 1.0) -> np.ndarray:
        voice._syn = SynthesisConfig(length_scale=speed, volume=1.0, normalize_audio=True)
        return resample(voice.synthesize(text), voice.sample_rate) * 0.5

    pad = np.zeros(RATE // 2, np.float32)
    said = [np.concatenate([pad, say(c.format(PHRASES[name]), s), pad]) for s in SPEEDS for c in CARRIERS]
    missed = sum(_detections(wake, a) == 0 for a in said)
    n = int(minutes * 60 * RATE)
    speech = np.concatenate([np.concatenate([say(q), pad]) for q in questions])
    speech = np.tile(speech, n // len(speech) + 1)[:n]
    rng = np.random.default_rng(13)

    rooms = {"speech": speech, "babble": babble(minutes * 60, rng, espeak_speaker(config.tts.espeak_voice)),
             "music": music(minutes * 60, rng),
             "street": street(minutes * 60, rng)}
    per_hour = {k: round(_detections(wake, a / (np.abs(a).max() + 1e-9) * 0.5) * 60 / minutes, 1)
                for k, a in rooms.items()}
    return {"wake_word": name, "said": len(said), "missed": missed, "minutes_per_room": minutes,
            "false_accepts_per_hour": per_hour}
