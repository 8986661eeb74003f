"""llama.cpp behind the domain's ``LanguageModel`` port: prefix KV reuse, greedy streaming, logprobs.

One ``LlamaEngine`` owns one llama.cpp context; it is not thread-safe and callers queue turns to it.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import threading
from pathlib import Path
from typing import Iterator, Sequence

from kiosk.domain.models import Entry, Piece
from kiosk.errors import ModelError
from kiosk.llm import prompt


def import_llama():
    try:
        import llama_cpp
    except ImportError as exc:  # the build is done by packaging/setup.sh
        raise ModelError("llama_missing", "llama-cpp-python is not installed; run packaging/setup.sh") from exc
    return llama_cpp


def system_info() -> str:
    return import_llama().llama_print_system_info().decode(errors="replace")


@contextlib.contextmanager
def _quiet_stderr():
    """llama.cpp logs model loading to fd 2; keep the kiosk's terminal readable."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaEngine:
    def __init__(self, path: Path, name: str, *, n_threads: int = 2, n_ctx: int = 4096, n_batch: int = 512,
                 temperature: float = 0.0, venue: str = "", pack: Sequence[Entry] = (),
                 pack_in_prefix: bool = True, seed: int = 0) -> None:
        llama_cpp = import_llama()
        import numpy as np

        self._np = np
        self.name = name
        self.path = Path(path)
        self.temperature = temperature
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        try:
            with _quiet_stderr():
                self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=n_batch,
                                           n_threads=n_threads, n_threads_batch=n_threads, seed=seed,
                                           verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError("model_load_failed", f"cannot load model {path}: {exc}") from exc
        self._llama_cpp = llama_cpp
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._n_vocab = self.llm.n_vocab()
        self._im_end = self._special_id("<|im_end|>")
        self._prompt_tokens = 0
        self.prefix_text = prompt.prefix(venue, pack if pack_in_prefix else None)
        self.prefix_tokens = self.tokenize(self.prefix_text, bos=True)
        # The pack stays in the prefix only if it leaves room for a question and an answer.
        self.pack_in_prefix = bool(pack) and pack_in_prefix and len(self.prefix_tokens) + 400 < n_ctx
        if pack_in_prefix and not self.pack_in_prefix:
            self.prefix_text = prompt.prefix(venue, None)
            self.prefix_tokens = self.tokenize(self.prefix_text, bos=True)

    def _special_id(self, text: str) -> int | None:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    def tokenize(self, text: str, bos: bool = False) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    def warm(self) -> int:
        """Evaluate the fixed prefix now, so the first visitor does not pay for it. Returns its length."""
        with self._lock:
            self._eval_prompt(self.prefix_tokens)
        return len(self.prefix_tokens)

    def _eval_prompt(self, tokens: list[int]) -> None:
        """Reuse the KV cache for the longest common prefix, evaluate the rest (at least one token)."""
        llm = self.llm
        common = 0
        limit = min(llm.n_tokens, len(tokens) - 1)
        ids = llm.input_ids
        while common < limit and ids[common] == tokens[common]:
            common += 1
        llm.n_tokens = common
        self._prompt_tokens = len(tokens) - common
        llm.eval(tokens[common:])

    def _next(self) -> tuple[int, float]:
        np = self._np
        logits = np.ctypeslib.as_array(self._llama_cpp.llama_get_logits(self.llm.ctx), shape=(self._n_vocab,))
        if self.temperature <= 0:
            tok = int(logits.argmax())
        else:
            z = logits / self.temperature
            p = np.exp(z - z.max())
            tok = int(self._rng.choice(self._n_vocab, p=p / p.sum()))
        m = float(logits.max())
        logprob = float(logits[tok]) - (m + float(np.log(np.exp(logits - m).sum())))
        return tok, logprob

    def stream_prompt(self, tokens: list[int], max_tokens: int) -> Iterator[Piece]:
        """Greedy (or sampled) decoding of ``tokens`` with incremental UTF-8 detokenisation."""
        with self._lock:
            if len(tokens) + max_tokens > self.llm.n_ctx():
                raise ModelError("context_full", "the question is too long for the model's context")
            try:
                self._eval_prompt(tokens)
            except Exception as exc:
                raise ModelError("model_failed", f"llama.cpp failed on the prompt: {exc}") from exc
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            for _ in range(max_tokens):
                tok, logprob = self._next()
                if tok == self._im_end or self._llama_cpp.llama_vocab_is_eog(self._vocab, tok):
                    break
                text = decoder.decode(self.llm.detokenize([tok], special=False))
                yield Piece(text, logprob)
                try:
                    self.llm.eval([tok])
                except Exception as exc:
                    raise ModelError("model_failed", f"llama.cpp failed while generating: {exc}") from exc

    def generate(self, question: str, context: Sequence[Entry], max_tokens: int) -> Iterator[Piece]:
        # ChatML turns start at a special token, so tokenising the suffix alone matches the whole prompt.
        tokens = self.prefix_tokens + self.tokenize(prompt.suffix(question, context, self.pack_in_prefix))
        return self.stream_prompt(tokens, max_tokens)

    def last_prompt_tokens(self) -> int:
        return self._prompt_tokens

    def reset_conversation(self) -> None:
        """Forget everything after the fixed prefix (visitor session wipe); the prefix stays warm."""
        with self._lock:
            self.llm.n_tokens = min(self.llm.n_tokens, len(self.prefix_tokens))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.llm.close()
