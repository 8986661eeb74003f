"""The knowledge pack in SQLite FTS5: imported atomically, searched with BM25.

The FTS table holds the entries as the domain's analyser sees them (its stems and hyphen forms), not
SQLite's porter stems, so a term the router scores is a term retrieval can find.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Sequence

from kiosk.domain.models import Entry
from kiosk.domain.text import stem, words
from kiosk.errors import KnowledgeError, StorageError
from kiosk.knowledge.pack import Pack, load_pack

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pack_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, title TEXT, heading TEXT NOT NULL, body TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS entry_terms USING fts5(id UNINDEXED, heading, body, tokenize='unicode61');
CREATE TABLE IF NOT EXISTS configured_seen (id INTEGER PRIMARY KEY CHECK (id = 1), path TEXT NOT NULL,
                                            version TEXT NOT NULL);
"""
CONFIGURED, IMPORTED = "configured", "imported"  # where the active pack came from


INDEX_SCHEMA = "3"  # bump when the analyser or tables change: packs are then re-indexed at start


def analysed(text: str) -> str:
    """The text as the domain's analyser sees it (stems, hyphen forms), so FTS and routing agree on terms."""
    return " ".join(stem(w) for w in words(text))


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

    def suggestions(self) -> list[str]:
        """The pack's suggested questions; without any, its first headings as questions."""
        listed = json.loads(self.meta().get("suggestions", "[]"))
        return listed or [f"{e.heading}?" for e in self.entries()[:4]]

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
            "SELECT e.id, e.heading, e.body, e.title FROM entry_terms t JOIN entries e ON e.id = t.id "
            "WHERE entry_terms MATCH ? ORDER BY bm25(entry_terms, 0.0, 3.0, 1.0) LIMIT ?",
            (" OR ".join(clean), limit)).fetchall()
        return [Entry(r[0], r[1], r[2], r[3] or "") for r in rows]

    def replace(self, pack: Pack, origin: str = IMPORTED) -> None:
        """Swap in a whole pack in one transaction: readers see the old pack or the new one, never a mix."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("DELETE FROM entries")
                self.db.execute("DELETE FROM entry_terms")
                self.db.executemany("INSERT INTO entries(id, title, heading, body) VALUES (?, ?, ?, ?)",
                                    [(e.id, e.title, e.heading, e.body) for e in pack.entries])
                self.db.executemany("INSERT INTO entry_terms(id, heading, body) VALUES (?, ?, ?)",
                                    [(e.id, analysed(e.heading), analysed(e.body)) for e in pack.entries])
                self.db.execute("DELETE FROM pack_meta")
                self.db.executemany("INSERT INTO pack_meta VALUES (?, ?)", [
                    ("version", pack.version), ("title", pack.title), ("path", pack.path),
                    ("entries", str(len(pack.entries))), ("schema", INDEX_SCHEMA), ("origin", origin),
                    ("suggestions", json.dumps(list(pack.suggestions)))])
                if origin == CONFIGURED:
                    self.db.execute("INSERT OR REPLACE INTO configured_seen VALUES (1, ?, ?)",
                                    (pack.path, pack.version))
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError("knowledge_db", f"cannot write knowledge index {self.path}: {exc}") from exc

    def import_dir(self, directory: str | Path, only_if_changed: bool = False,
                   origin: str = IMPORTED) -> tuple[Pack, bool]:
        """Parse then swap; a pack that fails to parse leaves the previous one in place. The imported pack
        is the active one, also after a restart (see ``seed``)."""
        pack = load_pack(directory)
        meta = self.meta()
        if only_if_changed and meta.get("version") == pack.version and meta.get("schema") == INDEX_SCHEMA:
            return pack, False
        self.replace(pack, origin)
        return pack, True

    def seed(self, configured: str | Path) -> tuple[Pack, bool]:
        """The configured pack at start-up: it fills an empty index and is imported again when its own
        files (or the configured path) change. A pack imported since by the operator stays active until
        then; an index built by an older analyser is rebuilt from the active pack's own directory."""
        pack = load_pack(configured)
        row = self.db.execute("SELECT path, version FROM configured_seen").fetchone()
        meta = self.meta()
        if not meta.get("version") or row != (pack.path, pack.version):
            self.replace(pack, CONFIGURED)
            return pack, True
        if meta.get("schema") != INDEX_SCHEMA:
            active = meta.get("path", "")
            if meta.get("origin") == IMPORTED and active and Path(active).is_dir():
                return self.import_dir(active)
            self.replace(pack, CONFIGURED)
            return pack, True
        return pack, False

    def close(self) -> None:
        self.db.close()


def open_index(path: str | Path) -> KnowledgeIndex:
    return KnowledgeIndex(path)


__all__ = ["KnowledgeIndex", "KnowledgeError", "open_index"]
