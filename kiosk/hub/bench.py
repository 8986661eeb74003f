"""`kiosk hub bench`: simulated enrolled kiosks sending signed CloudEvents batches to real hub processes over
loopback. Ingest events/s and batch latency p50/p99 on SQLite (one process) and on PostgreSQL (two
processes, a throwaway server in a temp dir); then a hub process is SIGKILLed mid-ingest, the kiosks retry
(as the sync worker does: a new signature, the same events) and every event must be held exactly once.
Figures and ratios only; nothing is asserted."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from kiosk.stats import percentile as pct


def _kiosks(engine, n: int) -> list[tuple[str, Any]]:
    """``n`` devices, enrolled straight into the hub's table (enrolment itself is not what is measured)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import insert

    from kiosk.hub.store import now
    from kiosk.hub.tables import devices
    from kiosk.identity import public_key_bytes

    keys = [(f"bench-{i:05d}", Ed25519PrivateKey.generate()) for i in range(n)]
    with engine.begin() as c:
        c.execute(insert(devices), [{"id": d, "public_key": public_key_bytes(k), "ring": "all", "state": "active",
                                     "enrolled_at": now(), "last_seen": now()} for d, k in keys])
    return keys


async def _load(urls: list[str], kiosks, batches: int, per_batch: int, concurrency: int,
                kill: tuple[subprocess.Popen, float] | None = None, rate: float = 0.0) -> dict[str, Any]:
    """Closed loop (``concurrency`` batches in flight, as fast as the hub takes them), or with ``rate`` open
    loop: batches start on a fixed schedule of ``rate`` events/s spread over the kiosks, whatever the hub's
    speed, and a batch's latency counts from its scheduled start (a late client does not hide a slow hub)."""
    import httpx

    from kiosk.signatures import sign_request

    latencies: list[float] = []
    retries = 0
    sem = asyncio.Semaphore(concurrency if not rate else 10_000)
    t0 = time.perf_counter()
    alive = list(urls)

    async def kiosk(i: int, device: str, key, client: httpx.AsyncClient) -> None:
        nonlocal retries
        for b in range(batches):
            due = None
            if rate:
                due = t0 + (b * len(kiosks) + i) * per_batch / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            events = [{"specversion": "1.0", "id": f"{b}-{j}", "source": device, "type": "kiosk.usage.meter.v1",
                       "time": "2026-11-26T00:00:00Z", "data": {"tokens_out": j}} for j in range(per_batch)]
            body = json.dumps(events).encode()
            for attempt in range(50):  # at least once, as the outbox delivers
                url = alive[(i + attempt) % len(alive)]
                headers = {"Content-Type": "application/cloudevents-batch+json",
                           **sign_request(key, device, "POST", f"{url}/v1/events", body)}
                async with sem:
                    t = time.perf_counter() if due is None else due
                    try:
                        r = await client.post(f"{url}/v1/events", content=body, headers=headers)
                        ok = r.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    if ok:
                        latencies.append((time.perf_counter() - t) * 1000)
                        break
                retries += 1
                await asyncio.sleep(0.05 * (attempt + 1))

    async def killer() -> None:
        proc, after_s = kill
        await asyncio.sleep(after_s)
        proc.send_signal(signal.SIGKILL)

    conns = concurrency if not rate else 256
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        t0 = time.perf_counter()
        tasks = [kiosk(i, d, k, client) for i, (d, k) in enumerate(kiosks)]
        if kill:
            tasks.append(killer())
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    n = len(kiosks) * batches * per_batch
    return {"kiosks": len(kiosks), "events": n, "batches": len(latencies), "seconds": round(elapsed, 2),
            "offered_events_per_s": rate or None,
            "events_per_s": round(n / elapsed), "batch_ms_p50": round(pct(latencies, 50), 1),
            "batch_ms_p99": round(pct(latencies, 99), 1), "retries": retries}


def _held(engine) -> tuple[int, int]:
    from sqlalchemy import func, select

    from kiosk.hub.tables import events

    with engine.connect() as c:
        total = c.execute(select(func.count()).select_from(events)).scalar()
        distinct = c.execute(select(func.count()).select_from(
            select(events.c.source, events.c.id).distinct().subquery())).scalar()
    return int(total), int(distinct)


