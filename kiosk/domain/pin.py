"""The staff PIN, kept only as a salted, slow hash (PBKDF2-SHA256): a 4-8 digit PIN has few enough values
that a plain hash is reversed by trying them all. A record from `[ui] staff_pin_sha256` (plain SHA-256,
hex) is still understood."""

from __future__ import annotations

import hashlib
import hmac
import os

ITERATIONS = 200_000
MIN_DIGITS, MAX_DIGITS = 4, 8


def valid(pin: str) -> bool:
    return pin.isdigit() and pin.isascii() and MIN_DIGITS <= len(pin) <= MAX_DIGITS


def make_record(pin: str, salt: bytes | None = None) -> str:
    if not valid(pin):
        raise ValueError(f"a staff PIN is {MIN_DIGITS} to {MAX_DIGITS} digits")
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, ITERATIONS)
    return f"pbkdf2-sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def matches(record: str, pin: str) -> bool:
    """Whether ``pin`` is the PIN of ``record`` (constant-time compare); an empty record matches nothing."""
    if not record:
        return False
    if record.startswith("pbkdf2-sha256$"):
        try:
            _, n, salt, want = record.split("$")
            got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(n))
        except ValueError:
            return False
        return hmac.compare_digest(got.hex(), want)
    return hmac.compare_digest(hashlib.sha256(pin.encode()).hexdigest(), record.lower())
