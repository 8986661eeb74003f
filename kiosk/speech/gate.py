"""The microphone while the kiosk speaks: its own voice is not transcribed, a louder visitor barges in."""

from __future__ import annotations

import time
from typing import Iterable, Iterator

import numpy as np

from kiosk.speech.audio import RATE, rms

GATE_HANGOVER_S = 0.6
BARGE_MIN_RMS = 0.02
BARGE_RATIO = 1.3
BARGE_MIN_S = 0.2
BARGE_PREROLL_S = 0.6
# With the echo canceller the microphone hears the visitor, and the kiosk only as a residue far below its
# output: a visitor half as loud as the kiosk barges in. Not in the first moments of speech, while the
# canceller may still be adapting.
CANCELLED_RATIO = 0.5
CANCELLER_SETTLE_S = 0.8


def gated(blocks: Iterable[np.ndarray], speaker=None, cancelled: bool = False) -> Iterator[np.ndarray]:
    """The microphone does not transcribe the kiosk's own voice: while it speaks, blocks are dropped unless
    they are clearly louder than anything it played in the last second (the visitor talking over it), which
    is a barge-in: speech stops and listening starts. A tap (Enter) stops speech too. ``cancelled``: the
    microphone is the echo canceller's output, so the visitor need not out-shout the kiosk."""
    quiet_since, run, held, barged = 0.0, 0.0, [], False
    speaking_since = 0.0
    ratio = CANCELLED_RATIO if cancelled else BARGE_RATIO
    for block in blocks:
        if barged:  # the visitor is talking: hear all of it
            yield block
            continue
        speaking = speaker is not None and speaker.speaking.is_set()
        now = time.monotonic()
        # The device's buffered tail of the kiosk's speech: still not the visitor, unless they are clearly
        # talking (a reply that starts as the kiosk finishes must not lose its first words).
        tail = not speaking and quiet_since and now - quiet_since < GATE_HANGOVER_S
        if speaking or tail:
            if speaking:
                if not quiet_since or now - quiet_since > GATE_HANGOVER_S:
                    speaking_since = now
                quiet_since = now
            level = rms(block)
            held = (held + [block])[-int(BARGE_PREROLL_S / (len(block) / RATE) + 1):]  # words' starts
            settled = not cancelled or now - speaking_since >= CANCELLER_SETTLE_S
            if settled and level > BARGE_MIN_RMS and level > ratio * speaker.echo_level():
                run += len(block) / RATE
                if run >= BARGE_MIN_S:
                    if speaking:
                        speaker.stop()  # barge-in by voice
                    barged = True
                    # The end-pointer calibrates on its first frames: give it the room, not the kiosk's voice.
                    yield np.zeros(int(RATE * 0.3), np.float32)
                    yield from held
                    held, run = [], 0.0
            else:
                run = 0.0
            continue
        held, run = [], 0.0
        yield block
