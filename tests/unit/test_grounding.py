from kiosk.domain.grounding import GroundingGate

CONTEXT = ["Opening hours: The museum is open Tuesday to Sunday from 10:00 to 17:30. Tram line 4."]


def feed_all(gate, pieces):
    shown = "".join(gate.feed(p) for p in pieces)
    return shown + gate.finish()


def test_grounded_text_is_released_word_by_word():
    gate = GroundingGate(CONTEXT)
    assert gate.feed("We") == ""  # the word may not be complete yet
    assert gate.feed(" are") == "We"
    assert feed_all(gate, [" open", " Tuesday", " to", " Sunday,", " 10:00", " to", " 17:30."]) == \
        " are open Tuesday to Sunday, 10:00 to 17:30."
    assert not gate.violation


def test_an_invented_number_stops_the_stream_before_it_is_shown():
    gate = GroundingGate(CONTEXT)
    shown = feed_all(gate, ["We", " close", " at", " 18", ":00", " today."])
    assert "18" not in shown
    assert shown == "We close at"
    assert "18:00" in gate.violation


def test_an_invented_name_mid_sentence_is_caught():
    gate = GroundingGate(CONTEXT)
    feed_all(gate, ["Take", " the", " Blue", " Line."])
    assert "Blue" in gate.violation


def test_sentence_initial_capitals_and_known_names_pass():
    gate = GroundingGate(CONTEXT)
    feed_all(gate, ["Yes.", " The", " museum", " opens", " Tuesday."])
    assert not gate.violation


def test_numbers_written_differently_still_match():
    gate = GroundingGate(["Open 10.00 to 17.30, tickets 1,000 yen"])
    feed_all(gate, ["From", " 10:00", " to", " 17:30,", " 1000", " yen"])
    assert not gate.violation
