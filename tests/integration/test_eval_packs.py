"""`kiosk eval` over every venue pack in tests/eval/packs (written by people who saw neither the code nor
any threshold), with the local model off so it runs in seconds: retrieval, answerability, emergencies,
off-topic requests and follow-ups, end to end through the real CLI, index and embedding model.

The floors are a ratchet against regressions, set from the figures measured when they were written (see
the README's measurements); they are NOT the targets of issue 13 (95 % in scope, 90 % out of scope), which
are not met yet. The full run with the model is `tests/benchmarks/eval_packs.py`.
"""

import json
from pathlib import Path

import pytest

from test_cli import kiosk

PACKS = sorted(p for p in (Path(__file__).parents[1] / "eval" / "packs").iterdir() if p.is_dir())
# With the retrained answer judge (issue 22), over the five packs: right first time 35 %, right within one
# choice 90 %, wrong stated as fact 1.5 %, out of scope stated as fact 0 %, off topic declined 28/28. These
# packs are dev data for the judge's thresholds (models/judge/README.md), so they are not held out; the
# held-out figures are in the README. Floors and ceilings per pack, a ratchet a little below what each pack
# measured (right first time: street market 11/44 the lowest; within one choice: clinic 51/59):
FLOORS = {"right_first_time": 0.20, "right_within_one_choice": 0.80}
CEILINGS = {"wrong_stated_as_fact": 0.06, "out_stated_as_fact": 0.10}


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_a_venue_pack_written_outside_the_project(pack, isolated_env):
    rc, out, err = kiosk("eval", str(pack / "pack"), str(pack / "questions.jsonl"), "--json",
                         env={"KIOSK_LLM_ENABLED": "0", "KIOSK_TURN_JUDGE": "1"}, timeout=600)
    assert rc == 0, err
    report = json.loads(out)
    s = report["summary"]
    print(f"\n{pack.name}: " + ", ".join(f"{k} {s[k]['count']}/{s[k]['total']}" for k in (*FLOORS, *CEILINGS)))
    for row in report["misses"]:
        print(f"  MISS {row['id']} [{row['outcome'] or row['miss']}] {row['q']!r} -> {row['answer'][:80]!r}")
    assert len(report["rows"]) == sum(1 for line in (pack / "questions.jsonl").open() if line.strip())
    for key, floor in FLOORS.items():
        assert s[key]["rate"] >= floor, (key, s[key])
    for key, ceiling in CEILINGS.items():
        assert s[key]["rate"] <= ceiling, (key, s[key])
    assert s["cut_mid_sentence"] == 0
    # Off-topic requests are declined, not queued for staff.
    assert s["offtopic_declined"] >= 0.8 * s["offtopic"]["total"]
