"""Local I/O figures: durable enqueue cost and sync throughput to a receiver on 127.0.0.1; speech output
hand-off time."""

from __future__ import annotations

import time
from typing import Any

from kiosk.config import Config
from kiosk.stats import percentile as pct


def bench_sync(config: Config, n: int = 1000) -> dict[str, Any]:
    """Enqueue cost per meter (durable: WAL + synchronous=FULL; baseline: synchronous=OFF in the same run)
    and sync throughput against a local CloudEvents receiver on 127.0.0.1."""
    import json as _json
    import tempfile
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kiosk.app import make_sync_worker, with_ingest
    from kiosk.domain.kinds import Route, Tier
    from kiosk.domain.models import Answer
    from kiosk.store.db import connect
    from kiosk.store.turns import TurnStore

    got = [0]

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            got[0] += len(_json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out: dict[str, Any] = {"meters": n}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, sync_mode in (("durable", "FULL"), ("baseline_sync_off", "OFF")):
                db = connect(f"{tmp}/{label}.db")
                db.conn.execute(f"PRAGMA synchronous={sync_mode}")
                store = TurnStore(db)
                a = Answer("q", "a", Route.HEURISTIC, Tier.FULL, False, 0.5, [], total_ms=1.0)
                t = time.perf_counter()
                for _ in range(n):
                    store.record(a, "s")
                out[f"enqueue_ms_per_meter_{label}"] = round((time.perf_counter() - t) * 1000 / n, 3)
                if label == "durable":
                    url = f"http://127.0.0.1:{server.server_address[1]}/"
                    worker = make_sync_worker(with_ingest(config, url), db=db)
                    t = time.perf_counter()
                    worker.run_once()
                    out["sync_meters_per_s"] = round(got[0] / (time.perf_counter() - t), 1)
                    worker.stop()
                db.conn.close()
        out["enqueue_ratio_durable_vs_off"] = round(
            out["enqueue_ms_per_meter_durable"] / max(out["enqueue_ms_per_meter_baseline_sync_off"], 1e-6), 2)
    finally:
        server.shutdown()
    return out


def bench_tts(config: Config, sentences: list[str]) -> dict[str, Any]:
    """Time from a sentence being available to its first audio sample leaving for the device: the configured
    voice, and eSpeak NG (the baseline and the reduced-tier voice) in the same run."""
    import dataclasses

    from kiosk.speech.voices import ESPEAK

    report = _bench_voice(config, sentences)
    if config.tts.voice != ESPEAK:
        base = _bench_voice(dataclasses.replace(config, tts=dataclasses.replace(config.tts, voice=ESPEAK)),
                            sentences)
        report["espeak"] = base
        if base.get("first_audio_ms_p50") and report.get("first_audio_ms_p50"):
            report["ratio_first_audio_p50"] = round(report["first_audio_ms_p50"] / base["first_audio_ms_p50"], 2)
    return report


def _bench_voice(config: Config, sentences: list[str]) -> dict[str, Any]:
    import threading
    import time

    from kiosk.app import make_speaker
    from kiosk.speech.speaker import SilentOutput

    speaker = make_speaker(config, SilentOutput())  # no device here; the measured part is synthesis + hand-off
    if speaker is None:
        return {"skipped": "no voice available"}
    voice = speaker.tts.active
    t0 = time.process_time()
    audio_s = sum(len(speaker.tts.synthesize(s)) for s in sentences[:4]) / speaker.tts.sample_rate
    cpu_per_audio_s = (time.process_time() - t0) / audio_s if audio_s else 0.0
    lat: list[float] = []
    ready: dict[str, float] = {}
    first = threading.Event()

    def on_event(ev) -> None:
        if ev.kind == "sentence_ready":
            ready["at"] = ev.at
        elif ev.kind == "first_sample":
            lat.append((ev.at - ready["at"]) * 1000)
            first.set()

    speaker.subscribe(on_event)

    def first_samples(said: list[str]) -> list[float]:
        lat.clear()
        for s in said:
            first.clear()
            speaker.say(s)
            first.wait(30)
            speaker.stop()
            speaker.wait_idle(5)
        return list(lat)

    try:
        fresh = first_samples(sentences)
        # The fixed sentences (pass-on, "did you mean", emergencies), synthesised at start as the kiosk does.
        from kiosk.domain.fixed_phrases import fixed_phrases
        from kiosk.speech.speaker import SentenceChunker

        phrases = fixed_phrases(config.device.venue or "this venue", config.turn.emergency_number)
        speaker.prepare(phrases)
        fixed = first_samples([x for p in phrases for c in [SentenceChunker()] for x in c.feed(p + " ") + c.flush()])
    finally:
        speaker.close()
    return {"voice": voice, "sentences": len(fresh), "first_audio_ms_p50": round(pct(fresh, 50), 1),
            "first_audio_ms_p95": round(pct(fresh, 95), 1), "target_ms": 150,
            "fixed_sentences": len(fixed), "fixed_first_audio_ms_p50": round(pct(fixed, 50), 1),
            "fixed_first_audio_ms_p95": round(pct(fixed, 95), 1),
            "cpu_s_per_audio_s": round(cpu_per_audio_s, 3)}
