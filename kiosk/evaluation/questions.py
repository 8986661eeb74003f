"""The evaluation file: one JSON object per line (format in the README, section "Checking a pack")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import InputError

SCOPES = ("in", "out", "offtopic", "emergency")
MAX_BYTES = 10 << 20


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    q: str
    scope: str                  # in: the pack answers it; out: it does not; offtopic: not about the venue
    facts: tuple[str, ...] = ()  # every one must be in the answer (case-insensitive)
    any_of: tuple[str, ...] = ()  # at least one must be
    forbidden: tuple[str, ...] = ()  # none may be (an inverted or wrong fact)
    tags: tuple[str, ...] = ()
    session: str = ""           # questions sharing it are asked in order, in one visitor session
    kind: str = ""              # emergency: lost_child, medical, fire or threat
    entry: str = ""             # the heading of the entry that answers it (in scope; emergency when the pack has one)

    @property
    def follow_up(self) -> bool:
        return "follow_up" in self.tags


def _strings(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("bad_eval_file", f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def load_questions(path: str | Path) -> list[EvalQuestion]:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InputError("bad_eval_file", f"{p} is over {MAX_BYTES >> 20} MB")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("eval_file_missing", f"{p} does not exist") from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError("bad_eval_file", f"{p} is not a UTF-8 text file ({exc})") from exc
    out, seen = [], set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{p.name} line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError("bad_eval_file", f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or obj.get("scope") not in SCOPES:
            raise InputError("bad_eval_file", f"{where}: needs \"q\" (text) and \"scope\" (one of {SCOPES})")
        qid = str(obj.get("id") or f"line{n}")
        if qid in seen:
            raise InputError("bad_eval_file", f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        out.append(EvalQuestion(qid, obj["q"], obj["scope"], _strings(obj, "facts", where),
                                _strings(obj, "any_of", where), _strings(obj, "not", where),
                                _strings(obj, "tags", where), str(obj.get("session", "")),
                                str(obj.get("kind", "")), str(obj.get("entry", ""))))
    if not out:
        raise InputError("bad_eval_file", f"{p} holds no questions")
    return out
