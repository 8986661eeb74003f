"""The knowledge pack in SQLite FTS5: imported atomically, searched with BM25.

The FTS table holds the entries as the domain's analyser sees them (its stems and hyphen forms), not
SQLite's porter stems, so a term the router scores is a term retrieval can find.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Sequence

import numpy as np

from kiosk.domain.models import Entry
from kiosk.domain.text import asked_key, sentences, stem, words
from kiosk.errors import KnowledgeError, ModelError, StorageError
from kiosk.knowledge.pack import Pack, load_pack
from kiosk.store.private import create_private

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pack_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, title TEXT, heading TEXT NOT NULL, body TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS entry_terms USING fts5(id UNINDEXED, heading, body, tokenize='unicode61');
CREATE TABLE IF NOT EXISTS passages (entry_id TEXT NOT NULL, text TEXT NOT NULL, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS configured_seen (id INTEGER PRIMARY KEY CHECK (id = 1), path TEXT NOT NULL,
                                            version TEXT NOT NULL);
"""
log = logging.getLogger("kiosk")
CONFIGURED, IMPORTED = "configured", "imported"  # where the active pack came from


INDEX_SCHEMA = "3"  # bump when the analyser or tables change: packs are then re-indexed at start


def analysed(text: str) -> str:
    """The text as the domain's analyser sees it (stems, hyphen forms), so FTS and routing agree on terms."""
    return " ".join(stem(w) for w in words(text))


def passages(entry: Entry) -> list[str]:
    """What dense retrieval compares a question with: the heading, the whole entry, and the heading with
    each sentence (a one-fact question matches its sentence better than the whole entry)."""
    out = [entry.heading, f"{entry.heading}. {entry.body}"]
    parts = sentences(entry.body)
    if len(parts) > 1:
        out += [f"{entry.heading}: {s}" for s in parts]
    return out


