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
# Since the combined answerability model (kiosk/domain/answerability.py): more in scope answered (69 % from
# 52 % over the five packs), a few more out-of-scope questions answered (71 % passed on, from 77 %).
FLOORS = {"in_scope": 0.60, "out_of_scope": 0.50, "offtopic": 1.0, "follow_up": 0.30}


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_a_venue_pack_written_outside_the_project(pack, isolated_env):
    rc, out, err = kiosk("eval", str(pack / "pack"), str(pack / "questions.jsonl"), "--json",
                         env={"KIOSK_LLM_ENABLED": "0"}, timeout=600)
    assert rc == 0, err
    report = json.loads(out)
    s = report["summary"]
    print(f"\n{pack.name}: " + ", ".join(f"{k} {s[k]['passed']}/{s[k]['total']}" for k in FLOORS))
    for row in report["misses"]:
        print(f"  MISS {row['id']} [{row['miss']}] {row['q']!r} -> {row['answer'][:80]!r}")
    assert len(report["rows"]) == sum(1 for line in (pack / "questions.jsonl").open() if line.strip())
    for key, floor in FLOORS.items():
        assert s[key]["rate"] >= floor, (key, s[key])
    assert s["cut_mid_sentence"] == 0
    # Off-topic requests are never answered (the floor above); most are declined rather than queued for staff.
    assert s["offtopic_declined"] >= s["offtopic"]["total"] / 2
