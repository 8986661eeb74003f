"""Choose the retrieval fusion and the answer/escalate thresholds by leave-one-venue-out cross-validation.

    .venv/bin/python tests/benchmarks/tune_retrieval.py [--dump FILE] [--from FILE]

For every eval pack in tests/eval/packs/, every standalone question is retrieved (no model needed) and its
candidates' lexical coverage and dense similarity recorded; an entry is "right" when it holds the
question's facts. Parameters are then tuned on four venues and scored on the fifth, for each venue in
turn: the held-out figures are the ones to report. Never asserts; prints figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path



def dump() -> dict:
    from kiosk.domain.answer_type import can_answer
    from venues import holds_facts, venue_kiosks

    out = {}
    for venue, kiosk, questions in venue_kiosks():
        rows = []
        for q in questions:
            if q.follow_up:
                continue
            hits = kiosk.pipeline.retrieve(q.q, limit=12)
            rows.append({"id": q.id, "scope": q.scope, "q": q.q, "hits": [
                {"id": h.entry.id, "cov": round(h.coverage, 4), "sim": round(h.similarity, 4),
                 "right": q.scope == "in" and holds_facts(h.entry, q), "can": can_answer(q.q, h.entry.body)}
                for h in hits]})
        out[venue] = rows
    return out


def decide(row: dict, w: float, lo: float, hi: float, t: float, t_sim: float = 2.0) -> tuple[bool, bool]:
    """(answered, answered with a right entry first) under one parameter set: entries ranked by the fused
    score; answered when the best lexical coverage reaches ``t`` or the best similarity ``t_sim``."""
    if not row["hits"]:
        return False, False
    scaled = lambda s: min(1.0, max(0.0, (s - lo) / (hi - lo)))  # noqa: E731
    scored = sorted(row["hits"], key=lambda h: (1 - w) * h["cov"] + w * scaled(h["sim"]), reverse=True)
    cov = max(h["cov"] for h in row["hits"])
    sim = max(h["sim"] for h in row["hits"])
    answered = (cov >= t or sim >= t_sim) and scored[0]["can"]  # as the pipeline
    return answered, answered and scored[0]["right"]


def figures(rows: list[dict], params) -> dict:
    ins = [r for r in rows if r["scope"] == "in"]
    outs = [r for r in rows if r["scope"] != "in"]
    in_ok = sum(decide(r, *params)[1] for r in ins)
    out_ok = sum(not decide(r, *params)[0] for r in outs)
    return {"in": in_ok / len(ins), "out": out_ok / len(outs), "in_n": len(ins), "out_n": len(outs),
            "misses": [r["id"] for r in ins if not decide(r, *params)[1]]
            + [r["id"] for r in outs if decide(r, *params)[0]]}


RANKING = (0.7, 0.3, 0.7)  # dense_weight, sim_low, sim_high: chosen by this script's first version (below)
GRID = [RANKING + (t, ts) for t in [x / 100 for x in range(26, 62, 2)]
        for ts in [x / 100 for x in range(40, 80, 2)] + [2.0]]


def objective(rows: list[dict], params) -> float:
    f = figures(rows, params)
    return min(f["in"] / 0.95, f["out"] / 0.90) + 0.01 * (f["in"] + f["out"])  # both targets, balanced


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", help="write the retrieval features to FILE")
    ap.add_argument("--from", dest="src", help="read features from FILE instead of retrieving")
    args = ap.parse_args()
    data = json.loads(Path(args.src).read_text()) if args.src else dump()
    if args.dump:
        Path(args.dump).write_text(json.dumps(data))
    venues = sorted(data)
    print("top-1 right entry (in scope, any score):",
          {v: round(sum(bool(r["hits"]) and r["hits"][0]["right"] for r in data[v] if r["scope"] == "in")
                    / max(1, sum(r["scope"] == "in" for r in data[v])), 3) for v in venues})
    chosen = []
    for held in venues:
        train = [r for v in venues if v != held for r in data[v]]
        params = max(GRID, key=lambda p: objective(train, p))
        chosen.append(params)
        f = figures(data[held], params)
        print(f"held out {held:15} params w={params[0]} lo={params[1]} hi={params[2]} t={params[3]} "
              f"t_sim={params[4]}: "
              f"in {f['in']:.1%} of {f['in_n']}, out {f['out']:.1%} of {f['out_n']}; misses {f['misses']}")
    every = [r for v in venues for r in data[v]]
    best = max(GRID, key=lambda p: objective(every, p))
    f = figures(every, best)
    tot = {"in": 0.0, "out": 0.0, "in_n": 0, "out_n": 0}
    for held, params in zip(venues, chosen):
        f = figures(data[held], params)
        for k in ("in", "out"):
            tot[k] += f[k] * f[k + "_n"]
            tot[k + "_n"] += f[k + "_n"]
    print(f"held-out overall: in {tot['in'] / tot['in_n']:.1%} of {tot['in_n']}, "
          f"out {tot['out'] / tot['out_n']:.1%} of {tot['out_n']}")
    for label, params in (("lexical alone, t=0.38 (the old default)", (0.0, 0.3, 0.7, 0.38, 2.0)),
                          ("fused ranking, lexical decision t=0.38", RANKING + (0.38, 2.0))):
        f = figures(every, params)
        print(f"{label}: in {f['in']:.1%}, out {f['out']:.1%} (no threshold tuned on these packs)")
    f = figures(every, best)
    print(f"all venues together: w={best[0]} lo={best[1]} hi={best[2]} t={best[3]} t_sim={best[4]}: in {f['in']:.1%}, "
          f"out {f['out']:.1%} (tuned on these: not evidence)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
