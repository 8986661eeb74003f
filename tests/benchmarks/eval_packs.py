"""`kiosk eval` over every venue pack in tests/eval/packs with the configured kiosk (model included), and
the totals. Prints figures; never asserts (the CI test runs the same packs without the model).

    .venv/bin/python tests/benchmarks/eval_packs.py [--misses]      # extra kiosk settings: KIOSK_* env
    KIOSK_TURN_COMPOSE=1 .venv/bin/python tests/benchmarks/eval_packs.py   # the local model phrasing answers
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PACKS = Path(__file__).parents[1] / "eval" / "packs"
KEYS = ("in_scope", "out_of_scope", "offtopic", "follow_up")


def main() -> int:
    totals = {k: [0, 0] for k in KEYS}
    extra = {"contradictions": 0, "cut_mid_sentence": 0}
    for pack in sorted(p for p in PACKS.iterdir() if p.is_dir()):
        env = {**os.environ, "KIOSK_DATA_DIR": tempfile.mkdtemp(prefix="kiosk-evalpacks-")}
        r = subprocess.run([sys.executable, "-m", "kiosk", "eval", str(pack / "pack"), str(pack / "questions.jsonl"),
                            "--json"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print(f"{pack.name}: failed: {r.stderr.strip()[-300:]}")
            continue
        report = json.loads(r.stdout)
        s = report["summary"]
        for k in KEYS:
            totals[k][0] += s[k]["passed"]
            totals[k][1] += s[k]["total"]
        for k in extra:
            extra[k] += s[k]
        print(f"{pack.name:15} " + "  ".join(f"{k} {s[k]['passed']}/{s[k]['total']}" for k in KEYS)
              + f"  contradictions {s['contradictions']}  cut {s['cut_mid_sentence']}")
        if "--misses" in sys.argv:
            for row in report["misses"]:
                print(f"   MISS {row['id']} [{row['miss']}] {row['q']!r} -> {row['answer'][:90]!r}")
    print("total           " + "  ".join(f"{k} {a}/{b} ({a / b:.1%})" for k, (a, b) in totals.items() if b)
          + f"  contradictions {extra['contradictions']}  cut {extra['cut_mid_sentence']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
