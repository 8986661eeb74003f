"""Score a turn pipeline on the evaluation set; used by tests/integration/test_eval.py and `kiosk bench`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kiosk.domain.kinds import Reason

EVAL_FILE = Path(__file__).with_name("harbourlight.toml")


@dataclass
class EvalReport:
    covered_ok: int = 0
    covered_total: int = 0
    uncovered_ok: int = 0
    uncovered_total: int = 0
    failures: list[str] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    covered_within: int = 0

    @property
    def covered_accuracy(self) -> float:
        return self.covered_ok / self.covered_total if self.covered_total else 0.0

    @property
    def uncovered_accuracy(self) -> float:
        return self.uncovered_ok / self.uncovered_total if self.uncovered_total else 0.0


def load_set(path: Path = EVAL_FILE) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def evaluate(ask: Callable[[str], object], path: Path = EVAL_FILE) -> EvalReport:
    data = load_set(path)
    rep = EvalReport()
    for case in data["covered"]:
        a = ask(case["q"])
        rep.covered_total += 1
        rep.sources[a.source] = rep.sources.get(a.source, 0) + 1
        missing = [f for f in case["facts"] if f.lower() not in a.answer.lower()]
        if not a.escalated and not missing:
            rep.covered_ok += 1
            rep.covered_within += 1
        elif any(all(f.lower() in c.answer.lower() for f in case["facts"]) for c in a.choices):
            rep.covered_within += 1  # offered as "did you mean ...?", with the right entry among the choices
        else:
            rep.failures.append(f"covered {case['q']!r}: {a.source} esc={a.escalated} missing={missing} "
                                f"-> {a.answer[:90]!r}")
    for q in data["uncovered"]:
        a = ask(q)
        rep.uncovered_total += 1
        if a.escalated or a.choices or a.reason is Reason.OFF_TOPIC:  # passed on, offered, or declined as
            # off topic ("what's the weather tomorrow?"): never stated as fact
            rep.uncovered_ok += 1
        else:
            rep.failures.append(f"uncovered {q!r}: answered by {a.source} c={a.confidence:.2f} "
                                f"-> {a.answer[:90]!r}")
    return rep
