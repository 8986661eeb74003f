"""Choose the judge's thresholds on venues it never trained on: run the kiosk's retrieval and judge once per
question, then simulate answer / "did you mean" / pass on for a grid of thresholds.

    .venv/bin/python models/judge/sweep.py VENUE... [--dump judged.jsonl]

A VENUE is a folder with pack/ and questions.jsonl (models/judge/venues/*, tests/eval/packs/*). Follow-ups
are left out here (they need the session); `kiosk eval` measures them. Figures only.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import shutil
import sys
import tempfile
from pathlib import Path


def judged_rows(venue: Path) -> list[dict]:
    from kiosk.app import Kiosk
    from kiosk.config import load_config
    from kiosk.domain.emergency import recognise
    from kiosk.domain.intent import Intent, classify
    from kiosk.domain.passages import more, said
    from kiosk.evaluation.questions import load_questions

    base = load_config()
    scratch = Path(tempfile.mkdtemp(prefix="judge-sweep-"))
    cfg = dataclasses.replace(base, data_dir=str(scratch),
                              knowledge=dataclasses.replace(base.knowledge, pack=str((venue / "pack").resolve())),
                              llm=dataclasses.replace(base.llm, enabled=False))
    kiosk = Kiosk(cfg, load_model=False)
    out = []
    try:
        p = kiosk.pipeline
        for q in load_questions(venue / "questions.jsonl"):
            if q.follow_up:
                continue
            row = {"venue": venue.name, "id": q.id, "q": q.q, "scope": q.scope, "kind": q.kind,
                   "facts": q.facts, "any_of": q.any_of, "not": q.forbidden}
            kind = recognise(q.q, p.sense)
            row["emergency"] = kind.value if kind else ""
            row["pattern_off_topic"] = classify(q.q) is Intent.OFF_TOPIC
            row["off_topic_sense"] = bool(p.offtopic and p.offtopic.off_topic(q.q))
            cands = p.retrieve(q.q)
            got = p._judged(q.q, cands) if cands else ([], False, False)
            ranked, decided, missing = got
            row["decided"], row["missing"] = decided, missing
            row["judged"] = [{"entry_id": j.entry.id, "p": round(j.probability, 4), "said": said(j.entry, j.window),
                              "heading": j.entry.heading, "more": more(j.entry, j.window)} for j in ranked[:3]]
            by_id = {j.entry.id: j for j in ranked}
            row["retrieved"] = [{"entry_id": h.entry.id, "score": round(h.score, 4), "coverage": round(h.coverage, 4),
                                 "similarity": round(h.similarity, 4),
                                 "p": round(by_id[h.entry.id].probability, 4) if h.entry.id in by_id else None,
                                 "said": said(by_id[h.entry.id].entry, by_id[h.entry.id].window) if h.entry.id in by_id else "",
                                 "body": h.entry.body} for h in cands[:8]]
            out.append(row)
    finally:
        kiosk.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def candidates(r: dict) -> list[dict]:
    """Each judged candidate once: entry id, judge p, fused retrieval score, what it says, its body."""
    out: dict[str, dict] = {}
    for c in r["retrieved"]:
        if c["p"] is not None:
            out[c["entry_id"]] = {"id": c["entry_id"], "p": c["p"], "fused": c["score"], "said": c["said"],
                                  "body": c["body"]}
    for j in r["judged"]:  # identifier holders may come from outside retrieval's top
        out.setdefault(j["entry_id"], {"id": j["entry_id"], "p": j["p"], "fused": 0.0, "said": j["said"],
                                       "body": j["said"]})
    return list(out.values())


def decide(r: dict, combine: float, answer_at: float, margin: float, offer_at: float) -> tuple[str, list[dict]]:
    """The pipeline's own rule (kiosk.domain.decide ``verdict``) on a dumped row: ("answer" | "clarify" |
    "pass", the likeliest candidates)."""
    from kiosk.domain.answer_type import can_answer
    from kiosk.domain.decide import Policy, verdict

    ranked = sorted(candidates(r), key=lambda c: -c["p"])  # the judge's order, as the pipeline has it ...
    if r["judged"]:  # ... with a named identifier's holders first (the dump keeps the first of them)
        ranked.sort(key=lambda c: c["id"] != r["judged"][0]["entry_id"])
    d = verdict(ranked, lambda c: c["p"], lambda c: c["fused"], decided=r["decided"], missing=r["missing"],
                answerable=lambda c: can_answer(r["q"], c["body"]),
                policy=Policy(combine=combine, answer_at=answer_at, margin=margin, offer_at=offer_at))
    return d.verdict.value, d.likely


def simulate(rows: list[dict], answer_at: float, margin: float, offer_at: float, combine: float = 0.7) -> dict:
    from kiosk.evaluation.judge import judge
    from kiosk.evaluation.questions import EvalQuestion

    counts: dict[str, int] = {}
    n_in = n_out = 0
    for r in rows:
        if r["scope"] not in ("in", "out"):
            continue
        q = EvalQuestion(r["id"], r["q"], r["scope"], tuple(r["facts"]), tuple(r["any_of"]), tuple(r["not"]))
        if r["emergency"] or r["pattern_off_topic"]:
            outcome_name = "emergency" if r["emergency"] else "declined"
        else:
            what, likely = decide(r, combine, answer_at, margin, offer_at)
            if r["off_topic_sense"] and (not likely or max(c["p"] for c in likely) < 0.5):
                v = judge(q, "", False, declined=True)
            elif what == "answer":
                v = judge(q, likely[0]["said"], False)
            elif what == "clarify":
                v = judge(q, "Did you mean", False, choices=[c["said"] for c in likely])
            else:
                v = judge(q, "", True)
            outcome_name = v.outcome.value if v.outcome else "?"
        key = f"{r['scope']}:{outcome_name}"
        counts[key] = counts.get(key, 0) + 1
        n_in += r["scope"] == "in"
        n_out += r["scope"] == "out"
    g = lambda k: counts.get(k, 0)  # noqa: E731
    return {"first": g("in:right_first_time") / n_in,
            "within": (g("in:right_first_time") + g("in:right_within_one_choice")) / n_in,
            "wrong": g("in:wrong_answer_stated_as_fact") / n_in,
            "passed": (g("in:passed_on") + g("in:declined")) / n_in,
            "out_fact": g("out:wrong_answer_stated_as_fact") / n_out,
            "n_in": n_in, "n_out": n_out, "counts": counts}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("venues", nargs="*", type=Path)
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--load", type=Path)
    args = ap.parse_args()
    if args.load:
        rows = [json.loads(line) for line in args.load.read_text().splitlines()]
    else:
        rows = []
        if args.dump:
            args.dump.write_text("")
        for v in args.venues:
            if not (v / "questions.jsonl").is_file():
                print(f"skipped {v}: no questions.jsonl", file=sys.stderr)
                continue
            got = judged_rows(v)
            rows += got
            if args.dump:  # venue by venue, so a long run keeps what it did
                with args.dump.open("a", encoding="utf-8") as f:
                    f.write("".join(json.dumps(r) + "\n" for r in got))
            print(f"{v.name}: {len(got)} questions", file=sys.stderr)
    results = []
    for a, m, o, w in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.0, 0.1, 0.2, 0.3),
                                        (0.02, 0.05, 0.1, 0.2), (0.3, 0.5, 0.7, 1.0)):
        s = simulate(rows, a, m, o, w)
        results.append((a, m, o, w, s))
    # the targets: first >= .85, within >= .97, wrong <= .02, out stated as fact <= .10
    def score(s):
        return min(s["first"] / 0.85, s["within"] / 0.97, 1.0) - max(0.0, s["wrong"] - 0.02) * 5 \
            - max(0.0, s["out_fact"] - 0.10) * 3
    results.sort(key=lambda t: score(t[4]), reverse=True)
    for a, m, o, w, s in results[:15]:
        print(f"combine {w:.1f} answer_at {a:.2f} margin {m:.2f} offer_at {o:.2f}: first {s['first']:.3f} within {s['within']:.3f} "
              f"wrong {s['wrong']:.3f} passed {s['passed']:.3f} out stated {s['out_fact']:.3f} "
              f"(in {s['n_in']}, out {s['n_out']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
