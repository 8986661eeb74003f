"""Composition root: the only place that picks implementations and wires them together."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.domain.models import Answer
from kiosk.domain.pipeline import TurnPipeline
from kiosk.domain.ports import TextSink
from kiosk.errors import KioskError, ModelError
from kiosk.knowledge.index import KnowledgeIndex
from kiosk.store.db import connect
from kiosk.store.turns import TurnStore


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
    def __init__(self, config: Config, *, load_model: bool = True) -> None:
        self.config = config
        self.startup = Startup()
        self.db = connect(config.db_path)
        self.store = TurnStore(self.db)
        self.index = KnowledgeIndex(config.knowledge_db_path)
        self._import_configured_pack()
        self.engine = self._load_engine() if load_model and config.llm.enabled else None
        self.pipeline = TurnPipeline(self.index, self.engine, self.store, SystemClock(), config.turn,
                                     top_k=config.knowledge.top_k, max_tokens=config.llm.max_tokens,
                                     venue=self.venue)
        self.session_id = uuid.uuid4().hex

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
        return "full" if self.engine is not None else "minimal"

    def ask(self, question: str | bytes, sink: TextSink | None = None) -> Answer:
        return self.pipeline.answer(question, sink, tier=self.tier, session_id=self.session_id)

    def reset_session(self) -> int:
        """Wipe the visitor's transcript and conversation state; a new session id begins."""
        removed = self.store.reset_session(self.session_id)
        if self.engine is not None:
            self.engine.reset_conversation()
        self.session_id = uuid.uuid4().hex
        return removed

    # -- operator ---------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return status_report(self.config, self.index, self.store, self.engine, self.startup, self.tier)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
        self.index.close()
        self.db.conn.close()


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
        "outbox": store.outbox_counts(),
        "data_dir": str(config.data_path),
        "warnings": startup.warnings,
    }
