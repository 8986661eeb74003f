"""A small classifier of what a question means (none, off topic, or one of four kinds of emergency) over
its sentence embedding, fitted on the training venues' questions, the sentence files in models/judge/intents/
and the example sentences in kiosk/knowledge/prototypes.py. Plain numpy (a one-hidden-layer network), in the
kiosk's venv:

    .venv/bin/python models/judge/train_intents.py models/judge/venues/* --extra models/judge/intents \
        --out models/judge/intents.json

``--extra DIR``: sentences written for this classifier alone (offtopic.jsonl, ontopic.jsonl, emergencies.jsonl,
not_emergencies.jsonl; models/judge/intents/README.md says who wrote them and how), one writer group per file.

Prints leave-one-group-out figures first (venues grouped by who wrote them: the t1- ... t7- prefixes), so
each figure is on venues whose writer the classifier never saw.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

CLASSES = ("none", "offtopic", "lost_child", "medical", "fire", "threat")


def rows_of(venues: list[Path]) -> list[tuple[str, str, str]]:
    """(group, text, class) for every question of every venue."""
    out = []
    for v in venues:
        f = v / "questions.jsonl"
        if not f.exists():
            continue
        group = v.name.split("-")[0]
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            cls = r["kind"] if r["scope"] == "emergency" else "offtopic" if r["scope"] == "offtopic" else "none"
            if cls in CLASSES:
                out.append((group, r["q"], cls))
    return out


EXTRA = {  # file: (writer group, the class of a line)
    "offtopic.jsonl": ("x-topic", lambda r: "offtopic"), "ontopic.jsonl": ("x-topic", lambda r: "none"),
    "emergencies.jsonl": ("x-emergency", lambda r: r["kind"]),
    "not_emergencies.jsonl": ("x-emergency", lambda r: "none")}


def extra_rows(folder: Path | None) -> list[tuple[str, str, str]]:
    """(group, text, class) from the sentence files in ``folder``."""
    out = []
    for name, (group, cls_of) in EXTRA.items():
        f = folder / name if folder else None
        if f is None or not f.exists():
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if cls_of(r) in CLASSES:
                    out.append((group, r["q"], cls_of(r)))
    return out


def prototype_rows() -> list[tuple[str, str, str]]:
    from kiosk.knowledge import prototypes as p

    out = [("proto", t, k) for k, texts in p.EMERGENCY.items() for t in texts]
    out += [("proto", t, "none") for t in p.NOT_EMERGENCY + p.VENUE]
    out += [("proto", t, "offtopic") for t in p.OFF_TOPIC]
    return out


def fit(x: np.ndarray, y: np.ndarray, hidden: int = 256, epochs: int = 60, lr: float = 3e-3, l2: float = 1e-4,
        seed: int = 0) -> list[np.ndarray]:
    """A one-hidden-layer network (ReLU, softmax), classes balanced, Adam on mini-batches of 128:
    [W1 (dim, hidden), b1, W2 (hidden, classes), b2]. A linear fit caught half as many off-topic questions."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = len(CLASSES)
    params = [rng.normal(0, (2 / d) ** 0.5, (d, hidden)).astype(np.float32), np.zeros(hidden, np.float32),
              rng.normal(0, (1 / hidden) ** 0.5, (hidden, k)).astype(np.float32), np.zeros(k, np.float32)]
    m = [np.zeros_like(a) for a in params]
    v = [np.zeros_like(a) for a in params]
    counts = np.bincount(y, minlength=k).astype(np.float32)
    class_w = n / (k * np.maximum(counts, 1))
    t = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, 128):
            idx = order[s:s + 128]
            w1, b1, w2, b2 = params
            h = np.maximum(x[idx] @ w1 + b1, 0)
            g = forward_probs(params, x[idx])
            g[np.arange(len(idx)), y[idx]] -= 1
            g *= class_w[y[idx]][:, None] / len(idx)
            gh = g @ w2.T
            gh[h <= 0] = 0
            grads = [x[idx].T @ gh + l2 * w1, gh.sum(0), h.T @ g + l2 * w2, g.sum(0)]
            t += 1
            for i, gr in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * gr
                v[i] = 0.999 * v[i] + 0.001 * gr * gr
                params[i] -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return params


def forward_probs(params: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    w1, b1, w2, b2 = params
    z = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    z -= z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def report(name: str, p: np.ndarray, y: np.ndarray, texts: list[str]) -> None:
    for at in (0.5, 0.6, 0.7, 0.8):
        em = [CLASSES.index(c) for c in ("lost_child", "medical", "fire", "threat")]
        pe = p[:, em].max(1)
        pred_e = pe >= at
        is_e = np.isin(y, em)
        off = p[:, 1] >= at
        print(f"{name} at {at}: emergencies caught {int((pred_e & is_e).sum())}/{int(is_e.sum())}, ordinary called "
              f"emergencies {int((pred_e & (y == 0)).sum())}/{int((y == 0).sum())}; off topic caught "
              f"{int((off & (y == 1)).sum())}/{int((y == 1).sum())}, venue questions called off topic "
              f"{int((off & (y == 0)).sum())}", file=sys.stderr)
    bad = [texts[i] for i in np.where((p[:, 1] >= 0.7) & (y == 0))[0][:6]]
    print(f"  e.g. venue questions called off topic: {bad}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("venues", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--extra", type=Path, help="a folder of sentence files written for this classifier")
    args = ap.parse_args()

    from kiosk.knowledge.embed import Embedder

    rows = rows_of(args.venues) + extra_rows(args.extra) + prototype_rows()
    emb = Embedder().embed([t for _, t, _ in rows])
    y = np.array([CLASSES.index(c) for _, _, c in rows])
    groups = np.array([g for g, _, _ in rows])
    texts = [t for _, t, _ in rows]
    held_p = np.zeros((len(rows), len(CLASSES)), np.float32)
    for g in sorted(set(groups) - {"proto"}):
        train = groups != g
        held_p[~train] = forward_probs(fit(emb[train], y[train]), emb[~train])
    mask = groups != "proto"
    report("held out by writer", held_p[mask], y[mask], [t for t, m in zip(texts, mask) if m])
    params = fit(emb, y)
    args.out.write_text(json.dumps({"classes": CLASSES, "embedding": "minilm-l6-v2-int8",
                                    "mlp": [np.round(a, 5).tolist() for a in params]}) + "\n")
    print(f"wrote {args.out} ({len(rows)} questions)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
