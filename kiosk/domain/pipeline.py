"""One visitor turn: validate, retrieve, route (pack entry / local LLM / heuristic / escalate), record."""

from __future__ import annotations

import contextlib
import math
import queue
import re
import threading
from typing import Iterator, Sequence

from kiosk.config import TurnConfig
from kiosk.domain.answer_type import can_answer, expected_type
from kiosk.domain.breaker import CircuitBreaker
from kiosk.domain.grounding import GroundingGate
from kiosk.domain.heuristics import DONT_KNOW, best_sentences
from kiosk.domain.models import Answer, Hit, Piece
from kiosk.domain.ports import Clock, KnowledgeIndex, LanguageModel, TextSink, TurnLog
from kiosk.domain.retrieval import TermStats, score
from kiosk.domain.text import content_terms, validate_question
from kiosk.errors import KioskError

CANDIDATES = 12
_LLM_UNSURE = re.compile(r"\b(?:(?:do not|don't|cannot|can't|am not able to) (?:know|find|say|help|answer)|"
                         r"not sure|no information|not mentioned|unknown)\b", re.IGNORECASE)
TIERS = ("full", "reduced", "minimal")


class NullSink:
    def token(self, text: str) -> None:
        pass

    def replace(self, text: str) -> None:
        pass


class TurnPipeline:
    """Owns routing policy only; engines and storage come in through ports."""

    def __init__(self, index: KnowledgeIndex, llm: LanguageModel | None, log: TurnLog, clock: Clock,
                 config: TurnConfig, top_k: int = 3, max_tokens: int = 80, venue: str = "") -> None:
        self.index, self.llm, self.log, self.clock = index, llm, log, clock
        self.config, self.top_k, self.max_tokens, self.venue = config, top_k, max_tokens, venue
        self._stats: tuple[str, TermStats] | None = None
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_cooldown_s)

    def stats(self) -> TermStats:
        version = self.index.version()
        if self._stats is None or self._stats[0] != version:
            self._stats = (version, TermStats.build(self.index.entries()))
        return self._stats[1]

    def retrieve(self, question: str) -> list[Hit]:
        stats = self.stats()
        terms = stats.expand(content_terms(question))
        if not terms:
            return []
        return score(question, self.index.search(terms, CANDIDATES), stats)[: self.top_k]

    def answer(self, raw: str | bytes, sink: TextSink | None = None, tier: str = "full",
               session_id: str = "") -> Answer:
        """Raises ``InputError`` for unusable input (nothing recorded); otherwise always answers."""
        question = validate_question(raw, self.config.max_question_chars)
        sink = sink or NullSink()
        start = self.clock.monotonic()
        hits = self.retrieve(question)
        best = hits[0].coverage if hits else 0.0
        second = hits[1].coverage if len(hits) > 1 else 0.0
        use_llm = self.llm is not None and tier in ("full", "reduced") and self.breaker.allow(start)

        if best < self.config.escalate_threshold:
            ans = self._escalate(question, hits, best, tier, "not covered by the knowledge pack")
        elif not can_answer(question, hits[0].entry.body):
            ans = self._escalate(question, hits, best, tier, f"the pack has no {expected_type(question)} for this")
        elif best >= self.config.direct_threshold and best - second >= self.config.direct_margin:
            ans = Answer(question, hits[0].entry.body.strip(), "knowledge", tier, False, best,
                         [hits[0].entry.id])
        elif use_llm:
            ans = self._generate(question, hits, best, tier, sink, start)
        else:
            ans = self._heuristic(question, hits, best, tier)
        if ans.ttft_ms == 0.0:
            sink.token(ans.answer)
            ans.ttft_ms = (self.clock.monotonic() - start) * 1000
        ans.total_ms = (self.clock.monotonic() - start) * 1000
        self.log.record(ans, session_id)
        return ans

    def _escalate(self, question: str, hits: Sequence[Hit], best: float, tier: str, why: str) -> Answer:
        return Answer(question, DONT_KNOW, "heuristic", tier, True, best,
                      [h.entry.id for h in hits[:1]], note=why)

    def _heuristic(self, question: str, hits: Sequence[Hit], best: float, tier: str, note: str = "") -> Answer:
        return Answer(question, best_sentences(question, hits[0]), "heuristic", tier, False, best,
                      [hits[0].entry.id], note=note)

    def _generate(self, question: str, hits: Sequence[Hit], best: float, tier: str, sink: TextSink,
                  start: float) -> Answer:
        assert self.llm is not None
        context = [h.entry for h in hits if h.coverage >= self.config.escalate_threshold] or [hits[0].entry]
        gate = GroundingGate([f"{e.heading}. {e.body}" for e in context] + [self.venue], question) \
            if self.config.grounding_check else None
        max_tokens = self.max_tokens if tier == "full" else max(16, self.max_tokens // 2)
        logprobs: list[float] = []
        text = ""
        ttft = 0.0
        timed_out = False
        try:
            stream = self._watched(self.llm.generate(question, context, max_tokens), start)
            with contextlib.closing(stream):
                for piece in stream:
                    if piece is None:
                        timed_out = True
                        break
                    logprobs.append(piece.logprob)
                    text += piece.text
                    out = gate.feed(piece.text) if gate else piece.text
                    if gate and gate.violation:
                        break
                    if out:
                        ttft = ttft or (self.clock.monotonic() - start) * 1000
                        sink.token(out)
            if gate and not gate.violation:
                tail = gate.finish()
                if tail:
                    ttft = ttft or (self.clock.monotonic() - start) * 1000
                    sink.token(tail)
        except KioskError as exc:
            self.breaker.failure(self.clock.monotonic())
            return self._fallback(question, hits, best, tier, sink, ttft, f"model failed: {exc.code}")
        if timed_out:
            self.breaker.failure(self.clock.monotonic())
            return self._fallback(question, hits, best, tier, sink, ttft,
                                  f"generation exceeded its {self.config.generation_budget_s:g} s budget",
                                  len(logprobs))
        self.breaker.success()
        ids = [e.id for e in context]
        if gate and gate.violation:
            return self._fallback(question, hits, best, tier, sink, ttft, f"ungrounded: {gate.violation}",
                                  len(logprobs))
        text = text.strip()
        if not text:
            return self._fallback(question, hits, best, tier, sink, ttft, "model gave no answer", len(logprobs))
        if _LLM_UNSURE.search(text):
            ans = self._escalate(question, hits, best, tier, "the model could not answer from the pack")
            sink.replace(ans.answer)
            ans.tokens_out, ans.ttft_ms, ans.model = len(logprobs), ttft, self.llm.name
            return ans
        token_conf = math.exp(sum(logprobs) / len(logprobs)) if logprobs else 0.0
        return Answer(question, text, "llm", tier, False, 0.5 * best + 0.5 * token_conf, ids, ttft_ms=ttft,
                      tokens_in=self.llm.last_prompt_tokens(), tokens_out=len(logprobs), model=self.llm.name)

    def _watched(self, stream: Iterator[Piece], start: float) -> Iterator[Piece | None]:
        """Pieces from a worker thread; ``None`` once the turn's generation budget is spent (the worker is
        told to stop at its next token; a model stuck inside one token is left to finish on its own)."""
        q: queue.Queue = queue.Queue()
        stop = threading.Event()
        done = object()

        def work() -> None:
            try:
                with contextlib.closing(stream) if hasattr(stream, "close") else contextlib.nullcontext():
                    for piece in stream:
                        q.put(piece)
                        if stop.is_set():
                            break
                q.put(done)
            except BaseException as exc:  # handed to the caller's thread
                q.put(exc)

        threading.Thread(target=work, name="generation", daemon=True).start()
        budget = self.config.generation_budget_s
        try:
            while True:
                remaining = budget - (self.clock.monotonic() - start)
                try:
                    item = q.get(timeout=max(0.0, remaining))
                except queue.Empty:
                    yield None
                    return
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    def _fallback(self, question: str, hits: Sequence[Hit], best: float, tier: str, sink: TextSink,
                  ttft: float, why: str, tokens_out: int = 0) -> Answer:
        ans = self._heuristic(question, hits, best, tier, note=why)
        if ttft:
            sink.replace(ans.answer)
            ans.ttft_ms = ttft
        ans.tokens_out = tokens_out
        ans.model = self.llm.name if self.llm else ""
        return ans
