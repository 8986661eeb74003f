"""How the meaning thresholds (kiosk/knowledge/senses.py) separate emergencies and off-topic questions from
everything else, on the training venues' questions: .venv/bin/python models/judge/tune_senses.py VENUE...

Prints, for a grid of thresholds, emergencies caught by meaning alone and by words or meaning, and the
ordinary questions it would wrongly treat as emergencies; the same for off-topic. Figures only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    from kiosk.domain.emergency import kind_by_words
    from kiosk.knowledge.embed import Embedder
    from kiosk.knowledge.senses import EmbeddingSenses

    senses = EmbeddingSenses(Embedder())
    rows = []
    for venue in map(Path, sys.argv[1:]):
        f = venue / "questions.jsonl"
        if f.exists():
            rows += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    texts = [r["q"] for r in rows]
    near = [senses.nearest(t) for t in texts]
    kinds = ("lost_child", "medical", "fire", "threat")
    emerg = [i for i, r in enumerate(rows) if r["scope"] == "emergency"]
    other = [i for i, r in enumerate(rows) if r["scope"] != "emergency"]
    words = {i: kind_by_words(texts[i]) for i in range(len(rows))}
    print(f"{len(emerg)} emergencies, {len(other)} other questions; words alone: "
          f"{sum(words[i] is not None for i in emerg)} caught, "
          f"{sum(words[i] is not None for i in other)} false ({[texts[i] for i in other if words[i]][:8]})")
    for at in (0.5, 0.55, 0.6, 0.62, 0.65, 0.7):
        for lead in (0.0, 0.04, 0.08):
            def hit(i):
                k, b = max(((k, near[i][k]) for k in kinds), key=lambda kv: kv[1])
                return b >= at and b - near[i]["not"] >= lead
            caught = sum(hit(i) or words[i] is not None for i in emerg)
            false = [texts[i] for i in other if hit(i) and words[i] is None]
            print(f"emergency at {at:.2f} lead {lead:.2f}: caught {caught}/{len(emerg)}, false {len(false)} "
                  f"{false[:4]}")
    missed = [texts[i] for i in emerg if words[i] is None and max(near[i][k] for k in kinds) < 0.62]
    print("missed at 0.62:", missed[:20])
    off = [i for i, r in enumerate(rows) if r["scope"] == "offtopic"]
    venue_q = [i for i, r in enumerate(rows) if r["scope"] in ("in", "out")]
    for at in (0.35, 0.4, 0.45, 0.5):
        for lead in (0.0, 0.03, 0.06, 0.1):
            hit = lambda i: near[i]["off"] >= at and near[i]["off"] - near[i]["venue"] >= lead  # noqa: E731
            print(f"off topic at {at:.2f} lead {lead:.2f}: {sum(map(hit, off))}/{len(off)} declined, venue "
                  f"questions declined {sum(map(hit, venue_q))}/{len(venue_q)} "
                  f"{[texts[i] for i in venue_q if hit(i)][:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
