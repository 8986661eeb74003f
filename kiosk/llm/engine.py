"""llama.cpp behind the domain's ``LanguageModel`` port: cached prefixes, greedy streaming, logprobs.

One ``LlamaEngine`` owns one llama.cpp context; calls are serialised by a lock and callers queue turns.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterator, Sequence

from kiosk.domain.models import Entry, Piece
from kiosk.errors import ModelError
from kiosk.llm import prompt

PREFIX_MODES = ("entry", "pack")


def import_llama():
    try:
        import llama_cpp
    except ImportError as exc:  # the build is done by packaging/setup.sh
        raise ModelError("llama_missing", "llama-cpp-python is not installed; run packaging/setup.sh") from exc
    return llama_cpp


def system_info() -> str:
    return import_llama().llama_print_system_info().decode(errors="replace")


@contextlib.contextmanager
def quiet_stderr():
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


class PrefixCache:
    """KV snapshots of prefixes (one per pack entry), least recently used dropped beyond a byte budget."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.items: OrderedDict[str, tuple[list[int], ctypes.Array]] = OrderedDict()
        self.bytes = 0

    def get(self, key: str) -> tuple[list[int], ctypes.Array] | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: str, tokens: list[int], blob: ctypes.Array) -> bool:
        size = ctypes.sizeof(blob)
        if size > self.budget:
            return False
        if key in self.items:
            self.bytes -= ctypes.sizeof(self.items.pop(key)[1])
        while self.bytes + size > self.budget and self.items:
            self.bytes -= ctypes.sizeof(self.items.popitem(last=False)[1][1])
        self.items[key] = (tokens, blob)
        self.bytes += size
        return True


