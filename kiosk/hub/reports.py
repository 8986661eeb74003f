"""What the dashboard shows, read from the hub's tables: the fleet, usage, reconciliation, grouped questions.

Everything a kiosk reports arrives as events (``kiosk.health.health.snapshot``, ``kiosk.health.outage``,
``kiosk.usage.meter.v1``); the hub's own facts are the devices' last contact and what it holds."""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.exc import DBAPIError

from kiosk.domain.text import STOPWORDS, stem
from kiosk.hub.event_rules import EMERGENCY, METER, OUTAGE, SNAPSHOT
from kiosk.hub.queue import review_queue
from kiosk.hub.tables import devices, events

log = logging.getLogger("kiosk.hub")
EMERGENCY_KINDS = {"lost_child": "lost or found child", "medical": "someone ill or hurt", "fire": "fire or smoke",
                   "threat": "a threat"}


def _aware(t: datetime | None) -> datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=timezone.utc)


@dataclass
class Kiosk:
    id: str
    ring: str
    state: str              # active | revoked
    online: bool
    last_seen: datetime | None
    last_sync: datetime | None
    snapshot: dict[str, Any] = field(default_factory=dict)
    snapshot_time: str = ""
    outages: list[dict[str, str]] = field(default_factory=list)


def _latest(c, type_: str) -> dict[str, tuple[str, dict]]:
    """Each device's newest event of a type, by when the hub received it (a kiosk's clock cannot pin one)."""
    newest = (select(events.c.source, func.max(events.c.received_at).label("t")).where(events.c.type == type_)
              .group_by(events.c.source).subquery())
    rows = c.execute(select(events.c.source, events.c.time, events.c.data).join(
        newest, and_(events.c.source == newest.c.source, events.c.received_at == newest.c.t))
        .where(events.c.type == type_)).all()
    return {r.source: (r.time, snapshot(r.data)) for r in rows}


def _num(v: Any) -> float | None:
    """A number the page can show, or None (not a number, not finite, or too large for a float)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _text(v: Any, most: int = 200) -> str:
    return v[:most] if isinstance(v, str) else ""


def snapshot(data: Any) -> dict[str, Any]:
    """A health snapshot's fields the dashboard shows, each of its type or left out: a kiosk's odd data
    cannot break a page."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {k: _text(data.get(k)) for k in ("tier", "pack", "pack_version", "bundle", "breaker")}
    for k in ("latency_ms_p50", "latency_ms_p95", "temp_c", "disk_free_mb", "mem_available_mb", "battery_pct"):
        n = _num(data.get(k))
        if n is not None:
            out[k] = n
    warnings = data.get("warnings")
    out["warnings"] = [_text(w, 64) for w in warnings[:20] if isinstance(w, str)] if isinstance(warnings, list) else []
    sent = data.get("sent")
    if isinstance(sent, dict):
        out["sent"] = {k: int(v) for k, v in sent.items()
                       if k in ("meters", "health_events") and isinstance(v, int) and not isinstance(v, bool)}
    return out


