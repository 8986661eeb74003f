import os

import pytest

from kiosk.knowledge.pack import load_pack, parse_markdown
from kiosk.errors import KnowledgeError


def test_sections_become_entries_with_stable_ids():
    title, entries = parse_markdown("# Venue\nintro ignored\n## Opening hours\nOpen 10-5.\n\n## Toilets\n"
                                    "Ground floor.\n## Empty\n## Toilets\nAlso upstairs.\n", "visit")
    assert title == "Venue"
    assert [(e.id, e.heading, e.body) for e in entries] == [
        ("visit#opening-hours", "Opening hours", "Open 10-5."), ("visit#toilets", "Toilets", "Ground floor."),
        ("visit#toilets-2", "Toilets", "Also upstairs.")]


def test_title_is_optional(tmp_path):
    (tmp_path / "a.md").write_text("## Q\nA.\n")
    pack = load_pack(tmp_path)
    assert pack.title == tmp_path.name and len(pack.entries) == 1


def test_version_follows_content(tmp_path):
    (tmp_path / "a.md").write_text("## Q\nA.\n")
    v1 = load_pack(tmp_path).version
    assert load_pack(tmp_path).version == v1
    (tmp_path / "a.md").write_text("## Q\nB.\n")
    assert load_pack(tmp_path).version != v1


@pytest.mark.parametrize("setup,code", [
    (lambda d: None, "pack_empty"),
    (lambda d: (d / "a.md").write_text("no sections here"), "pack_empty"),
    (lambda d: (d / "a.md").write_bytes(b"## Q\n\x00\x01\x02"), "pack_binary"),
    (lambda d: (d / "a.md").write_bytes(b"## Q\ncaf\xe9\n"), "pack_encoding"),
    (lambda d: (d / "a.md").write_text("## Q\n" + "x" * 9000), "entry_too_long"),
])
def test_bad_packs_fail_clearly(tmp_path, setup, code):
    setup(tmp_path)
    with pytest.raises(KnowledgeError) as exc:
        load_pack(tmp_path)
    assert exc.value.code == code


def test_missing_and_unreadable_packs(tmp_path):
    with pytest.raises(KnowledgeError) as exc:
        load_pack(tmp_path / "nope")
    assert exc.value.code == "pack_not_found"
    f = tmp_path / "a.md"
    f.write_text("## Q\nA.\n")
    f.chmod(0)
    if os.access(f, os.R_OK):  # root reads anything: use a directory named like a file instead
        f.chmod(0o644)
        f.unlink()
        (tmp_path / "b.md").mkdir()
        (tmp_path / "c.md").symlink_to(tmp_path / "missing-target")
        (tmp_path / "d.md").write_text("## Q\nA.\n")
        assert len(load_pack(tmp_path).entries) == 1  # directories and dangling links are not pack files
        return
    with pytest.raises(KnowledgeError) as exc:
        load_pack(tmp_path)
    assert exc.value.code == "pack_unreadable"
