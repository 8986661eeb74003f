"""Streaming speech output: sentences are spoken as soon as they are complete, while the rest of the
answer is still being generated; ``stop()`` (a tap, or the visitor starting to talk) silences it at once."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from kiosk.domain.events import Answered, Retracted, Token, TurnEvent
from kiosk.errors import KioskError, NoOutputDevice
from kiosk.speech.audio import rms

SpeechKind = Literal["sentence_ready", "first_sample", "block", "spoken", "stopped"]

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
            raise NoOutputDevice("no_output_device", f"no audio output: {exc}") from exc

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


@dataclass(frozen=True)
class SpeechEvent:
    """What the speaker reports to its subscribers (tests, benchmarks, the session log): never stored."""

    kind: SpeechKind
    at: float                 # time.perf_counter()
    sentence: str = ""
    samples: int = 0          # for "block": samples just written


@dataclass
class SpeakerStats:
    """Bounded running figures: counters and the latest times, whatever the kiosk's uptime."""

    sentences_spoken: int = 0
    samples_out: int = 0
    last_sentence_ready: float | None = None
    last_first_sample: float | None = None
    stopped_at: float | None = None


class Speaker:
    """Speaks sentences on its own thread. Observers ``subscribe`` to ``SpeechEvent``s; ``stats`` holds only
    counters, so a kiosk that speaks for weeks holds no more than after its first answer."""

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
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self.stats = SpeakerStats()
        self._subscribers: list[Callable[[SpeechEvent], None]] = []
        # (time, block RMS) of the last ECHO_WINDOW_S: at real-time output that is this many blocks at most
        self._recent: deque[tuple[float, float]] = deque(maxlen=int(ECHO_WINDOW_S / BLOCK_S) + 1)
        self._worker = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._worker.start()

    @property
    def mode(self) -> str:
        return self.output.name

    def subscribe(self, fn: Callable[[SpeechEvent], None]) -> Callable[[], None]:
        """``fn`` hears every event (on the speaker's thread, keep it short); returns the unsubscribe."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    def _emit(self, kind: SpeechKind, sentence: str = "", samples: int = 0) -> float:
        now = time.perf_counter()
        for fn in list(self._subscribers):
            fn(SpeechEvent(kind, now, sentence, samples))
        return now

    def say(self, sentence: str) -> None:
        self._stop.clear()
        self._idle.clear()
        self.stats.last_sentence_ready = self._emit("sentence_ready", sentence)
        self.speaking.set()
        self.q.put(sentence)

    def echo_level(self) -> float:
        """The loudest recent output: the most of the kiosk's own voice a microphone can pick up."""
        now = time.monotonic()
        return max((r for t, r in list(self._recent) if now - t < ECHO_WINDOW_S), default=0.0)

    def stop(self) -> None:
        """Barge-in: silence now and drop what was queued."""
        self._stop.set()
        while not self.q.empty():
            try:
                self.q.get_nowait()
            except queue.Empty:
                break
        self.stats.stopped_at = self._emit("stopped")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued has been spoken (or dropped)."""
        return self._idle.wait(timeout)

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
                    self.stats.last_first_sample = self._emit("first_sample", sentence)
                    first = False
                chunk = samples[i:i + block]
                self.output.write(chunk)
                self.stats.samples_out += len(chunk)
                self._emit("block", samples=len(chunk))
                now = time.monotonic()
                while self._recent and now - self._recent[0][0] >= ECHO_WINDOW_S:
                    self._recent.popleft()
                self._recent.append((now, rms(chunk)))
            else:
                self.stats.sentences_spoken += 1
                self._emit("spoken", sentence)
            self._idle_if_empty()

    def _idle_if_empty(self) -> None:
        if self.q.empty():
            self.speaking.clear()
            self._idle.set()

    def close(self) -> None:
        self.stop()
        self.q.put(None)
        self._worker.join(timeout=5)
        self.output.close()


class SpeakingListener:
    """A turn listener that speaks the answer sentence by sentence, in step with the screen: tokens are
    chunked into sentences, a retraction silences what was being said, the end of the turn flushes the rest."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker, self.chunker, self.fed = speaker, SentenceChunker(), ""

    def __call__(self, event: TurnEvent) -> None:
        if isinstance(event, Token):
            self.fed += event.text
            self._say(self.chunker.feed(event.text))
        elif isinstance(event, Retracted):
            if event.text.strip() and self.fed.strip().startswith(event.text.strip()):
                # Only an unfinished tail was dropped (the token limit): every whole sentence before it was
                # followed by more text, so it has been said already; the tail never was.
                self.chunker = SentenceChunker()
            else:
                self.speaker.stop()  # never keep speaking words that were retracted from the screen
                self.chunker = SentenceChunker()
                self._say(self.chunker.feed(event.text + " "))
            self.fed = event.text
        elif isinstance(event, Answered):
            self._say(self.chunker.flush())

    def _say(self, sentences: list[str]) -> None:
        for s in sentences:
            self.speaker.say(s)


def output_mode(device: str | int | None = None) -> str:
    """What `kiosk status` shows: the output device's name, or 'silent' when there is none."""
    try:
        import sounddevice as sd

        return str(sd.query_devices(device or None, "output")["name"])
    except Exception:
        return "silent"
