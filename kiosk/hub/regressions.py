"""Halting a release on a clear regression after the update: a kiosk that installed it keeps restarting (a
crash loop, from its `started` health events), or those kiosks answer worse than they did before (the
escalation rate or the answer latency p95 jumps on more than one of them), judged from their own usage meters.
Run by every hub process on a timer; halting is one conditional statement, so several processes agree."""

from __future__ import annotations

import logging
from datetime import timedelta, timezone

from sqlalchemy import Engine, func, select

from kiosk.hub import releases
from kiosk.hub.event_rules import METER, STARTED
from kiosk.hub.tables import device_updates, events, releases as releases_table
from kiosk.stats import percentile

log = logging.getLogger("kiosk.hub")

CRASH_STARTS = 3          # starts of one kiosk within CRASH_WINDOW after the update: a crash loop
CRASH_WINDOW = timedelta(minutes=15)
MIN_ANSWERS = 20          # of one kiosk, before and after the update, before judging it
MIN_KIOSKS = 2            # kiosks that must each answer clearly worse to halt a release
MAX_LATENCY_MS = 1e8      # a latency beyond this is not a measurement
ESCALATION_RISE = 0.20    # absolute rise in the escalation rate...
ESCALATION_FACTOR = 2.0   # ...that is also at least double
LATENCY_FACTOR = 2.0      # p95 answer latency at least doubled...
LATENCY_RISE_MS = 500.0   # ...and at least this much slower


def _utc(t):
    """As UTC, whatever the database gave back (SQLite: naive UTC; PostgreSQL: aware, in its time zone)."""
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _stamp(t) -> str:
    """Comparable with the kiosks' event times ("2026-11-26T09:08:30.551Z"): the first 19 characters."""
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _figures(rows: list[dict]) -> tuple[int, float, float]:
    """(answers, escalation rate, latency p95) of meters that say what a kiosk writes; others are left out."""
    rows = [d for d in rows if isinstance(d.get("escalated", False), bool)]
    n = len(rows)
    esc = sum(1 for d in rows if d.get("escalated") is True) / n if n else 0.0
    lat = percentile([float(v) for d in rows if isinstance(v := d.get("latency_ms"), (int, float))
                      and not isinstance(v, bool) and 0 <= v <= MAX_LATENCY_MS], 95)
    return n, esc, lat


def worse(before: list[dict], after: list[dict]) -> str:
    """Why one kiosk's meters after the update are clearly worse than before ('' if not, or not yet clear)."""
    n_after, esc_after, lat_after = _figures(after)
    n_before, esc_before, lat_before = _figures(before)
    if n_after < MIN_ANSWERS or n_before < MIN_ANSWERS:
        return ""
    if esc_after - esc_before >= ESCALATION_RISE and esc_after >= ESCALATION_FACTOR * esc_before:
        return f"escalation rate {esc_before:.0%} -> {esc_after:.0%} ({n_before} answers before, {n_after} after)"
    if lat_after >= LATENCY_FACTOR * lat_before and lat_after - lat_before >= LATENCY_RISE_MS:
        return f"answer latency p95 {lat_before:.0f} -> {lat_after:.0f} ms"
    return ""


def verdict(engine: Engine, release_id: int) -> str:
    """Why this release is a regression ('' if it is not, or not yet clear): a crash loop on any kiosk that
    installed it, or answers clearly worse on at least MIN_KIOSKS of them, each judged against itself (one
    kiosk's meters, made up or not, can never halt a release for the fleet)."""
    worse_on: list[str] = []
    with engine.connect() as c:
        installed = c.execute(select(device_updates.c.device_id, device_updates.c.updated_at).where(
            device_updates.c.release_id == release_id, device_updates.c.state == "installed")).all()
        for dev, at in installed:
            at = _utc(at)
            starts = c.execute(select(func.count()).select_from(events).where(
                events.c.source == dev, events.c.type == STARTED, events.c.time >= _stamp(at),
                events.c.time <= _stamp(at + CRASH_WINDOW))).scalar()
            if starts >= CRASH_STARTS:
                return f"regression: {dev} started {starts} times within {CRASH_WINDOW} after the update"
            before, after = [], []
            # A day before the update against at most a week after it (indexed on source, type, time).
            for t, data in c.execute(select(events.c.time, events.c.data).where(
                    events.c.source == dev, events.c.type == METER, events.c.time >= _stamp(at - timedelta(days=1)),
                    events.c.time <= _stamp(at + timedelta(days=7)))):
                if isinstance(data, dict):
                    (after if t >= _stamp(at) else before).append(data)
            why = worse(before, after)
            if why:
                worse_on.append(f"{dev}: {why}")
    if len(worse_on) < MIN_KIOSKS:
        return ""
    return f"regression on {len(worse_on)} of {len(installed)} kiosks after the update: " + "; ".join(worse_on[:5])


def check_all(engine: Engine) -> list[tuple[int, str]]:
    """Halt each pack's newest rolling release if it regressed (an older one is not blamed for what happened
    after a newer one); returns what was halted and why. Each release is checked on its own: one that cannot
    be checked is logged and the others still are."""
    newest: dict[str, int] = {}
    with engine.connect() as c:
        for rid, pack in c.execute(select(releases_table.c.id, releases_table.c.pack_name)
                                   .where(releases_table.c.state == "rolling")
                                   .order_by(releases_table.c.bundle_version)):
            newest[pack] = rid
    halted = []
    for rid in newest.values():
        try:
            why = verdict(engine, rid)
            if why and releases.halt(engine, rid, why):
                log.warning("release %d halted: %s", rid, why)
                halted.append((rid, why))
        except Exception as exc:  # noqa: BLE001 - a check that fails must not stop the others
            log.warning("release %d: the regression check failed: %s: %s", rid, type(exc).__name__, exc)
    return halted
