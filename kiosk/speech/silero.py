"""Silero VAD (v6, MIT), the ONNX model that ships inside faster-whisper: a speech probability per 32 ms of
16 kHz audio that, unlike a level above the noise floor, tells a voice from babble, music or traffic.

The model is loaded once (``SileroModel``); each utterance gets a ``SileroStream`` with its own recurrent
state and context, fed blocks of any length.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from kiosk.errors import SpeechUnavailable
from kiosk.speech.audio import RATE

WINDOW = 512    # samples per decision at 16 kHz (32 ms)
CONTEXT = 64    # samples of the previous window the model sees with each one


def bundled_model() -> Path | None:
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
    return path if path.is_file() else None


class SileroModel:
    name = "silero-v6"

    def __init__(self, path: Path | None = None) -> None:
        path = path or bundled_model()
        if path is None:
            raise SpeechUnavailable("vad_model_missing", "no Silero VAD model (it ships with faster-whisper)")
        try:
            import onnxruntime

            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = opts.intra_op_num_threads = 1
            opts.log_severity_level = 4
            self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"],
                                                        sess_options=opts)
        except Exception as exc:  # ImportError, a corrupt file: the energy detector takes over
            raise SpeechUnavailable("vad_model_load_failed", f"cannot load Silero VAD {path}: {exc}") from exc
        self._lock = threading.Lock()

    def stream(self) -> "SileroStream":
        return SileroStream(self)

    def run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            probs, h, c = self.session.run(None, {"input": windows, "h": h, "c": c})
        return np.asarray(probs, np.float32).reshape(-1), h, c


class SileroStream:
    """One utterance's detector: ``probability(block)`` is the highest speech probability of the 32 ms
    windows the block completed (the previous value while a block completes none)."""

    def __init__(self, model: SileroModel) -> None:
        self.model = model
        self.h = np.zeros((1, 1, 128), np.float32)
        self.c = np.zeros((1, 1, 128), np.float32)
        self.context = np.zeros(CONTEXT, np.float32)
        self.pending = np.zeros(0, np.float32)
        self.last = 0.0

    def probability(self, block: np.ndarray) -> float:
        audio = np.concatenate([self.pending, block.astype(np.float32).reshape(-1)])
        n = len(audio) // WINDOW
        if n == 0:
            self.pending = audio
            return self.last
        self.pending = audio[n * WINDOW:]
        windows = audio[: n * WINDOW].reshape(n, WINDOW)
        contexts = np.concatenate([self.context[None, :], windows[:-1, -CONTEXT:]])  # each window's predecessor
        # The windows of a batch are one sequence in time: the model carries its state through them.
        probs, self.h, self.c = self.model.run(np.concatenate([contexts, windows], axis=1), self.h, self.c)
        self.context = windows[-1, -CONTEXT:].copy()
        self.last = float(probs.max())
        return self.last


assert RATE == 16000, "Silero VAD windows are defined for 16 kHz audio"
