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


def respell(text: str, names: Sequence[str | _Name], common: Callable[[str], bool] = lambda w: False) -> str:
    """``text`` with each span that sounds like (is spelt close to) one of ``names`` in the name's spelling.
    The closest matches win; spans never overlap; a span already spelt as the name is left alone. Words the
    recogniser holds whole (``common``: "airlines", "shuttle bus") are taken as said, unless their letters are
    the name's exactly ("Air Link" for "AirLink")."""
    table = [n for n in names if isinstance(n, _Name)] + names_of([n for n in names if isinstance(n, str)])
    if not text or not table:
        return text
    by_first: dict[str, list[_Name]] = {}
    for n in table:
        by_first.setdefault(n.first, []).append(n)
    longest = max(n.words for n in table) + 1
    words = [(m.start(), m.end(), _letters(m.group())) for m in _WORD.finditer(text)]
    found: list[tuple[float, int, int, str]] = []  # (closeness, first word, last word + 1, spelling)
    for i in range(len(words)):
        for span in range(1, min(longest, len(words) - i) + 1):
            heard = "".join(w[2] for w in words[i:i + span])
            said = text[words[i][0]:words[i + span - 1][1]]
            for name in by_first.get(heard[:1], ()):
                if not name.words - 1 <= span <= name.words + 1 or abs(len(heard) - len(name.letters)) > 3:
                    continue
                if heard == name.letters:
                    if len(heard) < MIN_LETTERS and said.isalnum():
                        continue  # a short name said whole: its case is not worth a change
                    found.append((2.0, i, i + span, "") if said == name.spelt else (1.5, i, i + span, name.spelt))
                    continue
                if len(name.letters) < MIN_LETTERS or all(common(text[w[0]:w[1]]) for w in words[i:i + span]):
                    continue  # close, not exact, and every word one the recogniser holds whole: taken as said
                m = difflib.SequenceMatcher(None, heard, name.letters)
                if m.quick_ratio() >= CLOSE and m.ratio() >= CLOSE:
                    found.append((m.ratio(), i, i + span, name.spelt))
    taken: set[int] = set()
    chosen = []
    for _, a, b, spelt in sorted(found, key=lambda f: (-f[0], f[1])):
        if taken & set(range(a, b)):
            continue
        taken |= set(range(a, b))
        if spelt:
            chosen.append((a, b, spelt))
    out = text
    for a, b, spelt in sorted(chosen, reverse=True):
        out = out[:words[a][0]] + spelt + out[words[b - 1][1]:]
    return out
