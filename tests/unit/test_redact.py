import pytest

from kiosk.domain.redact import RedactionError, iban_ok, luhn_ok, redact


@pytest.mark.parametrize("text,kind,gone", [
    ("mail me at anna.berg+kiosk@example.co.uk please", "EMAIL", "anna.berg"),
    ("my card is 4111 1111 1111 1111, it was charged twice", "CARD", "4111"),
    ("card 5500-0000-0000-0004 declined", "CARD", "5500"),
    ("call me on +49 170 1234567", "PHONE", "1234567"),
    ("my number is 0612 345 678", "PHONE", "345"),
    ("refund to DE89 3704 0044 0532 0130 00", "IBAN", "3704"),
    ("IBAN GB82WEST12345698765432", "IBAN", "WEST"),
    ("passport 123456789012345", "NUMBER", "1234567890"),
])
def test_personal_data_is_replaced(text, kind, gone):
    out, counts = redact(text)
    assert f"[{kind}]" in out and gone not in out and counts[kind] == 1


def test_ordinary_questions_are_untouched():
    for q in ["When do you close, 17:30?", "Is it 14 euros for 2 adults?", "Bus 17 or tram 4?",
              "Are you open on 24, 25 and 26 December?"]:
        assert redact(q) == (q, {})


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE89 3704 0044 0532 0130 01")


def test_an_invalid_card_like_number_is_still_not_sent_raw():
    out, _ = redact("number 4111 1111 1111 1112")
    assert "1111" not in out


def test_fail_closed_on_unexpected_input():
    with pytest.raises(RedactionError):
        redact(None)  # type: ignore[arg-type]
