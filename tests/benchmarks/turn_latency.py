"""A whole turn's time on the sample pack's evaluation set, with the answer judge (the default) and with the
older decision, in the same run (no LLM, simulated calm readings). Prints figures; asserts nothing.

    .venv/bin/python tests/benchmarks/turn_latency.py
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

EVAL_SET = Path(__file__).parents[1] / "eval" / "harbourlight.toml"


def timed(judge: bool) -> list[float]:
    from kiosk.app import Kiosk
    from kiosk.config import load_config

    cfg = load_config(None, env={"KIOSK_DATA_DIR": tempfile.mkdtemp(prefix="kiosk-latency-"), "KIOSK_CONFIG": ""})
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, enabled=False),
                              turn=dataclasses.replace(cfg.turn, judge=judge),
                              resources=dataclasses.replace(cfg.resources, emulate='{"cpu_load": 0.0}'))
    kiosk = Kiosk(cfg)
    try:
        questions = [c["q"] for c in tomllib.loads(EVAL_SET.read_text())["covered"]]
        kiosk.ask(questions[0])  # warm
        ms = []
        for q in questions:
            t0 = time.perf_counter()
            kiosk.ask(q)
            ms.append((time.perf_counter() - t0) * 1000)
            kiosk.reset_session()
        return sorted(ms)
    finally:
        kiosk.close()


def main() -> int:
    for judge in (True, False):
        ms = timed(judge)
        name = "answer judge (default)" if judge else "older decision"
        print(f"{name:24} {len(ms)} questions: p50 {statistics.median(ms):.0f} ms, "
              f"p95 {ms[int(len(ms) * 0.95)]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
