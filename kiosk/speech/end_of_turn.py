"""Has the visitor finished, or only paused? The rule that joins the end-of-turn model's probability with the
words of the speculative transcript. Pure logic.

The model alone is not enough (measured on the hesitation set, tests/benchmarks/hesitations.py): it calls
fragments like "Where do I check in for" finished. A transcript that ends on a word no English sentence ends
on ("the", "for", "do you") is a pause whatever the model says: it waits up to the hesitation limit.
"""

from __future__ import annotations

import enum

# English closed-class words: a sentence does not end on one of these. Whisper punctuates fragments
# ("What time do you?"), so a visitor who hesitates after "do you" has not finished.
OPEN_ENDED = frozenset("""a an the this that these those my your our their his her its some any no every each
    to for of in on at by with from into onto about near behind beside between under over than as like
    and or but so because if when while where what which who whom whose how why
    do does did is are was were be been am can could will would shall should may might must have has had
    i you we they he she it there not very more most much many""".split())


class Turn(enum.Enum):
    FINISHED = "finished"  # answer now
    PAUSING = "pausing"    # keep listening, up to the hesitation limit
    UNSURE = "unsure"      # the ordinary silence rule (end_silence_s) decides


def last_word(text: str) -> str:
    words = text.strip().rstrip(".?!…").split()
    return words[-1].lower().strip(",;:'\"") if words else ""


def ends_open(text: str) -> bool:
    """The words so far stop on one that cannot end a sentence ("Where can I buy a ticket for the")."""
    return last_word(text) in OPEN_ENDED


def verdict(p_complete: float, transcript: str, threshold: float = 0.5) -> Turn:
    """The end-of-turn model said ``p_complete`` over the audio so far; ``transcript`` is what was said."""
    if not transcript.strip():
        return Turn.UNSURE  # nothing recognised (noise, a cough): not the model's call
    if ends_open(transcript):
        return Turn.PAUSING
    # The model's "not finished" is not trusted to hold a turn open: on the hesitation set it said so of most
    # finished questions in the Piper voice (P < 0.1 for one in four), and holding them cost more time than
    # the model saved (tests/benchmarks/hesitations.py, README). Below the threshold silence decides.
    return Turn.FINISHED if p_complete >= threshold else Turn.UNSURE
