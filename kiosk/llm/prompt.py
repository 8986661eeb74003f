"""Prompt building for ChatML instruct models: a fixed prefix (instructions + whole pack) and a short suffix.

The prefix never changes between turns, so its KV state is computed once at start and reused; each turn
only evaluates the suffix (question and a pointer to the relevant sections).
"""

from __future__ import annotations

from typing import Sequence

from kiosk.domain.models import Entry

SYSTEM = ("You are the information kiosk of {venue}. Answer the visitor in one or two short sentences, "
          "using only the facts below. Copy numbers, times and names exactly. If the facts do not answer "
          "the question, reply exactly: I don't know.")


def entry_text(e: Entry) -> str:
    return f"## {e.heading}\n{e.body.strip()}"


def prefix(venue: str, pack: Sequence[Entry] | None) -> str:
    text = "<|im_start|>system\n" + SYSTEM.format(venue=venue or "this venue")
    if pack:
        text += "\n\n" + "\n\n".join(entry_text(e) for e in pack)
    return text + "<|im_end|>\n"


def suffix(question: str, context: Sequence[Entry], pack_in_prefix: bool) -> str:
    if pack_in_prefix:
        hint = "; ".join(e.heading for e in context[:2])
        user = f"{question}\n(See: {hint})" if hint else question
    else:
        user = "\n\n".join(entry_text(e) for e in context[:2]) + f"\n\nQuestion: {question}"
    return f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
