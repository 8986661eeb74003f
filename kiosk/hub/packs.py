"""Knowledge packs kept in the hub, every version: imported from a pack directory, or a new version with an
entry a staff member wrote (from the Questions page). A version is the pack's Markdown files as text."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from kiosk.hub.store import now
from kiosk.hub.tables import packs

STAFF_FILE = "staff-answers.md"
MAX_PACK_BYTES = 5_000_000


class PackError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def read_dir(directory: str | Path) -> dict[str, str]:
    """A pack directory's Markdown files, checked by the kiosk's own reader (a pack it cannot load is refused)."""
    from kiosk.errors import KioskError
    from kiosk.knowledge.pack import load_pack

    root = Path(directory)
    try:
        load_pack(root)
    except KioskError as exc:
        raise PackError(exc.code, exc.message) from exc
    files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(root.rglob("*.md")) if p.is_file() and not p.name.startswith(".")}
    if sum(len(t) for t in files.values()) > MAX_PACK_BYTES:
        raise PackError("pack_too_large", f"the pack is over {MAX_PACK_BYTES} bytes")
    return files


def write_dir(files: dict[str, str], directory: str | Path) -> Path:
    from kiosk.bundles.manifest import safe_path

    root = Path(directory)
    for rel, text in files.items():
        safe_path("pack/" + rel)  # the same rule a bundle applies to its files
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def save_version(engine: Engine, name: str, files: dict[str, str], user: str, note: str) -> int:
    for _ in range(5):  # two staff members saving at once: the second gets the next version
        with engine.begin() as c:
            v = (c.execute(select(func.max(packs.c.version)).where(packs.c.name == name)).scalar() or 0) + 1
            try:
                c.execute(insert(packs).values(name=name, version=v, files=files, note=note[:500],
                                               created_by=user, created_at=now()))
                return v
            except IntegrityError:
                continue
    raise PackError("pack_busy", "the pack is being changed by someone else; try again")


def import_dir(engine: Engine, name: str, directory: str | Path, user: str) -> int:
    return save_version(engine, name, read_dir(directory), user, f"imported from {Path(directory).name}")


def latest(engine: Engine, name: str, version: int | None = None):
    with engine.connect() as c:
        q = select(packs).where(packs.c.name == name)
        q = q.where(packs.c.version == version) if version else q.order_by(packs.c.version.desc()).limit(1)
        return c.execute(q).first()


def names(engine: Engine) -> list:
    with engine.connect() as c:
        newest = select(packs.c.name, func.max(packs.c.version).label("v")).group_by(packs.c.name).subquery()
        return c.execute(select(packs).join(newest, (packs.c.name == newest.c.name) &
                                            (packs.c.version == newest.c.v)).order_by(packs.c.name)).all()


def with_entry(files: dict[str, str], heading: str, body: str) -> dict[str, str]:
    """The pack's files with one more entry (or the staff file's entry of that heading replaced)."""
    heading, body = " ".join(heading.split()), body.strip()
    if not heading or not body or len(heading) > 200 or len(body) > 4000:
        raise PackError("bad_entry", "an entry needs a heading (up to 200 characters) and an answer (up to 4000)")
    if "\n#" in "\n" + body:
        raise PackError("bad_entry", "an answer may not contain Markdown headings")
    out = dict(files)
    text = out.get(STAFF_FILE, "# Answers added by staff\n")
    sections = text.split("\n## ")
    kept = [sections[0]] + [s for s in sections[1:] if s.split("\n", 1)[0].strip().lower() != heading.lower()]
    out[STAFF_FILE] = "\n## ".join(kept).rstrip() + f"\n\n## {heading}\n{body}\n"
    return out


def add_entry(engine: Engine, name: str, heading: str, body: str, user: str) -> int:
    row = latest(engine, name)
    if row is None:
        raise PackError("no_pack", f"no pack named {name!r}: import one first (kiosk hub pack import DIR)")
    return save_version(engine, name, with_entry(row.files, heading, body), user, f"entry {heading[:80]!r} by {user}")
