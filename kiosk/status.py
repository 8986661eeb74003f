"""What `kiosk status` and the staff screen report: model, pack, outbox, warnings."""

from __future__ import annotations

from typing import Any

from kiosk.config import Config
from kiosk.domain.kinds import Tier
from kiosk.errors import KioskError
from kiosk.store.outbox import Outbox


def operator_warnings(config: Config) -> list[dict[str, str]]:
    from kiosk.staff_pin import pin_record

    if not pin_record(config):
        return [{"code": "no_staff_pin", "message": "no staff PIN is set: the touchscreen asks for one at start "
                 "(or `kiosk pin set`)"}]
    return []


def model_report(config: Config, engine: Any = None) -> dict[str, Any]:
    from kiosk.llm.manifest import resolve_model_path

    report: dict[str, Any] = {"configured": config.llm.model, "enabled": config.llm.enabled,
                              "composes": config.llm.enabled and config.turn.compose,
                              "loaded": engine is not None}
    try:
        name, path = resolve_model_path(config.llm.model)
        report.update(name=name, path=str(path), present=True)
    except KioskError as exc:
        report.update(present=False, error=exc.as_dict())
    if engine is not None:
        report.update(runtime_file=str(engine.path), prefix_mode=engine.prefix_mode,
                      cached_prefixes=engine.cached_prefixes, prefix_cache_mb=engine.cached_prefix_mb)
    return report


def voice_report(config: Config, voice: Any = None) -> dict[str, Any]:
    """Which voice speaks answers: the configured one, or eSpeak NG when it is missing or resources are short."""
    from kiosk.llm.manifest import locate_voice, neural_voice

    name = config.tts.voice
    report: dict[str, Any] = {"configured": name, "neural": neural_voice(name)}
    if report["neural"]:
        try:
            report["path"] = str(locate_voice(name))
        except KioskError as exc:
            report["error"] = exc.as_dict()
    if voice is not None:
        report["active"] = voice.active
        if voice.unavailable:
            report["error"] = {"code": "tts_voice_unavailable", "message": voice.unavailable}
    else:
        report["active"] = name if report["neural"] and "error" not in report else "espeak"
    return report


def end_of_turn_report(config: Config, kit: Any = None, stepped_down: bool = False) -> dict[str, Any]:
    """What ends a visitor's turn: the end-of-turn model or silence, and why silence when the model was asked."""
    from kiosk.llm.manifest import find_spec, verify

    configured = config.speech.end_of_turn
    if kit is not None:
        active, why = kit.end_of_turn()
    elif configured != "model":
        active, why = "silence", "configured"
    elif stepped_down:
        active, why = "silence", "stepped_down"
    else:
        try:
            verify(find_spec("smart-turn-v3.2"), check_hash=False)
            active, why = "model", ""
        except KioskError as exc:
            active, why = "silence", exc.code
    report: dict[str, Any] = {"configured": configured, "active": active}
    if why and why != "configured":
        report["reason"] = why
    if active == "model":
        report.update(model="smart-turn-v3.2", hesitation_s=config.speech.hesitation_s)
    else:
        report["end_silence_s"] = config.speech.end_silence_s
    return report


def hub_report(config: Config, last_success: str | None) -> dict[str, Any]:
    """Enrolment with a fleet hub and the last time it took a delivery (an unenrolled kiosk works offline)."""
    from kiosk.identity import enrolment

    try:
        e = enrolment(config.data_path)
    except KioskError as exc:
        return {"enrolled": False, "error": exc.message}
    if e is None:
        return {"enrolled": False}
    return {"enrolled": True, "url": e.hub_url, "device_id": e.device_id, "ring": e.ring,
            "enrolled_at": e.enrolled_at, "last_contact": last_success}


def status_report(config: Config, index, store, engine: Any, startup,
                  tier: Tier) -> dict[str, Any]:
    meta = index.meta()
    outbox = Outbox(store.db).report()
    return {
        "tier": tier,
        "model": model_report(config, engine),
        "pack": {"title": meta.get("title", ""), "version": meta.get("version", ""),
                 "entries": int(meta.get("entries", 0)), "path": meta.get("path", ""),
                 "origin": meta.get("origin", ""), "configured": config.knowledge.pack},
        "outbox": outbox,
        "hub": hub_report(config, outbox["last_success"]),
        "data_dir": str(config.data_path),
        "warnings": startup.warnings + operator_warnings(config),
    }
