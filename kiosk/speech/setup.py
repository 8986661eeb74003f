"""Choosing and building the recognisers the config asks for (called by the composition root)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from kiosk.config import Config
from kiosk.errors import ModelError, SpeechUnavailable


def pack_bias(entries: Sequence, venue: str, limit: int = 400) -> list[str]:
    """Venue-specific words to bias recognition toward: the venue, headings and capitalised names (the
    recogniser keeps those that fit its prompt, names it cannot spell unaided first)."""
    words: dict[str, None] = {}
    if venue:
        words[venue] = None
    for e in entries:
        words.setdefault(e.heading, None)
        for name in re.findall(r"(?<=[a-z,;] )[A-Z][\w'-]+(?: [A-Z][\w'-]+)*", e.body):
            words.setdefault(name, None)
    return list(words)[:limit]


def vosk_model_dir(config: Config) -> Path | None:
    name = config.speech.vosk_model
    if not name:
        return None
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    installed = config.installed_models_path / "vosk" / name
    if installed.is_dir():
        return installed
    raise SpeechUnavailable("stt_model_missing", f"Vosk model {name!r} is not installed "
                     f"(kiosk models install vosk PATH_OR_URL)")


def build_recognizers(config: Config, bias: Sequence[str] = (), engine: str | None = None):
    """Return (streaming recogniser, final-pass recogniser or None)."""
    from kiosk.speech.recognizers import VoskRecognizer, WhisperRecognizer

    sc = config.speech
    engine = engine or sc.engine
    if engine not in ("auto", "vosk", "whisper"):
        raise ModelError("bad_engine", f"unknown speech engine {engine!r}; use auto, vosk or whisper")
    vosk_dir = vosk_model_dir(config) if engine in ("auto", "vosk") else None
    if engine == "vosk" and vosk_dir is None:
        raise SpeechUnavailable("stt_model_missing", "engine 'vosk' needs [speech] vosk_model "
                         "(kiosk models install vosk PATH_OR_URL)")
    whisper = None
    if vosk_dir is None or sc.final_pass:
        whisper = WhisperRecognizer(threads=sc.threads, bias=bias, partial_every_s=sc.partial_every_s,
                                    language=sc.language, beam_size=sc.beam_size)
    if vosk_dir is not None:
        return VoskRecognizer(vosk_dir, bias=bias), whisper if sc.final_pass else None
    return whisper, None
