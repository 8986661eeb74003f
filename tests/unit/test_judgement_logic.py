"""The decision on the judge's probabilities, identifiers, emergencies by words, and answer-first windows
(pure logic; the trained judge itself is tested in tests/integration/test_answer_judge.py)."""

import pytest

from kiosk.domain.emergency import EmergencyKind, built_in, kind_by_words, recognise
from kiosk.domain.identifiers import holders, identifiers
from kiosk.domain.models import Entry
from kiosk.domain.passages import entry_sentences, rest_of, windows

@pytest.mark.parametrize("q, found", [
    ("Where can I see the object with catalogue number 1217?", ["1217"]),
    ("where is gate 14", ["14"]),
    ("which platform for the B12 bus", ["b12"]),
    ("how much for my 2 year old?", []),
    ("is it open at 10am on sundays", []),
    ("does it cost £100", []),
    ("where's stall 23 and stall 7?", ["23", "7"]),
])
def test_identifiers(q, found):
    assert identifiers(q) == found


def test_holders_match_whole_tokens_only():
    es = [Entry("a", "Object 1217: a vase", "In case 4."), Entry("b", "Object 1271: a jug", "In case 12171.")]
    assert [e.id for e in holders("1217", es)] == ["a"]


@pytest.mark.parametrize("q, kind", [
    ("we have lost our son", EmergencyKind.LOST_PERSON),
    ("I can't find my mummy", EmergencyKind.LOST_PERSON),
    ("my friend can't breathe", EmergencyKind.MEDICAL),
    ("there's smoke coming out of the cafe", EmergencyKind.FIRE),
    ("I can smell burning near the toilets", EmergencyKind.FIRE),
    ("a man has a knife", EmergencyKind.THREAT),
    ("where is lost property?", None),
    ("I lost my phone", None),
    ("is smoking allowed?", None),
    ("where are the fire exits?", None),
    ("what time is the fire-eater show?", None),
    ("her ankle's bent the wrong way and she's screaming", EmergencyKind.MEDICAL),
    ("the plug by the tables is sparking", EmergencyKind.FIRE),
    ("bells are ringing everywhere, what do we do", EmergencyKind.FIRE),
    ("do the church bells ring on sundays?", None),
    ("can I charge my phone battery here?", None),
    ("he slipped and smashed his head, there's blood everywhere", EmergencyKind.MEDICAL),
    ("somebody left a rucksack under the bench and walked off", EmergencyKind.THREAT),
    ("there's a bag by the gate with wires coming out", EmergencyKind.THREAT),
    ("I left a bag on the bus", None),
    ("my bag is leaking", None),
])
def test_emergencies_by_words(q, kind):
    assert kind_by_words(q) is kind


class Sense:
    def __init__(self, kind):
        self.kind, self.asked = kind, []

    def kind_by_meaning(self, question):
        self.asked.append(question)
        return self.kind


def test_meaning_catches_what_words_miss_and_words_win_first():
    assert recognise("my little lad's vanished", Sense(EmergencyKind.LOST_PERSON)) is EmergencyKind.LOST_PERSON
    sense = Sense(EmergencyKind.MEDICAL)
    assert recognise("a man has a knife", sense) is EmergencyKind.THREAT and sense.asked == []
    assert recognise("where are the toilets?", Sense(None)) is None
    assert recognise("where is lost property?", Sense(EmergencyKind.LOST_PERSON)) is None


def test_built_in_instructions_name_the_number():
    for kind in EmergencyKind:
        assert "staff" in built_in(kind, "999")
    assert "999" in built_in(EmergencyKind.MEDICAL, "999")


def test_the_answer_first_window_and_the_rest():
    body = "Adults pay 12 euros. Children under 16 pay 6 euros. Under 3s are free. Students pay 9 euros."
    e = Entry("t#tickets", "Tickets", body)
    ws = windows(e)
    assert [w.said for w in ws][1] == "Children under 16 pay 6 euros. Under 3s are free."
    assert rest_of(e, ws[1]) == "Adults pay 12 euros. Students pay 9 euros."
    short = Entry("t#t", "Toilets", "On the ground floor. Next to the cafe.")
    assert len(windows(short)) == 1 and windows(short)[0].said == "On the ground floor. Next to the cafe."
    assert entry_sentences("- Mon: 9 to 5\n- Tue: closed") == ["Mon: 9 to 5", "Tue: closed"]


def test_the_window_said_first_is_the_one_that_holds_what_was_asked():
    """The judge scores every window of an entry that answers alike; among those near the best, the window
    that can hold the kind of answer and shares the question's words is said first."""
    from kiosk.domain.passages import answering_window

    body = ("The centre opens every day. Monday to Friday it opens 6:30 to 22:00. On Saturday it opens 8:00 "
            "to 20:00. Over Christmas it closes at 14:00 on 24 December. Members get priority booking.")
    ws = windows(Entry("c#hours", "Opening hours", body))
    scored = [(0.98, ws[3]), (0.97, ws[1]), (0.96, ws[2]), (0.95, ws[0])]
    p, w = answering_window("what are your opening hours on saturday", scored)
    assert p == 0.98 and "Saturday it opens 8:00" in w.said
    p, w = answering_window("when do you close on christmas eve", scored)
    assert "24 December" in w.said
    # a window the judge clearly rates lower does not win on shared words
    p, w = answering_window("what are your opening hours on saturday", [(0.98, ws[3]), (0.4, ws[1])])
    assert w == ws[3]
    # a price question prefers a window that has a price, though another shares more words
    e = Entry("s#swim", "Swimming", "Swimming is fun for children of all ages. Children love swimming here. "
                                    "A swim costs 4.50 euros. Book online.")
    ws = windows(e)
    p, w = answering_window("how much is swimming for children", [(0.9, ws[0]), (0.9, ws[2])])
    assert "4.50" in w.said
