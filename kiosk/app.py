"""Composition root: the only place that picks implementations and wires them together."""

from __future__ import annotations

import gc
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.domain.governor import Governor, Readings, TierChange
from kiosk.domain.models import Answer
from kiosk.domain.pipeline import TurnPipeline
from kiosk.domain.ports import TextSink
from kiosk.errors import KioskError, ModelError
from kiosk.knowledge.index import KnowledgeIndex
from kiosk.store.db import connect
from kiosk.store.health import recent_latencies, record_health, record_sketch
from kiosk.store.outbox import Outbox
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


class Kiosk:
    def __init__(self, config: Config, *, load_model: bool = True, clock=None, warm: bool = True) -> None:
        self.config = config
        self._warm = warm  # evaluate every cached prefix at start (a health check does not need to)
        self.startup = Startup()
        self.db = connect(config.db_path)
        self.store = TurnStore(self.db)
        self.index = KnowledgeIndex(config.knowledge_db_path)
        self._import_configured_pack()
        self.clock = clock or SystemClock()
        self._engine_lock = threading.RLock()
        from kiosk.resources.probes import make_probe, thresholds

        rc = config.resources
        self.probe = make_probe(rc.emulate, config.data_path)
        self.governor = Governor(thresholds(rc),
            tier="full" if load_model and config.llm.enabled else "minimal",
            floor="full" if load_model and config.llm.enabled else "minimal")
        self.readings: Readings = Readings()
        self._probe(apply=False)  # the first reading decides whether the model is loaded at all
        self.engine = None
        if self.governor.tier != "minimal":
            self.engine = self._load_engine()
            if self.engine is None:
                self.governor.floor = self.governor.tier = "minimal"
        self.pipeline = TurnPipeline(self.index, self.engine, self.store, self.clock, config.turn,
                                     top_k=config.knowledge.top_k, max_tokens=config.llm.max_tokens,
                                     venue=self.venue)
        self.session_id = uuid.uuid4().hex
        self._monitor: threading.Thread | None = None
        self.sync = None
        self._stop = threading.Event()

    # -- start-up ---------------------------------------------------------------------------------------
    def _import_configured_pack(self) -> None:
        if not self.config.knowledge.pack:
            return
        try:
            _, changed = self.index.import_dir(self.config.knowledge.pack, only_if_changed=True)
            self.startup.pack_imported = changed
        except KioskError as exc:  # keep answering from the pack already indexed, if any
            self.startup.warn(exc)

    def _load_engine(self):
        from kiosk.config import MODELS_DIR
        from kiosk.llm.engine import LlamaEngine
        from kiosk.llm.manifest import resolve_model_path
        from kiosk.llm.runtime import runtime_copy

        llm = self.config.llm
        try:
            name, path = resolve_model_path(llm.model)
            path = runtime_copy(path, llm.runtime_format, MODELS_DIR / "runtime")
            engine = LlamaEngine(path, name, n_threads=llm.n_threads, n_ctx=llm.n_ctx, n_batch=llm.n_batch,
                                 temperature=llm.temperature, venue=self.venue, pack=self.index.entries(),
                                 prefix_mode=llm.prefix_mode, prefix_cache_mb=llm.prefix_cache_mb)
            if self._warm:
                self.startup.prefix_tokens = engine.warm()
            return engine
        except ModelError as exc:
            self.startup.warn(exc)
            return None

    # -- visitor ----------------------------------------------------------------------------------------
    @property
    def venue(self) -> str:
        return self.config.device.venue or self.index.meta().get("title", "")

    @property
    def tier(self) -> str:
        return self.governor.tier

    # -- resources --------------------------------------------------------------------------------------
    def _probe(self, apply: bool = True, db=None) -> TierChange | None:
        try:
            self.readings = self.probe.read()
        except KioskError as exc:  # a broken emulation file must not stop the kiosk
            self.startup.warn(exc)
            return None
        change = self.governor.update(self.readings, self.clock.monotonic())
        if change is not None:
            log.warning("tier %s -> %s: %s", change.old, change.new, change.reason)
            try:
                record_health(db or self.db, "tier.changed", {"from": change.old, "to": change.new,
                                                        "reason": change.reason, **self.readings.public()})
            except KioskError as exc:
                self.startup.warn(exc)
            if apply:
                self._apply_tier(change.new)
        return change

    def tick(self, db=None) -> TierChange | None:
        """One probe interval: read resources, change tier if needed (load or free the model)."""
        return self._probe(db=db)

    def _apply_tier(self, tier: str) -> None:
        with self._engine_lock:
            if tier == "minimal" and self.engine is not None:
                engine, self.engine, self.pipeline.llm = self.engine, None, None
                engine.close()
                del engine
                gc.collect()  # llama.cpp frees the weights and KV cache when the Llama object goes
            elif tier != "minimal" and self.engine is None and self.governor.floor != "minimal":
                self.engine = self._load_engine()
                self.pipeline.llm = self.engine
                if self.engine is None:
                    self.governor.floor = self.governor.tier = "minimal"

    def force_tier(self, tier: str, reason: str = "operator") -> None:
        """Switch tier now (operator and benchmark use); the governor resumes from there."""
        old = self.governor.tier
        self.governor.tier, self.governor.last_reason = tier, reason
        self._apply_tier(tier)
        if self.engine is None and tier != "minimal":
            self.governor.tier = "minimal"
        record_health(self.db, "tier.changed", {"from": old, "to": self.governor.tier, "reason": reason})

    def health_snapshot(self, db=None) -> str:
        import psutil

        from kiosk.bench import pct

        db = db or self.db
        lat = recent_latencies(db)
        return record_health(db, "health.snapshot", {
            "tier": self.tier, "latency_ms_p50": round(pct(lat, 50), 1), "latency_ms_p95": round(pct(lat, 95), 1),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1), "breaker": self.pipeline.breaker.state,
            **self.readings.public()})

    def start_monitor(self) -> None:
        """Probe in the background (chat, listen, the touchscreen); health snapshots on their own period."""
        if self._monitor is not None:
            return
        rc = self.config.resources

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

    def ask(self, question: str | bytes, sink: TextSink | None = None) -> Answer:
        with self._engine_lock:  # the model is not freed under a running turn
            try:
                ans = self.pipeline.answer(question, sink, tier=self.tier, session_id=self.session_id)
            except KioskError as exc:
                self._sketch(exc.code, question, exc.message)
                raise
        if ans.note.startswith(("model failed", "generation exceeded", "ungrounded")):
            self._sketch(ans.note.split(":")[0].replace(" ", "_"), question, ans.note)
        return ans

    def _sketch(self, code: str, question: str | bytes, detail: str) -> None:
        try:
            record_sketch(self.db, code, question, detail)
        except KioskError as exc:  # a full disk must not turn a refused question into a crash
            log.warning("sketch not stored: %s", exc.message)

    # -- sync -------------------------------------------------------------------------------------------
    def start_sync(self, on_answer=None):
        """Deliver the outbox in the background; cloud answers for the open session go to ``on_answer``."""
        from kiosk.sync.worker import SyncWorker, settings_from_config

        def delivered(item: dict) -> None:
            if item["session_id"] == self.session_id and on_answer is not None:
                on_answer(item)  # otherwise it stays in the escalations table for the staff screen

        # Its own connection: one SQLite connection per thread.
        self.sync = SyncWorker(connect(self.config.db_path), settings_from_config(self.config), on_answer=delivered)
        self.sync.start(self.config.sync.interval_s)
        return self.sync

    def reset_session(self) -> int:
        """Wipe the visitor's transcript and conversation state; a new session id begins."""
        removed = self.store.reset_session(self.session_id)
        if self.engine is not None:
            self.engine.reset_conversation()
        self.session_id = uuid.uuid4().hex
        return removed

    # -- operator ---------------------------------------------------------------------------------------
    def reload_pack(self) -> str:
        """Re-import the configured pack (or the one last imported) and re-warm the model's prefixes."""
        from kiosk.config import bundle_overlay

        path = self.config.knowledge.pack or self.index.meta().get("path", "")
        bundles = str(self.config.bundles_path.resolve())
        if path.startswith(bundles):  # the pack came from a bundle: take the one installed now
            path = bundle_overlay(self.config.bundles_path).get("knowledge", {}).get("pack", path)
        if not path:
            raise KioskError("pack_not_configured", "no knowledge pack is configured ([knowledge] pack)")
        with self._engine_lock:
            pack, _ = self.index.import_dir(path)
            if self.engine is not None:  # the cached prefixes hold the old entries
                old, self.engine = self.engine, None
                old.close()
                del old
                gc.collect()
                self.engine = self._load_engine()
                self.pipeline.llm = self.engine
                if self.engine is None:
                    self.governor.floor = self.governor.tier = "minimal"
        return f"{pack.title}: {len(pack.entries)} entries, version {pack.version}"

    def status(self) -> dict[str, Any]:
        report = status_report(self.config, self.index, self.store, self.engine, self.startup, self.tier)
        report["resources"] = {"readings": self.readings.public(), "simulated": self.probe.simulated,
                               "reason": self.governor.last_reason, "breaker": self.pipeline.breaker.state}
        return report

    def close(self) -> None:
        self._stop.set()
        if self.sync is not None:
            self.sync.stop()
        if self._monitor is not None:
            self._monitor.join(timeout=5)
        if self.engine is not None:
            self.engine.close()
        self.index.close()
        self.db.conn.close()


