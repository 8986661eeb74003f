"""Has the visitor finished? Smart Turn v3.2 (an audio end-of-turn classifier on a Whisper encoder,
BSD-2-Clause, from the pipecat-ai 1.14.0 wheel; models/manifest.toml "smart-turn-v3.2").

Input: the last 8 s of 16 kHz audio, zero-padded at the start, as Whisper log-mel features (80 x 800) of the
waveform normalised to zero mean and unit variance; output: P(turn complete). The features come from
faster-whisper's own extractor (already loaded for recognition), with an 8 s window and no tail padding.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from kiosk.errors import ModelError

RATE = 16000
WINDOW_S = 8
MODEL_NAME = "smart-turn-v3.2"


class TurnFeatures:
    """Whisper log-mel features of the last 8 s, as Smart Turn was trained on (80 x 800, float32)."""

    def __init__(self) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        # Our own instance: a chunk_length passed at call time would change a shared extractor's window.
        self.extractor = FeatureExtractor(feature_size=80, sampling_rate=RATE, chunk_length=WINDOW_S)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        n = WINDOW_S * RATE
        x = np.asarray(samples, dtype=np.float32)[-n:]
        x = np.pad(x, (n - len(x), 0))  # left: the model reads the end of the window as "now"
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)  # Whisper's do_normalize (transformers)
        feats = self.extractor(x.astype(np.float32), padding=0)  # 801 STFT frames, the last dropped: 800
        return np.ascontiguousarray(feats[:, : n // 160], dtype=np.float32)


class SmartTurn:
    """P(the visitor has finished) for the audio of one utterance so far. One thread (the recogniser
    and the end-pointer share two cores); calls are serialised."""

    name = MODEL_NAME

    def __init__(self, path: Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
            so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            self.session = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
        except ImportError as exc:
            raise ModelError("turn_model_unavailable", "onnxruntime is not installed") from exc
        except Exception as exc:  # onnxruntime raises its own (non-OSError) types on bad files
            raise ModelError("turn_model_unavailable", f"cannot load end-of-turn model {path}: {exc}") from exc
        self.features = TurnFeatures()
        self._lock = threading.Lock()

    def complete_probability(self, samples: np.ndarray) -> float:
        feats = self.features(samples)[None]
        with self._lock:
            out = self.session.run(None, {"input_features": feats})[0]
        return float(np.asarray(out).reshape(-1)[0])


def load_turn_model(threads: int = 1, manifest: Path | None = None) -> SmartTurn:
    """The manifest's Smart Turn file, present and of the right size, loaded (raises ``ModelError``)."""
    from kiosk.llm.manifest import MANIFEST, find_spec, verify

    path = manifest or MANIFEST
    return SmartTurn(verify(find_spec(MODEL_NAME, path), path.parent, check_hash=False), threads)
