import shutil
import sqlite3
import threading

import pytest

from kiosk.config import SAMPLE_PACK
from kiosk.errors import KnowledgeError
from kiosk.knowledge.index import KnowledgeIndex


def test_sample_pack_imports_and_searches(tmp_path):
    ix = KnowledgeIndex(tmp_path / "k.db")
    pack, changed = ix.import_dir(SAMPLE_PACK)
    assert changed and len(pack.entries) >= 20 and ix.version() == pack.version
    assert ix.meta()["title"] == "Harbourlight Maritime Museum"
    assert ix.search(["toilet"], 3)[0].id == "facilities#toilets"
    assert ix.search(['"; DROP TABLE entries; --', "OR", "*"], 3) is not None  # no FTS syntax errors
    assert ix.import_dir(SAMPLE_PACK, only_if_changed=True)[1] is False


def test_a_broken_pack_leaves_the_old_one_in_place(tmp_path):
    ix = KnowledgeIndex(tmp_path / "k.db")
    ix.import_dir(SAMPLE_PACK)
    before = ix.version()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.md").write_bytes(b"## Q\n\x00binary")
    with pytest.raises(KnowledgeError):
        ix.import_dir(bad)
    assert ix.version() == before and len(ix.entries()) >= 20


def test_replacement_is_atomic_for_a_concurrent_reader(tmp_path):
    ix = KnowledgeIndex(tmp_path / "k.db")
    ix.import_dir(SAMPLE_PACK)
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.md").write_text("# Tiny\n## Only entry\nText.\n")
    reader = sqlite3.connect(tmp_path / "k.db", check_same_thread=False)
    seen = set()
    stop = threading.Event()

    def read():
        while not stop.is_set():
            n, meta = reader.execute(  # one statement = one snapshot
                "SELECT (SELECT COUNT(*) FROM entries), (SELECT value FROM pack_meta WHERE key='entries')"
            ).fetchone()
            seen.add((n, int(meta) if meta else None))

    t = threading.Thread(target=read)
    t.start()
    for _ in range(20):
        ix.import_dir(small)
        ix.import_dir(SAMPLE_PACK)
    stop.set()
    t.join()
    assert seen and all(n == m for n, m in seen), seen  # never a half-replaced pack


def test_a_copied_pack_imports_with_the_same_version(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SAMPLE_PACK, copy)
    ix = KnowledgeIndex(tmp_path / "k.db")
    v1 = ix.import_dir(SAMPLE_PACK)[0].version
    assert ix.import_dir(copy, only_if_changed=True) [1] is False and ix.version() == v1
