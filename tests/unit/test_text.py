import pytest

from kiosk.domain.text import content_terms, sentences, stem, validate_question, words
from kiosk.errors import InputError


@pytest.mark.parametrize("raw,code", [
    ("", "empty_question"), ("   \n\t ", "empty_question"), ("?!...", "empty_question"),
    ("x" * 100_000, "question_too_long"), ("a\x00b", "binary_input"), (b"\x89PNG\r\n\x1a\n\x00\x00", "binary_input"),
    (b"caf\xe9 hours", "binary_input"), ("\x01\x02\x03\x04\x05 what", "binary_input"),
])
def test_bad_questions_are_refused_with_a_code(raw, code):
    with pytest.raises(InputError) as exc:
        validate_question(raw, 500)
    assert exc.value.code == code
    assert exc.value.message


def test_good_questions_are_normalised():
    assert validate_question("  When   do you\nopen? ", 500) == "When do you open?"
    assert validate_question("Wo ist das Café?".encode(), 500) == "Wo ist das Café?"


def test_stems_join_word_forms():
    assert stem("tickets") == stem("ticket")
    assert stem("opening") == stem("open")
    assert stem("changing") == stem("change")
    assert stem("galleries") == stem("gallery")


def test_hyphenated_words_yield_parts_and_joined_form():
    assert words("Wi-Fi") == ["wifi", "wi", "fi"]


def test_content_terms_drop_stopwords_and_duplicates():
    assert content_terms("Where are the toilets? Toilets please!") == ["toilet"]


def test_sentences_split_on_end_punctuation():
    assert sentences("Open at 10:00. Closed Mondays! Why? Because.") == [
        "Open at 10:00.", "Closed Mondays!", "Why?", "Because."]
