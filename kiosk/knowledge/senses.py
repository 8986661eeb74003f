"""Meanings by sentence embeddings: which kind of emergency a question means, and whether it is about
nothing at a venue. A small classifier over the question's embedding (models/judge/intents.json, fitted by
models/judge/train_intents.py on the training venues' questions and the examples in ``prototypes``).
Implements the domain's ``EmergencySense`` and ``OffTopicSense`` ports."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from kiosk.domain.emergency import EmergencyKind
from kiosk.errors import KioskError, ModelError

WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "judge" / "intents.json"
EMERGENCY_AT = 0.7   # on venues it never saw (models/judge/README.md): 60/64 emergencies by meaning alone
OFF_TOPIC_AT = 0.7   # 111/124 off topic, 7/568 venue questions (the pipeline also needs no entry to be likely)


class EmbeddingSenses:
    def __init__(self, embedder, weights: Path = WEIGHTS) -> None:
        self.embedder = embedder
        self._path = weights
        self._w: tuple[list[str], list[np.ndarray]] | None = None
        self._lock = threading.Lock()

    def _weights(self) -> tuple[list[str], list[np.ndarray]]:
        """The classes and the network's [W1, b1, W2, b2] (one hidden layer, ReLU)."""
        with self._lock:
            if self._w is None:
                try:
                    data = json.loads(self._path.read_text(encoding="utf-8"))
                    layers = [np.asarray(a, np.float32) for a in data["mlp"]]
                    if len(layers) != 4 or layers[2].shape[1] != len(data["classes"]):
                        raise ValueError("expected [W1, b1, W2, b2] with one output per class")
                    self._w = (list(data["classes"]), layers)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise ModelError("intents_missing", f"cannot read {self._path}: {exc}") from exc
            return self._w

    def probabilities(self, question: str) -> dict[str, float]:
        classes, (w1, b1, w2, b2) = self._weights()
        q = self.embedder.embed([question])[0]
        z = np.maximum(q @ w1 + b1, 0) @ w2 + b2
        p = np.exp(z - z.max())
        p /= p.sum()
        return dict(zip(classes, p.tolist()))

    def kind_by_meaning(self, question: str) -> EmergencyKind | None:
        try:
            p = self.probabilities(question)
        except KioskError:  # no embedding model (or weights) now: the words alone decide
            return None
        kind, best = max(((k, p.get(k.value, 0.0)) for k in EmergencyKind), key=lambda kv: kv[1])
        return kind if best >= EMERGENCY_AT else None

    def off_topic(self, question: str) -> bool:
        try:
            return self.probabilities(question).get("offtopic", 0.0) >= OFF_TOPIC_AT
        except KioskError:
            return False
