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


def preview(config, before: dict[str, str], after: dict[str, str], questions: list[str]) -> list[Change]:
    questions = list(dict.fromkeys(q for q in questions if q.strip()))[:200]
    old, new = _answers(config, before, questions), _answers(config, after, questions)
    return [Change(q, b, a) for q, b, a in zip(questions, old, new)]
