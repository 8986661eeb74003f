"""Reading a short spoken reply to "did you mean ...?" against the closed set of choices."""

from kiosk.domain.models import Choice
from kiosk.domain.reply import Reply, ReplyKind, read_reply, reply_prompt, spoken_offer

CAFE, LAWN, LODGE = (Choice("e1", "Savanna Café", "..."), Choice("e2", "the picnic lawn", "..."),
                     Choice("e3", "Savanna Lodge", "..."))


def choice(i):
    return Reply(ReplyKind.CHOICE, i)


def test_the_offer_is_said_as_one_question():
    assert spoken_offer([CAFE, LAWN]) == "Do you mean Savanna Café, or the picnic lawn?"
    assert spoken_offer([CAFE, LAWN, LODGE]) == "Do you mean Savanna Café, the picnic lawn, or Savanna Lodge?"
    assert spoken_offer([LAWN]) == "Do you mean the picnic lawn?"
    assert "Savanna Café" in reply_prompt([CAFE, LAWN]) and "Neither" in reply_prompt([CAFE])


def test_a_choice_by_its_name_even_misheard_and_around_yes_or_no():
    both = [CAFE, LAWN]
    assert read_reply("The picnic lawn.", both) == choice(1)
    assert read_reply("Savannah Cafe", both) == choice(0)
    assert read_reply("The cafe, please.", both) == choice(0)
    assert read_reply("No, the lawn.", both) == choice(1)
    assert read_reply("Yes, the picnic one", both) == choice(1)


def test_the_words_that_tell_choices_apart_decide():
    three = [CAFE, LAWN, LODGE]
    assert read_reply("Savanna Lodge", three) == choice(2)
    assert read_reply("the cafe", three) == choice(0)
    assert read_reply("Savanna", three) == Reply(ReplyKind.UNCLEAR)  # two choices equally named


def test_positions_yes_no_neither():
    both = [CAFE, LAWN]
    assert read_reply("The first one.", both) == choice(0)
    assert read_reply("the second one", both) == choice(1)
    assert read_reply("The last one", both) == choice(1)
    assert read_reply("Number two.", both) == choice(1)
    assert read_reply("Yes.", both) == choice(0)  # the first, likeliest choice
    assert read_reply("Yeah", [LAWN]) == choice(0)
    for no in ("No.", "Neither.", "Neither of them", "None of these", "No, something else.", "Needer of them."):
        assert read_reply(no, both) == Reply(ReplyKind.NONE), no


def test_nothing_or_something_else_is_unclear():
    both = [CAFE, LAWN]
    assert read_reply("", both).kind is ReplyKind.UNCLEAR
    assert read_reply("What time is it?", both).kind is ReplyKind.UNCLEAR
    assert read_reply("the third one", both).kind is ReplyKind.UNCLEAR  # only two were offered
    assert read_reply("Right house line.", both).kind is ReplyKind.UNCLEAR  # "right" is not a yes


def test_a_name_heard_as_other_words_is_taken_by_its_letters_when_clearly_closest():
    offered = [Choice("t", "Toilets", "..."), Choice("w", "Wi-Fi and charging", "..."), Choice("p", "Parking", "...")]
    assert read_reply("Our King", offered) == choice(2)  # crowd babble: "Parking"
    assert read_reply("Other King.", offered) == Reply(ReplyKind.UNCLEAR)  # asked again, never "none"
    assert read_reply("Wifey charging", offered) == choice(1)
    assert read_reply("Right house line", [Choice("l", "Lighthouse climb", "..."), CAFE]) == choice(0)
    for noise in ("Zero. A. M.", "the weather", "banana", "Hmm"):
        assert read_reply(noise, offered) == Reply(ReplyKind.UNCLEAR), noise
    # close to two choices alike: not taken
    assert read_reply("Savanna", [CAFE, LODGE]) == Reply(ReplyKind.UNCLEAR)