class LlamaEngine:
    def __init__(self, path: Path, name: str, *, n_threads: int = 2, n_ctx: int = 4096, n_batch: int = 512,
                 temperature: float = 0.0, venue: str = "", pack: Sequence[Entry] = (),
                 prefix_mode: str = "entry", prefix_cache_mb: int = 256, seed: int = 0) -> None:
        llama_cpp = import_llama()
        import numpy as np

        if prefix_mode not in PREFIX_MODES:
            raise ModelError("bad_prefix_mode", f"prefix mode must be one of {PREFIX_MODES}")
        self._np, self._llama_cpp = np, llama_cpp
        self.name, self.path, self.temperature, self.venue = name, Path(path), temperature, venue
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        try:
            with quiet_stderr():
                self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=n_batch,
                                           n_threads=n_threads, n_threads_batch=n_threads, seed=seed,
                                           verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError("model_load_failed", f"cannot load model {path}: {exc}") from exc
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._n_vocab = self.llm.n_vocab()
        self._im_end = self._special_id("<|im_end|>")
        self._prompt_tokens = 0
        self.pack = tuple(pack)
        self.cache = PrefixCache(prefix_cache_mb << 20)
        self.system_tokens = self.tokenize(prompt.system(venue), bos=True)
        self.prefix_mode = prefix_mode
        if prefix_mode == "pack":
            self.pack_tokens = self.tokenize(prompt.prefix(venue, self.pack), bos=True)
            if len(self.pack_tokens) + 400 >= n_ctx:  # no room left for a question and an answer
                self.prefix_mode = "entry"

    def _special_id(self, text: str) -> int | None:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    def tokenize(self, text: str, bos: bool = False) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    @property
    def pack_in_prefix(self) -> bool:
        return self.prefix_mode == "pack"

    def prefix_tokens_for(self, entry: Entry | None) -> tuple[str, list[int]]:
        if self.prefix_mode == "pack":
            return "pack", self.pack_tokens
        key = entry.id if entry else ""
        cached = self.cache.get(key)
        if cached is not None:
            return key, cached[0]
        # ChatML blocks start at special tokens, so the system part tokenises the same on its own.
        body = prompt.prefix(self.venue, [entry] if entry else [])[len(prompt.system(self.venue)):]
        return key, self.system_tokens + self.tokenize(body)

    def prompt_text(self, question: str, context: Sequence[Entry]) -> str:
        """The whole prompt this engine evaluates for ``question`` (prefix and suffix), as text: what a bare
        llama.cpp call must be given to do the same work (the benchmark's baseline)."""
        prefix = self.prefix_tokens_for(context[0] if context else None)[1]
        return self.llm.detokenize(prefix, special=True).decode() + prompt.suffix(question)

    @property
    def cached_prefixes(self) -> int:
        return len(self.cache.items)

    @property
    def cached_prefix_mb(self) -> float:
        return round(self.cache.bytes / 2**20, 1)

    # -- KV state -----------------------------------------------------------------------------------------
    def _eval_from_common(self, tokens: list[int]) -> None:
        """Reuse the KV cache for the longest common prefix, evaluate the rest (at least one token)."""
        llm = self.llm
        common, limit, ids = 0, min(llm.n_tokens, len(tokens) - 1), llm.input_ids
        while common < limit and ids[common] == tokens[common]:
            common += 1
        llm.n_tokens = common
        self._prompt_tokens += len(tokens) - common
        llm.eval(tokens[common:])

    def _holds(self, tokens: list[int]) -> bool:
        n = len(tokens)
        return self.llm.n_tokens >= n and list(self.llm.input_ids[:n]) == tokens

    def _snapshot(self, key: str, tokens: list[int]) -> None:
        llama_cpp, ctx = self._llama_cpp, self.llm.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        blob = (ctypes.c_uint8 * size)()
        if llama_cpp.llama_state_seq_get_data(ctx, blob, size, 0) == size:
            self.cache.put(key, list(tokens), blob)

    def _restore(self, key: str) -> bool:
        cached = self.cache.get(key)
        if cached is None:
            return False
        tokens, blob = cached
        llama_cpp, llm = self._llama_cpp, self.llm
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), False)  # metadata only: no 90 MB memset
        if llama_cpp.llama_state_seq_set_data(llm.ctx, blob, ctypes.sizeof(blob), 0) == 0:
            llm.n_tokens = 0
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return True

    def _load_prefix(self, entry: Entry | None) -> list[int]:
        """Put the prefix for ``entry`` in the KV cache: already there, restored from a snapshot, or built."""
        key, tokens = self.prefix_tokens_for(entry)
        if self._holds(tokens) or self._restore(key):
            self.llm.n_tokens = len(tokens)
            return tokens
        self._eval_from_common(tokens)
        if self.prefix_mode == "entry":
            self._snapshot(key, tokens)
        return tokens

    def warm(self) -> int:
        """Evaluate every prefix now, so no visitor pays for one. Returns the prefix tokens evaluated."""
        with self._lock:
            self._prompt_tokens = 0
            if self.prefix_mode == "pack":
                self._load_prefix(None)
            else:
                for entry in (None, *self.pack):
                    self._load_prefix(entry)
            return self._prompt_tokens

    # -- generation ---------------------------------------------------------------------------------------
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
        return tok, float(logits[tok]) - (m + float(np.log(np.exp(logits - m).sum())))

    def _decode(self, max_tokens: int) -> Iterator[Piece]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for _ in range(max_tokens):
            tok, logprob = self._next()
            if tok == self._im_end or self._llama_cpp.llama_vocab_is_eog(self._vocab, tok):
                break
            yield Piece(decoder.decode(self.llm.detokenize([tok], special=False)), logprob)
            try:
                self.llm.eval([tok])
            except Exception as exc:
                raise ModelError("model_failed", f"llama.cpp failed while generating: {exc}") from exc

    def generate(self, question: str, context: Sequence[Entry], max_tokens: int) -> Iterator[Piece]:
        """Stream an answer to ``question`` from the prefix of the best context entry (or the pack)."""
        with self._lock:
            self._prompt_tokens = 0
            suffix = self.tokenize(prompt.suffix(question))
            entry = context[0] if context else None
            try:
                prefix = self._load_prefix(entry)
                if len(prefix) + len(suffix) + max_tokens > self.llm.n_ctx():
                    raise ModelError("context_full", "the question is too long for the model's context")
                self._eval_from_common(prefix + suffix)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError("model_failed", f"llama.cpp failed on the prompt: {exc}") from exc
            yield from self._decode(max_tokens)

    def last_prompt_tokens(self) -> int:
        return self._prompt_tokens

    def reset_conversation(self) -> None:
        """Forget the visitor's turns (session wipe); cached prefixes stay warm."""
        with self._lock:
            self.llm.n_tokens = min(self.llm.n_tokens, len(self.system_tokens))

    def close(self, timeout_s: float = 10.0) -> bool:
        """Free the model once no generation is using it; a generation stuck beyond ``timeout_s`` keeps it
        (leaking memory is better than freeing it under a running thread). Returns whether it was freed."""
        if not self._lock.acquire(timeout=timeout_s):
            return False
        try:
            with contextlib.suppress(Exception):
                self.llm.close()
            return True
        finally:
            self._lock.release()
