"""Is the installed bundle usable? Whole on disk, the model loads, the pack answers a probe question.

The installer runs the check as a child process (`kiosk bundle check`), so a model that crashes llama.cpp
fails the check instead of killing the installer half-way.
"""

from __future__ import annotations

from kiosk.bundles.install import open_store
from kiosk.config import Config
from kiosk.errors import KioskError


def check(config: Config) -> dict:
    """In this process: raises nothing, returns {"ok", "detail", ...}."""
    from kiosk.app import Kiosk, composing

    store = open_store(config)
    out: dict = {"version": store.version_of(store.current())}
    try:
        manifest = store.verify_installed() if store.current() is not None else None
    except KioskError as exc:
        return {**out, "ok": False, "detail": f"{exc.code}: {exc.message}"}
    if manifest is not None and manifest.model:  # a bundle's model is proven even where it does not phrase answers
        config = composing(config)
    kiosk = Kiosk(config, warm=False)  # loading and a short generation prove the model; warming is start-up's job
    try:
        if kiosk.startup.warnings:
            w = kiosk.startup.warnings[0]
            return {**out, "ok": False, "detail": f"{w['code']}: {w['message']}"}
        if manifest is not None and manifest.model and kiosk.engine is None:
            return {**out, "ok": False, "detail": "the bundle's model did not load"}
        question = (manifest.probe_question if manifest else "") or config.bundles.probe_question
        if kiosk.engine is not None:
            entries = kiosk.index.entries()[:1]
            if not any(piece.text for piece in kiosk.engine.generate(question, entries, 4)):
                return {**out, "ok": False, "detail": "the model loaded but generated nothing"}
        ans = kiosk.ask(question)
        expected = manifest.probe_entry if manifest else ""
        ok = not ans.escalated and (not expected or expected in ans.entry_ids)
        detail = (f"model {'loaded' if kiosk.engine else 'not used'}; probe {question!r} -> "
                  f"{ans.source} from {', '.join(ans.entry_ids) or 'no entry'}")
        if not ok:
            detail += f" (expected an answer from {expected or 'the pack'})"
        return {**out, "ok": ok, "detail": detail}
    except KioskError as exc:
        return {**out, "ok": False, "detail": f"{exc.code}: {exc.message}"}
    finally:
        kiosk.reset_session()
        kiosk.close()
