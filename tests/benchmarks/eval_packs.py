"""`kiosk eval` over venue folders (pack/ + questions.jsonl) with the configured kiosk, per venue and in total.
Prints figures; never asserts (the CI test runs the eval packs and checks them against floors).

    .venv/bin/python tests/benchmarks/eval_packs.py [VENUE_DIR ...] [--misses] [--extra QUESTIONS.jsonl@VENUE]
    # default: every venue in tests/eval/packs; extra KIOSK_* env settings apply to the kiosk

``--extra FILE@VENUE`` asks the questions of FILE (e.g. off-topic or emergency phrasings) on VENUE's pack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PACKS = Path(__file__).parents[1] / "eval" / "packs"
SHARES = ("right_first_time", "right_within_one_choice", "wrong_stated_as_fact", "passed_on", "out_stated_as_fact",
          "out_offered_choices", "follow_up_within_one_choice")
RATES = ("follow_up", "offtopic", "emergency")


def run(pack: Path, questions: Path) -> dict | None:
    env = {**os.environ, "KIOSK_DATA_DIR": tempfile.mkdtemp(prefix="kiosk-evalpacks-")}
    r = subprocess.run([sys.executable, "-m", "kiosk", "eval", str(pack), str(questions), "--json"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print(f"{pack}: failed: {r.stderr.strip()[-300:]}")
        return None
    return json.loads(r.stdout)


def line(name: str, s: dict) -> str:
    parts = [f"{k} {s[k]['count']}/{s[k]['total']}" for k in SHARES if s[k]["total"]]
    parts += [f"{k} {s[k]['passed']}/{s[k]['total']}" for k in RATES if s[k]["total"]]
    return f"{name:28} " + "  ".join(parts)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    extras = [a.split("=", 1)[1] if "=" in a else "" for a in sys.argv[1:] if a.startswith("--extra")]
    venues = [Path(a) for a in args if "@" not in a] or sorted(p for p in PACKS.iterdir() if p.is_dir())
    extra_pairs = [a for a in args if "@" in a] + [e for e in extras if e]
    totals: dict[str, list[int]] = {}

    def add(s: dict) -> None:
        for k in SHARES:
            t = totals.setdefault(k, [0, 0])
            t[0] += s[k]["count"]
            t[1] += s[k]["total"]
        for k in RATES:
            t = totals.setdefault(k, [0, 0])
            t[0] += s[k]["passed"]
            t[1] += s[k]["total"]

    jobs = [(v.name, v / "pack", v / "questions.jsonl") for v in venues]
    jobs += [(f"{Path(q).stem}@{Path(v).name}", Path(v) / "pack", Path(q)) for q, v in (p.split("@") for p in extra_pairs)]
    for name, pack, questions in jobs:
        report = run(pack, questions)
        if report is None:
            continue
        s = report["summary"]
        add(s)
        print(line(name, s), flush=True)
        if "--misses" in sys.argv:
            for row in report["misses"]:
                if row["outcome"] == "right_within_one_choice":
                    continue
                print(f"   MISS {row['id']} [{row['outcome'] or row['miss']}] {row['q']!r} -> "
                      f"{(row['answer'] if not row['choices'] else ' | '.join(c['label'] for c in row['choices']))[:110]!r}"
                      f"  {row['detail'][:60]}")
    print("total                        " + "  ".join(f"{k} {a}/{b} ({a / b:.1%})" for k, (a, b) in totals.items() if b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
