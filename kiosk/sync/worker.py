"""The sync worker: flush the outbox to the ingest endpoint (CloudEvents batches) and escalations to the
cloud model, at least once, with ids fixed at enqueue time so a de-duplicating receiver counts each once."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Callable

import httpx

from kiosk.domain.redact import RedactionError, redact
from kiosk.errors import KioskError
from kiosk.store.health import record_health
from kiosk.store.outbox import Outbox
from kiosk.sync.policy import Backoff, Outcome, classify

log = logging.getLogger("kiosk.sync")
CE_BATCH = "application/cloudevents-batch+json"
# No answer at all: the network or the endpoint is down (the status strip says Offline).
UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError)
METER_FIELDS = ("session_id", "source", "model", "tier", "tokens_in", "tokens_out", "latency_ms", "ttft_ms",
                "escalated")


@dataclass
class SyncSettings:
    device_id: str
    ingest_url: str = ""
    ingest_token: str = ""
    cloud_base_url: str = ""
    cloud_model: str = ""
    cloud_api_key: str = ""
    batch_size: int = 100
    timeout_s: float = 10.0
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0
    signing_key: object | None = None  # the device key, once enrolled with a hub: ingest requests are signed
    hub_cloud: bool = False  # [cloud] base_url is the enrolled hub's: escalations signed, staff answers collected


@dataclass
class SyncReport:
    sent: dict[str, int] = field(default_factory=dict)
    retry: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, outcome: str, kind: str, n: int) -> None:
        bucket = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + n


def meter_event(row: dict, device_id: str) -> dict:
    data = {k: row[k] for k in METER_FIELDS}
    data["escalated"] = bool(data["escalated"])
    data["session_id"] = ""  # the visitor's session is not needed for billing
    return {"specversion": "1.0", "id": row["id"], "source": device_id, "type": "kiosk.usage.meter.v1",
            "time": row["time"], "datacontenttype": "application/json", "data": data}


def health_event(row: dict, device_id: str) -> dict:
    return {"specversion": "1.0", "id": row["id"], "source": device_id, "type": f"kiosk.health.{row['type']}",
            "time": row["time"], "datacontenttype": "application/json", "data": json.loads(row["data"])}


class SyncWorker:
    def __init__(self, db, settings: SyncSettings, transport: httpx.BaseTransport | None = None,
                 on_answer: Callable[[dict], None] | None = None,
                 pack_for: Callable[[str, list[str]], tuple[str, list[str]]] | None = None) -> None:
        self.db = db
        self.outbox = Outbox(db)
        self.s = settings
        self.backoff = Backoff(settings.backoff_base_s, settings.backoff_cap_s)
        self.http = httpx.Client(transport=transport, timeout=settings.timeout_s)
        self.on_answer = on_answer
        self.pack_for = pack_for
        self.updater = None  # kiosk.sync.updates.Updater, set by the composition root when enrolled
        self.update_interval_s = 300.0
        self._next_update = 0.0
        self.outage_started: str | None = None
        self.reachable: bool | None = None  # None until the first delivery attempt settles
        self._stop = threading.Event()

    # -- one pass -------------------------------------------------------------------------------------------
    def run_once(self) -> SyncReport:
        report = SyncReport()
        if self.s.ingest_url:
            for kind, build in (("meters", meter_event), ("health_events", health_event)):
                while True:
                    rows = self.outbox.due(kind, self.s.batch_size)
                    if not rows:
                        break
                    outcome = self._post_batch([build(r, self.s.device_id) for r in rows])
                    self._settle(kind, [r["id"] for r in rows], outcome, report)
                    if outcome.action != "sent":
                        break
        else:
            report.skipped.append("ingest: no [ingest] url configured; meters and health events wait")
        if self.s.cloud_base_url:
            for row in self.outbox.due("escalations", self.s.batch_size):
                self._escalate(row, report)
            if self.s.hub_cloud and self.s.signing_key is not None:
                self._collect_staff_answers(report)
        else:
            report.skipped.append("cloud: no [cloud] base_url configured; escalations wait")
        if self.updater is not None:
            import time

            if time.monotonic() >= self._next_update:
                self._next_update = time.monotonic() + self.update_interval_s
                report.add("sent", "update:" + self.updater.run_once(), 1)
        return report

    def _signed(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """Signed for this URL: its host and port too, so the request means nothing to another hub."""
        from kiosk.signatures import sign_request

        return sign_request(self.s.signing_key, self.s.device_id, method, url, body)

    def _post_batch(self, events: list[dict]) -> Outcome:
        headers = {"Content-Type": CE_BATCH}
        if self.s.ingest_token:
            headers["Authorization"] = f"Bearer {self.s.ingest_token}"
        body = json.dumps(events).encode()
        if self.s.signing_key is not None:
            headers.update(self._signed("POST", self.s.ingest_url, body))
        try:
            r = self.http.post(self.s.ingest_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return _no_answer(exc)
        if self.s.signing_key is not None and r.status_code in (401, 403):
            # The hub refused the credentials (a clock off by minutes, a revoked or re-made key), not the
            # events: they wait, with the hub's reason, until the operator puts it right.
            return Outcome("retry", f"HTTP {r.status_code} from the hub: {r.text[:200]}")
        return classify(r.status_code, r.headers.get("Retry-After"), r.text[:200])

    def _escalate(self, row: dict, report: SyncReport) -> None:
        try:
            question, found = redact(row["question"])
            context = json.loads(row["context"] or "{}")
        except RedactionError as exc:  # fail closed: nothing leaves, the item waits with the reason
            self.outbox.mark_retry("escalations", [row["id"]], self.backoff.cap_s, exc.message)
            report.add("retry", "escalations", 1)
            return
        body = {"model": self.s.cloud_model or "default", "max_tokens": 120, "temperature": 0,
                "messages": [
                    {"role": "system", "content": "A visitor at a venue kiosk asked a question the kiosk could "
                     "not answer. Answer briefly and helpfully; say so if you do not know."},
                    {"role": "user", "content": question}],
                # The id again inside the signed body: a hub files the question under this id, not the header's.
                "metadata": {"kiosk_entry_ids": context.get("entry_ids", []), "kiosk_escalation_id": row["id"]}}
        if self.s.hub_cloud and self.pack_for is not None:  # the hub answers from, and checks against, the pack
            try:
                venue, entries = self.pack_for(question, context.get("entry_ids", []))
                body["metadata"].update(kiosk_venue=venue, kiosk_pack=entries)
            except Exception as exc:  # the pack is being replaced: the hub queues it for staff instead
                log.warning("no pack text for escalation %s: %s", row["id"], exc)
        raw = json.dumps(body).encode()
        url = self.s.cloud_base_url.rstrip("/") + "/chat/completions"
        headers = {"Idempotency-Key": row["id"], "Content-Type": "application/json"}
        if self.s.cloud_api_key:
            headers["Authorization"] = f"Bearer {self.s.cloud_api_key}"
        if self.s.hub_cloud and self.s.signing_key is not None:
            headers.update(self._signed("POST", url, raw))
        answer, by = "", "cloud"
        try:
            r = self.http.post(url, content=raw, headers=headers)
            outcome = classify(r.status_code, r.headers.get("Retry-After"), r.text[:200])
            if self.s.hub_cloud and r.status_code in (401, 403):  # credentials, not the question: it waits
                outcome = Outcome("retry", f"HTTP {r.status_code} from the hub: {r.text[:200]}")
            if r.status_code == 202 and self.s.hub_cloud:  # held for staff review; the answer comes later
                # Only the status: a staff answer collected meanwhile (this was a retry) stays.
                self._settle("escalations", [row["id"]], outcome, report)
                return
            if outcome.action == "sent":
                reply = r.json()
                answer = reply["choices"][0]["message"]["content"].strip()
                if self.s.hub_cloud and (reply.get("kiosk_hub") or {}).get("state") == "staff":
                    by = "staff"
        except httpx.HTTPError as exc:
            outcome = _no_answer(exc)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            outcome = Outcome("retry", f"unreadable cloud answer: {exc}")
        extra = {"answer": answer, "answered_at": None} if outcome.action == "sent" else None
        if extra:
            from kiosk.store.db import utcnow

            extra["answered_at"] = utcnow()
        shown = row.get("answer")  # a staff answer collected before this retry was already shown
        self._settle("escalations", [row["id"]], outcome, report, extra)
        if outcome.action == "sent" and self.on_answer and not shown:
            self.on_answer({"id": row["id"], "session_id": row["session_id"], "question": row["question"],
                            "answer": answer, "by": by})

    def _collect_staff_answers(self, report: SyncReport) -> None:
        """Staff answers to escalations the hub held for review: kept, shown if the visitor is still there,
        then acknowledged (an answer is kept before it is acknowledged, so none is lost between the two)."""
        base = self.s.cloud_base_url.rstrip("/")
        try:
            r = self.http.get(base + "/answers", headers=self._signed("GET", base + "/answers", b""))
            if r.status_code != 200:
                report.skipped.append(f"hub answers: HTTP {r.status_code}: {r.text[:120]}")
                return
            got = [a for a in r.json()["answers"] if isinstance(a.get("id"), str) and isinstance(a.get("answer"), str)]
        except httpx.HTTPError as exc:
            report.skipped.append(f"hub answers: {type(exc).__name__}")
            return
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            report.skipped.append(f"hub answers unreadable: {exc}")
            return
        if not got:
            return
        from kiosk.store.db import utcnow, write

        now = utcnow()
        fresh: list[dict] = []

        def tx(conn):
            for a in got:
                row = conn.execute("SELECT session_id, question FROM escalations WHERE id = ? AND answer IS NULL",
                                   (a["id"],)).fetchone()
                if row is not None:
                    conn.execute("UPDATE escalations SET answer = ?, answered_at = ? WHERE id = ?",
                                 (a["answer"], now, a["id"]))
                    fresh.append({"id": a["id"], "session_id": row[0], "question": row[1], "answer": a["answer"],
                                  "by": "staff"})

        write(self.db, tx)
        ack = json.dumps({"ids": [a["id"] for a in got]}).encode()
        try:
            self.http.post(base + "/answers/ack", content=ack,
                           headers={"Content-Type": "application/json", **self._signed("POST", base + "/answers/ack", ack)})
        except httpx.HTTPError:
            pass  # acknowledged next time; the answers are kept already and not shown twice
        report.add("sent", "staff_answers", len(fresh))
        if self.on_answer:
            for item in fresh:
                self.on_answer(item)

    def _settle(self, kind: str, ids: list[str], outcome: Outcome, report: SyncReport,
                extra: dict | None = None) -> None:
        if outcome.action == "sent":
            self.outbox.mark_sent(kind, ids, extra)
            self.reachable = True
            self._online()
        elif outcome.action == "dead":
            self.outbox.mark_dead(kind, ids, outcome.reason)
        else:
            attempt = self.outbox.attempts(kind, ids) + 1
            self.outbox.mark_retry(kind, ids, self.backoff.delay(attempt, outcome.retry_after_s), outcome.reason)
            if outcome.unreachable:
                self.reachable = False
                self._offline()
        report.add(outcome.action, kind, len(ids))

    # -- outages --------------------------------------------------------------------------------------------
    def _offline(self) -> None:
        if self.outage_started is None:
            from kiosk.store.db import utcnow

            self.outage_started = utcnow()

    def _online(self) -> None:
        if self.outage_started is not None:
            from kiosk.store.db import utcnow

            started, self.outage_started = self.outage_started, None
            try:
                record_health(self.db, "outage", {"start": started, "end": utcnow()})
            except KioskError as exc:
                log.warning("outage window not recorded: %s", exc.message)

    # -- background -----------------------------------------------------------------------------------------
    def start(self, interval_s: float) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.run_once()
                except KioskError as exc:
                    log.warning("sync pass failed: %s", exc.message)
                except Exception:  # the worker must outlive any one bad pass
                    log.exception("sync pass failed")

        t = threading.Thread(target=loop, name="sync", daemon=True)
        t.start()
        return t

    def stop(self) -> None:
        self._stop.set()
        self.http.close()


def _no_answer(exc: httpx.HTTPError) -> Outcome:
    return classify(None, error=f"{type(exc).__name__}: {exc}", unreachable=isinstance(exc, UNREACHABLE))


def settings_from_config(config) -> SyncSettings:
    signing_key, ingest_url = None, config.ingest.url
    if (config.data_path / "hub.json").is_file():  # enrolled: every request to the hub is signed
        from kiosk.identity import device_key

        try:
            signing_key = device_key(config.data_path)
        except KioskError as exc:  # the key is gone: events wait (unsigned, the hub would refuse them)
            log.warning("not delivering to the hub: %s", exc.message)
            ingest_url = ""
    hub_cloud = False
    if signing_key is not None:
        from kiosk.config import hub_overlay

        hub_cloud = bool(config.cloud.base_url) and \
            hub_overlay(config.data_path).get("cloud", {}).get("base_url") == config.cloud.base_url
    return SyncSettings(signing_key=signing_key, hub_cloud=hub_cloud,
        device_id=config.device.id or _machine_id(), ingest_url=ingest_url,
        ingest_token=os.environ.get(config.ingest.token_env, "") if config.ingest.token_env else "",
        cloud_base_url=config.cloud.base_url, cloud_model=config.cloud.model,
        cloud_api_key=os.environ.get(config.cloud.api_key_env, "") if config.cloud.api_key_env else "",
        batch_size=config.sync.batch_size, timeout_s=config.sync.timeout_s,
        backoff_base_s=config.sync.backoff_base_s, backoff_cap_s=config.sync.backoff_cap_s)


def _machine_id() -> str:
    try:
        with open("/etc/machine-id") as f:
            return "kiosk-" + f.read().strip()[:12]
    except OSError:
        import socket

        return "kiosk-" + socket.gethostname()
