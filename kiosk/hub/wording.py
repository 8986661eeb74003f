"""Visitors' own wording: what visitors chose from "did you mean ...?" (``clarify.chosen`` events), grouped for
the Questions page, and a pack's next version with such a question listed under the entry it chose (a
``? question`` line in that entry's section: the kiosk then answers those words from it at once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select

from kiosk.domain.text import asked_key
from kiosk.hub.event_rules import CLARIFY_CHOSEN
from kiosk.hub.packs import PackError, latest, save_version
from kiosk.hub.tables import events
from kiosk.knowledge.pack import MAX_QUESTION_CHARS, parse_markdown, slug


@dataclass
class Chosen:
    question: str
    entry_id: str
    times: int = 0
    devices: list[str] = field(default_factory=list)


def chosen(engine: Engine, days: float = 30, now: datetime | None = None, limit: int = 100) -> list[Chosen]:
    """Each (question, chosen entry) visitors picked in the last ``days``, most often chosen first. Questions
    that differ only in case or punctuation count as one."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with engine.connect() as c:
        rows = c.execute(select(events.c.source, events.c.data)
                         .where(events.c.type == CLARIFY_CHOSEN, events.c.received_at >= since)
                         .order_by(events.c.received_at.desc()).limit(5000)).all()
    by: dict[tuple[str, str], Chosen] = {}
    for r in rows:
        d = r.data if isinstance(r.data, dict) else {}
        q, entry = str(d.get("question") or "").strip(), str(d.get("entry_id") or "")
        if not q or not entry or not asked_key(q):
            continue
        got = by.setdefault((asked_key(q), entry), Chosen(q, entry))
        got.times += 1
        if r.source not in got.devices:
            got.devices.append(r.source)
    return sorted(by.values(), key=lambda c: (-c.times, c.question))[:limit]


def listed(files: dict[str, str]) -> set[tuple[str, str]]:
    """(``asked_key`` of the question, entry id) for every question the pack's files list under an entry."""
    out: set[tuple[str, str]] = set()
    for name, text in files.items():
        if name.endswith(".md"):
            asked: list[tuple[str, str]] = []
            parse_markdown(text, name[:-3], asked)
            out |= {(asked_key(q), ident) for q, ident in asked}
    return out


def mark_listed(rows: list[Chosen], packs_files: list[dict[str, str]]) -> list[tuple[Chosen, bool]]:
    """Each row with whether the newest version of some pack already lists its question under its entry."""
    known = set().union(*(listed(f) for f in packs_files)) if packs_files else set()
    return [(c, (asked_key(c.question), c.entry_id) in known) for c in rows]


def with_question(files: dict[str, str], entry_id: str, question: str) -> dict[str, str]:
    """The pack's files with ``question`` listed under the entry ``entry_id`` (file stem # heading slug), just
    below its heading; unchanged when that entry already lists it."""
    question = " ".join(question.split())
    if not question or len(question) > MAX_QUESTION_CHARS or not asked_key(question):
        raise PackError("bad_question", f"a question has 1 to {MAX_QUESTION_CHARS} characters")
    stem, _, _ = entry_id.partition("#")
    name = f"{stem}.md"
    if name not in files:
        raise PackError("no_entry", f"the pack has no file {name} for entry {entry_id!r}")
    text = files[name]
    asked: list[tuple[str, str]] = []
    _, entries = parse_markdown(text, stem, asked)
    target = next((e for e in entries if e.id == entry_id), None)
    if target is None:
        raise PackError("no_entry", f"the pack has no entry {entry_id!r} (was it renamed?)")
    if any(asked_key(q) == asked_key(question) for q, i in asked if i == entry_id):
        return dict(files)
    # the n-th section whose heading has that slug (ids of repeated headings end -2, -3 ...)
    nth = sum(1 for e in entries[: entries.index(target)] if slug(e.heading) == slug(target.heading))
    lines = text.split("\n")
    seen = 0
    for i, line in enumerate(lines):
        if line.startswith("## ") and slug(line[3:].strip()) == slug(target.heading):
            if seen == nth:
                lines.insert(i + 1, f"? {question}")
                break
            seen += 1
    return {**files, name: "\n".join(lines)}


def add_question(engine: Engine, name: str, entry_id: str, question: str, user: str) -> int:
    """The pack's next version with ``question`` listed under ``entry_id``; returns the version."""
    row = latest(engine, name)
    if row is None:
        raise PackError("no_pack", f"no pack named {name!r}: import one first (kiosk hub pack import DIR)")
    after = with_question(row.files, entry_id, question)
    if after == row.files:
        return row.version
    return save_version(engine, name, after, user, f"visitors' wording {question[:60]!r} for {entry_id} by {user}")
