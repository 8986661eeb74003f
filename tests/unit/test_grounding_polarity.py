"""The grounding gate stops answers that invert a fact of the pack (built from the failures seen on packs
written outside the project: "closed" for "open", free for paid, allowed for banned, after for before)."""

import pytest

from kiosk.domain.grounding import GroundingGate

HOURS = ("Opening hours. The museum is open Tuesday to Sunday from 9:30 to 17:30. It is closed on Mondays. "
         "Last entry is 30 minutes before closing.")
PRICES = "Tickets. Entry to the galleries is free. The planetarium show costs 6 pounds."
DOGS = "Dogs. Dogs are banned from the galleries. Assistance dogs are welcome everywhere."
PETS = ("Assistance dogs and pets. Assistance dogs are welcome everywhere in the museum. Other pets are not "
        "allowed inside, but dogs on a lead are welcome in the lighthouse garden.")
PARKING = "Parking. There is no charge for the car park on Sundays."
CAFE = "Cafe. The cafe is open daily from 10:00 to 16:00 and closes early on Fridays."


def run(pack: str, text: str, question: str = "") -> GroundingGate:
    gate = GroundingGate([pack], question)
    gate.feed(text)
    gate.finish()
    return gate


@pytest.mark.parametrize("pack, inverted, question", [
    (HOURS, "The museum is closed on Tuesday to Sunday from 9:30 to 17:30.", "What time do you close today?"),
    (HOURS, "The museum is open on Mondays.", "Are you open on Monday?"),
    (HOURS, "Last entry is 30 minutes after closing.", "When is last entry?"),
    (PRICES, "You have to pay for entry to the galleries.", "Is the museum free?"),
    (DOGS, "Dogs are allowed in the galleries.", "Can I bring my dog?"),
    (DOGS, "Dogs are not allowed in the galleries.", "Can I bring my assistance dog?"),
    (PETS, "No, guide dogs are not allowed in the lighthouse garden.", "Are guide dogs allowed?"),  # seen
    (PETS, "No, guide dogs are not allowed.", "Are guide dogs allowed?"),
    (PARKING, "You have to pay for the car park on Sundays.", "Is parking free on Sunday?"),
])
def test_an_inverted_fact_stops_the_answer(pack, inverted, question):
    gate = run(pack, inverted, question)
    assert gate.violation, inverted  # the pipeline then retracts what was shown and answers from the pack


@pytest.mark.parametrize("pack, faithful, question", [
    (HOURS, "The museum is open Tuesday to Sunday from 9:30 to 17:30.", "When are you open?"),
    (HOURS, "It is closed on Mondays.", "Are you open on Monday?"),
    (HOURS, "Last entry is 30 minutes before closing.", "When is last entry?"),
    (PRICES, "Entry to the galleries is free.", "Do I have to pay to get in?"),
    (DOGS, "Dogs are banned from the galleries.", "Can I bring my dog?"),
    (CAFE, "The cafe closes early on Fridays.", "Is the cafe open on Friday?"),
    (PETS, "Yes, assistance dogs are welcome everywhere in the museum.", "Are guide dogs allowed?"),
    (PETS, "Other pets are not allowed inside.", "Can I bring my cat?"),
    (PARKING, "The car park is free on Sundays.", "Is parking free on Sunday?"),
])
def test_the_same_facts_stated_faithfully_pass(pack, faithful, question):
    gate = run(pack, faithful, question)
    assert not gate.violation, gate.violation
    assert gate.shown.strip() == faithful
