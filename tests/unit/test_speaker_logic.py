from kiosk.speech.speaker import SentenceChunker


def test_sentences_are_released_once_complete():
    c = SentenceChunker()
    assert c.feed("The museum") == []
    assert c.feed(" opens at 10:00.") == []          # not yet: "10:00." might continue
    assert c.feed(" Tickets cost 14 euros. Ch") == ["The museum opens at 10:00.", "Tickets cost 14 euros."]
    assert c.feed("ildren go free") == []
    assert c.flush() == ["Children go free"]