def fleet(engine: Engine, offline_after_s: float, now: datetime | None = None) -> list[Kiosk]:
    """Every enrolled kiosk, offline ones first, with its latest health snapshot and recent outages."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as c:
        devs = c.execute(select(devices).order_by(devices.c.id)).all()
        snaps = _latest(c, SNAPSHOT)
        syncs = dict(c.execute(select(events.c.source, func.max(events.c.received_at))
                               .group_by(events.c.source)).all())
        outages: dict[str, list[dict]] = defaultdict(list)
        for r in c.execute(select(events.c.source, events.c.data).where(events.c.type == OUTAGE)
                           .order_by(events.c.time.desc()).limit(2000)):
            if len(outages[r.source]) < 3 and isinstance(r.data, dict):
                outages[r.source].append({"start": str(r.data.get("start", "")), "end": str(r.data.get("end", ""))})
    out = []
    for d in devs:
        seen = _aware(d.last_seen)
        online = d.state == "active" and seen is not None and (now - seen).total_seconds() <= offline_after_s
        t, snap = snaps.get(d.id, ("", {}))
        out.append(Kiosk(d.id, d.ring, d.state, online, seen, _aware(syncs.get(d.id)), snap, t, outages[d.id]))
    return sorted(out, key=lambda k: (k.online, k.id))


@dataclass(frozen=True)
class Urgent:
    device: str
    time: str
    kind: str       # in words


def emergencies(engine: Engine, hours: float = 24, now: datetime | None = None) -> list[Urgent]:
    """Emergencies visitors reported at a kiosk in the last ``hours``, newest first (the top of the Fleet
    page). A kind the hub does not know is shown as an emergency all the same."""
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(hours=hours)
    with engine.connect() as c:
        rows = c.execute(select(events.c.source, events.c.time, events.c.data)
                         .where(events.c.type == EMERGENCY, events.c.received_at >= since)
                         .order_by(events.c.received_at.desc()).limit(50)).all()
    out = []
    for r in rows:
        kind = r.data.get("kind") if isinstance(r.data, dict) else None
        out.append(Urgent(r.source, _text(r.time, 32), EMERGENCY_KINDS.get(kind, "an emergency")))
    return out


@dataclass
class Usage:
    days: list[str]
    by_day_route: dict[str, dict[str, int]]        # day -> route -> answers
    by_kiosk: dict[str, dict[str, Any]]            # device -> answers, escalated, tokens, by route and tier
    routes: list[str]
    rows: list[dict[str, Any]]                     # day, device, route, tier, answers, escalated, tokens


def usage(engine: Engine, days: int = 14, now: datetime | None = None) -> Usage:
    """Answers per day by route and tier, escalations and tokens, per kiosk, from the kiosks' meters."""
    now = now or datetime.now(timezone.utc)
    since = (now - timedelta(days=days - 1)).date().isoformat()
    day = func.substr(events.c.time, 1, 10)
    route, tier = events.c.data["source"].as_string(), events.c.data["tier"].as_string()
    escalated = events.c.data["escalated"].as_boolean()
    tokens = events.c.data["tokens_in"].as_integer() + events.c.data["tokens_out"].as_integer()
    try:
        with engine.connect() as c:
            got = c.execute(select(day.label("day"), events.c.source.label("device"), route.label("route"),
                                   tier.label("tier"), func.count().label("answers"),
                                   func.sum(case((escalated, 1), else_=0)).label("escalated"),
                                   func.sum(tokens).label("tokens"))
                            .where(events.c.type == METER, day >= since)
                            .group_by(day, events.c.source, route, tier).order_by(day, events.c.source)).all()
        rows = [{"day": r.day, "device": r.device, "route": _label(r.route), "tier": _label(r.tier),
                 "answers": int(r.answers), "escalated": int(r.escalated or 0), "tokens": int(r.tokens or 0)}
                for r in got]
    except (DBAPIError, ValueError, TypeError, OverflowError) as exc:
        # A meter no query can sum (held before the hub checked every number): count them one by one,
        # leaving out what cannot be shown, rather than fail the page for everyone.
        log.warning("usage: summing in the database failed (%s); counting meter by meter", type(exc).__name__)
        rows = _usage_each(engine, since)
    all_days = [(now - timedelta(days=days - 1 - i)).date().isoformat() for i in range(days)]
    by_day: dict[str, dict[str, int]] = {d: defaultdict(int) for d in all_days}
    by_kiosk: dict[str, dict[str, Any]] = {}
    for r in rows:
        by_day.setdefault(r["day"], defaultdict(int))[r["route"]] += r["answers"]
        k = by_kiosk.setdefault(r["device"], {"answers": 0, "escalated": 0, "tokens": 0,
                                              "routes": defaultdict(int), "tiers": defaultdict(int)})
        k["answers"] += r["answers"]
        k["escalated"] += r["escalated"]
        k["tokens"] += r["tokens"]
        k["routes"][r["route"]] += r["answers"]
        k["tiers"][r["tier"]] += r["answers"]
    return Usage(all_days, by_day, by_kiosk, sorted({r["route"] for r in rows}), rows)


