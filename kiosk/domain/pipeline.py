"""One visitor turn: validate, retrieve, route (pack entry / local LLM / heuristic / escalate), and report it
as typed events (``kiosk.domain.events``) to the turn's listeners: the recorder, sketches, screen, speaker."""

from __future__ import annotations

import contextlib
import math
import queue
import re
import threading
from typing import Iterable, Iterator, Sequence

from kiosk.config import TurnConfig
from kiosk.domain.answer_type import can_answer, expected_type
from kiosk.domain.answerability import FITTED, Answerability, Signals
from kiosk.domain.breaker import CircuitBreaker
from kiosk.domain.decide import Policy, Verdict, verdict
from kiosk.domain.emergency import (ENTRY as SAFETY_ENTRY, FIRST as SAFETY_FIRST, EmergencyKind, EmergencySense,
                                    built_in, recognise)
from kiosk.domain.events import (Answered, Chosen, Emitter, Escalated, Failed, FellBack, Retracted, Retrieved,
                                 Token, TurnListener, fail_code)
from kiosk.domain.grounding import GroundingGate
from kiosk.domain.heuristics import DONT_KNOW, best_sentences, decline
from kiosk.domain.identifiers import holders, identifiers
from kiosk.domain.intent import Intent, Leaning, OffTopicSense, classify, leans_on_last_turn
from kiosk.domain.kinds import Reason, Route, Tier
from kiosk.domain.models import Answer, Choice, Hit, Piece
from kiosk.domain.passages import WHOLE_UP_TO, entry_sentences, more, said, windows
from kiosk.domain.ports import AnswerJudge, Clock, Judgement, KnowledgeIndex, ModelSlot
from kiosk.domain.redact import without_contacts
from kiosk.domain.retrieval import Fusion, TermStats, fuse, score
from kiosk.domain.text import asked_key, content_terms, validate_question, whole_sentences
from kiosk.errors import KioskError

CANDIDATES = 12
LOST_PROPERTY = re.compile(r"\blost (?:property|and found|& found)\b", re.IGNORECASE)
JUDGED = 8          # candidates the answer judge reads (entries holding a named identifier come on top)
CLARIFY_PROMPT = "I'm not sure which of these you mean. Please choose one:"
SUBJECT_SHARE = 0.5  # a follow-up answers from the visit's entry when the judge finds it this share of its best
SUBJECT_FLOOR = 0.25  # ... and at least this likely ("do you have wifi?" after the Dinosaur Hall, no Wi-Fi entry)
OFF_TOPIC_UNLESS = 0.5  # an entry this likely to answer: never declined as off topic
_LLM_UNSURE = re.compile(r"\b(?:(?:do not|don't|cannot|can't|am not able to) (?:know|find|say|help|answer)|"
                         r"not sure|no information|not mentioned|unknown)\b", re.IGNORECASE)


