"""Training pairs for the answer judge: (question, entry window, does it answer) from venue folders.

Run in the kiosk's venv (it uses the kiosk's own retrieval, so the judge learns on the candidates it will
see):  .venv/bin/python models/judge/pairs.py models/judge/venues/* --out PAIRS.jsonl

Per question, the candidates are the kiosk's top entries (words + meaning). Labels:
- in scope: windows of the answering entry that hold one of its facts -> 1; up to SIBLINGS of its other
  windows -> 0 when the question names facts (the right entry, the wrong part of it: "how much is breakfast"
  is not answered by the continental price), left out otherwise; every window of every other candidate -> 0;
- out of scope (near misses included) and off topic: every window of every candidate -> 0.
A follow-up is read with the question before it, as the kiosk reads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

CANDIDATES = 8
MAX_NEG_PER_QUESTION = 8
SIBLINGS = 3


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def strong_strings(q: dict) -> list[str]:
    """The strings that mark the sentences answering ``q`` (short yes/no words like "not" mark nothing)."""
    found = [s for s in q.get("facts", []) if s.strip()]
    found += [s for s in q.get("any_of", []) if len(s.strip()) >= 4]
    return [s.casefold() for s in found]


def venue_pairs(kiosk, venue: Path, rng: random.Random, stats: dict, siblings_too: bool = True) -> list[dict]:
    from kiosk.domain.passages import windows

    by_heading = {e.heading: e for e in kiosk.index.entries()}
    out: list[dict] = []
    previous: dict[str, str] = {}
    for q in load_questions(venue / "questions.jsonl"):
        scope = q["scope"]
        if scope == "emergency":
            continue
        text = q["q"]
        if q.get("session"):
            if "follow_up" in q.get("tags", []) and q["session"] in previous:
                text = f"{previous[q['session']]} {text}"
            previous.setdefault(q["session"], q["q"])
        hits = kiosk.pipeline.retrieve(text)[:CANDIDATES]
        gold = by_heading.get(q.get("entry", "")) if scope == "in" else None
        if scope == "in":
            if gold is None:
                continue
            ranks = [h.entry.id for h in hits]
            stats["in"] += 1
            stats["found"] += gold.id in ranks
            stats["top1"] += bool(ranks) and ranks[0] == gold.id
            if gold.id not in ranks:
                hits = hits[:CANDIDATES - 1]
        pos, neg, siblings = [], [], []
        candidates = [h.entry for h in hits] + ([gold] if gold is not None and gold.id not in
                                                [h.entry.id for h in hits] else [])
        for entry in candidates:
            for w in windows(entry):
                row = {"venue": venue.name, "qid": q["id"], "scope": scope, "q": text, "passage": w.text,
                       "entry_id": entry.id, "tags": q.get("tags", [])}
                if gold is not None and entry.id == gold.id:
                    marks = strong_strings(q)
                    if len(windows(entry)) == 1 or any(m in w.text.casefold() for m in marks):
                        pos.append({**row, "label": 1})
                    elif marks and siblings_too:
                        siblings.append({**row, "label": 0, "sibling": True})
                else:
                    neg.append({**row, "label": 0})
        if scope == "in" and not pos:
            stats["unmarked"] += 1
            continue
        rng.shuffle(neg)
        rng.shuffle(siblings)
        stats["siblings"] += len(siblings[:SIBLINGS]) if pos else 0
        out += pos + (siblings[:SIBLINGS] if pos else []) + neg[:MAX_NEG_PER_QUESTION]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("venues", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-siblings", action="store_true",
                    help="leave the answering entry's other windows out (as the judge of 2026-12-05 was trained)")
    args = ap.parse_args()

    from kiosk.app import Kiosk
    from kiosk.config import load_config

    rng = random.Random(args.seed)
    base = load_config()
    stats = {"in": 0, "found": 0, "top1": 0, "unmarked": 0, "siblings": 0}
    rows: list[dict] = []
    for venue in args.venues:
        if not (venue / "questions.jsonl").exists():
            continue
        scratch = Path(tempfile.mkdtemp(prefix="judge-pairs-"))
        cfg = dataclasses.replace(base, data_dir=str(scratch),
                                  knowledge=dataclasses.replace(base.knowledge, pack=str((venue / "pack").resolve())),
                                  llm=dataclasses.replace(base.llm, enabled=False),
                                  ingest=dataclasses.replace(base.ingest, url=""),
                                  cloud=dataclasses.replace(base.cloud, base_url=""))
        kiosk = Kiosk(cfg, load_model=False)
        try:
            got = venue_pairs(kiosk, venue, rng, stats, not args.no_siblings)
        finally:
            kiosk.close()
            shutil.rmtree(scratch, ignore_errors=True)
        rows += got
        print(f"{venue.name}: {len(got)} pairs ({sum(r['label'] for r in got)} positive)", file=sys.stderr)
    with args.out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"{len(rows)} pairs; in-scope questions {stats['in']}: answering entry among the {CANDIDATES} "
          f"candidates {stats['found']}, first {stats['top1']}; no window marked {stats['unmarked']}; "
          f"negatives from the answering entry's other windows {stats['siblings']}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
