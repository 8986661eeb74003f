"""Reading a knowledge pack: a directory of Markdown files, one entry per ``## `` section."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.models import Entry
from kiosk.errors import KnowledgeError

MAX_FILE_BYTES = 2_000_000
MAX_ENTRY_CHARS = 8_000


@dataclass(frozen=True)
class Pack:
    title: str
    version: str
    entries: tuple[Entry, ...]
    path: str
    suggestions: tuple[str, ...] = ()  # questions the attract screen offers ("? " lines before any section)
    asked: tuple[tuple[str, str], ...] = ()  # (question, entry id): "? " lines inside an entry's section


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "entry"


MAX_SUGGESTIONS = 8
MAX_SUGGESTION_CHARS = 80
MAX_QUESTION_CHARS = 300


def suggested_questions(text: str) -> list[str]:
    """``? When are you open?`` lines before the first ``## `` section: the attract screen's chips."""
    found: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            break
        if line.startswith("? ") and line[2:].strip():
            found.append(line[2:].strip()[:MAX_SUGGESTION_CHARS])
    return found


def parse_markdown(text: str, stem: str, asked: list[tuple[str, str]] | None = None) -> tuple[str, list[Entry]]:
    """The file's title and entries; ``? question`` lines inside a section are questions that entry answers
    (the pack author's, or visitors' own wording added by the curator), collected into ``asked``."""
    title = ""
    entries: list[Entry] = []
    heading: str | None = None
    body: list[str] = []
    questions: list[str] = []
    used: set[str] = set()

    def flush() -> None:
        if heading is None:
            return
        content = "\n".join(body).strip()
        if not content:
            return
        if len(content) > MAX_ENTRY_CHARS:
            raise KnowledgeError("entry_too_long", f"{stem}.md: section '{heading}' is over "
                                 f"{MAX_ENTRY_CHARS} characters; split it into smaller sections")
        ident = f"{stem}#{slug(heading)}"
        n = 2
        while ident in used:
            ident = f"{stem}#{slug(heading)}-{n}"
            n += 1
        used.add(ident)
        entries.append(Entry(ident, heading, content, title))
        if asked is not None:
            asked.extend((q, ident) for q in questions)

    for line in text.splitlines():
        if line.startswith("## "):
            flush()
            heading, body, questions = line[3:].strip(), [], []
        elif line.startswith("# ") and heading is None and not title:
            title = line[2:].strip()
        elif heading is not None and line.startswith("? ") and line[2:].strip():
            questions.append(line[2:].strip()[:MAX_QUESTION_CHARS])
        elif heading is not None:
            body.append(line)
    flush()
    return title, entries


def load_pack(directory: str | Path) -> Pack:
    """Parse every ``*.md`` file (sorted) or raise ``KnowledgeError`` naming the file at fault."""
    root = Path(directory)
    if not root.is_dir():
        raise KnowledgeError("pack_not_found", f"knowledge pack {root} is not a directory")
    files = sorted(p for p in root.glob("*.md") if p.is_file())
    if not files:
        raise KnowledgeError("pack_empty", f"knowledge pack {root} has no .md files")
    digest = hashlib.sha256()
    entries: list[Entry] = []
    pack_title = ""
    suggestions: list[str] = []
    asked: list[tuple[str, str]] = []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise KnowledgeError("pack_unreadable", f"cannot read {path}: {exc.strerror}") from exc
        if len(raw) > MAX_FILE_BYTES:
            raise KnowledgeError("pack_file_too_big", f"{path} is over {MAX_FILE_BYTES} bytes")
        if b"\x00" in raw:
            raise KnowledgeError("pack_binary", f"{path} is binary, not Markdown")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KnowledgeError("pack_encoding", f"{path} is not UTF-8 text") from exc
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        title, found = parse_markdown(text, path.stem, asked)
        if path.stem == "index" or not pack_title:  # index.md names the pack; else the first file does
            pack_title = title or pack_title
        entries.extend(found)
        suggestions.extend(suggested_questions(text))
    if not entries:
        raise KnowledgeError("pack_empty", f"knowledge pack {root} has no '## ' sections")
    return Pack(pack_title or root.name, digest.hexdigest()[:16], tuple(entries), str(root.resolve()),
                tuple(suggestions[:MAX_SUGGESTIONS]), tuple(asked))