class KnowledgeIndex:
    """Implements the domain's ``KnowledgeIndex`` port over ``knowledge.db``. With an ``embedder``, every
    pack is also embedded at import (passages with vectors, tagged with the model's id) for ``similar``."""

    def __init__(self, path: str | Path, embedder=None) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self._vectors: tuple[str, np.ndarray, list[str]] | None = None
        self._asked: tuple[str, np.ndarray] | None = None  # the last question's vector (asked twice a turn)
        self.dense = True  # off: retrieval by words only (the minimal tier frees the embedding model)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError("knowledge_db", f"cannot open knowledge index {self.path}: {exc}") from exc
        self._cache: tuple[str, tuple[Entry, ...]] | None = None
        self._asked_map: tuple[str, dict[str, str]] | None = None

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM pack_meta"))

    def suggestions(self) -> list[str]:
        """The pack's suggested questions; without any, its first headings as questions."""
        listed = json.loads(self.meta().get("suggestions", "[]"))
        return listed or [f"{e.heading}?" for e in self.entries()[:4]]

    def version(self) -> str:
        return self.meta().get("version", "")

    def asked(self) -> dict[str, str]:
        """The questions the pack lists under its entries, by ``asked_key``: entry id."""
        v = self.version()
        if self._asked_map is None or self._asked_map[0] != v:
            pairs = json.loads(self.meta().get("asked", "[]"))
            self._asked_map = (v, {asked_key(q): ident for q, ident in pairs if asked_key(q)})
        return self._asked_map[1]

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

    def similar(self, question: str, limit: int) -> list[tuple[Entry, float]]:
        """Entries by the cosine similarity of their best passage to ``question``, best first ([] without
        an embedder)."""
        if self.embedder is None or not self.dense:
            return []
        version = self.version()
        if self._vectors is None or self._vectors[0] != version:
            self._ensure_embedded()
            rows = self.db.execute("SELECT entry_id, vec FROM passages ORDER BY rowid").fetchall()
            matrix = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1) if rows \
                else np.zeros((0, 1), np.float32)
            self._vectors = (version, matrix, [r[0] for r in rows])
        _, matrix, ids = self._vectors
        if not ids:
            return []
        sims = matrix @ self._question_vector(question)
        best: dict[str, float] = {}
        for entry_id, sim in zip(ids, sims.tolist()):
            if sim > best.get(entry_id, -1.0):
                best[entry_id] = sim
        by_id = {e.id: e for e in self.entries()}
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [(by_id[i], s) for i, s in ranked if i in by_id]

    def _question_vector(self, question: str) -> np.ndarray:
        if self._asked is None or self._asked[0] != question:
            self._asked = (question, self.embedder.embed([question])[0])
        return self._asked[1]

    def sentence_similarity(self, question: str, entry: Entry) -> list[float]:
        if self.embedder is None or not self.dense or not self.similar(question, 1):
            return []
        prefix = f"{entry.heading}: "
        rows = [r for r in self.db.execute("SELECT text, vec FROM passages WHERE entry_id = ? ORDER BY rowid",
                                           (entry.id,)) if r[0].startswith(prefix)]
        if len(rows) != len(sentences(entry.body)):
            return []
        q = self._question_vector(question)
        return [float(np.frombuffer(vec, np.float32) @ q) for _, vec in rows]

    def _passage_rows(self, entries: Sequence[Entry]) -> list[tuple[str, str, bytes]]:
        texts = [(e.id, t) for e in entries for t in passages(e)]
        vecs = self.embedder.embed([t for _, t in texts]) if texts else np.zeros((0, 1), np.float32)
        return [(i, t, v.astype(np.float32).tobytes()) for (i, t), v in zip(texts, vecs)]

    def _ensure_embedded(self) -> None:
        """A pack indexed without vectors, or with another model's, is embedded now (once)."""
        if self.meta().get("embed_model") == self.embedder.model_id or not self.version():
            return
        rows = self._passage_rows(self.entries())
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM passages")
            self.db.executemany("INSERT INTO passages VALUES (?, ?, ?)", rows)
            self.db.execute("INSERT OR REPLACE INTO pack_meta VALUES ('embed_model', ?)", (self.embedder.model_id,))
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise StorageError("knowledge_db", f"cannot write knowledge index {self.path}: {exc}") from exc

    def replace(self, pack: Pack, origin: str = IMPORTED, configured: Pack | None = None) -> None:
        """Swap in a whole pack in one transaction: readers see the old pack or the new one, never a mix.
        ``configured``: the configured pack as it is now, recorded as seen with an operator's import, so the
        next start keeps the import (the operator's last action) until the configured pack changes."""
        rows = []
        if self.embedder is not None:
            try:
                rows = self._passage_rows(pack.entries)
            except ModelError as exc:  # a broken embedding model must not keep a pack out: words only
                log.warning("pack indexed by words only: %s", exc.message)
                self.embedder = None
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("DELETE FROM entries")
                self.db.execute("DELETE FROM entry_terms")
                self.db.executemany("INSERT INTO entries(id, title, heading, body) VALUES (?, ?, ?, ?)",
                                    [(e.id, e.title, e.heading, e.body) for e in pack.entries])
                self.db.executemany("INSERT INTO entry_terms(id, heading, body) VALUES (?, ?, ?)",
                                    [(e.id, analysed(e.heading), analysed(e.body)) for e in pack.entries])
                self.db.execute("DELETE FROM passages")
                self.db.executemany("INSERT INTO passages VALUES (?, ?, ?)", rows)
                self.db.execute("DELETE FROM pack_meta")
                self.db.executemany("INSERT INTO pack_meta VALUES (?, ?)", [
                    ("version", pack.version), ("title", pack.title), ("path", pack.path),
                    ("entries", str(len(pack.entries))), ("schema", INDEX_SCHEMA), ("origin", origin),
                    ("suggestions", json.dumps(list(pack.suggestions))),
                    ("asked", json.dumps([list(p) for p in pack.asked]))]
                    + ([("embed_model", self.embedder.model_id)] if self.embedder is not None else []))
                seen = pack if origin == CONFIGURED else configured
                if seen is not None:
                    self.db.execute("INSERT OR REPLACE INTO configured_seen VALUES (1, ?, ?)",
                                    (seen.path, seen.version))
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError("knowledge_db", f"cannot write knowledge index {self.path}: {exc}") from exc

    def import_dir(self, directory: str | Path, only_if_changed: bool = False,
                   origin: str = IMPORTED, configured: str | Path = "") -> tuple[Pack, bool]:
        """Parse then swap; a pack that fails to parse leaves the previous one in place. The imported pack
        is the active one, also after a restart, in whatever order the operator set the kiosk up: the
        ``configured`` pack as it is at import time is recorded as seen, so only a later change to it (its
        files, its path, a bundle bringing another) makes it the active pack again (see ``seed``)."""
        pack = load_pack(directory)
        meta = self.meta()
        if only_if_changed and meta.get("version") == pack.version and meta.get("schema") == INDEX_SCHEMA:
            return pack, False
        seen = None
        if origin == IMPORTED and configured:
            try:
                seen = load_pack(configured)
            except KnowledgeError:  # an unreadable configured pack cannot take over at start either
                seen = None
        self.replace(pack, origin, configured=seen)
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
