"""The hub's HTTP API (FastAPI): enrolment, the kiosks' CloudEvents ingest, health and Prometheus metrics.

Every kiosk request but enrolment is signed (``kiosk.signatures``). Refusals carry a status and a JSON body
``{"error": code, "reason": words}``; nothing of a refused request is stored.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from sqlalchemy import Engine

from kiosk.config import HubConfig
from kiosk.domain.redact import RedactionError, redact
from kiosk.hub import store
from kiosk.hub.auth import _refuse, authenticate, expected_authority, on_kiosk_thread, own_address, read_body, signed_route
from kiosk.hub.event_rules import check_event
from kiosk.hub.guard import MAX_BODY, RequestGuard
from kiosk.hub.logins import LoginGate, LoginShield
from kiosk.hub.quotas import Busy as QuotaBusy
from kiosk.hub.quotas import KioskLimits, pack_text
from kiosk.signatures import MAX_SKEW_S, authority_of

log = logging.getLogger("kiosk.hub")

UPSTREAM_SLOTS = 8
MAX_PACK_TEXT = 12_000  # characters of pack text one escalation is asked and checked with (the kiosk sends less)
CE_BATCH = "application/cloudevents-batch+json"


DEVICE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")  # as a signature's keyid allows
# A new device's id also starts with a letter or digit: "." and ".." are path segments a browser rewrites.
NEW_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def create_app(engine: Engine, public_url: str = "", hub_config: HubConfig | None = None) -> FastAPI:
    hub_config = hub_config or HubConfig()
    app = FastAPI(title="kiosk hub", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if hub_config.openapi else None)
    app.state.public_authority = authority_of(public_url) if public_url else ""
    # Every body bounded and timed before any route reads it; refusals close the connection.
    app.add_middleware(RequestGuard, max_body=MAX_BODY, body_s=hub_config.slow_request_s)
    # Outermost: a login whose refusal is already known costs the least a request can.
    logins = LoginGate(hub_config.login_checks, hub_config.login_waiting)
    app.add_middleware(LoginShield, gate=logins)

    def prune_forever() -> None:
        """Once a minute: nonces older than any acceptable signature are forgotten, and events older than
        [hub] retention_days deleted (a batch at a time)."""
        while True:
            time.sleep(60)
            try:
                store.prune_nonces(engine, int(time.time()) - 2 * MAX_SKEW_S)
                if hub_config.retention_days > 0:
                    store.prune_events(engine, store.now() - timedelta(days=hub_config.retention_days))
            except Exception as exc:  # noqa: BLE001 - the database is away for a moment: said, and next minute
                log.warning("pruning failed: %s: %s", type(exc).__name__, exc)

    def watch_releases() -> None:  # a rolling release whose kiosks now answer clearly worse is halted
        from kiosk.hub.regressions import check_all

        while True:
            time.sleep(hub_config.regression_check_s)
            try:
                check_all(engine)
            except Exception as exc:  # noqa: BLE001 - the database is away for a moment: said, and next time
                log.warning("the regression check failed: %s: %s", type(exc).__name__, exc)

    threading.Thread(target=watch_releases, name="watch-releases", daemon=True).start()

    threading.Thread(target=prune_forever, name="prune-nonces", daemon=True).start()
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    limits = KioskLimits(hub_config.kiosk_events_per_s, hub_config.kiosk_escalations_in_flight)

    def over_limit(device: str, reason: str, wait_s: float, words: str) -> JSONResponse:
        limits.count(device, reason)
        r = _refuse(429, reason, words)
        r.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
        return r

    def count(outcome: str) -> None:
        with lock:
            counts[outcome] += 1

    def ingest_batch(request: Request, body: bytes) -> dict | JSONResponse:
        """Authenticate, parse, check and hold one batch (in a worker thread: database and crypto block)."""
        auth = authenticate(engine, request.headers, request.method, request.url.path, body,
                            expected_authority(request), request.url.query)
        if isinstance(auth, JSONResponse):
            return auth
        dev, signed = auth
        try:
            batch = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _refuse(400, "malformed_json", "the body is not JSON")
        if not isinstance(batch, list):
            return _refuse(400, "not_a_batch", f"expected a {CE_BATCH} array of events")
        wait = limits.take_events(dev.id, len(batch))
        if wait:
            return over_limit(dev.id, "events_per_s", wait, f"this kiosk may send {hub_config.kiosk_events_per_s:g} "
                              "events a second: retry later")
        rows, rejected = [], []
        for i, ev in enumerate(batch):
            why = check_event(ev, dev.id)
            if why:
                rejected.append({"index": i, "id": ev.get("id") if isinstance(ev, dict) else None, "reason": why})
            else:
                rows.append({"source": dev.id, "id": ev["id"], "type": ev["type"], "time": ev["time"],
                             "data": ev.get("data")})
        try:
            new = store.ingest(engine, dev.id, signed.nonce, signed.created, rows, hub_config.kiosk_events_per_day)
        except store.Replayed:
            return _refuse(401, "replayed", "this signature's nonce was used before")
        except store.OverQuota:
            t = store.now()
            midnight = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            return over_limit(dev.id, "events_per_day", min((midnight - t).total_seconds(), 3600),
                              f"this kiosk has sent its {hub_config.kiosk_events_per_day} events for today")
        return {"accepted": new, "duplicates": len(rows) - new, "rejected": rejected}

    @app.get("/healthz")
    async def healthz() -> dict:  # on the event loop: it never waits for a worker thread
        return {"ok": True}

    @app.post("/v1/enrol")
    async def enrol(request: Request):
        body = await read_body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            req = json.loads(body)
            key = base64.b64decode(req["public_key"], validate=True)
            device_id, code = req["device_id"], str(req["code"])
        except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
            return _refuse(400, "malformed", "expected JSON {code, device_id, public_key (base64)}")
        if not isinstance(device_id, str) or not NEW_DEVICE_ID.match(device_id):
            return _refuse(400, "malformed", "device_id must be 1-128 letters, digits, dots, dashes or underscores, "
                           "starting with a letter or digit")
        try:
            ring = await run_in_threadpool(store.enrol, engine, code, device_id, key,
                                           request.headers.get("host", "").strip().lower())
        except store.EnrolError as exc:
            return _refuse(exc.status, exc.code, exc.message)
        base = public_url.rstrip("/") or own_address(request)
        return {"device_id": device_id, "ring": ring, "ingest_url": f"{base}/v1/events",
                "cloud_base_url": f"{base}/v1", "updates_url": f"{base}/v1/updates"}

    @app.post("/v1/events")
    async def ingest(request: Request):
        body = await read_body(request)
        if isinstance(body, JSONResponse):
            count("too_large")
            return body
        out = await on_kiosk_thread(app, ingest_batch, request, body)
        count("refused" if isinstance(out, JSONResponse) else "accepted")
        return out

    install_escalations(app, engine, hub_config, limits, over_limit)
    from kiosk.hub.updates_api import install_updates

    install_updates(app, engine)
    from kiosk.hub.web import install_dashboard

    install_dashboard(app, engine, hub_config, public_url, logins, lambda: limits.refusals()[1])

    def label(v: str) -> str:
        return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    metrics_token = os.environ.get(hub_config.metrics_token_env, "") if hub_config.metrics_token_env else ""

    @app.get("/metrics", response_model=None)
    def metrics(request: Request) -> PlainTextResponse | JSONResponse:
        """Prometheus text, for the holder of the metrics token only (devices and event types are no
        stranger's business); without a token configured, not served at all."""
        if not metrics_token:
            return _refuse(404, "not_found", "not found")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
            r = _refuse(401, "unauthorized", "GET /metrics needs Authorization: Bearer <the metrics token>")
            r.headers["WWW-Authenticate"] = "Bearer"
            return r
        s = store.stats(engine)
        lines = ["# HELP kiosk_hub_devices Enrolled devices by state.", "# TYPE kiosk_hub_devices gauge"]
        lines += [f'kiosk_hub_devices{{state="{label(k)}"}} {v}' for k, v in sorted(s["devices"].items())]
        lines += ["# HELP kiosk_hub_events Events held, by type.", "# TYPE kiosk_hub_events gauge"]
        lines += [f'kiosk_hub_events{{type="{label(k)}"}} {v}' for k, v in sorted(s["events"].items())]
        lines += ["# HELP kiosk_hub_ingest_requests_total Ingest requests by outcome (this process).",
                  "# TYPE kiosk_hub_ingest_requests_total counter"]
        with lock:
            lines += [f'kiosk_hub_ingest_requests_total{{outcome="{k}"}} {v}' for k, v in sorted(counts.items())]
        lines += ["# HELP kiosk_hub_kiosk_refusals_total Kiosk requests refused by a per-kiosk limit, by limit "
                  "(this process).", "# TYPE kiosk_hub_kiosk_refusals_total counter"]
        lines += [f'kiosk_hub_kiosk_refusals_total{{limit="{k}"}} {v}'
                  for k, v in sorted(limits.refusals()[0].items())]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return app


def install_escalations(app: FastAPI, engine: Engine, hub_config: HubConfig, limits: KioskLimits,
                        over_limit) -> None:
    """The kiosks' OpenAI-compatible ``[cloud] base_url`` (POST /v1/chat/completions) and the staff answers
    they collect (GET /v1/answers, POST /v1/answers/ack). All signed by the device."""
    import httpx

    from kiosk.hub import queue, upstream as up

    model = up.Upstream.from_config(hub_config)
    client = httpx.Client()
    slots = threading.BoundedSemaphore(UPSTREAM_SLOTS)
    # An escalation still "asking" after this long was being asked by a process that died.
    ASKING_FOR_S = 2 * (model.timeout_s if model else 10.0) + 5

    def _busy(reason: str) -> JSONResponse:
        return JSONResponse({"error": "busy", "reason": reason}, status_code=503, headers={"Retry-After": "5"})

    def escalate(dev, request: Request, body: bytes) -> JSONResponse:
        try:
            req = json.loads(body)
            question = next(m["content"] for m in reversed(req["messages"]) if m.get("role") == "user")
            meta = req.get("metadata") or {}
            entries = pack_text([str(e) for e in meta.get("kiosk_pack") or []][:up.MAX_ENTRIES], MAX_PACK_TEXT)
            venue = str(meta.get("kiosk_venue") or "")
            # The escalation's id is the signed body's, never only a header: a header rewritten on the way
            # must not file this question under another one's id (and hand back that one's answer).
            esc_id = meta.get("kiosk_escalation_id")
        except (ValueError, KeyError, TypeError, AttributeError, StopIteration, RecursionError):
            return _refuse(400, "malformed", "expected an OpenAI chat request with a user message")
        if not isinstance(question, str) or not question.strip():
            return _refuse(400, "malformed", "the user message is not text")
        if not isinstance(esc_id, str) or not DEVICE_ID.match(esc_id):
            return _refuse(400, "malformed", "metadata.kiosk_escalation_id (the escalation's id) is missing or "
                           "malformed")
        if request.headers.get("idempotency-key", esc_id) != esc_id:
            return _refuse(400, "idempotency_mismatch", "Idempotency-Key is not the signed escalation id")
        question = up.clean(question, up.MAX_QUESTION)
        if not question:
            return _refuse(400, "malformed", "the user message has no text once control sequences are removed")
        try:  # again, whatever the kiosk did: nothing personal is stored here or sent upstream
            question = redact(question)[0]
        except RedactionError:
            return _refuse(422, "unredactable", "the question may hold personal data the hub cannot redact")
        # Upstream calls hold a worker thread each: at most UPSTREAM_SLOTS at once, so a slow upstream cannot
        # take the threads ingest and the dashboard need. Beyond that the kiosk is asked to retry.
        try:
            with limits.escalation(dev.id):  # a kiosk's share of the upstream slots, so others still get theirs
                return ask_once(dev, esc_id, question, entries, venue)
        except QuotaBusy:
            return over_limit(dev.id, "escalations_in_flight", 5, f"this kiosk may have "
                              f"{hub_config.kiosk_escalations_in_flight} escalations asked at once: retry shortly")

    def ask_once(dev, esc_id: str, question: str, entries: list[str], venue: str) -> JSONResponse:
        if not slots.acquire(blocking=False):
            return _busy("the hub is asking the upstream about other questions; retry shortly")
        try:
            held = queue.claim(engine, dev.id, esc_id, question, [up.clean(e, up.MAX_ENTRY) for e in entries])
            if held is None and queue.claimed_since(engine, dev.id, time.time() - 3600) > \
                    hub_config.kiosk_upstream_per_hour:  # new, but this kiosk has asked its share this hour
                limits.count(dev.id, "upstream_per_hour")
                queue.settle(engine, dev.id, esc_id, "review", "kiosk_quota",
                             f"over [hub] kiosk_upstream_per_hour ({hub_config.kiosk_upstream_per_hour})", "")
                state, reason, text = "review", "kiosk_quota", ""
            elif held is None:  # new: ask the upstream once, check its answer, settle
                verdict = up.answer(model, question, entries, client, venue)
                queue.settle(engine, dev.id, esc_id, verdict.state, verdict.reason, verdict.detail,
                             verdict.answer)
                state, reason, text = verdict.state, verdict.reason, verdict.answer
            else:  # a retry: what the first request settled
                state, reason, text = held.state, held.reason, held.answer or ""
                if state == "asking":
                    if queue.age_s(held) < ASKING_FOR_S:  # still being asked: the answer comes with a retry
                        return _busy("the upstream is still being asked about this question")
                    # The process asking it died: staff take it.
                    queue.settle(engine, dev.id, esc_id, "review", "upstream_down", "the hub was interrupted", "")
                    state, reason = "review", "upstream_down"
        finally:
            slots.release()
        if state in ("answered", "staff"):
            return JSONResponse({"id": f"chatcmpl-{esc_id}", "object": "chat.completion",
                                 "created": int(time.time()), "model": "kiosk-hub",
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}],
                                 "kiosk_hub": {"state": state}})
        # Held for staff: the kiosk collects the answer from /v1/answers on a later sync.
        return JSONResponse({"id": esc_id, "kiosk_hub": {"state": "review", "reason": reason}}, status_code=202)

    def answers(dev, request: Request, body: bytes) -> dict:
        return {"answers": queue.undelivered(engine, dev.id)}

    def acknowledge(dev, request: Request, body: bytes) -> JSONResponse | dict:
        try:
            ids = [str(i) for i in json.loads(body)["ids"]][:1000]
        except (ValueError, KeyError, TypeError, RecursionError):
            return _refuse(400, "malformed", "expected JSON {ids: [...]}")
        return {"acknowledged": queue.delivered(engine, dev.id, ids)}

    signed_route(app, engine, "POST", "/v1/chat/completions", escalate)
    signed_route(app, engine, "GET", "/v1/answers", answers)
    signed_route(app, engine, "POST", "/v1/answers/ack", acknowledge)
