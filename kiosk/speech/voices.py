"""The kiosk's voices: Piper (a natural neural voice, the default) and eSpeak NG (robotic, tiny: the voice
when resources run short and the fallback when the neural voice is missing), behind one ``synthesize``."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from kiosk.errors import KioskError, ModelError
from kiosk.speech.audio import resample
from kiosk.speech.tts import EspeakTTS

log = logging.getLogger("kiosk")
ESPEAK = "espeak"


class PiperTTS:
    """A Piper voice (ONNX, run by onnxruntime; phonemes from the eSpeak NG built into ``piper-tts``)."""

    def __init__(self, name: str, model: Path, rate_wpm: int = 160, volume: int = 100) -> None:
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise ModelError("tts_missing", "piper-tts is not installed; run packaging/setup.sh") from exc
        config = Path(f"{model}.json")
        try:
            self.voice = PiperVoice.load(str(model), config_path=str(config))
        except Exception as exc:  # onnxruntime and JSON errors alike: the voice is unusable
            raise ModelError("tts_voice_load_failed", f"cannot load Piper voice {model}: {exc}") from exc
        self.name = name
        self.sample_rate = int(self.voice.config.sample_rate)
        # Piper speaks at about 160 words a minute at length_scale 1; the setting scales duration.
        self._syn = SynthesisConfig(length_scale=160 / max(60, rate_wpm), volume=volume / 100,
                                    normalize_audio=True)
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> np.ndarray:
        with self._lock:
            try:
                chunks = [c.audio_float_array for c in self.voice.synthesize(text, self._syn)]
            except Exception as exc:
                raise ModelError("tts_failed", f"Piper could not speak this text: {exc}") from exc
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


class Voice:
    """What the speaker speaks with: the configured neural voice while the kiosk has the resources for it,
    else eSpeak NG. ``plain()`` (the governor stepped down for want of memory or CPU) frees the neural voice;
    ``full()`` loads it again on the next sentence. Output is always at ``sample_rate``."""

    def __init__(self, neural_name: str, locate, rate_wpm: int = 160, volume: int = 100,
                 espeak_voice: str = "en-us") -> None:
        """``locate(name) -> Path`` finds a voice file (raises ``ModelError``); ``neural_name`` '' = eSpeak only."""
        self.espeak = EspeakTTS(espeak_voice, rate_wpm, volume)
        self.sample_rate = self.espeak.sample_rate
        self._neural_name, self._locate = neural_name, locate
        self._rate_wpm, self._volume = rate_wpm, volume
        self._neural: PiperTTS | None = None
        self._failed = ""  # why the neural voice is unavailable (said once)
        self._plain = not neural_name
        self._lock = threading.Lock()

    @property
    def active(self) -> str:
        """The voice the next sentence is spoken with."""
        return self._neural_name if self._neural_name and not self._plain and not self._failed else ESPEAK

    @property
    def unavailable(self) -> str:
        return self._failed

    def load(self) -> None:
        """Load the neural voice now (start-up), so the first answer does not wait for it."""
        with self._lock:
            self._neural_voice()

    def _neural_voice(self) -> PiperTTS | None:
        if self._plain or self._failed or not self._neural_name:
            return None
        if self._neural is None:
            try:
                self._neural = PiperTTS(self._neural_name, self._locate(self._neural_name), self._rate_wpm,
                                        self._volume)
            except KioskError as exc:
                self._failed = exc.message
                log.warning("spoken answers use eSpeak NG: %s", exc.message)
                return None
        return self._neural

    def plain(self) -> None:
        with self._lock:
            self._plain, self._neural = True, None

    def full(self) -> None:
        with self._lock:
            self._plain = not self._neural_name

    def synthesize(self, text: str) -> np.ndarray:
        with self._lock:
            neural = self._neural_voice()
        if neural is not None:
            try:
                return resample(neural.synthesize(text), neural.sample_rate, self.sample_rate)
            except KioskError as exc:  # one bad sentence: said with eSpeak rather than not at all
                log.warning("Piper failed, eSpeak NG speaks this sentence: %s", exc.message)
        return self.espeak.synthesize(text)