def _label(v: Any) -> str:
    return v[:64] if isinstance(v, str) and v else "?"


def _usage_each(engine: Engine, since: str) -> list[dict[str, Any]]:
    """Usage rows summed here, meter by meter; a meter with a field that is not what a kiosk writes is left
    out (and counted in the log)."""
    sums: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    skipped = 0
    with engine.connect() as c:
        for r in c.execute(select(events.c.time, events.c.source, events.c.data)
                           .where(events.c.type == METER, func.substr(events.c.time, 1, 10) >= since)):
            d = r.data if isinstance(r.data, dict) else None
            tokens = [d.get(k, 0) for k in ("tokens_in", "tokens_out")] if d else None
            if d is None or not all(isinstance(t, int) and not isinstance(t, bool) and 0 <= t < 2**31
                                    for t in tokens):
                skipped += 1
                continue
            key = (r.time[:10], r.source, _label(d.get("source")), _label(d.get("tier")))
            row = sums.setdefault(key, {"day": key[0], "device": key[1], "route": key[2], "tier": key[3],
                                        "answers": 0, "escalated": 0, "tokens": 0})
            row["answers"] += 1
            row["escalated"] += d.get("escalated") is True
            row["tokens"] += sum(tokens)
    if skipped:
        log.warning("usage: %d meter(s) left out: their fields are not what a kiosk writes", skipped)
    return [sums[k] for k in sorted(sums, key=lambda k: (k[0], k[1]))]


def reconciliation(engine: Engine) -> list[dict[str, Any]]:
    """Per kiosk and kind: what its latest snapshot says it had delivered, against what the hub holds.
    Holding more is normal (delivered after that snapshot); holding fewer means events went missing."""
    with engine.connect() as c:
        snaps = _latest(c, SNAPSHOT)
        held: dict[tuple[str, str], int] = defaultdict(int)
        for source, type_, n in c.execute(select(events.c.source, events.c.type, func.count())
                                          .group_by(events.c.source, events.c.type)):
            held[(source, "meters" if type_ == METER else "health_events")] += n
        ids = [r[0] for r in c.execute(select(devices.c.id).order_by(devices.c.id))]
    out = []
    for dev in ids:
        t, snap = snaps.get(dev, ("", {}))
        sent = snap.get("sent", {})
        for kind in ("meters", "health_events"):
            claimed = sent.get(kind)
            has = held[(dev, kind)]
            status = "no report yet" if claimed is None else (
                "ok" if has >= int(claimed) else f"missing {int(claimed) - has}")
            out.append({"device": dev, "kind": kind, "kiosk_says_sent": claimed, "as_of": t, "hub_holds": has,
                        "status": status})
    return out


_WORD = re.compile(r"[^\W\d_]+")


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS)


@dataclass
class Group:
    question: str                 # the newest question of the group
    items: list[Any]              # escalation rows, newest first
    devices: list[str]


def question_groups(engine: Engine, threshold: float = 0.6) -> list[Group]:
    """The review queue, similar questions together, newest first. Similar: most of the shorter question's
    content-word stems are in the longer one's ("swimming pool nearby" and "swimming pool near the museum")."""
    groups: list[tuple[frozenset[str], Group]] = []
    for row in review_queue(engine):
        words = _stems(row.question)
        for key, g in groups:
            shared = len(key & words)
            # "where is the cafe" and "is the cafe open on Mondays" share one word: not the same question.
            if key == words or (shared >= 2 and shared / min(len(key), len(words)) >= threshold):
                g.items.append(row)
                if row.device_id not in g.devices:
                    g.devices.append(row.device_id)
                break
        else:
            groups.append((words, Group(row.question, [row], [row.device_id])))
    return [g for _, g in groups]
