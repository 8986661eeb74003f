"""The knowledge pack in SQLite FTS5: imported atomically, searched with BM25."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

from kiosk.domain.models import Entry
from kiosk.errors import KnowledgeError, StorageError
from kiosk.knowledge.pack import Pack, load_pack

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pack_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, title TEXT, heading TEXT NOT NULL, body TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
    heading, body, content='entries', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
"""


class KnowledgeIndex:
    """Implements the domain's ``KnowledgeIndex`` port over ``knowledge.db``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError("knowledge_db", f"cannot open knowledge index {self.path}: {exc}") from exc
        self._cache: tuple[str, tuple[Entry, ...]] | None = None

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM pack_meta"))

    def version(self) -> str:
        return self.meta().get("version", "")

    def entries(self) -> Sequence[Entry]:
        v = self.version()
        if self._cache is None or self._cache[0] != v:
            rows = self.db.execute("SELECT id, heading, body, title FROM entries ORDER BY rowid").fetchall()
            self._cache = (v, tuple(Entry(r[0], r[1], r[2], r[3] or "") for r in rows))
        return self._cache[1]

    def search(self, terms: Sequence[str], limit: int) -> Sequence[Entry]:
        clean = ['"' + t.replace('"', "") + '"' for t in terms if t.replace('"', "").strip()]
        if not clean:
            return []
        rows = self.db.execute(
            "SELECT e.id, e.heading, e.body, e.title FROM entries_fts f JOIN entries e ON e.rowid = f.rowid "
            "WHERE entries_fts MATCH ? ORDER BY bm25(entries_fts, 3.0, 1.0) LIMIT ?",
            (" OR ".join(clean), limit)).fetchall()
        return [Entry(r[0], r[1], r[2], r[3] or "") for r in rows]

    def replace(self, pack: Pack) -> None:
        """Swap in a whole pack in one transaction: readers see the old pack or the new one, never a mix."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("DELETE FROM entries")
                self.db.execute("INSERT INTO entries_fts(entries_fts) VALUES ('delete-all')")
                self.db.executemany("INSERT INTO entries(id, title, heading, body) VALUES (?, ?, ?, ?)",
                                    [(e.id, e.title, e.heading, e.body) for e in pack.entries])
                self.db.execute("INSERT INTO entries_fts(rowid, heading, body) "
                                "SELECT rowid, heading, body FROM entries")
                self.db.execute("DELETE FROM pack_meta")
                self.db.executemany("INSERT INTO pack_meta VALUES (?, ?)", [
                    ("version", pack.version), ("title", pack.title), ("path", pack.path),
                    ("entries", str(len(pack.entries)))])
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError("knowledge_db", f"cannot write knowledge index {self.path}: {exc}") from exc

    def import_dir(self, directory: str | Path, only_if_changed: bool = False) -> tuple[Pack, bool]:
        """Parse then swap; a pack that fails to parse leaves the previous one in place."""
        pack = load_pack(directory)
        if only_if_changed and self.version() == pack.version:
            return pack, False
        self.replace(pack)
        return pack, True

    def close(self) -> None:
        self.db.close()


def open_index(path: str | Path) -> KnowledgeIndex:
    return KnowledgeIndex(path)


__all__ = ["KnowledgeIndex", "KnowledgeError", "open_index"]
