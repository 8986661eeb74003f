"""Redaction of personal data before anything leaves the device. Fail-closed: ``redact`` either returns text
in which a second scan finds nothing, or raises ``RedactionError`` and the caller sends nothing."""

from __future__ import annotations

import re

from kiosk.errors import KioskError


class RedactionError(KioskError):
    pass


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses, IBANs, card numbers (Luhn), phone and other long numbers."""
    try:
        counts: dict[str, int] = {}

        def tag(kind: str):
            def sub(m: re.Match) -> str:
                if kind == "IBAN" and not iban_ok(m.group()):
                    return m.group()
                counts[kind] = counts.get(kind, 0) + 1
                return f"[{kind}]"
            return sub

        out = _EMAIL.sub(tag("EMAIL"), text)
        out = _IBAN.sub(tag("IBAN"), out)
        out = _replace_numbers(out, counts)
    except Exception as exc:  # anything unexpected: send nothing
        raise RedactionError("redaction_failed", f"redaction failed: {exc}") from exc
    leftover = _EMAIL.search(out) or any(len(_digits(m.group())) >= 7 for m in _DIGIT_RUN.finditer(out))
    if leftover:
        raise RedactionError("redaction_incomplete", "personal data may remain after redaction; not sent")
    return out, counts