class TurnPipeline:
    """Owns routing policy only; engines and storage come in through ports."""

    def __init__(self, index: KnowledgeIndex, models: ModelSlot, clock: Clock, config: TurnConfig,
                 top_k: int = 3, max_tokens: int = 80, venue: str = "",
                 listeners: Iterable[TurnListener] = (), answerability: Answerability = FITTED,
                 judge: AnswerJudge | None = None, sense: EmergencySense | None = None,
                 offtopic: OffTopicSense | None = None, policy: Policy | None = None) -> None:
        """``listeners`` hear every turn (the durable recorder first); each ``answer`` call may add one.
        ``judge``: the trained answer judge (else the signals model decides); ``sense``: emergencies by
        meaning; ``offtopic``: questions about nothing at the venue, by meaning."""
        self.index, self.models, self.clock = index, models, clock
        self.listeners = list(listeners)
        self.config, self.top_k, self.max_tokens, self.venue = config, top_k, max_tokens, venue
        self._stats: tuple[str, TermStats] | None = None
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_cooldown_s)
        self.fusion = Fusion(config.dense_weight, config.sim_low, config.sim_high)
        self.answerability = answerability
        # (session id, what its last answered turn asked, the one entry it was answered from or "")
        self._context: tuple[str, str, str] | None = None
        self.judge, self.sense, self.offtopic = judge, sense, offtopic
        self.policy = policy or Policy()
        self._offer: tuple[str, Answer] | None = None  # (session id, its open "did you mean ...?" turn)

    def stats(self) -> TermStats:
        version = self.index.version()
        if self._stats is None or self._stats[0] != version:
            self._stats = (version, TermStats.build(self.index.entries()))
        return self._stats[1]

    def retrieve(self, question: str, limit: int | None = None) -> list[Hit]:
        """Candidates found by words (BM25) or by meaning (embeddings), scored by both."""
        stats = self.stats()
        terms = stats.expand(content_terms(question))
        if not terms:
            return []
        candidates = {e.id: e for e in self.index.search(terms, CANDIDATES)}
        dense = self.index.similar(question, CANDIDATES)
        for e, _ in dense:
            candidates.setdefault(e.id, e)
        hits = fuse(score(question, list(candidates.values()), stats), {e.id: s for e, s in dense}, self.fusion)
        return hits[:limit] if limit else hits

    def signals(self, question: str, candidates: Sequence[Hit]) -> Signals | None:
        """What decides whether the pack answers ``question``; None without dense similarities (words only)."""
        if not candidates or not any(h.similarity for h in candidates):
            return None
        top = candidates[0]
        sentence = max(self.index.sentence_similarity(question, top.entry), default=top.similarity)
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        return Signals(top.coverage, top.similarity, sentence,
                       self.stats().unknown_share(content_terms(question)), top.score - runner_up)

    def answer(self, raw: str | bytes, listener: TurnListener | None = None, tier: Tier = Tier.FULL,
               session_id: str = "") -> Answer:
        """Raises ``InputError`` for unusable input (nothing recorded); otherwise always answers."""
        tier = Tier(tier)
        emit = Emitter([*self.listeners, listener])
        try:
            question = validate_question(raw, self.config.max_question_chars)
        except KioskError as exc:
            emit(Failed(fail_code(exc), raw, exc))
            raise
        start = self.clock.monotonic()
        self._offer = None  # a new question closes any open "did you mean ...?"
        # by meaning only while retrieval has meaning (the minimal tier frees the embedding model)
        emergency = recognise(question, self.sense if getattr(self.index, "dense", True) else None)
        asked = without_contacts(question) or question  # what is asked: contact details say nothing about it
        intent = Intent.SAFETY if emergency is not None else classify(asked)
        query = self._resolve(asked, session_id) if intent is Intent.QUESTION else asked
        candidates = self.retrieve(query) if intent is not Intent.OFF_TOPIC else []
        hits = candidates[: self.top_k]
        emit(Retrieved(question, tuple(hits)))
        signals = self.signals(query, candidates) if intent is Intent.QUESTION else None
        best = max((h.coverage for h in candidates), default=0.0)
        llm = self.models.current() if tier.uses_model else None
        use_llm = llm is not None and self.breaker.allow(start)
        judged = self._judged(query, candidates) if intent is Intent.QUESTION and signals is not None else None
        if judged is not None and query != asked:
            query, judged, candidates = self._likelier_reading(asked, query, candidates, judged)
            hits = candidates[: self.top_k]
            if query != asked:  # read as a follow-up: the entry the visit is about answers it when it can
                judged = self._on_subject(judged, asked, session_id)

        if emergency is not None:
            ans = self._emergency(question, emergency, candidates, tier, best)
        elif intent is Intent.OFF_TOPIC or (judged is not None and self._off_topic(query, judged)) \
                or (judged is None and self._off_topic_unanswered(query, signals)):
            ans = Answer(question, decline(self.venue), Route.HEURISTIC, tier, False, 0.0,
                         reason=Reason.OFF_TOPIC, note="not a question about the venue")
        elif judged is not None:
            ans = self._with_judge(question, query, candidates, hits, signals, judged, best, tier, emit, start,
                                   llm if use_llm else None, session_id)
        else:
            ans = self._by_signals(question, query, candidates, hits, signals, best, tier, emit, start,
                                   llm if use_llm else None)
        ans.question = question
        if ans.ttft_ms == 0.0:
            emit(Token(ans.answer))
            ans.ttft_ms = (self.clock.monotonic() - start) * 1000
        ans.total_ms = (self.clock.monotonic() - start) * 1000
        if not ans.escalated and ans.reason is not Reason.OFF_TOPIC and not ans.emergency:
            subject = ans.entry_ids[0] if len(ans.entry_ids) == 1 and not ans.choices else ""
            self._context = (session_id, query, subject)
        try:
            if ans.escalated:
                emit(Escalated(ans, session_id, ans.reason or Reason.NOT_COVERED))
            emit(Answered(ans, session_id))
        except KioskError as exc:  # the recorder could not store it: the turn failed
            emit(Failed(fail_code(exc), question, exc))
            raise
        return ans

    def _resolve(self, question: str, session_id: str) -> str:
        """A follow-up is read together with the session's last answered question."""
        if self._context is None or self._context[0] != session_id:
            return question
        leaning = leans_on_last_turn(question, len(content_terms(question)))
        if leaning is Leaning.NONE:
            return question
        combined = f"{self._context[1]} {question}"
        if leaning is Leaning.SURELY:
            return combined
        own = max((h.coverage for h in self.retrieve(question)), default=0.0)
        joint = max((h.coverage for h in self.retrieve(combined)), default=0.0)
        return combined if joint >= own else question

    # -- the older decision: combined retrieval signals (no judge, or words only) ---------------------
    def _by_signals(self, question: str, query: str, candidates: Sequence[Hit], hits: Sequence[Hit], signals,
                    best: float, tier: Tier, emit: Emitter, start: float, llm) -> Answer:
        listed = self._listed(query)
        if listed is not None:
            return Answer(question, listed.body.strip(), Route.KNOWLEDGE, tier, False, max(best, 0.5), [listed.id],
                          note="a question the pack lists under this entry")
        second = max((h.coverage for h in candidates[1:]), default=0.0)
        lead = hits[0].coverage if hits else 0.0
        if signals is not None and not self.answerability.answers(signals, self.config.answer_threshold):
            return self._escalate(question, hits, best, tier, Reason.NOT_COVERED,
                                  f"not covered by the knowledge pack (answerable: "
                                  f"{self.answerability.probability(signals):.2f})")
        if signals is None and best < self.config.escalate_threshold:
            return self._escalate(question, hits, best, tier, Reason.NOT_COVERED, "not covered by the knowledge pack")
        if not can_answer(question, hits[0].entry.body):
            return self._escalate(question, hits, best, tier, Reason.FACT_MISSING,
                                  f"the pack has no {expected_type(question)} for this")
        if lead >= self.config.direct_threshold and lead - second >= self.config.direct_margin:
            return Answer(question, hits[0].entry.body.strip(), Route.KNOWLEDGE, tier, False, best,
                          [hits[0].entry.id])
        if llm is not None:  # a follow-up is put to the model with the question it follows
            return self._generate(llm, query, hits, best, tier, emit, start)
        return self._heuristic(query, hits, best, tier)

    # -- the judge's decision: answer, "did you mean ...?", or pass on ----------------------------------
    def _judged(self, query: str, candidates: Sequence[Hit]) -> tuple[list[Judgement], bool, bool] | None:
        """The judge's view of the candidates, best first, with whether a named identifier decided the order
        (one entry alone holds it) and whether the question names an identifier the pack does not hold."""
        if self.judge is None:
            return None
        pool = [h.entry for h in candidates[:JUDGED]]
        named = identifiers(query)
        holding: list = []
        missing = False
        listed = self._listed(query)
        if listed is not None:  # the pack lists this very question under an entry: that entry answers it
            named, holding = [], [listed]
        for ident in named:
            found = holders(ident, self.index.entries())
            if not found:
                missing = True
            elif len(found) <= 3:
                holding += [e for e in found if e not in holding]
        pool = holding + [e for e in pool if e not in holding]
        if not pool:
            return [], False, missing
        judged = sorted(self.judge.judge(query, pool), key=lambda j: j.probability, reverse=True)
        decided = len(holding) == 1
        if listed is not None:  # the author's question is about the entry as a whole: said from its start
            judged = [Judgement(j.entry, j.probability, windows(j.entry)[0]) if j.entry.id == listed.id else j
                      for j in judged]
        if holding:  # identifiers outrank meaning: their holders first, by the judge among themselves
            judged = [j for j in judged if j.entry in holding] + [j for j in judged if j.entry not in holding]
        return judged, decided, missing

    def _listed(self, question: str):
        """The entry whose section lists this question ("? When are you open?" under Opening hours), if any."""
        ident = self.index.asked().get(asked_key(question))
        return next((e for e in self.index.entries() if e.id == ident), None) if ident else None

    def _likelier_reading(self, question: str, query: str, candidates: Sequence[Hit], judged):
        """A follow-up is judged read alone as well as with the last question, and the reading the judge is
        surer of wins: "what about guided tours?" after "is there a café?" is about the tours; "and for kids?"
        means little alone. Returns that reading, its judgement and its candidates."""
        own_hits = self.retrieve(question)
        own = self._judged(question, own_hits)
        top = lambda got: got[0][0].probability if got[0] else 0.0  # noqa: E731
        if own is None or top(own) < top(judged):
            return query, judged, candidates
        return question, own, own_hits

    def _on_subject(self, judged, question: str, session_id: str):
        """A follow-up ("and for kids?", "is it open on sundays?") is about the entry the visitor was last
        answered from (or chose): that entry goes first and decides, as a named identifier would, when the
        judge, reading it with the last question, finds it likely enough and at least half as likely as its
        best. Its window is the one the follow-up read alone finds, when that reading is surer ("where does
        it go from")."""
        ranked, decided, missing = judged
        if decided or not ranked or self._context is None or self._context[0] != session_id \
                or not self._context[2]:
            return judged
        subject = self._context[2]
        mine = next((j for j in ranked if j.entry.id == subject), None)
        if mine is None or mine.probability < max(SUBJECT_FLOOR, SUBJECT_SHARE * ranked[0].probability):
            return judged
        alone = self.judge.judge(question, [mine.entry])[0]
        if alone.probability > mine.probability:
            mine = alone
        return [mine] + [j for j in ranked if j.entry.id != subject], True, missing

    def _off_topic(self, query: str, judged) -> bool:
        """Nothing at the venue is meant: the question reads as off topic, and no entry is likely to answer it."""
        ranked, _, _ = judged
        if self.offtopic is None or (ranked and ranked[0].probability >= OFF_TOPIC_UNLESS):
            return False
        return self.offtopic.off_topic(query)

    def _off_topic_unanswered(self, query: str, signals) -> bool:
        """Without the judge: the question reads as off topic, and the signals model would not answer it
        anyway (so only a question that would have been passed on is declined instead)."""
        if self.offtopic is None or signals is None:
            return False
        return not self.answerability.answers(signals, self.config.answer_threshold) and self.offtopic.off_topic(query)

    def _with_judge(self, question: str, query: str, candidates: Sequence[Hit], hits: Sequence[Hit], signals,
                    judged, best: float, tier: Tier, emit: Emitter, start: float, llm, session_id: str) -> Answer:
        """Answer, "did you mean ...?" or pass on, on the judge's probability and retrieval's score together
        (0.7 and 0.3: chosen on dev venues the judge never trained on, models/judge/README.md). Sure of
        one entry and clearly ahead of the next: answer from its best window. Some entry likely: offer the
        likeliest. Nothing likely: pass on. A named identifier held by one entry answers from it."""
        ranked, decided, missing = judged
        fused = {h.entry.id: h.score for h in candidates}
        d = verdict(ranked, lambda j: j.probability, lambda j: fused.get(j.entry.id, 0.0), decided=decided,
                    missing=missing, answerable=lambda j: can_answer(query, j.entry.body), policy=self.policy,
                    answer_at=self.config.judge_answer_at, offer_at=self.config.judge_offer_at)
        likely = d.likely
        if d.verdict is Verdict.ANSWER:
            top = likely[0]
            if llm is not None and len(entry_sentences(top.entry.body)) > WHOLE_UP_TO:  # long prose: the model phrases it
                return self._generate(llm, query, [Hit(top.entry, best, similarity=1.0, score=1.0)], best, tier,
                                      emit, start)
            return Answer(question, said(top.entry, top.window), Route.KNOWLEDGE, tier, False, d.sure,
                          [top.entry.id], more=more(top.entry, top.window),
                          note=f"judge {top.probability:.2f}, combined {d.sure:.2f}")
        # not answered: the likeliest entries, by the judge and retrieval together
        note = ", ".join(f"{j.entry.id} {j.probability:.2f}" for j in likely[:3])
        if d.verdict is Verdict.CLARIFY:
            chosen = likely
            choices = [Choice(j.entry.id, j.entry.heading, said(j.entry, j.window)) for j in chosen]
            ans = Answer(question, CLARIFY_PROMPT, Route.CLARIFY, tier, False, chosen[0].probability,
                         [c.entry_id for c in choices], choices=choices, note=f"unsure (judge: {note})")
            self._offer = (session_id, ans)
            return ans
        return Answer(question, DONT_KNOW, Route.HEURISTIC, tier, True, likely[0].probability if likely else 0.0,
                      [], reason=Reason.NOT_COVERED, note=f"no entry answers it (judge: {note})")

    def choose(self, session_id: str, pick: int | None, listener: TurnListener | None = None,
               tier: Tier = Tier.FULL) -> Answer:
        """The visitor answered "did you mean ...?": ``pick`` is the choice's index, None for "none of
        these" (the question is passed on to staff with the choices attached)."""
        if self._offer is None or self._offer[0] != session_id:
            raise KioskError("no_choice_open", "there is no open 'did you mean' question to choose from")
        _, offered = self._offer
        if pick is not None and not 0 <= pick < len(offered.choices):
            raise KioskError("bad_choice", f"choose 1 to {len(offered.choices)}, or none")
        self._offer = None
        emit = Emitter([*self.listeners, listener])
        ids = tuple(c.entry_id for c in offered.choices)
        if pick is None:
            ans = Answer(offered.question, DONT_KNOW, Route.HEURISTIC, Tier(tier), True, offered.confidence, [],
                         reason=Reason.NOT_CHOSEN, choices=list(offered.choices),
                         note="none of the choices: " + ", ".join(ids))
            emit(Token(ans.answer))
            emit(Escalated(ans, session_id, Reason.NOT_CHOSEN))
        else:
            c = offered.choices[pick]
            entry = next((e for e in self.index.entries() if e.id == c.entry_id), None)
            full = entry.body.strip() if entry is not None else c.answer
            rest = full.replace(c.answer, "").strip() if c.answer in full else ""
            ans = Answer(offered.question, c.answer, Route.KNOWLEDGE, Tier(tier), False, offered.confidence,
                         [c.entry_id], more=rest, note="chosen from 'did you mean'")
            emit(Token(ans.answer))
            emit(Chosen(offered.question, c.entry_id, session_id, ids))
            self._context = (session_id, offered.question, c.entry_id)
        emit(Answered(ans, session_id))
        return ans

    def open_offer(self, session_id: str) -> Answer | None:
        """The session's open "did you mean ...?" turn, if any."""
        return self._offer[1] if self._offer is not None and self._offer[0] == session_id else None

    # -- emergencies ------------------------------------------------------------------------------------
    def _emergency(self, question: str, kind: EmergencyKind, candidates: Sequence[Hit], tier: Tier,
                   best: float) -> Answer:
        entry = self._safety_entry(kind, candidates)
        if entry is not None:
            return Answer(question, entry.body.strip(), Route.KNOWLEDGE, tier, False, max(best, 0.5), [entry.id],
                          emergency=kind, note=f"emergency ({kind}): the pack's safety entry")
        return Answer(question, built_in(kind, self.config.emergency_number), Route.HEURISTIC, tier, False, 1.0, [],
                      emergency=kind, note=f"emergency ({kind}): built-in instruction, the pack has no entry")

    def _safety_entry(self, kind: EmergencyKind, candidates: Sequence[Hit]):
        """The pack's entry for this kind of emergency: by its heading first, then by its text; the
        best-ranked candidate of that kind before any other."""
        wanted = SAFETY_ENTRY[kind]
        entries = [h.entry for h in candidates] + list(self.index.entries())
        for heading_says in (SAFETY_FIRST.get(kind, wanted), wanted):
            for e in entries:
                if heading_says.search(e.heading):
                    return e
        # else an entry whose text is about it (two different words of that kind: a shower entry that says its
        # door codes are for security is not the security entry), but never lost property (things, not people)
        return next((e for e in entries if len({m.lower() for m in wanted.findall(e.body)}) >= 2
                     and not LOST_PROPERTY.search(e.heading)), None)

    def forget(self, session_id: str) -> None:
        """The session was wiped: its turns no longer shape the next visitor's questions."""
        if self._context is not None and self._context[0] == session_id:
            self._context = None

    def _escalate(self, question: str, hits: Sequence[Hit], best: float, tier: Tier, reason: Reason,
                  why: str) -> Answer:
        return Answer(question, DONT_KNOW, Route.HEURISTIC, tier, True, best,
                      [h.entry.id for h in hits[:1]], reason=reason, note=why)

    def _heuristic(self, question: str, hits: Sequence[Hit], best: float, tier: Tier,
                   reason: Reason | None = None, note: str = "") -> Answer:
        sims = self.index.sentence_similarity(question, hits[0].entry)
        return Answer(question, best_sentences(question, hits[0], similarity=sims), Route.HEURISTIC, tier, False,
                      best, [hits[0].entry.id], reason=reason, note=note)

    def _generate(self, llm, question: str, hits: Sequence[Hit], best: float, tier: Tier, emit: Emitter,
                  start: float) -> Answer:
        context = [h.entry for h in hits if h.coverage >= self.config.escalate_threshold] or [hits[0].entry]
        gate = GroundingGate([f"{e.heading}. {e.body}" for e in context] + [self.venue], question) \
            if self.config.grounding_check else None
        max_tokens = self.max_tokens if tier is Tier.FULL else max(16, self.max_tokens // 2)
        logprobs: list[float] = []
        text = ""
        ttft = 0.0
        timed_out = False
        try:
            stream = self._watched(llm.generate(question, context, max_tokens), start)
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
                        emit(Token(out))
            if gate and not gate.violation:
                tail = gate.finish()
                if tail:
                    ttft = ttft or (self.clock.monotonic() - start) * 1000
                    emit(Token(tail))
        except KioskError as exc:
            self.breaker.failure(self.clock.monotonic())
            return self._fallback(llm, question, hits, best, tier, emit, ttft, Reason.MODEL_FAILED,
                                  f"model failed: {exc.code}")
        if timed_out:
            self.breaker.failure(self.clock.monotonic())
            return self._fallback(llm, question, hits, best, tier, emit, ttft, Reason.GENERATION_BUDGET,
                                  f"generation exceeded its {self.config.generation_budget_s:g} s budget",
                                  len(logprobs))
        self.breaker.success()
        ids = [e.id for e in context]
        if gate and gate.violation:
            return self._fallback(llm, question, hits, best, tier, emit, ttft, Reason.UNGROUNDED,
                                  f"ungrounded: {gate.violation}", len(logprobs))
        text = text.strip()
        whole = whole_sentences(text)
        if whole != text:  # stopped by the token limit mid-sentence: never shown or spoken cut off
            if whole:
                emit(Retracted(whole))
            text = whole
        if not text:
            return self._fallback(llm, question, hits, best, tier, emit, ttft, Reason.MODEL_EMPTY,
                                  "model gave no whole sentence", len(logprobs))
        if _LLM_UNSURE.search(text):
            ans = self._escalate(question, hits, best, tier, Reason.MODEL_UNSURE,
                                 "the model could not answer from the pack")
            emit(Retracted(ans.answer))
            ans.tokens_out, ans.ttft_ms, ans.model = len(logprobs), ttft, llm.name
            return ans
        token_conf = math.exp(sum(logprobs) / len(logprobs)) if logprobs else 0.0
        return Answer(question, text, Route.LLM, tier, False, 0.5 * best + 0.5 * token_conf, ids, ttft_ms=ttft,
                      tokens_in=llm.last_prompt_tokens(), tokens_out=len(logprobs), model=llm.name)

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

    def _fallback(self, llm, question: str, hits: Sequence[Hit], best: float, tier: Tier, emit: Emitter,
                  ttft: float, reason: Reason, why: str, tokens_out: int = 0) -> Answer:
        emit(FellBack(reason, question, why))
        ans = self._heuristic(question, hits, best, tier, reason=reason, note=why)
        if ttft:
            emit(Retracted(ans.answer))
            ans.ttft_ms = ttft
        ans.tokens_out = tokens_out
        ans.model = llm.name
        return ans