def _run(db: str, processes: int, kiosks: int, batches: int, per_batch: int, concurrency: int,
         kill_after_s: float | None = None, rate: float = 0.0) -> dict[str, Any]:
    from kiosk.hub.migrate import engine_for, upgrade

    engine = engine_for(db)
    upgrade(engine)
    from kiosk.hub.local import start_hub

    procs = [start_hub(db) for _ in range(processes)]
    try:
        keys = _kiosks(engine, kiosks)
        kill = (procs[0][0], kill_after_s) if kill_after_s is not None else None
        out = asyncio.run(_load([u for _, u in procs], keys, batches, per_batch, concurrency, kill, rate))
        total, distinct = _held(engine)
        out.update(processes=processes, held=total, lost=out["events"] - distinct, duplicated=total - distinct)
        if kill:
            out["killed"] = "one hub process, SIGKILL, %.1f s into the run" % kill_after_s
        return out
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        engine.dispose()


def run_hub_bench(kiosks: int = 1000, batches: int = 2, per_batch: int = 100, concurrency: int = 32,
                  rate: float = 5000.0) -> dict:
    from kiosk.hub.local import TempPostgres

    report: dict[str, Any] = {"kiosks": kiosks, "batches_per_kiosk": batches, "events_per_batch": per_batch,
                              "target_events_per_s_postgresql": 5000, "target_batch_ms_p99": 250}
    with tempfile.TemporaryDirectory() as d:
        report["sqlite_1_process"] = _run(f"sqlite:///{Path(d) / 'hub.db'}", 1, kiosks, batches, per_batch,
                                          concurrency)
    try:
        pg = TempPostgres()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        report["postgresql_2_processes"] = {"skipped": str(exc)}
        return report
    try:
        report["postgresql_2_processes"] = _run(pg.url, 2, kiosks, batches, per_batch, concurrency)
    finally:
        pg.stop()
    if rate:
        pg = TempPostgres()
        try:  # the same kiosks sending at the target's 5,000 events/s, on a schedule: latency at that load
            report["postgresql_2_processes_paced"] = _run(pg.url, 2, kiosks, batches, per_batch, concurrency,
                                                          rate=rate)
        finally:
            pg.stop()
    pg = TempPostgres()
    try:
        report["postgresql_sigkill"] = _run(pg.url, 2, kiosks, batches, per_batch, concurrency, kill_after_s=1.5)
    finally:
        pg.stop()
    sq, pgr = report["sqlite_1_process"], report["postgresql_2_processes"]
    report["ratio_events_per_s_postgresql_vs_sqlite"] = round(pgr["events_per_s"] / max(1, sq["events_per_s"]), 2)
    return report


def format_hub_report(r: dict) -> str:
    lines = [f"{r['kiosks']} simulated kiosks x {r['batches_per_kiosk']} signed batches of {r['events_per_batch']} "
             "events, over loopback"]
    for name in ("sqlite_1_process", "postgresql_2_processes", "postgresql_2_processes_paced",
                 "postgresql_sigkill"):
        x = r.get(name)
        if not x:
            continue
        if "skipped" in x:
            lines.append(f"  {name}: skipped ({x['skipped']})")
            continue
        offered = f" (offered {x['offered_events_per_s']:g}/s on a schedule)" if x.get("offered_events_per_s") else ""
        lines.append(f"  {name}: {x['events_per_s']} events/s{offered}, batch p50 {x['batch_ms_p50']} ms p99 "
                     f"{x['batch_ms_p99']} ms; held {x['held']} of {x['events']}: lost {x['lost']}, duplicated "
                     f"{x['duplicated']}; retries {x['retries']}" + (f"; {x['killed']}" if "killed" in x else ""))
    if "ratio_events_per_s_postgresql_vs_sqlite" in r:
        lines.append(f"  PostgreSQL (2 processes) / SQLite (1): {r['ratio_events_per_s_postgresql_vs_sqlite']}x "
                     f"(targets: >= {r['target_events_per_s_postgresql']} events/s on PostgreSQL, p99 <= "
                     f"{r['target_batch_ms_p99']} ms)")
    return "\n".join(lines)