def operator_warnings(config: Config) -> list[dict[str, str]]:
    from kiosk.config import FACTORY_PIN_SHA256

    if config.ui.staff_pin_sha256.lower() == FACTORY_PIN_SHA256:
        return [{"code": "factory_pin", "message": "the staff PIN is still the factory PIN (2468): set "
                 "[ui] staff_pin_sha256"}]
    return []


def model_report(config: Config, engine: Any = None) -> dict[str, Any]:
    from kiosk.llm.manifest import resolve_model_path

    report: dict[str, Any] = {"configured": config.llm.model, "enabled": config.llm.enabled,
                              "loaded": engine is not None}
    try:
        name, path = resolve_model_path(config.llm.model)
        report.update(name=name, path=str(path), present=True)
    except KioskError as exc:
        report.update(present=False, error=exc.as_dict())
    if engine is not None:
        report.update(runtime_file=str(engine.path), prefix_mode=engine.prefix_mode,
                      cached_prefixes=len(engine.cache.items), prefix_cache_mb=round(engine.cache.bytes / 2**20, 1))
    return report


def status_report(config: Config, index: KnowledgeIndex, store: TurnStore, engine: Any, startup: Startup,
                  tier: str) -> dict[str, Any]:
    meta = index.meta()
    return {
        "tier": tier,
        "model": model_report(config, engine),
        "pack": {"title": meta.get("title", ""), "version": meta.get("version", ""),
                 "entries": int(meta.get("entries", 0)), "path": meta.get("path", ""),
                 "configured": config.knowledge.pack},
        "outbox": Outbox(store.db).report(),
        "data_dir": str(config.data_path),
        "warnings": startup.warnings + operator_warnings(config),
    }
