"""The scoring behind `kiosk bench`'s word error rate on real read speech."""

from kiosk.bench.read_speech import doubled, edits, normalise


def test_normalise_spells_numbers_and_abbreviations_and_splits_hyphens():
    assert normalise("10 of Clubs, Mr. Dashwood's cold-hearted 42!") == \
        ["ten", "of", "clubs", "mister", "dashwood's", "cold", "hearted", "forty", "two"]
    assert normalise("5-5") == ["five", "five"]


def test_edits_count_substitutions_insertions_and_deletions():
    ref = "he was not an ill disposed young man".split()
    assert edits(ref, ref) == 0
    assert edits(ref, "he was not an old sposed young man".split()) == 2
    assert edits(ref, "he was an ill disposed young man man".split()) == 2
    assert edits([], ["you"]) == 1 and edits(["you"], []) == 1


def test_doubled_is_a_word_said_once_returned_twice_in_a_row():
    assert doubled(["ten", "of", "clubs"], ["ten", "of", "clubs", "clubs"])
    assert doubled(["ten", "of", "clubs"], "ten of clubs ten of clubs".split())
    assert not doubled(["five", "five"], ["five", "five"])
    assert not doubled(["ten", "of", "clubs"], ["ten", "of", "clothes"])
