"""Offline text to speech with eSpeak NG from the PyPI package ``espeakng-loader`` (library + voice data),
driven through ctypes: no Debian package, no network."""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from pathlib import Path

import numpy as np

from kiosk.errors import ModelError

AUDIO_OUTPUT_SYNCHRONOUS = 0x02
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE, ESPEAK_VOLUME = 1, 2
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def _package_dir() -> Path:
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or spec.origin is None:
        raise ModelError("tts_missing", "espeakng-loader is not installed; run packaging/setup.sh")
    return Path(spec.origin).parent


class EspeakTTS:
    """One eSpeak NG instance per process (the library is global); calls are serialised."""

    _lock = threading.Lock()
    _lib = None
    _rate_hz = 0

    def __init__(self, voice: str = "en-us", rate_wpm: int = 160, volume: int = 100) -> None:
        self.voice, self.rate_wpm, self.volume = voice, rate_wpm, volume
        with self._lock:
            if EspeakTTS._lib is None:
                d = _package_dir()
                try:
                    lib = ctypes.CDLL(str(d / "libespeak-ng.so"))
                except OSError as exc:
                    raise ModelError("tts_missing", f"cannot load libespeak-ng: {exc}") from exc
                lib.espeak_Initialize.restype = ctypes.c_int
                rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(d / "espeak-ng-data").encode(), 0)
                if rate <= 0:
                    raise ModelError("tts_failed", "eSpeak NG failed to initialise")
                EspeakTTS._lib, EspeakTTS._rate_hz = lib, rate
                self._chunks: list[np.ndarray] = []
        self.lib = EspeakTTS._lib
        self.sample_rate = EspeakTTS._rate_hz

    def synthesize(self, text: str) -> np.ndarray:
        """Float32 mono samples at ``sample_rate`` for ``text``."""
        chunks: list[np.ndarray] = []

        @_CALLBACK
        def collect(wav, n, events):
            if n > 0 and wav:
                chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.float32) / 32768.0)
            return 0

        data = text.encode("utf-8") + b"\0"
        with self._lock:
            lib = self.lib
            lib.espeak_SetSynthCallback(collect)
            if lib.espeak_SetVoiceByName(self.voice.encode()) != 0:
                raise ModelError("tts_voice", f"unknown eSpeak voice {self.voice!r}")
            lib.espeak_SetParameter(ESPEAK_RATE, int(self.rate_wpm), 0)
            lib.espeak_SetParameter(ESPEAK_VOLUME, int(self.volume), 0)
            rc = lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
            if rc != 0:
                raise ModelError("tts_failed", f"eSpeak NG could not speak this text (code {rc})")
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
