"""Names the recogniser spelt its own way come back spelt as the pack spells them (kiosk.domain.respell)."""

from kiosk.domain.respell import respell

NAMES = ["AirLink", "Bluewren", "Colasay", "Edelweiss Lounge", "Torsay", "Kahikatea"]


def test_a_name_heard_as_two_words_or_with_a_slip_is_respelt():
    assert respell("Where do I catch the Air Link bus?", NAMES) == "Where do I catch the AirLink bus?"
    assert respell("is the blue wren cafe open", NAMES) == "is the Bluewren cafe open"
    assert respell("ferry to Colossay?", NAMES) == "ferry to Colasay?"
    assert respell("Where is the Edelways Lounge?", NAMES) == "Where is the Edelweiss Lounge?"
    assert respell("where are the kahi kata trees", NAMES) == "where are the Kahikatea trees"


def test_ordinary_words_and_right_spellings_are_left_alone():
    for text in ("where are the toilets", "the torso exhibit", "is it colder today", "When does Torsay open", ""):
        assert respell(text, NAMES) == text
    assert respell("Where is the merchant stall", ["Marchand"]) == "Where is the merchant stall"
    # a word the recogniser holds whole is taken as said, however close to a name
    assert respell("the airlines desk", NAMES) == "the AirLink desk"
    assert respell("the airlines desk", NAMES, common=lambda w: w.lower() == "airlines") == "the airlines desk"
    common = {"the", "last", "shuttle", "bus", "air", "link"}.__contains__
    assert respell("the last shuttle bus", ["Shuttle Buses"], lambda w: common(w.lower())) == "the last shuttle bus"
    assert respell("the Air Link bus", NAMES, lambda w: common(w.lower())) == "the AirLink bus"
    assert respell("a kea", ["Kea"]) == "a kea"  # too short to match by letters


def test_a_short_name_only_when_heard_in_pieces():
    assert respell("is the Q-Tac talk on", ["QTAC"]) == "is the QTAC talk on"
    assert respell("is the qtac talk on", ["QTAC"]) == "is the qtac talk on"
    assert respell("is the Q-Tec talk on", ["QTAC"]) == "is the Q-Tec talk on"


def test_two_names_in_one_question_and_no_overlaps():
    assert respell("from Air Link to Torsey", NAMES) == "from AirLink to Torsay"
