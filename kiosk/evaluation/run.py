"""Run an evaluation file through a real kiosk and summarise it (`kiosk eval`)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kiosk.config import Config
from kiosk.domain.kinds import Reason
from kiosk.evaluation.judge import Miss, Outcome, Verdict, cut_mid_sentence, judge
from kiosk.evaluation.questions import EvalQuestion, load_questions

CALM = '{"cpu_load": 0.0}'  # simulated readings for evaluation: the full tier, whatever the machine's load


@dataclass
class Row:
    question: EvalQuestion
    answer: str
    source: str
    escalated: bool
    verdict: Verdict
    declined: bool = False
    choices: tuple[dict, ...] = ()
    emergency: str = ""
    entry_ids: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        q = self.question
        return {"id": q.id, "q": q.q, "scope": q.scope, "tags": list(q.tags), "session": q.session,
                "source": self.source, "escalated": self.escalated, "declined": self.declined,
                "answer": self.answer, "choices": list(self.choices), "emergency": self.emergency,
                "entry_ids": list(self.entry_ids), "outcome": self.verdict.outcome,
                "passed": self.verdict.passed, "miss": self.verdict.miss, "detail": self.verdict.detail}


def _rate(rows: list[Row]) -> dict[str, Any]:
    ok = sum(r.verdict.passed for r in rows)
    return {"passed": ok, "total": len(rows), "rate": round(ok / len(rows), 3) if rows else None}


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by = lambda pred: [r for r in self.rows if pred(r)]  # noqa: E731
        answered = by(lambda r: not r.escalated and not r.declined and not r.choices)
        scope = lambda s: by(lambda r: r.question.scope == s)  # noqa: E731

        def share(rows: list[Row], *outcomes: Outcome) -> dict[str, Any]:
            n = sum(r.verdict.outcome in outcomes for r in rows)
            return {"count": n, "total": len(rows), "rate": round(n / len(rows), 3) if rows else None}

        inside, outside = scope("in"), scope("out")
        return {
            "right_first_time": share(inside, Outcome.RIGHT_FIRST),
            "right_within_one_choice": share(inside, Outcome.RIGHT_FIRST, Outcome.RIGHT_IN_CHOICE),
            "wrong_stated_as_fact": share(inside, Outcome.WRONG_FACT),
            "passed_on": share(inside, Outcome.PASSED_ON, Outcome.DECLINED),
            "out_stated_as_fact": share(outside, Outcome.WRONG_FACT),
            "out_offered_choices": share(outside, Outcome.OFFERED),
            "emergency": _rate(scope("emergency")),
            "in_scope": _rate(by(lambda r: r.question.scope == "in")),
            "out_of_scope": _rate(by(lambda r: r.question.scope == "out")),
            "offtopic": _rate(by(lambda r: r.question.scope == "offtopic")),
            "follow_up": _rate(by(lambda r: r.question.follow_up)),
            "follow_up_within_one_choice": share(by(lambda r: r.question.follow_up), Outcome.RIGHT_FIRST,
                                                 Outcome.RIGHT_IN_CHOICE),
            "offtopic_declined": sum(r.declined for r in self.rows if r.question.scope == "offtopic"),
            "declined_in_scope": sum(r.declined for r in self.rows if r.question.scope == "in"),
            "contradictions": sum(r.verdict.miss is Miss.CONTRADICTION for r in self.rows),
            "cut_mid_sentence": sum(cut_mid_sentence(r.answer) for r in answered),
            "routes": {str(s): sum(r.source == s for r in self.rows) for s in sorted({r.source for r in self.rows})},
        }

    def misses(self) -> list[Row]:
        return [r for r in self.rows if not r.verdict.passed]


def _visits(questions: Iterable[EvalQuestion]) -> list[list[EvalQuestion]]:
    """Questions grouped into visitor sessions, in file order: a session's lines together, others alone."""
    visits: list[list[EvalQuestion]] = []
    by_session: dict[str, list[EvalQuestion]] = {}
    for q in questions:
        if not q.session:
            visits.append([q])
        elif q.session in by_session:
            by_session[q.session].append(q)
        else:
            by_session[q.session] = [q]
            visits.append(by_session[q.session])
    return visits


def evaluate(kiosk, questions: list[EvalQuestion], progress: Callable[[Row], None] | None = None) -> Report:
    report = Report()
    heading = {e.id: e.heading for e in kiosk.index.entries()}
    for visit in _visits(questions):
        kiosk.reset_session()
        for n, q in enumerate(visit):
            a = kiosk.ask(q.q)
            declined = a.reason is Reason.OFF_TOPIC
            said = [c.answer for c in a.choices]
            row = Row(q, a.answer, a.source, a.escalated,
                      judge(q, a.answer, a.escalated, declined, said, a.emergency,
                            [heading.get(i, "") for i in a.entry_ids]), declined,
                      tuple(c.public() for c in a.choices), a.emergency, tuple(a.entry_ids))
            report.rows.append(row)
            if progress:
                progress(row)
            if a.choices and n + 1 < len(visit):  # offered choices mid-visit: the visitor taps before going on
                right = [i for i, c in enumerate(said) if judge(q, c, False).outcome is Outcome.RIGHT_FIRST]
                kiosk.choose(right[0] if right else None)
    kiosk.reset_session()
    return report


def evaluate_pack(config: Config, pack: str | Path, questions_file: str | Path,
                  progress: Callable[[Row], None] | None = None) -> Report:
    """The configured kiosk (model, thresholds) on ``pack``, in a scratch data dir: real data is untouched."""
    from kiosk.app import Kiosk
    from kiosk.knowledge.pack import load_pack

    questions = load_questions(questions_file)
    load_pack(pack)  # an unreadable pack is an error here, not an empty kiosk
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-eval-"))
    cfg = dataclasses.replace(config, data_dir=str(scratch),
                              knowledge=dataclasses.replace(config.knowledge, pack=str(Path(pack).resolve())),
                              ingest=dataclasses.replace(config.ingest, url=""),
                              cloud=dataclasses.replace(config.cloud, base_url=""),
                              # the answers must not depend on how busy this machine is right now
                              resources=dataclasses.replace(config.resources, emulate=CALM))
    kiosk = Kiosk(cfg)
    try:
        return evaluate(kiosk, questions, progress)
    finally:
        kiosk.close()
        shutil.rmtree(scratch, ignore_errors=True)
