"""Redaction of personal data before anything leaves the device. Fail-closed: ``redact`` either returns text
in which a second scan finds nothing, or raises ``RedactionError`` and the caller sends nothing."""

from __future__ import annotations

import re
import unicodedata

from kiosk.errors import KioskError


class RedactionError(KioskError):
    pass


_EMAIL = re.compile(r"[\w.+-]+\s*@\s*[\w-]+(?:\s*\.\s*[\w-]+)+")
# Said or typed around a filter: "alice dot smith at example dot com", "alice(at)example(dot)com".
_DOT = r"(?:\s+dot\s+|\s*[(\[]dot[)\]]\s*)"
_SPELLED_EMAIL = re.compile(
    rf"\b[\w+-]+(?:(?:{_DOT}|\.)[\w+-]+)*(?:\s+at\s+[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,24}}\b"
    rf"|\s*[(\[]at[)\]]\s*[\w-]+(?:(?:{_DOT}|\.)[\w-]+)*(?:{_DOT}|\.)[a-z]{{2,24}}\b)", re.IGNORECASE)
# The rest of a card: its security code and expiry date, named as such.
_CARD_CODE = re.compile(r"\b(?:cvv2?|cvc2?|csc|cid|security\s+code)\s*[:#]?\s*\d{3,4}\b", re.IGNORECASE)
_CARD_EXPIRY = re.compile(r"\b(?:exp(?:iry|ires|iration)?(?:\s+date)?|valid\s+(?:thru|through|until))\s*[:.]?\s*"
                          r"(?:0?[1-9]|1[0-2])\s*[/.-]\s*(?:\d{4}|\d{2})\b", re.IGNORECASE)
# A secret after its name: "password hunter2", "PIN 1234", "my passcode is swordfish" (a value with a digit,
# or after "is", ":" or "="; "what is the wifi password?" keeps its words).
_SECRET = re.compile(r"\b(pass(?:word|code|phrase)|passwd|pwd|pin(?:\s*(?:code|number))?)"
                     r"(\s*(?:is|:|=)\s*(?!\[)\S+|\s+(?!\[)\S*\d\S*)", re.IGNORECASE)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{4}\s?[A-Z]{2}\b"   # UK; NL
                       r"|\b(?:post\s*code|postal\s+code|zip(?:\s*code)?)\s*[:#]?\s*[A-Z0-9][A-Z0-9-]{2,9}\b",
                       )
_STREETS = (r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Boulevard|Blvd|Court|Ct|Place|Pl|Square|Sq|"
            r"Terrace|Close|Crescent|Gardens|Row|Walk|Quay")
_ADDRESS = re.compile(rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){{1,3}}(?:{_STREETS})\b\.?"
                      r"|\b[A-Z][a-zäöüß]+(?:straße|strasse|straat|weg|laan|gasse|plein|gracht)\s+\d{1,5}[a-z]?\b")
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_NUMBER_WORDS = re.compile(rf"\b(?:{_DIGIT_WORD}[\s,-]+){{3,}}{_DIGIT_WORD}\b", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"(?<![\w])\+?\d(?:[ \-./()]{0,2}\d){6,22}(?![\w])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    s = re.sub(r"\s", "", text).upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


def _digits(match: str) -> str:
    return re.sub(r"\D", "", match)


def _replace_numbers(text: str, counts: dict[str, int]) -> str:
    def sub(m: re.Match) -> str:
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            kind = "CARD"
        elif len(digits) >= 7:
            kind = "PHONE" if m.group().lstrip().startswith(("+", "0", "(")) or len(digits) <= 12 else "NUMBER"
        else:
            return m.group()
        counts[kind] = counts.get(kind, 0) + 1
        return f"[{kind}]"

    return _DIGIT_RUN.sub(sub, text)


# Applied in this order, each to what the one before left; every one of them must then find nothing.
_FORMS = (("EMAIL", _EMAIL), ("EMAIL", _SPELLED_EMAIL), ("CARD_CODE", _CARD_CODE), ("CARD_EXPIRY", _CARD_EXPIRY),
          ("ADDRESS", _ADDRESS), ("POSTCODE", _POSTCODE), ("NUMBER", _NUMBER_WORDS))


def _secrets(text: str, counts: dict[str, int]) -> str:
    def sub(m: re.Match) -> str:
        counts["SECRET"] = counts.get("SECRET", 0) + 1
        return f"{m.group(1)} [SECRET]"
    return _SECRET.sub(sub, text)


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses (also spelled out: "at", "dot", "(at)"), IBANs, card numbers (Luhn), card
    security codes and expiry dates, street addresses and postcodes, secrets after their name ("password
    ...", "PIN ..."), phone and other long numbers, in digits or in words. Full-width and other compatibility
    characters are read as what they stand for (NFKC) first."""
    try:
        counts: dict[str, int] = {}
        text = unicodedata.normalize("NFKC", text)

        def tag(kind: str):
            def sub(m: re.Match) -> str:
                if kind == "IBAN" and not iban_ok(m.group()):
                    return m.group()
                counts[kind] = counts.get(kind, 0) + 1
                return f"[{kind}]"
            return sub

        out = text
        for kind, form in _FORMS:
            out = form.sub(tag(kind), out)
        out = _secrets(out, counts)
        out = _IBAN.sub(tag("IBAN"), out)
        out = _replace_numbers(out, counts)
    except Exception as exc:  # anything unexpected: send nothing
        raise RedactionError("redaction_failed", f"redaction failed: {exc}") from exc
    leftover = (any(form.search(out) for _, form in _FORMS) or _SECRET.search(out)
                or any(len(_digits(m.group())) >= 7 for m in _DIGIT_RUN.finditer(out)))
    if leftover:
        raise RedactionError("redaction_incomplete", "personal data may remain after redaction; not sent")
    return out, counts


def without_contacts(text: str) -> str:
    """``text`` without the e-mail addresses, card and phone numbers a visitor adds ("... mail me at
    anna@example.org"): they say nothing about what is asked, and the answer judge reads them as meaning."""
    counts: dict[str, int] = {}
    out = _EMAIL.sub(" ", _SPELLED_EMAIL.sub(" ", unicodedata.normalize("NFKC", text)))
    out = re.sub(r"\[(?:CARD|PHONE|NUMBER)\]", " ", _replace_numbers(out, counts))
    return " ".join(out.split())
