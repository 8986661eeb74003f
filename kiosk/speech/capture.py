"""Audio sources that yield 16 kHz mono float32 blocks: the microphone (sounddevice) or a WAV file."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from kiosk.errors import MicUnavailable
from kiosk.speech.audio import RATE, Clip, resample

BLOCK_S = 0.1


def wav_blocks(clip: Clip, realtime: bool = False, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """The clip in blocks; with ``realtime`` at the pace a microphone would deliver them: each block once
    its last sample has been "recorded"."""
    step = int(RATE * block_s)
    start = time.monotonic()
    for i in range(0, len(clip.samples), step):
        if realtime:
            due = start + min(i + step, len(clip.samples)) / RATE
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        yield clip.samples[i: i + step]


class Microphone:
    """sounddevice input at the device's own rate, down-mixed and resampled to 16 kHz."""

    def __init__(self, device: str | int | None = None, block_s: float = BLOCK_S,
                 stall_timeout_s: float = 3.0) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:  # OSError: PortAudio library missing
            raise MicUnavailable("mic_unavailable", f"no audio input support: {exc}") from exc
        self._sd = sd
        self.device = device if device not in ("", None) else None
        self.block_s = block_s
        self.stall_timeout_s = stall_timeout_s
        self._q: queue.Queue[np.ndarray] = queue.Queue(maxsize=200)
        self._stream = None
        self.rate = RATE
        self.overflows = 0

    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        try:
            self._q.put_nowait(indata.copy())
        except queue.Full:
            self.overflows += 1

    def open(self) -> "Microphone":
        sd = self._sd
        try:
            info = sd.query_devices(self.device, "input")
            self.rate = int(info["default_samplerate"]) or RATE
            channels = 1 if info["max_input_channels"] >= 1 else 0
            if not channels:
                raise MicUnavailable("mic_unavailable", f"audio device {info['name']!r} has no input")
            self._stream = sd.InputStream(device=self.device, channels=1, samplerate=self.rate, dtype="float32",
                                          blocksize=int(self.rate * self.block_s), callback=self._callback)
            self._stream.start()
        except MicUnavailable:
            raise
        except (sd.PortAudioError, ValueError) as exc:
            raise MicUnavailable("mic_unavailable", f"microphone unavailable: {exc}") from exc
        return self

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        """True once the first audio block arrived (PulseAudio takes 1-2 s after start)."""
        try:
            block = self._q.get(timeout=timeout_s)
        except queue.Empty:
            return False
        self._q.put(block)
        return True

    def blocks(self) -> Iterator[np.ndarray]:
        while True:
            try:
                block = self._q.get(timeout=self.stall_timeout_s)
            except queue.Empty:
                raise MicUnavailable("mic_lost", "the microphone stopped delivering audio") from None
            mono = block.mean(axis=1) if block.ndim > 1 else block
            yield resample(mono, self.rate)

    def drain(self) -> None:
        while not self._q.empty():
            self._q.get_nowait()

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # closing a device that vanished must not crash the kiosk
                pass
            self._stream = None

    def __enter__(self) -> "Microphone":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


class WavSource:
    """A recorded utterance played as if a microphone heard it (demos, tests): room noise before and after,
    so the end-pointer calibrates and hears the visitor stop."""

    def __init__(self, path: str | Path, realtime: bool = True, lead_s: float = 0.6, tail_s: float = 1.6,
                 noise: float = 0.002) -> None:
        from kiosk.speech.audio import read_wav

        clip = read_wav(path, max_seconds=60)
        rng = np.random.default_rng(7)
        lead = (rng.standard_normal(int(RATE * lead_s)) * noise).astype(np.float32)
        tail = (rng.standard_normal(int(RATE * tail_s)) * noise).astype(np.float32)
        self.clip = Clip(np.concatenate([lead, clip.samples, tail]), clip.source_rate, clip.source_channels,
                         clip.source_width, clip.clipped_fraction)
        self.realtime = realtime

    def open(self) -> "WavSource":
        return self

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        return True

    def blocks(self) -> Iterator[np.ndarray]:
        return wav_blocks(self.clip, realtime=self.realtime)

    def close(self) -> None:
        pass
