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
from kiosk.domain.kinds import Route
from kiosk.domain.reply import spoken_offer
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


_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
# Words a phrase starts with: a sentence can be split before one with no audible seam.
_PHRASE_START = frozenset("""and but or so because which where when while with without from at on in for
behind beside next near until after before through""".split())  # not "to": "Tuesday | to Sunday" jars
FIRST_PIECE_WORDS = 4  # the first piece has at least this many words, the rest at least three


def clauses(sentence: str) -> list[str]:
    """``sentence`` as one piece, or, when long, a first phrase and the rest: the voice's first audio then
    waits only for a few words. Split where the sentence pauses anyway (after a comma, ;, :), else before a
    word that starts a phrase ("... on the ground floor | behind the front desk")."""
    text = sentence.strip()
    parts = _CLAUSE_END.split(text, maxsplit=1)
    if len(parts) == 2 and len(parts[0].split()) >= FIRST_PIECE_WORDS and len(parts[1].split()) >= 3:
        return parts
    words = text.split()
    for i in range(FIRST_PIECE_WORDS, len(words) - 2):
        if words[i].lower() in _PHRASE_START:
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [text]


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
        self.q: queue.Queue = queue.Queue()        # sentences to synthesise: (epoch, sentence)
        self._audio: queue.Queue = queue.Queue()   # synthesised pieces to play, a few ahead of the device
        self.speaking = threading.Event()   # the microphone is gated while this is set
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._epoch = 0      # bumped by stop(): older sentences and pieces are dropped
        self._pending = 0    # sentences said and not yet spoken or dropped
        self.stats = SpeakerStats()
        self._subscribers: list[Callable[[SpeechEvent], None]] = []
        # Pieces synthesised ahead (``prepare``), by (voice, text): a fixed list, so bounded.
        self._prepared: dict[tuple[str, str], np.ndarray] = {}
        self._preparing: list[threading.Thread] = []
        self.fixed: list[str] = []
        # (time, block RMS) of the last ECHO_WINDOW_S: at real-time output that is this many blocks at most
        self._recent: deque[tuple[float, float]] = deque(maxlen=int(ECHO_WINDOW_S / BLOCK_S) + 1)
        self._synth = threading.Thread(target=self._synthesise, name="speaker-voice", daemon=True)
        self._worker = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._synth.start()
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
        with self._lock:
            self._pending += 1
            self._idle.clear()
            epoch = self._epoch
        self.stats.last_sentence_ready = self._emit("sentence_ready", sentence)
        self.speaking.set()
        self.q.put((epoch, sentence))

    def prepare_soon(self, texts: list[str]) -> None:
        """``prepare`` on a thread of its own; ``close`` waits for it (a process must not exit while the voice
        is in the middle of synthesis: the native runtime aborts)."""
        t = threading.Thread(target=self.prepare, args=(list(texts),), name="speaker-prepare", daemon=True)
        self._preparing.append(t)
        t.start()

    def prepare(self, texts: list[str]) -> int:
        """Synthesise ``texts`` now, in the active voice, piece by piece as ``say`` would speak them: they are
        then spoken with no wait for the voice (and the voice is warm). Returns the pieces prepared."""
        self.fixed = list(texts)  # prepared again in the other voice when the governor switches voices
        voice = getattr(self.tts, "active", "")
        n = 0
        for text in texts:
            chunker = SentenceChunker()
            for sentence in chunker.feed(text + " ") + chunker.flush():
                for piece in clauses(sentence):
                    if (voice, piece) not in self._prepared:
                        try:
                            self._prepared[(voice, piece)] = self.tts.synthesize(piece)
                            n += 1
                        except KioskError:
                            pass  # it will be synthesised (or skipped) when said
        return n

    def prepared_in(self, voice: str) -> int:
        """How many pieces are ready-made in ``voice``."""
        return sum(v == voice for v, _ in list(self._prepared))

    def _piece_audio(self, piece: str) -> np.ndarray:
        samples = self._prepared.get((getattr(self.tts, "active", ""), piece))
        return samples if samples is not None else self.tts.synthesize(piece)

    def echo_level(self) -> float:
        """The loudest recent output: the most of the kiosk's own voice a microphone can pick up."""
        now = time.monotonic()
        return max((r for t, r in list(self._recent) if now - t < ECHO_WINDOW_S), default=0.0)

    def stop(self) -> None:
        """Barge-in: silence now and drop what was queued."""
        with self._lock:
            self._epoch += 1
            self._pending = 0
            for q in (self.q, self._audio):
                while True:
                    try:
                        item = q.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:  # close() is waiting for the threads: keep its sentinel
                        q.put(None)
                        break
        self.stats.stopped_at = self._emit("stopped")
        self._settle()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued has been spoken (or dropped)."""
        return self._idle.wait(timeout)

    def _synthesise(self) -> None:
        """Sentences to audio, piece by piece (a long sentence's first clause is ready, and playing, while the
        rest is synthesised), ahead of the device."""
        while True:
            item = self.q.get()
            if item is None:
                self._audio.put(None)
                return
            epoch, sentence = item
            pieces = clauses(sentence)
            for i, piece in enumerate(pieces):
                if epoch != self._epoch:
                    break
                try:
                    samples = self._piece_audio(piece)
                except KioskError:  # a sentence the voice cannot say is skipped, not the rest
                    samples = np.zeros(0, np.float32)
                self._audio.put((epoch, sentence, samples, i == 0, i == len(pieces) - 1))

    def _run(self) -> None:
        block = int(self.tts.sample_rate * BLOCK_S)
        while True:
            item = self._audio.get()
            if item is None:
                return
            epoch, sentence, samples, first_piece, last_piece = item
            if epoch != self._epoch:
                continue
            for i in range(0, len(samples), block):
                if epoch != self._epoch:
                    break
                if first_piece and i == 0:
                    self.stats.last_first_sample = self._emit("first_sample", sentence)
                chunk = samples[i:i + block]
                self.output.write(chunk)
                self.stats.samples_out += len(chunk)
                self._emit("block", samples=len(chunk))
                now = time.monotonic()
                while self._recent and now - self._recent[0][0] >= ECHO_WINDOW_S:
                    self._recent.popleft()
                self._recent.append((now, rms(chunk)))
            else:
                if last_piece:
                    self.stats.sentences_spoken += 1
                    self._emit("spoken", sentence)
                    with self._lock:
                        if epoch == self._epoch:
                            self._pending -= 1
                    self._settle()

    def _settle(self) -> None:
        with self._lock:
            if self._pending <= 0:
                self.speaking.clear()
                self._idle.set()

    def close(self) -> None:
        self.stop()
        self.q.put(None)
        for t in self._preparing:
            t.join(timeout=60)
        self._synth.join(timeout=5)
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
            if event.answer.source is Route.CLARIFY and event.answer.choices:
                # The screen says "Please choose one:" above its buttons; a listener hears the choices.
                self.chunker = SentenceChunker()
                self._say([spoken_offer(event.answer.choices)])
            else:
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
