"""The eval venues for the tuning benchmarks: each venue's kiosk (no LLM, a scratch data dir) with its
questions, and whether an entry holds a question's facts."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

PACKS = Path(__file__).parents[1] / "eval" / "packs"


def holds_facts(entry, q) -> bool:
    """Whether ``entry`` (heading and body) holds every fact of eval question ``q`` and one of its any_of."""
    t = f"{entry.heading}. {entry.body}".casefold()
    return all(f.casefold() in t for f in q.facts) and (not q.any_of or any(a.casefold() in t for a in q.any_of))


def venue_kiosks() -> Iterator[tuple[str, object, list]]:
    """(venue, kiosk on that venue's pack, its questions), one venue at a time; each kiosk is closed and its
    data dir removed before the next."""
    from kiosk.app import Kiosk
    from kiosk.config import load_config
    from kiosk.evaluation.questions import load_questions

    base = load_config(None)
    for venue in sorted(p.name for p in PACKS.iterdir() if (p / "questions.jsonl").is_file()):
        scratch = Path(tempfile.mkdtemp())
        cfg = dataclasses.replace(base, data_dir=str(scratch), knowledge=dataclasses.replace(
            base.knowledge, pack=str(PACKS / venue / "pack")))
        kiosk = Kiosk(cfg, load_model=False)
        try:
            yield venue, kiosk, load_questions(PACKS / venue / "questions.jsonl")
        finally:
            kiosk.close()
            shutil.rmtree(scratch, ignore_errors=True)
