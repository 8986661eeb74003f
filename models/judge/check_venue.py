#!/usr/bin/env python3
"""Check a venue written for training or evaluation: python3 models/judge/check_venue.py VENUE_DIR...

A venue dir holds pack/*.md (one entry per '## ' heading) and questions.jsonl. Plain Python, no kiosk import,
so people writing venues can run it without the project's environment."""

import json
import re
import sys
from pathlib import Path

SCOPES = {"in", "out", "offtopic", "emergency"}
KINDS = {"lost_child", "medical", "fire", "threat"}


def entries(pack: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for md in sorted(pack.glob("*.md")):
        heading, body = None, []
        for line in md.read_text(encoding="utf-8").splitlines() + ["## "]:
            if line.startswith("## "):
                if heading:
                    if heading in found:
                        raise SystemExit(f"{md}: heading {heading!r} is used twice in the pack")
                    found[heading] = "\n".join(body).strip()
                heading, body = line[3:].strip(), []
            elif heading:
                body.append(line)
    return found


def check(venue: Path) -> list[str]:
    problems = []
    ents = entries(venue / "pack")
    if not (venue / "pack" / "index.md").exists():
        problems.append("pack/index.md is missing")
    if len(ents) < 10:
        problems.append(f"only {len(ents)} entries")
    counts: dict[str, int] = {}
    seen = set()
    for n, line in enumerate((venue / "questions.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"questions.jsonl line {n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        if q.get("id") in seen:
            problems.append(f"{where}: duplicate id {q.get('id')}")
        seen.add(q.get("id"))
        scope = q.get("scope")
        if scope not in SCOPES or not isinstance(q.get("q"), str) or not q["q"].strip():
            problems.append(f"{where}: needs q and scope in {sorted(SCOPES)}")
            continue
        counts[scope] = counts.get(scope, 0) + 1
        if scope == "in":
            head = q.get("entry")
            if head not in ents:
                problems.append(f"{where}: entry {head!r} is not a heading of the pack")
                continue
            text = (head + "\n" + ents[head]).casefold()
            for f in q.get("facts", []):
                if f.casefold() not in text:
                    problems.append(f"{where}: fact {f!r} is not in entry {head!r}")
            if q.get("any_of") and not any(a.casefold() in text for a in q["any_of"]):
                problems.append(f"{where}: none of any_of {q['any_of']} is in entry {head!r}")
            if not q.get("facts") and not q.get("any_of"):
                problems.append(f"{where}: an in-scope question needs facts or any_of")
        if scope == "out" and q.get("near") and q["near"] not in ents:
            problems.append(f"{where}: near {q['near']!r} is not a heading of the pack")
        if scope == "emergency" and q.get("kind") not in KINDS:
            problems.append(f"{where}: emergency needs kind in {sorted(KINDS)}")
    print(f"{venue.name}: {len(ents)} entries, questions {counts}")
    return problems


if __name__ == "__main__":
    bad = 0
    for arg in sys.argv[1:]:
        for p in check(Path(arg)):
            print("  PROBLEM", p)
            bad += 1
    sys.exit(1 if bad else 0)
