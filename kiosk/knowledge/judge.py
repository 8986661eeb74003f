"""The answer judge: a cross-encoder (all-MiniLM-L6-v2 fine-tuned on venue packs written for it, int8
ONNX; models/judge/README.md) that reads a question together with a window of an entry and gives the
probability that the window answers it. Implements the domain's ``AnswerJudge`` port."""

from __future__ import annotations

import math
import threading
from typing import Sequence

import numpy as np

from kiosk.domain.models import Entry
from kiosk.domain.passages import answering_window, windows
from kiosk.domain.ports import Judgement
from kiosk.errors import ModelError

MODEL, TOKENIZER = "answer-judge-int8", "minilm-l6-v2-tokenizer"
MAX_TOKENS = 128   # as trained
BATCH = 32


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


class OnnxJudge:
    """Checks the files at construction (cheap); loads the model on first use (~0.3 s, ~60 MB)."""

    def __init__(self, threads: int = 2) -> None:
        from kiosk.llm.manifest import find_spec, verify

        model, tok = find_spec(MODEL), find_spec(TOKENIZER)
        self._paths = verify(model, check_hash=False), verify(tok, check_hash=False)
        self.model_id = f"{model.name}:{model.sha256[:16]}"
        self._threads = threads
        self._session = None
        self._lock = threading.Lock()
        self._memo: tuple[str, dict[str, float]] = ("", {})  # this question's window scores

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("judge_missing", "onnxruntime/tokenizers are not installed; run packaging/setup.sh") \
                from exc
        model_path, tok_path = self._paths
        try:
            tok = Tokenizer.from_file(str(tok_path))
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged file: onnxruntime and tokenizers raise their own types
            raise ModelError("judge_load_failed", f"cannot load the answer judge: {exc}") from exc
        tok.enable_truncation(MAX_TOKENS, strategy="longest_first")
        tok.no_padding()
        self._tok = tok
        self._session = session

    def unload(self) -> None:
        with self._lock:
            self._session = None

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        """P(answers) for each passage text."""
        with self._lock:
            if self._session is None:
                self._load()
            memo_q, memo = self._memo
            if memo_q != question:
                memo = {}
            todo = [p for p in dict.fromkeys(passages) if p not in memo]
            for start in range(0, len(todo), BATCH):
                chunk = todo[start:start + BATCH]
                enc = self._tok.encode_batch([(question, p) for p in chunk])
                n = max(len(e.ids) for e in enc)
                ids = np.zeros((len(chunk), n), np.int64)
                mask = np.zeros((len(chunk), n), np.int64)
                types = np.zeros((len(chunk), n), np.int64)
                for j, e in enumerate(enc):
                    ids[j, :len(e.ids)] = e.ids
                    mask[j, :len(e.ids)] = 1
                    types[j, :len(e.ids)] = e.type_ids
                logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                  "token_type_ids": types})[0][:, 0]
                memo.update({p: _sigmoid(float(v)) for p, v in zip(chunk, logits)})
            self._memo = (question, memo)
            return [memo[p] for p in passages]

    def judge(self, question: str, entries: Sequence[Entry]) -> list[Judgement]:
        """Per entry, its best window and that window's probability, in the order given."""
        per = [(e, windows(e)) for e in entries]
        flat = [w.text for _, ws in per for w in ws]
        probs = iter(self.scores(question, flat)) if flat else iter(())
        out = []
        for e, ws in per:
            p, w = answering_window(question, [(next(probs), w) for w in ws])
            out.append(Judgement(e, p, w))
        return out
