"""Prompt building for ChatML instruct models, split into a cacheable prefix and a short suffix.

The prefix ends with the opening of the visitor's turn, so each turn evaluates only the question and the
closing tags. Two prefix shapes:

* ``entry`` (default): instructions + the one pack entry that retrieval chose. One prefix per entry, each
  evaluated at start-up and kept as a KV snapshot; a short context keeps prompt evaluation and decoding
  fast and keeps a small model's attention on the relevant facts.
* ``pack``: instructions + the whole pack, one shared prefix (when it fits the context).
"""

from __future__ import annotations

from typing import Sequence

from kiosk.domain.models import Entry

SYSTEM = ("You are the information kiosk of {venue}. Answer the visitor in one or two short sentences, "
          "using only the facts below. Copy numbers, times and names exactly. If the facts do not answer "
          "the question, reply exactly: I don't know.")
OPEN_USER = "<|im_end|>\n<|im_start|>user\n"
CLOSE_USER = "<|im_end|>\n<|im_start|>assistant\n"


def entry_text(e: Entry) -> str:
    return f"## {e.heading}\n{e.body.strip()}"


def system(venue: str) -> str:
    return "<|im_start|>system\n" + SYSTEM.format(venue=venue or "this venue")


def prefix(venue: str, entries: Sequence[Entry]) -> str:
    """Instructions plus ``entries`` (one entry, the whole pack, or none), ending at the user's turn."""
    facts = "\n\n".join(entry_text(e) for e in entries)
    return system(venue) + ("\n\n" + facts if facts else "") + OPEN_USER


def suffix(question: str) -> str:
    return question + CLOSE_USER
