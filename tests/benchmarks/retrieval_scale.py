"""Retrieval at scale: import time (embeddings included) and per-question retrieval latency on a synthetic
400-entry pack, against the same pack indexed by words only, in the same run. Prints figures; never asserts.

    .venv/bin/python tests/benchmarks/retrieval_scale.py [--entries 400]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

TOPICS = ["gallery", "exhibit", "tour", "workshop", "lecture", "archive", "collection", "display", "room",
          "hall", "garden", "studio", "library", "theatre", "courtyard", "terrace", "pavilion", "annex"]
THINGS = ["ship models", "old maps", "fossils", "paintings", "coins", "textiles", "clocks", "telescopes",
          "letters", "photographs", "tools", "instruments", "ceramics", "sculptures", "costumes", "engines"]


def write_pack(root: Path, n: int) -> None:
    rng = random.Random(7)
    root.mkdir(parents=True, exist_ok=True)
    lines = ["# Scale Test Museum", ""]
    for i in range(n):
        topic, thing = rng.choice(TOPICS), rng.choice(THINGS)
        lines += [f"## The {topic} of {thing} {i}",
                  f"The {topic} number {i} shows {thing} from the {rng.randint(12, 20)}th century. "
                  f"It is on floor {rng.randint(0, 4)} and opens at {rng.randint(9, 12)}:00. "
                  f"Guided visits cost {rng.randint(2, 9)} euros and last {rng.randint(10, 60)} minutes.", ""]
    (root / "index.md").write_text("\n".join(lines))


def main() -> int:
    from kiosk.domain.pipeline import TurnPipeline
    from kiosk.config import TurnConfig
    from kiosk.knowledge.embed import Embedder
    from kiosk.knowledge.index import KnowledgeIndex
    from kiosk.stats import percentile

    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=400)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    write_pack(tmp / "pack", args.entries)
    questions = [f"How much is a guided visit of the {t} with {th}?" for t in TOPICS for th in THINGS[:3]]
    for label, embedder in (("words only", None), ("words + embeddings", Embedder())):
        ix = KnowledgeIndex(tmp / f"{label[:5]}.db", embedder)
        t = time.perf_counter()
        ix.import_dir(tmp / "pack")
        imported = time.perf_counter() - t
        pipeline = TurnPipeline(ix, None, time, TurnConfig())
        pipeline.retrieve("warm up")
        lat = []
        for q in questions:
            t = time.perf_counter()
            pipeline.retrieve(q, 3)
            lat.append((time.perf_counter() - t) * 1000)
        reopen = time.perf_counter()
        ix2 = KnowledgeIndex(tmp / f"{label[:5]}.db", embedder)
        TurnPipeline(ix2, None, time, TurnConfig()).retrieve("ready?")
        ready = time.perf_counter() - reopen
        print(f"{label:20} {args.entries} entries: import {imported:6.1f} s, ready after restart {ready:5.2f} s, "
              f"retrieval p50 {percentile(lat, 50):6.1f} ms p95 {percentile(lat, 95):6.1f} ms "
              f"({len(questions)} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
