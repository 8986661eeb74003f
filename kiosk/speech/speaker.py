"""Streaming speech output: sentences are spoken as soon as they are complete, while the rest of the
answer is still being generated; ``stop()`` (a tap, or the visitor starting to talk) silences it at once."""

from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from kiosk.errors import KioskError

_SENTENCE = re.compile(r"(.+?[.!?])(\s+|$)", re.S)
BLOCK_S = 0.02
ECHO_WINDOW_S = 1.0


class SentenceChunker:
    """Turns streamed text into whole sentences (what the screen shows is what gets spoken)."""

    def __init__(self) -> None:
        self.buf = ""

    def feed(self, text: str) -> list[str]:
        self.buf += text
        out = []
        while True:
            m = _SENTENCE.match(self.buf)
            if not m or not m.group(2):  # a sentence ends only when something follows its full stop
                break
            out.append(m.group(1).strip())
            self.buf = self.buf[m.end():]
        return out

    def flush(self) -> list[str]:
        rest, self.buf = self.buf.strip(), ""
        return [rest] if rest else []


class SoundDeviceOutput:
    name = "sounddevice"

    def __init__(self, rate: int, device: str | int | None = None) -> None:
        try:
            import sounddevice as sd

            self.stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32", device=device or None)
            self.stream.start()
        except Exception as exc:  # PortAudioError, missing library: the kiosk goes silent, it does not crash
            raise KioskError("no_output_device", f"no audio output: {exc}") from exc

    def write(self, block: np.ndarray) -> None:
        self.stream.write(block.reshape(-1, 1))

    def close(self) -> None:
        try:
            self.stream.stop()
            self.stream.close()
        except Exception:
            pass


class SilentOutput:
    """No output device: speech is skipped (status says 'silent'); timing still follows real time."""

    name = "silent"

    def write(self, block: np.ndarray) -> None:
        time.sleep(len(block) / 22050)

    def close(self) -> None:
        pass


@dataclass
class SpeechEvents:
    sentence_ready: list[float] = field(default_factory=list)
    first_sample: list[float] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    samples_out: int = 0
    stopped_at: float | None = None


class Speaker:
    def __init__(self, tts, output=None) -> None:
        self.tts = tts
        if output is None:
            try:
                output = SoundDeviceOutput(tts.sample_rate)
            except KioskError:
                output = SilentOutput()
        self.output = output
        self.q: queue.Queue = queue.Queue()
        self.speaking = threading.Event()   # the microphone is gated while this is set
        self._stop = threading.Event()
        self.events = SpeechEvents()
        self._recent: list[tuple[float, float]] = []  # (time, block RMS) of what was played lately
        self._worker = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._worker.start()

    @property
    def mode(self) -> str:
        return self.output.name

    def say(self, sentence: str) -> None:
        self._stop.clear()
        self.events.sentence_ready.append(time.perf_counter())
        self.speaking.set()
        self.q.put(sentence)

    def echo_level(self) -> float:
        """The loudest recent output: the most of the kiosk's own voice a microphone can pick up."""
        now = time.monotonic()
        return max((r for t, r in self._recent if now - t < ECHO_WINDOW_S), default=0.0)

    def stop(self) -> None:
        """Barge-in: silence now and drop what was queued."""
        self._stop.set()
        while not self.q.empty():
            try:
                self.q.get_nowait()
            except queue.Empty:
                break
        self.events.stopped_at = time.perf_counter()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.q.empty() and not self.speaking.is_set():
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        block = int(self.tts.sample_rate * BLOCK_S)
        while True:
            sentence = self.q.get()
            if sentence is None:
                return
            if self._stop.is_set():
                self._idle_if_empty()
                continue
            samples = self.tts.synthesize(sentence)
            first = True
            for i in range(0, len(samples), block):
                if self._stop.is_set():
                    break
                if first:
                    self.events.first_sample.append(time.perf_counter())
                    first = False
                chunk = samples[i:i + block]
                self.output.write(chunk)
                self.events.samples_out += len(chunk)
                now = time.monotonic()
                self._recent = [x for x in self._recent if now - x[0] < ECHO_WINDOW_S]
                self._recent.append((now, float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2)))))
            else:
                self.events.spoken.append(sentence)
            self._idle_if_empty()

    def _idle_if_empty(self) -> None:
        if self.q.empty():
            self.speaking.clear()

    def close(self) -> None:
        self.stop()
        self.q.put(None)
        self._worker.join(timeout=5)
        self.output.close()


class SpeakingSink:
    """A TextSink that shows text and speaks it sentence by sentence, in step."""

    def __init__(self, speaker: Speaker, inner=None) -> None:
        self.speaker, self.inner, self.chunker = speaker, inner, SentenceChunker()

    def token(self, text: str) -> None:
        if self.inner:
            self.inner.token(text)
        for s in self.chunker.feed(text):
            self.speaker.say(s)

    def replace(self, text: str) -> None:
        self.speaker.stop()  # never keep speaking words that were retracted from the screen
        self.chunker = SentenceChunker()
        if self.inner:
            self.inner.replace(text)
        for s in self.chunker.feed(text + " "):
            self.speaker.say(s)

    def finish(self) -> None:
        for s in self.chunker.flush():
            self.speaker.say(s)


def output_mode(device: str | int | None = None) -> str:
    """What `kiosk status` shows: the output device's name, or 'silent' when there is none."""
    try:
        import sounddevice as sd

        return str(sd.query_devices(device or None, "output")["name"])
    except Exception:
        return "silent"
