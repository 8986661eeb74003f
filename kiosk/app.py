"""Composition root (with kiosk.pieces): the only place that picks implementations and wires them together.

Every entry point (the CLI commands, the touchscreen, `kiosk bench`, the bundle health check, `status`)
gets its services here: ``Kiosk`` is the long-lived runtime (storage, pack, governor, the model's slot,
the turn pipeline and its listeners, speech, sync); ``make_*`` (kiosk.pieces) build the pieces a command needs alone.
Heavy libraries are imported only when a piece is built, so `kiosk --help` stays fast.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.domain.events import Emitter, TurnListener
from kiosk.domain.governor import Governor, Readings, TierChange, assess
from kiosk.domain.kinds import Tier
from kiosk.domain.models import Answer
from kiosk.domain.pipeline import TurnPipeline
from kiosk.errors import KioskError
from kiosk.knowledge.index import CONFIGURED, IMPORTED
from kiosk.llm.slot import EngineSlot
from kiosk.store.db import connect
from kiosk.store.health import SketchRecorder, recent_latencies, record_health
from kiosk.status import end_of_turn_report, model_report, status_report, voice_report
from kiosk.store.turns import TurnStore

log = logging.getLogger("kiosk")


class SystemClock:
    @staticmethod
    def monotonic() -> float:
        return time.monotonic()


@dataclass
class Startup:
    """What happened while the kiosk prepared itself; shown by `kiosk status` and at the top of `chat`."""

    warnings: list[dict[str, str]] = field(default_factory=list)
    pack_imported: bool = False
    prefix_tokens: int = 0

    def warn(self, err: KioskError) -> None:
        self.warnings.append(err.as_dict())


# The pieces a command may need on its own are built in kiosk.pieces; imported here too, where the
# commands have always found them.
from kiosk.pieces import (make_tts, make_speaker, make_speech_detector, make_turn_model, make_wake_word, make_sync_worker, sync_once, make_index, make_judge, import_pack, with_ingest, composes, composing)  # noqa: E402,F401


class Kiosk:
    def __init__(self, config: Config, *, load_model: bool = True, clock=None, warm: bool = True) -> None:
        """``load_model=False`` for commands that only inspect or listen (status, transcribe, sync)."""
        from kiosk.resources.probes import make_probe, thresholds

        self.config = config
        self._warm = warm  # evaluate every cached prefix at start (a health check does not need to)
        self._model_wanted = load_model and composes(config)
        self.startup = Startup()
        self.clock = clock or SystemClock()
        self.db = connect(config.db_path)
        self.store = TurnStore(self.db)
        self.index = make_index(config, self.startup.warn)
        self._import_configured_pack()
        self.probe = make_probe(config.resources.emulate, config.data_path)
        self.governor = Governor(thresholds(config.resources),
                                 floor=Tier.FULL if self._model_wanted else Tier.MINIMAL)
        self.readings = Readings()
        self.slot = EngineSlot(self._build_engine, self.startup.warn)
        from kiosk.knowledge.senses import EmbeddingSenses

        self.judge = make_judge(config, self.index, self.startup.warn)
        senses = EmbeddingSenses(self.index.embedder) if self.index.embedder is not None else None
        self.pipeline = TurnPipeline(self.index, self.slot, self.clock, config.turn, top_k=config.knowledge.top_k,
                                     max_tokens=config.llm.max_tokens, venue=self.venue,
                                     listeners=[self.store.on_turn_event, SketchRecorder(self.db)],
                                     judge=self.judge, sense=senses, offtopic=senses)
        self.session_id = uuid.uuid4().hex
        self._speech = None
        self.echo = None  # the echo canceller's route, found when the speech kit is built
        self._probe(apply=False)  # the first reading decides whether the model is loaded at all
        self._apply(self.governor.tier)  # a kiosk that will take turns has its embeddings ready too
        self._monitor: threading.Thread | None = None
        self.sync = None
        self._stop = threading.Event()

    # -- start-up ---------------------------------------------------------------------------------------
    def _import_configured_pack(self) -> None:
        if not self.config.knowledge.pack:
            return
        try:
            _, changed = self.index.seed(self.config.knowledge.pack)
            self.startup.pack_imported = changed
        except KioskError as exc:  # keep answering from the pack already indexed, if any
            self.startup.warn(exc)

    def _warm_retrieval(self) -> None:
        try:
            self.index.similar("ready", 1)
        except KioskError as exc:  # a broken embedding model: words only, said at start-up
            log.warning("retrieval by words only: %s", exc.message)
            self.startup.warn(exc)
            self.index.embedder = None

    def _build_engine(self):
        from kiosk.config import MODELS_DIR
        from kiosk.llm.engine import LlamaEngine
        from kiosk.llm.manifest import resolve_model_path
        from kiosk.llm.runtime import runtime_copy

        llm = self.config.llm
        name, path = resolve_model_path(llm.model)
        path = runtime_copy(path, llm.runtime_format, MODELS_DIR / "runtime")
        engine = LlamaEngine(path, name, n_threads=llm.n_threads, n_ctx=llm.n_ctx, n_batch=llm.n_batch,
                             temperature=llm.temperature, venue=self.venue, pack=self.index.entries(),
                             prefix_mode=llm.prefix_mode, prefix_cache_mb=llm.prefix_cache_mb)
        if self._warm:
            self.startup.prefix_tokens = engine.warm()
        return engine

    # -- visitor ----------------------------------------------------------------------------------------
    @property
    def venue(self) -> str:
        return self.config.device.venue or self.index.meta().get("title", "")

    @property
    def tier(self) -> Tier:
        return self.governor.tier

    @property
    def engine(self):
        return self.slot.engine

    def ask(self, question: str | bytes, *listeners: TurnListener) -> Answer:
        """One turn. The recorder and sketches always listen; callers add their own (screen, speaker)."""
        with self.slot.lock:  # the model is not freed under a running turn
            return self.pipeline.answer(question, Emitter(listeners) if listeners else None, tier=self.tier,
                                        session_id=self.session_id)

    def choose(self, pick: int | None, *listeners: TurnListener) -> Answer:
        """The visitor's answer to "did you mean ...?": a choice's index, or None for "none of these"."""
        with self.slot.lock:
            return self.pipeline.choose(self.session_id, pick, Emitter(listeners) if listeners else None,
                                        tier=self.tier)

    def reset_session(self) -> int:
        """Wipe the visitor's transcript and conversation state; a new session id begins."""
        removed = self.store.reset_session(self.session_id)
        self.pipeline.forget(self.session_id)
        with self.slot.lock:
            if self.slot.engine is not None:
                self.slot.engine.reset_conversation()
        self.session_id = uuid.uuid4().hex
        return removed

    # -- speech -----------------------------------------------------------------------------------------
    def speech(self, speak: bool = False, engine: str | None = None):
        """The speech kit, built once; ``speak`` adds the speaker, ``engine`` overrides [speech] engine."""
        from kiosk.speech.capture import Microphone
        from kiosk.speech.kit import SpeechKit
        from kiosk.speech.setup import build_recognizers, pack_bias
        from kiosk.speech.vad import VadConfig

        if self._speech is None:
            from kiosk.speech.echo import use_route

            sc = self.config.speech
            self.echo = use_route(sc.echo_cancel)  # before any audio stream is opened
            self._speech = SpeechKit(
                lambda: build_recognizers(self.config, pack_bias(self.index.entries(), self.venue), engine),
                VadConfig(end_silence_s=sc.end_silence_s, complete_silence_s=sc.complete_silence_s,
                          max_utterance_s=sc.max_utterance_s, hesitation_s=sc.hesitation_s,
                          no_speech_timeout_s=sc.no_speech_timeout_s),
                lambda: Microphone(sc.device or None), speech_detector=lambda: make_speech_detector(self.config),
                wake_word=make_wake_word(self.config), echo_cancelled=self.echo is not None,
                turn_model=make_turn_model(self.config), turn_threshold=sc.turn_threshold,
                turn_allowed=lambda: self.governor.tier.rank <= self.governor.floor.rank)
        if speak and self._speech.speaker is None:
            self._speech.speaker = make_speaker(self.config)
            self._voice_follows_tier()
            if self._speech.speaker is not None:  # the fixed sentences, ready before a visitor needs them
                from kiosk.domain.fixed_phrases import fixed_phrases

                phrases = fixed_phrases(self.venue, self.config.turn.emergency_number)
                self._speech.speaker.prepare_soon(phrases)
        return self._speech

    def voice(self, speak: bool = False):
        """The voice turn (listen -> transcript -> answer -> speak) over this kiosk."""
        from kiosk.speech.turn import VoiceTurn

        return VoiceTurn(self.speech(speak), self.ask, self.choose)

    # -- resources --------------------------------------------------------------------------------------
    def _probe(self, apply: bool = True, db=None) -> TierChange | None:
        try:
            self.readings = self.probe.read()
        except KioskError as exc:  # a broken emulation file must not stop the kiosk
            self.startup.warn(exc)
            return None
        change = self.governor.update(self.readings, self.clock.monotonic())
        if change is not None:
            self._record_change(change, db)
            if apply:
                self._apply(change.new)
        return change

    def _record_change(self, change: TierChange, db=None) -> None:
        log.warning("tier %s -> %s: %s", change.old, change.new, change.reason)
        try:
            record_health(db or self.db, "tier.changed", {"from": change.old, "to": change.new,
                                                          "reason": change.reason, **self.readings.public()})
        except KioskError as exc:
            self.startup.warn(exc)

    def _apply(self, tier: Tier) -> None:
        """The slot follows the governor's tier; a model that will not load caps the governor at minimal.
        Stepping down to minimal for want of resources also frees the embedding model: retrieval by words
        only until the tier is back. (A kiosk whose floor is minimal, no LLM at all, keeps it: retrieval is
        then all it has.)"""
        if not self.slot.apply(tier):
            self.governor.limit(Tier.MINIMAL, "no usable model", self.clock.monotonic())
        self._voice_follows_tier()
        embedder = self.index.embedder
        if embedder is None:
            return
        with self.slot.lock:  # not under a running turn
            shed = not self.governor.tier.uses_model and self.governor.floor.uses_model
            self.index.dense = not shed
            if shed:
                embedder.unload()
                if self.judge is not None:
                    self.judge.unload()
            elif not embedder.loaded and self._model_wanted and self.index.version():
                self._warm_retrieval()  # back from minimal: ready before the next visitor asks

    def _voice_follows_tier(self) -> None:
        """Stepped down for want of resources (reduced or minimal below the kiosk's own best): the neural
        voice is freed and eSpeak NG speaks until the tier is back."""
        speaker = self._speech.speaker if self._speech is not None else None
        if speaker is None or not hasattr(speaker.tts, "plain"):
            return
        was = speaker.tts.active
        if self.governor.tier.rank > self.governor.floor.rank:
            speaker.tts.plain()
        else:
            speaker.tts.full()
        if speaker.tts.active != was and speaker.fixed:  # the fixed sentences in this voice too
            speaker.prepare_soon(speaker.fixed)

    def tick(self, db=None) -> TierChange | None:
        """One probe interval: read resources, change tier if needed (load or free the model)."""
        return self._probe(db=db)

    def force_tier(self, tier: Tier | str, reason: str = "operator") -> None:
        """Switch tier now (operator and benchmark use); the governor resumes from there."""
        old = self.governor.tier
        self._apply(self.governor.force(Tier(tier), reason, self.clock.monotonic()).new)
        record_health(self.db, "tier.changed", {"from": old, "to": self.governor.tier, "reason": reason})

    def projected_tier(self) -> tuple[Tier, str]:
        """The tier this kiosk would run at now (for `kiosk status`, which loads no model)."""
        tier, reason = assess(self.readings, self.governor.t)
        if not self.config.llm.enabled:
            return Tier.MINIMAL, "the local model is disabled"
        if not self.config.turn.compose:
            return Tier.MINIMAL, "answers are the pack's own sentences ([turn] compose = false)"
        if tier.uses_model and not model_report(self.config).get("present", False):
            return Tier.MINIMAL, "no usable model"
        return tier, reason

    def health_snapshot(self, db=None) -> str:
        import psutil

        from kiosk.stats import percentile

        db = db or self.db
        lat = recent_latencies(db)
        from kiosk.status import operator_warnings

        sent = {kind: n for kind, n in db.conn.execute(  # what the hub should hold: its reconciliation table
            "SELECT 'meters', COUNT(*) FROM meters WHERE status = 'sent' UNION ALL "
            "SELECT 'health_events', COUNT(*) FROM health_events WHERE status = 'sent'")}
        current = self.config.bundles_path / "current"
        return record_health(db, "health.snapshot", {
            "tier": self.tier, "latency_ms_p50": round(percentile(lat, 50), 1),
            "latency_ms_p95": round(percentile(lat, 95), 1),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1), "breaker": self.pipeline.breaker.state,
            "pack": self.index.meta().get("title", ""), "pack_version": self.index.version(),
            "bundle": current.resolve().name if current.is_symlink() else "",
            "warnings": [w["code"] for w in self.startup.warnings + operator_warnings(self.config)],
            "sent": sent, **self.readings.public()})

    def start_monitor(self) -> None:
        """Probe in the background (chat, listen, the touchscreen); health snapshots on their own period."""
        if self._monitor is not None:
            return
        rc = self.config.resources
        current = self.config.bundles_path / "current"
        try:  # a kiosk that keeps starting after an update is in a crash loop: the hub halts that release
            record_health(self.db, "started", {"bundle": current.resolve().name if current.is_symlink() else ""})
        except KioskError as exc:
            log.warning("start not recorded: %s", exc.message)

        def loop() -> None:
            db = connect(self.config.db_path)  # one SQLite connection per thread
            next_health = time.monotonic() + rc.health_interval_s
            while not self._stop.wait(rc.probe_interval_s):
                self.tick(db)
                if time.monotonic() >= next_health:
                    next_health += rc.health_interval_s
                    try:
                        self.health_snapshot(db)
                    except KioskError as exc:
                        log.warning("health snapshot not stored: %s", exc.message)

        self._monitor = threading.Thread(target=loop, name="resource-monitor", daemon=True)
        self._monitor.start()

    # -- sync -------------------------------------------------------------------------------------------
    def start_sync(self, on_answer=None):
        """Deliver the outbox in the background; cloud answers for the open session go to ``on_answer``."""
        def delivered(item: dict) -> None:
            if item["session_id"] == self.session_id and on_answer is not None:
                on_answer(item)  # otherwise it stays in the escalations table for the staff screen

        self.sync = make_sync_worker(self.config, on_answer=delivered, on_update=self.adopt_bundle)
        self.sync.start(self.config.sync.interval_s)
        return self.sync

    # -- operator ---------------------------------------------------------------------------------------
    def adopt_bundle(self) -> str:
        """A release was installed (by the sync worker): answer from its pack from now on."""
        from kiosk.config import bundle_overlay

        path = bundle_overlay(self.config.bundles_path).get("knowledge", {}).get("pack", "")
        if not path:
            return "the installed bundle has no pack"
        with self.slot.lock:
            pack, _ = self.index.import_dir(path, origin=IMPORTED)
            if not self.slot.reload():
                self.governor.limit(Tier.MINIMAL, "no usable model", self.clock.monotonic())
        self._rebias()
        return f"{pack.title}: {len(pack.entries)} entries, version {pack.version}"

    def reload_pack(self) -> str:
        """Re-import the configured pack (or the one last imported) and re-warm the model's prefixes."""
        from kiosk.config import bundle_overlay

        path = self.config.knowledge.pack or self.index.meta().get("path", "")
        if path and Path(path).resolve().is_relative_to(self.config.bundles_path.resolve()):
            # the pack came from a bundle: take the one installed now
            path = bundle_overlay(self.config.bundles_path).get("knowledge", {}).get("pack", path)
        if not path:
            raise KioskError("pack_not_configured", "no knowledge pack is configured ([knowledge] pack)")
        with self.slot.lock:
            origin = CONFIGURED if path == self.config.knowledge.pack else IMPORTED
            pack, _ = self.index.import_dir(path, origin=origin, configured=self.config.knowledge.pack)
            if not self.slot.reload():  # the cached prefixes held the old entries
                self.governor.limit(Tier.MINIMAL, "no usable model", self.clock.monotonic())
        self._rebias()
        return f"{pack.title}: {len(pack.entries)} entries, version {pack.version}"

    def _rebias(self) -> None:
        """Recognition follows the pack: its names, spelt its way, are Whisper's prompt."""
        if self._speech is not None:
            from kiosk.speech.setup import pack_bias

            self._speech.rebias(pack_bias(self.index.entries(), self.venue))

    def status(self) -> dict[str, Any]:
        if self._model_wanted or not composes(self.config):
            tier, reason = self.tier, self.governor.last_reason
        else:
            tier, reason = self.projected_tier()
        report = status_report(self.config, self.index, self.store, self.engine, self.startup, tier)
        speaker = self._speech.speaker if self._speech is not None else None
        report["voice"] = voice_report(self.config, speaker.tts if speaker is not None else None)
        report["wake_word"] = self.config.speech.wake_word or None  # hands-free listening, when on
        report["end_of_turn"] = end_of_turn_report(self.config, self._speech,
                                                   self.governor.tier.rank > self.governor.floor.rank)
        report["judge"] = {"active": self.judge is not None and self.index.dense,
                           "model": self.judge.model_id if self.judge is not None else None}
        report["echo_cancel"] = self.echo.public() if self.echo is not None else {"active": False}
        report["resources"] = {"readings": self.readings.public(), "simulated": self.probe.simulated,
                               "reason": reason, "breaker": self.pipeline.breaker.state}
        return report

    def close(self) -> None:
        self._stop.set()
        if self.sync is not None:
            self.sync.stop()
        if self._monitor is not None:
            self._monitor.join(timeout=5)
        if self._speech is not None:
            self._speech.close()
        self.slot.close()
        self.index.close()
        self.db.conn.close()
