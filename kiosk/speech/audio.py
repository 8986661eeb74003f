"""Audio in the one shape every recogniser takes: 16 kHz mono float32 in [-1, 1]."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.errors import InputError, StorageError

RATE = 16_000
MAX_WAV_BYTES = 200 << 20


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray  # float32 mono at RATE
    source_rate: int
    source_channels: int
    source_width: int
    clipped_fraction: float

    @property
    def duration_s(self) -> float:
        return len(self.samples) / RATE


def to_mono_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8) | (b[:, 2].astype(np.int32) << 16))
        ints = np.where(ints & 0x800000, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / float(1 << 31)
    else:
        raise InputError("bad_audio", f"unsupported sample width of {width} bytes")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data.astype(np.float32)


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Band-limited enough for speech: a moving-average anti-alias filter, then linear interpolation."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    if rate > target:
        k = int(round(rate / target))
        if k > 1:
            samples = np.convolve(samples, np.ones(k, np.float32) / k, mode="same")
    n_out = int(round(len(samples) * target / rate))
    x_old = np.arange(len(samples), dtype=np.float64) / rate
    x_new = np.arange(n_out, dtype=np.float64) / target
    return np.interp(x_new, x_old, samples).astype(np.float32)


def read_wav(path: str | Path | io.BytesIO, max_seconds: float) -> Clip:
    """Decode a PCM WAV file of any common rate, width and channel count, or fail with a clear code."""
    name = getattr(path, "name", str(path))
    try:
        if isinstance(path, (str, Path)) and Path(path).stat().st_size > MAX_WAV_BYTES:
            raise InputError("audio_too_long", f"{name} is over {MAX_WAV_BYTES >> 20} MB")
        with wave.open(str(path) if isinstance(path, Path) else path, "rb") as w:
            rate, channels, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            if rate < 4000 or rate > 192_000 or channels < 1:
                raise InputError("bad_audio", f"{name}: unusable format ({rate} Hz, {channels} channels)")
            if n / rate > max_seconds:
                raise InputError("audio_too_long", f"{name} lasts {n / rate:.0f} s; the limit is "
                                 f"{max_seconds:.0f} s per question")
            raw = w.readframes(n)
    except FileNotFoundError as exc:
        raise InputError("audio_not_found", f"{name} does not exist") from exc
    except (wave.Error, EOFError) as exc:
        raise InputError("not_wav", f"{name} is not a PCM WAV file ({exc})") from exc
    mono = to_mono_float(raw, width, channels)
    clipped = float(np.mean(np.abs(mono) >= 0.999)) if len(mono) else 0.0
    return Clip(resample(mono, rate), rate, channels, width, clipped)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    try:
        with open(path, "wb") as f, wave.open(f, "wb") as w:  # opened first: wave leaks noise on a bad path
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
    except OSError as exc:  # no such directory, read-only, full disk
        raise StorageError("audio_write_failed", f"cannot write {path}: {exc.strerror or exc}") from exc


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def loudness(samples: np.ndarray) -> float:
    """RMS mapped to 0..1 on a rough loudness scale (quiet room ~0.1, normal speech ~0.5-0.8): the input meter."""
    return float(max(0.0, min(1.0, (20 * np.log10(rms(samples) + 1e-6) + 60) / 50)))
