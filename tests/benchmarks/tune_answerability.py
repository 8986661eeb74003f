"""Fit the answerability model (kiosk/domain/answerability.py) by leave-one-venue-out cross-validation.

    .venv/bin/python tests/benchmarks/tune_answerability.py [--dump FILE] [--from FILE]

Every standalone question of every eval pack (tests/eval/packs/) is retrieved by the real pipeline with
embeddings (no LLM) and its ``Signals`` recorded; a question counts as answered right when the pack's
answer would be given (probability at or over the threshold, and the top entry holds the kind of value
asked for) and the top entry holds its facts. For each venue in turn, a logistic model is fitted and its
threshold chosen on the other venues, then scored on the held-out one: those are the figures to report.
Last, the model fitted on every venue, to paste into ``FITTED``. Never asserts; prints figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

L2 = 1.0
THRESHOLDS = [t / 100 for t in range(5, 96)]


def dump() -> dict:
    from kiosk.domain.answer_type import can_answer
    from kiosk.domain.intent import Intent, classify
    from venues import holds_facts, venue_kiosks

    out = {}
    for venue, kiosk, questions in venue_kiosks():
        rows = []
        for q in questions:
            if q.follow_up or q.scope == "offtopic" or classify(q.q) is not Intent.QUESTION:
                continue
            hits = kiosk.pipeline.retrieve(q.q)
            s = kiosk.pipeline.signals(q.q, hits)
            if s is None and hits:
                raise SystemExit("no dense similarities: is the embedding model installed?")
            rows.append({"id": q.id, "scope": q.scope, "q": q.q, "x": list(s.vector()) if s else None,
                         "can": bool(hits) and can_answer(q.q, hits[0].entry.body),
                         "right": bool(hits) and q.scope == "in" and holds_facts(hits[0].entry, q)})
        out[venue] = rows
    return out


def fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression on standardised features; weights returned on the raw ones."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    w, b = np.zeros(Z.shape[1]), 0.0
    for _ in range(4000):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = p - y
        w -= 0.1 * (Z.T @ g / len(y) + L2 * w / len(y))
        b -= 0.1 * g.mean()
    return w / sd, float(b - (w * mu / sd).sum())


def probabilities(rows: list[dict], w: np.ndarray, b: float) -> np.ndarray:
    return np.array([1 / (1 + np.exp(-(np.dot(w, r["x"]) + b))) if r["x"] else 0.0 for r in rows])


def figures(rows: list[dict], p: np.ndarray, t: float) -> dict:
    answered = [bool(r["x"]) and pi >= t and r["can"] for r, pi in zip(rows, p)]
    ins = [(r, a) for r, a in zip(rows, answered) if r["scope"] == "in"]
    outs = [(r, a) for r, a in zip(rows, answered) if r["scope"] != "in"]
    return {"in": sum(a and r["right"] for r, a in ins) / len(ins), "out": sum(not a for _, a in outs) / len(outs),
            "in_n": len(ins), "out_n": len(outs),
            "missed": [r["id"] for r, a in ins if not (a and r["right"])], "wrongly": [r["id"] for r, a in outs if a]}


def objective(f: dict) -> float:
    return min(f["in"] / 0.95, f["out"] / 0.90) + 0.01 * (f["in"] + f["out"])  # both targets, balanced


def train(rows: list[dict]) -> tuple[np.ndarray, float, float]:
    usable = [r for r in rows if r["x"]]
    X = np.array([r["x"] for r in usable])
    y = np.array([r["scope"] == "in" for r in usable], float)
    w, b = fit(X, y)
    p = probabilities(rows, w, b)
    t = max(THRESHOLDS, key=lambda t: objective(figures(rows, p, t)))
    return w, b, t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", help="write the signals to FILE")
    ap.add_argument("--from", dest="src", help="read signals from FILE instead of retrieving")
    ap.add_argument("--at", type=float, action="append", default=[],
                    help="also report the held-out figures at this fixed threshold (repeatable)")
    args = ap.parse_args()
    data = json.loads(Path(args.src).read_text()) if args.src else dump()
    if args.dump:
        Path(args.dump).write_text(json.dumps(data))
    venues = sorted(data)
    tot = {"in": 0.0, "out": 0.0, "in_n": 0, "out_n": 0}
    for held in venues:
        w, b, t = train([r for v in venues if v != held for r in data[v]])
        f = figures(data[held], probabilities(data[held], w, b), t)
        print(f"held out {held:15} t={t:.2f}: in {f['in']:.1%} of {f['in_n']}, out {f['out']:.1%} of {f['out_n']}"
              f"\n    in scope missed {f['missed']}\n    out of scope answered {f['wrongly']}")
        for k in ("in", "out"):
            tot[k] += f[k] * f[k + "_n"]
            tot[k + "_n"] += f[k + "_n"]
    print(f"held-out overall: in {tot['in'] / tot['in_n']:.1%} of {tot['in_n']}, "
          f"out {tot['out'] / tot['out_n']:.1%} of {tot['out_n']}")
    for fixed in args.at:  # the trade-off an operator gets from [turn] answer_threshold
        rows, probs = [], []
        for held in venues:
            w, b, _ = train([r for v in venues if v != held for r in data[v]])
            rows += data[held]
            probs += list(probabilities(data[held], w, b))
        f = figures(rows, np.array(probs), fixed)
        print(f"held-out at threshold {fixed:.2f}: in {f['in']:.1%}, out {f['out']:.1%}")
    every = [r for v in venues for r in data[v]]
    w, b, t = train(every)
    f = figures(every, probabilities(every, w, b), t)
    print(f"all venues together: in {f['in']:.1%}, out {f['out']:.1%} (fitted on these: not evidence)")
    print("FITTED = Answerability(weights=(" + ", ".join(f"{x:.3f}" for x in w) + f"), bias={b:.3f}, "
          f"threshold={t:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
