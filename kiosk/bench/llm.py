"""LLM and turn figures: time to first token and decode speed against bare llama-cpp-python, turn latency
by route, memory and switching time per tier."""

from __future__ import annotations

import statistics
import time
from typing import Any

from kiosk.bench.questions import bench_questions
from kiosk.domain.kinds import Tier
from kiosk.stats import percentile as pct


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
    """Our engine against bare llama-cpp-python with the same model, threads and prompt; runs alternate."""
    from kiosk.llm import prompt
    from kiosk.llm.engine import import_llama, quiet_stderr

    engine = kiosk.engine
    llama_cpp = import_llama()
    cfg = kiosk.config.llm
    with quiet_stderr():
        bare = llama_cpp.Llama(model_path=str(engine.path), n_ctx=cfg.n_ctx, n_batch=cfg.n_batch,
                               n_threads=cfg.n_threads, n_threads_batch=cfg.n_threads, verbose=False)
    questions = bench_questions(kiosk.index)
    prompts = []
    for q in questions:
        ctx = [h.entry for h in kiosk.pipeline.retrieve(q, kiosk.pipeline.top_k)]
        prompts.append((q, ctx, engine.prompt_text(q, ctx)))
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
        "prefix_mode": engine.prefix_mode, "cached_prefixes": engine.cached_prefixes, "questions": len(questions), "max_tokens": max_tokens,
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


def bench_retrieval(kiosk) -> dict[str, Any]:
    """Retrieval alone (words, and the question's embedding when the pack has vectors), per question."""
    lat = []
    for q in bench_questions(kiosk.index):
        t = time.perf_counter()
        kiosk.pipeline.retrieve(q, kiosk.pipeline.top_k)
        lat.append((time.perf_counter() - t) * 1000)
    return {"questions": len(lat), "dense": kiosk.index.embedder is not None, "p50_ms": round(pct(lat, 50), 2),
            "p95_ms": round(pct(lat, 95), 2), "target_p50_ms": 15}


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
    kiosk.force_tier(Tier.MINIMAL, "benchmark")
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
    kiosk.force_tier(Tier.FULL, "benchmark")
    out["switch_minimal_to_full_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["rss_mb_full_again"] = round(proc.memory_info().rss / 2**20, 1)
    kiosk.reset_session()
    return out
