"""The pieces a command may need on its own (a voice, a speaker, the speech detector, the end-of-turn
model, the wake word, the sync worker, the pack index and the answer judge), and the small config helpers
the commands share. ``kiosk.app`` (the composition root) builds the long-lived ``Kiosk`` from them. Heavy
libraries are imported only when a piece is built, so `kiosk --help` stays fast."""

from __future__ import annotations

import dataclasses
import logging
from typing import Callable

from kiosk.config import Config
from kiosk.errors import ConfigError, KioskError
from kiosk.knowledge.index import KnowledgeIndex
from kiosk.store.db import connect
from kiosk.store.outbox import Outbox

log = logging.getLogger("kiosk")


def make_tts(config: Config, voice: str = ""):
    """The kiosk's voice (``kiosk.speech.voices.Voice``): ``voice`` overrides [tts] voice."""
    from kiosk.llm.manifest import locate_voice, neural_voice
    from kiosk.speech.voices import ESPEAK, Voice

    name = voice or config.tts.voice
    neural = name if neural_voice(name) else ""
    espeak_voice = config.tts.espeak_voice if neural or name == ESPEAK else name  # an old eSpeak voice name
    return Voice(neural, locate_voice, config.tts.rate_wpm, config.tts.volume, espeak_voice)


def make_speaker(config: Config, output=None):
    """The speaker for spoken answers, or None when no voice can be had (the screen still works)."""
    from kiosk.speech.speaker import Speaker

    try:
        voice = make_tts(config)
        voice.load()  # the neural voice is ready before the first answer (or eSpeak NG speaks, said once)
        return Speaker(voice, output)
    except KioskError as exc:
        log.warning("answers will not be spoken: %s", exc.message)
        return None


def make_speech_detector(config: Config):
    """The Silero VAD model for end-pointing, or None (``[speech] vad = "energy"``, or it will not load:
    said once, and the level-based detector listens)."""
    if config.speech.vad != "silero":
        return None
    from kiosk.speech.silero import SileroModel

    try:
        return SileroModel()
    except KioskError as exc:
        log.warning("end-pointing by level only: %s", exc.message)
        return None


def make_turn_model(config: Config):
    """What builds the end-of-turn model (``[speech] end_of_turn = "model"``), or None: silence ends turns.
    A model that will not load is said once, and the silence rule stays (``SpeechKit.end_of_turn``)."""
    mode = config.speech.end_of_turn
    if mode not in ("model", "silence"):
        raise ConfigError("bad_end_of_turn", f"[speech] end_of_turn is {mode!r}; use 'model' or 'silence'")
    from kiosk.speech.turn_model import load_turn_model

    return load_turn_model if mode == "model" else None


def make_wake_word(config: Config):
    """The wake-word detector when hands-free listening is on, else None (also when it cannot load: said)."""
    if not config.speech.wake_word:
        return None
    from kiosk.speech.wakeword import WakeWord

    try:
        return WakeWord(config.speech.wake_word)
    except KioskError as exc:
        log.warning("hands-free listening is off: %s", exc.message)
        return None


def make_sync_worker(config: Config, db=None, on_answer: Callable[[dict], None] | None = None, transport=None,
                     on_update: Callable[[], None] | None = None):
    """The outbox's delivery worker; with no ``db``, on a connection of its own (one per thread)."""
    from functools import partial

    from kiosk.knowledge.excerpt import pack_text
    from kiosk.sync.worker import SyncWorker, settings_from_config

    worker = SyncWorker(db if db is not None else connect(config.db_path), settings_from_config(config),
                        transport=transport, on_answer=on_answer, pack_for=partial(pack_text, config))
    if config.updates.url and worker.s.signing_key is not None:  # enrolled: releases from the hub
        from kiosk.sync.updates import Updater

        worker.updater = Updater.for_kiosk(config, worker, on_update)
        worker.update_interval_s = config.updates.interval_s
    return worker


def sync_once(config: Config):
    """One delivery pass now (`kiosk sync`, the staff screen's 'sync now')."""
    worker = make_sync_worker(config)
    try:
        return worker.run_once(), Outbox(worker.db).report()
    finally:
        worker.stop()
        worker.db.conn.close()


def make_index(config: Config, warn: Callable[[KioskError], None] | None = None) -> KnowledgeIndex:
    """The pack's index, with the embedding model when configured and installed (else words only, warned)."""
    embedder = None
    if config.knowledge.embeddings:
        from kiosk.knowledge.embed import Embedder

        try:
            embedder = Embedder(threads=config.llm.n_threads)
        except KioskError as exc:
            log.warning("retrieval by words only: %s", exc.message)
            if warn is not None:
                warn(exc)
    return KnowledgeIndex(config.knowledge_db_path, embedder)


def make_judge(config: Config, index: KnowledgeIndex, warn: Callable[[KioskError], None] | None = None):
    """The trained answer judge, when configured, installed and retrieval has meaning (else None: the
    older signals model decides, and a missing judge is said at start-up)."""
    if not config.turn.judge or index.embedder is None:
        return None
    from kiosk.knowledge.judge import OnnxJudge

    try:
        return OnnxJudge(threads=config.llm.n_threads)
    except KioskError as exc:
        log.warning("no answer judge: %s", exc.message)
        if warn is not None:
            warn(exc)
        return None


def import_pack(config: Config, path: str):
    """`kiosk knowledge import`: index a pack directory, replacing the current one atomically."""
    index = make_index(config)
    try:
        return index.import_dir(path, configured=config.knowledge.pack)
    finally:
        index.close()


def with_ingest(config: Config, url: str) -> Config:
    """The same configuration delivering to another ingest endpoint (benchmarks, tests)."""
    return dataclasses.replace(config, ingest=dataclasses.replace(config.ingest, url=url))


def composes(config: Config) -> bool:
    """Whether this kiosk loads its local model to phrase answers."""
    return config.llm.enabled and config.turn.compose


def composing(config: Config) -> Config:
    """``config`` with the local model phrasing answers (benchmarks and health checks that prove the model)."""
    return dataclasses.replace(config, turn=dataclasses.replace(config.turn, compose=True))
