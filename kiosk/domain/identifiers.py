"""Exact identifiers in a question (catalogue numbers, gates, rooms, stalls, bus routes, codes): when the
pack holds one, the entries holding it outrank entries that are merely similar in meaning; when it does
not, no entry is stated as the answer."""

from __future__ import annotations

import re
from typing import Sequence

from kiosk.domain.models import Entry

_NOUN = (r"(?:gate|platform|stall|stand|room|bus|route|line|pier|berth|bay|level|floor|hall|zone|area|pitch|"
         r"aisle|case|gallery|object|item|number|no\.?|#|unit|shop|studio|screen|door|entrance|exit|car park|"
         r"lot|block|building|ward|clinic|desk|counter|table|court|lane|track|terminal|stop|locker|seat|row|"
         r"section|camp|field|trail|cabin|deck|suite|lab|catalogue|exhibit|lift|stage|tent|plot|window)")
_AFTER_NOUN = re.compile(rf"\b{_NOUN}\s*(?:number\s*|no\.?\s*|#\s*)?([a-z]?\d+[a-z]?)\b", re.IGNORECASE)
_CODE = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])([a-z]{1,3}\d{1,4}[a-z]?|\d{1,4}[a-z]{1,2})\b", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<![\d.,:£$€])\b(\d{3,6})\b(?![.,:]\d)")
# Amounts, times and ages are not identifiers.
_NOT_CODE = re.compile(r"^\d+(?:am|pm|h|s|th|st|nd|rd|mm|cm|m|km|kg|g|ml|l|yr|yrs|y|mins?|hrs?|p)$", re.IGNORECASE)


def identifiers(question: str) -> list[str]:
    """The identifiers a question names, lower-case, in order."""
    found: list[str] = []
    for rx in (_AFTER_NOUN, _CODE, _LONG_NUMBER):
        for m in rx.finditer(question):
            token = m.group(1).lower()
            if _NOT_CODE.match(token) or token in found:
                continue
            found.append(token)
    return found


def holders(ident: str, entries: Sequence[Entry]) -> list[Entry]:
    """Entries whose heading or body holds ``ident`` as a whole token."""
    rx = re.compile(rf"(?<![\w]){re.escape(ident)}(?![\w])", re.IGNORECASE)
    return [e for e in entries if rx.search(e.heading) or rx.search(e.body)]
