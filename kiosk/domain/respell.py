"""The venue's own spelling for names the recogniser heard but spelt its own way: "Air Link" for the pack's
"AirLink", "Blue Wren" for "Bluewren", "Colossay" for "Colasay". Whisper's prompt makes the pack's spelling
likelier; this puts it back when Whisper still chose another, by comparing letters, not words.

Only names the recogniser's vocabulary cannot hold whole are given (the caller decides which); a span of
the transcript is replaced when its letters, spaces and case aside, are close to one such name's letters
and it is not already spelt that way. Pure logic; no recogniser here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable, Sequence

CLOSE = 0.8           # letters of the heard span against the name's: SequenceMatcher ratio at least this
MIN_LETTERS = 5       # shorter names are too easy to match by chance ("Kea" in "key") ...
EXACT_FROM = 3        # ... but one heard in pieces, letters exact, is respelt ("Q-Tac" for "QTAC")
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


@dataclass(frozen=True)
class _Name:
    spelt: str        # as the pack spells it
    letters: str      # lowercase letters and digits only
    words: int
    first: str        # first letter (a heard span starting elsewhere is not this name)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("é", "e").replace("è", "e"))


def names_of(names: Sequence[str]) -> list[_Name]:
    out = []
    for n in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        letters = _letters(n)
        if len(letters) >= EXACT_FROM:
            out.append(_Name(n, letters, len(n.split()), letters[0]))
    return out


def respell(text: str, names: Sequence[str] | Sequence[_Name], common: Callable[[str], bool] = lambda w: False) -> str:
    """``text`` with each span that sounds like (is spelt close to) one of ``names`` in the name's spelling.
    The closest matches win; spans never overlap; a span already spelt as the name is left alone. A single
    word the recogniser holds whole (``common``: "airlines", "merchant") is taken as said, unless its letters
    are the name's exactly."""
    known = [n if isinstance(n, _Name) else None for n in names]
    table = [n for n in known if n is not None] if all(known) else names_of([str(n) for n in names])
    if not text or not table:
        return text
    words = [(m.start(), m.end(), _letters(m.group())) for m in _WORD.finditer(text)]
    found: list[tuple[float, int, int, str]] = []  # (closeness, first word, last word + 1, spelling)
    for name in table:
        for span in range(max(1, name.words - 1), name.words + 2):
            for i in range(0, len(words) - span + 1):
                heard = "".join(w[2] for w in words[i:i + span])
                if not heard or heard[0] != name.first or abs(len(heard) - len(name.letters)) > 3:
                    continue
                if heard == name.letters:
                    said = text[words[i][0]:words[i + span - 1][1]]
                    if len(heard) < MIN_LETTERS and said.isalnum():
                        continue  # a short name said whole: its case is not worth a change
                    if said == name.spelt:
                        found.append((2.0, i, i + span, ""))  # already right: holds its place
                    else:
                        found.append((1.5, i, i + span, name.spelt))
                    continue
                if len(name.letters) < MIN_LETTERS or span == 1 and common(text[words[i][0]:words[i][1]]):
                    continue
                r = difflib.SequenceMatcher(None, heard, name.letters).ratio()
                if r >= CLOSE:
                    found.append((r, i, i + span, name.spelt))
    if not found:
        return text
    taken: set[int] = set()
    chosen = []
    for r, a, b, spelt in sorted(found, key=lambda f: (-f[0], f[1])):
        if taken & set(range(a, b)):
            continue
        taken |= set(range(a, b))
        if spelt:
            chosen.append((a, b, spelt))
    out = text
    for a, b, spelt in sorted(chosen, reverse=True):
        out = out[:words[a][0]] + spelt + out[words[b - 1][1]:]
    return out
