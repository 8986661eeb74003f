"""Before a staff entry is saved: which questions the pack answers differently with it. Each version of the
pack is loaded into a scratch kiosk (the kiosk's own retrieval, routing and answerability; no model, so the
preview takes seconds) and asked every question; the rows that change are what the entry does."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    answered: bool
    entry: str
    answer: str


@dataclass(frozen=True)
class Change:
    question: str
    before: Outcome
    after: Outcome

    @property
    def changed(self) -> bool:
        return self.before.answered != self.after.answered or self.before.entry != self.after.entry


def _answers(config, files: dict[str, str], questions: list[str]) -> list[Outcome]:
    from kiosk.app import Kiosk
    from kiosk.hub.packs import write_dir

    scratch = Path(tempfile.mkdtemp(prefix="kiosk-preview-"))
    try:
        pack = write_dir(files, scratch / "pack")
        cfg = dataclasses.replace(
            config, data_dir=str(scratch / "data"), source="",
            knowledge=dataclasses.replace(config.knowledge, pack=str(pack)),
            llm=dataclasses.replace(config.llm, enabled=False),
            ingest=dataclasses.replace(config.ingest, url=""), cloud=dataclasses.replace(config.cloud, base_url=""),
            updates=dataclasses.replace(config.updates, url=""))
        kiosk = Kiosk(cfg, warm=False)
        try:
            out = []
            for q in questions:
                a = kiosk.ask(q)
                out.append(Outcome(not a.escalated, (a.entry_ids or [""])[0], a.answer[:300]))
                kiosk.reset_session()
            return out
        finally:
            kiosk.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def pack_questions(files: dict[str, str]) -> list[str]:
    """The questions the pack already stands for: its suggested questions and each entry's heading as a
    question. An entry that takes one of these over shows up in the preview."""
    from kiosk.hub.packs import write_dir
    from kiosk.knowledge.pack import load_pack

    with tempfile.TemporaryDirectory() as d:
        pack = load_pack(write_dir(files, Path(d) / "pack"))
    return list(pack.suggestions) + [f"{e.heading}?" for e in pack.entries]


def preview(config, before: dict[str, str], after: dict[str, str], asked: list[str]) -> list[Change]:
    """Visitors' questions (``asked``) and the pack's own, each answered with and without the change; the
    changed ones first."""
    questions = list(dict.fromkeys(q for q in asked + pack_questions(before) if q.strip()))[:300]
    old, new = _answers(config, before, questions), _answers(config, after, questions)
    changes = [Change(q, b, a) for q, b, a in zip(questions, old, new)]
    return sorted(changes, key=lambda c: not c.changed)
