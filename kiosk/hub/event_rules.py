"""What an event must be for the hub to hold it: the kiosk's CloudEvents 1.0 (JSON batch mode), of a type a
kiosk sends, with data of that type's shape. Each field the dashboard or the release watcher reads has its
type and range here; every other number anywhere in the data must still be finite and of sane size, and the
data small and shallow. One kiosk's odd data is refused at the door, on its own, so it can never reach a page
or a decision that all kiosks share."""

from __future__ import annotations

import math
from typing import Any, Callable

METER = "kiosk.usage.meter.v1"
SNAPSHOT = "kiosk.health.health.snapshot"
OUTAGE = "kiosk.health.outage"
STARTED = "kiosk.health.started"
UPDATE = "kiosk.health.update"
TIER_CHANGED = "kiosk.health.tier.changed"
EMERGENCY = "kiosk.health.emergency"            # sent by kiosks from issue 22 on
CLARIFY_CHOSEN = "kiosk.health.clarify.chosen"  # likewise

MAX_DATA = 16 * 1024          # bytes of one event's data, as JSON
MAX_DEPTH = 4
BIG = 1e12                    # no number a kiosk reports is larger than this
INT_MAX = 2**53               # what every JSON reader (and PostgreSQL's casts) reads exactly


def _number(v: Any, low: float, high: float, whole: bool = False) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (whole and not isinstance(v, int)):
        return False
    return (isinstance(v, int) or math.isfinite(v)) and low <= v <= high


def _reading(low: float, high: float) -> Callable[[Any], bool]:
    """A probe reading: a number in range, or what the kiosk writes for a missing sensor."""
    return lambda v: v is None or v == "unknown" or _number(v, low, high)


def _text(most: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= most


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: _number(v, low, high, whole=True)


def _flag(v: Any) -> bool:
    return v is None or v == "unknown" or isinstance(v, bool)


def _sent(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and _number(n, 0, INT_MAX, whole=True)
                                       for k, n in v.items())


def _words(v: Any, most: int = 64) -> bool:
    return isinstance(v, list) and len(v) <= 50 and all(isinstance(w, str) and len(w) <= most for w in v)


def _ids(v: Any) -> bool:
    return _words(v, 128)


_READINGS = {"mem_available_mb": _reading(0, BIG), "cpu_load": _reading(0, 1e4), "temp_c": _reading(-100, 300),
             "throttled": _flag, "battery_pct": _reading(0, 100), "on_battery": _flag,
             "disk_free_mb": _reading(0, BIG), "simulated": _flag}

# For each type a kiosk sends, the fields the hub reads and what each must be (each optional).
FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    METER: {"session_id": _text(64), "source": _text(64), "model": _text(64), "tier": _text(64),
            "tokens_in": _whole(0, 2**31 - 1), "tokens_out": _whole(0, 2**31 - 1),
            "latency_ms": lambda v: _number(v, 0, 1e8), "ttft_ms": lambda v: v is None or _number(v, 0, 1e8),
            "escalated": lambda v: isinstance(v, bool)},
    SNAPSHOT: {"tier": _text(64), "latency_ms_p50": _reading(0, 1e8), "latency_ms_p95": _reading(0, 1e8),
               "rss_mb": _reading(0, BIG), "breaker": _text(64), "pack": _text(200), "pack_version": _text(64),
               "bundle": _text(64), "warnings": _words, "sent": _sent, **_READINGS},
    OUTAGE: {"start": _text(64), "end": _text(64)},
    STARTED: {"bundle": _text(64)},
    UPDATE: {"release": _whole(0, INT_MAX), "version": _whole(0, INT_MAX), "state": _text(32),
             "detail": _text(400)},
    TIER_CHANGED: {"from": _text(32), "to": _text(32), "reason": _text(400), **_READINGS},
    EMERGENCY: {"kind": _text(32), "entry_ids": _ids},
    CLARIFY_CHOSEN: {"question": _text(500), "entry_id": _text(128), "offered": _ids},
}
TYPES = frozenset(FIELDS)


def _shape(v: Any, depth: int = 0, budget: list[int] | None = None) -> str:
    """Why this JSON value is not plain data of sane size ('' if it is). ``budget``: bytes left, about as
    JSON counts them (one walk, no serialising)."""
    budget = [MAX_DATA] if budget is None else budget
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH}"
    if isinstance(v, str):
        budget[0] -= len(v) + 3
        if "\x00" in v:  # PostgreSQL's JSON cannot hold it
            return "a string holds a NUL character"
    elif isinstance(v, float):
        budget[0] -= 8
        if not math.isfinite(v):
            return "a number is not finite"
        if abs(v) > BIG:
            return "a number is too large"
    elif isinstance(v, int) and not isinstance(v, bool):
        budget[0] -= 8
        if abs(v) > INT_MAX:
            return "a number is too large"
    elif isinstance(v, dict):
        for key, child in v.items():
            budget[0] -= len(key) + 4
            why = _shape(child, depth + 1, budget)
            if why:
                return why
    elif isinstance(v, list):
        for child in v:
            why = _shape(child, depth + 1, budget)
            if why:
                return why
    else:
        budget[0] -= 5
    return f"data is over {MAX_DATA} bytes" if budget[0] < 0 else ""


def check_event(ev: Any, source: str) -> str:
    """Why this event cannot be held, or ''."""
    if not isinstance(ev, dict):
        return "not an object"
    if ev.get("specversion") != "1.0":
        return "specversion is not 1.0"
    for key, most in (("id", 128), ("time", 64)):
        v = ev.get(key)
        if not isinstance(v, str) or not 0 < len(v) <= most or "\x00" in v:
            return f"{key} missing or not a string of 1-{most} characters"
    if ev.get("source") != source:
        return f"source {str(ev.get('source'))[:64]!r} is not the signing device"
    kind = ev.get("type")
    if kind not in TYPES:
        return f"type {str(kind)[:64]!r} is not one a kiosk sends ({', '.join(sorted(TYPES))})"
    data = ev.get("data")
    if not isinstance(data, dict):
        return "data is not an object"
    why = _shape(data)
    if why:
        return f"data: {why}"
    for key, ok in FIELDS[kind].items():  # a field this hub does not know is held, never read
        if key in data and not ok(data[key]):
            return f"data field {key!r} is not of its type or out of range"
    return ""
