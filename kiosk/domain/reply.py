"""A spoken answer to "did you mean ...?": what the kiosk says, and which choice (or none) the visitor's short
reply names. Pure logic over the closed set of replies: yes, no, "neither", "the first one", a choice's name.
"""

from __future__ import annotations

import difflib
import enum
import re
from dataclasses import dataclass
from typing import Sequence

from kiosk.domain.models import Choice

WHAT_SORRY = "Sorry, I didn't catch that."  # said before the choices are offered a second time


class ReplyKind(enum.Enum):
    CHOICE = "choice"    # ``index`` is the choice taken
    NONE = "none"        # none of these: the question is passed on
    UNCLEAR = "unclear"  # nothing heard, or nothing that names one choice


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    index: int | None = None

    def public(self) -> dict:
        return {"kind": self.kind.value, **({"index": self.index} if self.index is not None else {})}


def spoken_offer(choices: Sequence[Choice]) -> str:
    """ "Do you mean Savanna Café, or the picnic lawn?" """
    labels = [c.label.strip().rstrip(".?!") for c in choices]
    if len(labels) == 1:
        return f"Do you mean {labels[0]}?"
    return f"Do you mean {', '.join(labels[:-1])}, or {labels[-1]}?"


def reply_prompt(choices: Sequence[Choice]) -> str:
    """Whisper's prompt while it listens for the reply: the words the reply is likely to hold."""
    return ". ".join(["Yes", "No", "Neither", "The first one", *(c.label for c in choices)]) + "."


# Not "right" or "please": Whisper hears them in babble ("Right house line" for "Lighthouse climb").
_YES = {"yes", "yeah", "yep", "yup", "yas", "sure", "correct", "exactly", "ok", "okay", "aye", "absolutely",
        "definitely", "indeed"}
# Not "other": Whisper heard "Other King" for "Parking" in babble ("something else" still says none).
_NO = {"no", "nope", "nah", "neither", "none", "nor", "nothing", "else", "wrong", "staff"}
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "top": 0}
_NUMBERS = {"one": 0, "1": 0, "two": 1, "2": 1, "three": 2, "3": 2}
_FILLER = {"the", "a", "an", "of", "and", "at", "in", "on", "to", "for", "by", "with", "my", "your", "i",
           "it", "is", "that", "this", "one", "please", "um", "uh", "er", "oh", "mean", "meant", "think"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("é", "e").replace("è", "e"))


def _like(a: str, b: str) -> bool:
    """The same word, allowing for a recognition slip ("savannah" / "savanna", "cafe" / "caf")."""
    if a == b:
        return True
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)):
        return True
    return len(a) >= 4 and len(b) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _misheard_neither(word: str) -> bool:
    """ "Needer", "nether", "neater": how "neither" comes back through crowd babble."""
    return word.startswith("n") and difflib.SequenceMatcher(None, word, "neither").ratio() >= 0.6


def _named(words: list[str], choices: Sequence[Choice]) -> int | None:
    """The one choice whose name the reply says: its words that set it apart from the others count most."""
    labels = [[w for w in _words(c.label) if w not in _FILLER] for c in choices]
    scores = []
    for i, label in enumerate(labels):
        others = {w for j, lab in enumerate(labels) if j != i for w in lab}
        own = [w for w in label if not any(_like(w, o) for o in others)]
        hit_own = sum(any(_like(w, r) for r in words) for w in own)
        hit_all = sum(any(_like(w, r) for r in words) for w in label)
        scores.append((hit_own, hit_all / max(1, len(label))))
    best = max(scores, default=(0, 0.0))
    if best[0] == 0 and best[1] == 0.0:
        return None
    if scores.count(best) > 1:
        return None  # two choices equally named: not a choice
    return scores.index(best)


def read_reply(text: str, choices: Sequence[Choice]) -> Reply:
    """What a short reply means against the choices offered. A name or a position wins over yes and no
    ("No, the picnic lawn"); "yes" takes the first (likeliest) choice; "no" and "neither" take none."""
    words = _words(text)
    if not words or not choices:
        return Reply(ReplyKind.UNCLEAR)
    named = _named(words, choices)
    if named is not None:
        return Reply(ReplyKind.CHOICE, named)
    for w in words:
        if w in _ORDINALS:  # "the third one" when two were offered names none of them
            return Reply(ReplyKind.CHOICE, _ORDINALS[w]) if _ORDINALS[w] < len(choices) else Reply(ReplyKind.UNCLEAR)
        if w in ("last", "latter"):
            return Reply(ReplyKind.CHOICE, len(choices) - 1)
    if set(words) & _NO or any(_misheard_neither(w) for w in words):
        return Reply(ReplyKind.NONE)
    numbers = [_NUMBERS[w] for w in words if w in _NUMBERS and _NUMBERS[w] < len(choices)]
    if numbers and len(words) <= 3:  # "one", "number two"
        return Reply(ReplyKind.CHOICE, numbers[0])
    if set(words) & _YES:
        return Reply(ReplyKind.CHOICE, 0)
    sounded = _sounds_like(words, choices)
    if sounded is not None:
        return Reply(ReplyKind.CHOICE, sounded)
    return Reply(ReplyKind.UNCLEAR)


SOUNDS_LIKE = 0.7   # letters of the reply against a choice's name, spaces aside
SOUNDS_AHEAD = 0.15  # ... and this far ahead of every other choice


def _sounds_like(words: list[str], choices: Sequence[Choice]) -> int | None:
    """Last resort, when no word of the reply names anything: the choice whose name, letters only, the
    reply's letters come close to ("our king" for "Parking", "white house climb" for "Lighthouse climb"),
    clearly closer than to any other choice."""
    heard = "".join(w for w in words if w not in _FILLER)
    if len(heard) < 4:
        return None
    scores = []
    for c in choices:
        name = "".join(w for w in _words(c.label) if w not in _FILLER)
        scores.append(difflib.SequenceMatcher(None, heard, name).ratio() if name else 0.0)
    ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
    best = ranked[0]
    runner = scores[ranked[1]] if len(ranked) > 1 else 0.0
    if scores[best] >= SOUNDS_LIKE and scores[best] - runner >= SOUNDS_AHEAD:
        return best
    return None
