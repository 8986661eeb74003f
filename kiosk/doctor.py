"""`kiosk doctor`: is this machine ready to run the kiosk? `--build` checks only the llama.cpp build."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from kiosk.errors import KioskError

_AMX = re.compile(r"AMX\w*\s*=\s*1")


def check_build() -> dict[str, Any]:
    """The llama.cpp build must not use AMX: its kernels segfault on Sapphire Rapids (llama.cpp #20824)."""
    from kiosk.llm.engine import system_info

    info = system_info()
    amx = bool(_AMX.search(info)) or "AMX" in info
    return {"check": "llama_build", "ok": not amx, "system_info": info.strip(),
            "detail": "AMX is compiled in: rebuild with packaging/setup.sh" if amx else "no AMX"}


def _try(name: str, fn) -> dict[str, Any]:
    try:
        detail = fn()
        return {"check": name, "ok": True, "detail": detail}
    except KioskError as err:
        return {"check": name, "ok": False, "detail": err.message, "code": err.code}


def _echo_check(config) -> dict[str, Any]:
    """Informational: whether listening goes through the echo canceller (a kiosk without one still works,
    but a visitor must out-shout it to interrupt)."""
    from kiosk.speech.echo import find_route

    route = find_route() if config.speech.echo_cancel == "auto" else None
    return {"check": "echo_cancel", "ok": True, "active": route is not None,
            "detail": f"active: listening on {route.source}, speaking to {route.sink}" if route else
            "not active: no kiosk_ec_src/kiosk_ec_sink on the sound server (packaging/kiosk-session loads "
            "module-echo-cancel)" if config.speech.echo_cancel == "auto" else "off ([speech] echo_cancel)"}


def run_doctor(build_only: bool, as_json: bool, config=None) -> int:
    checks = []
    try:
        checks.append(check_build())
    except KioskError as err:
        checks.append({"check": "llama_build", "ok": False, "detail": err.message, "code": err.code})
    if not build_only and config is not None:
        from kiosk.knowledge.pack import load_pack
        from kiosk.llm.manifest import find_spec, verify
        from kiosk.store.db import connect

        if not config.llm.model_is_path:
            checks.append(_try("model", lambda: str(verify(find_spec(config.llm.model)))))
        checks.append(_try("database", lambda: str(connect(config.db_path).conn.execute(
            "PRAGMA integrity_check").fetchone()[0])))
        if config.knowledge.pack:
            checks.append(_try("pack", lambda: f"{len(load_pack(config.knowledge.pack).entries)} entries"))
        checks.append(_echo_check(config))
    ok = all(c["ok"] for c in checks)
    if as_json:
        print(json.dumps({"ok": ok, "checks": checks}))
    else:
        for c in checks:
            print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
            if c["check"] == "llama_build":
                print(f"     {c['system_info'] if 'system_info' in c else ''}")
    if not ok:
        print("kiosk doctor: some checks failed", file=sys.stderr)
    return 0 if ok else 3
