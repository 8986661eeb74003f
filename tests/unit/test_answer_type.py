import pytest

from kiosk.domain.answer_type import can_answer, expected_type


@pytest.mark.parametrize("q,kind", [
    ("How old is the building?", "number"), ("What time do you close?", "number"),
    ("How much is a ticket?", "price"), ("What does a family pass cost?", "price"),
    ("Who is the director?", "person"), ("Where are the toilets?", ""), ("Can I bring my dog?", ""),
])
def test_expected_type(q, kind):
    assert expected_type(q) == kind


def test_can_answer():
    assert not can_answer("How old is the building?", "Free Wi-Fi is available in the building.")
    assert can_answer("How much is it for kids?", "Children go free.")
    assert not can_answer("How many lifts are there?", "Children go free.")
    assert can_answer("How many lifts are there?", "There are two lifts.")
    assert not can_answer("Who runs the café?", "The café serves soup.")
    assert can_answer("Who runs the café?", "The café is run by Anna Berg.")
