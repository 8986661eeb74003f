"""Words visitors use for the same thing. Groups are matched on stems, so 'tickets' joins 'ticket'.

Kept small and venue-generic on purpose: a pack's own wording does the rest through retrieval.
"""

from __future__ import annotations

from functools import lru_cache

from kiosk.domain.text import stem

GROUPS: tuple[tuple[str, ...], ...] = (
    ("open", "opening", "hour", "close", "closed", "closing", "shut", "late", "early", "admission"),
    ("ticket", "pass", "price", "cost", "fee", "pay", "charge", "expensive", "cheap", "euro", "free",
     "entrance", "tix", "tickey"),
    ("concession", "student", "senior", "pensioner", "discount", "reduced", "elderly", "over65s"),
    ("toilet", "restroom", "bathroom", "loo", "wc", "lavatory", "washroom", "changing"),
    ("cafe", "café", "food", "eat", "lunch", "restaurant", "drink", "coffee", "tea", "snack", "hungry",
     "sandwich", "picnic", "vegetarian", "vegan", "glutenfree", "meal", "grub", "bite", "starving"),
    ("bar", "pub", "pint", "beer", "lager", "wine", "alcohol", "booze"),
    ("shop", "gift", "souvenir", "buy", "store", "postcard"),
    ("parking", "park", "car", "drive", "driving", "motor", "vehicle", "van", "campervan", "motorhome"),
    ("transport", "bus", "tram", "train", "station", "railway", "metro"),
    ("wheelchair", "accessible", "accessibility", "disabled", "disability", "lift", "elevator", "stepfree",
     "ramp", "mobility"),
    ("dog", "pet", "animal", "puppy", "cat"),
    ("wifi", "internet", "wireless", "online"),
    ("charging", "charger", "battery", "socket", "plug"),
    ("lost", "lose", "missing", "forgot", "forgotten", "left"),
    ("firstaid", "firstaider", "aid", "injured", "hurt", "doctor", "medical", "ill", "sick", "defibrillator",
     "emergency", "injury", "unwell"),
    ("photography", "photo", "photograph", "camera", "picture", "pictures", "filming", "selfie"),
    ("tour", "tours"),
    ("audio", "headphone", "app", "commentary"),
    ("child", "children", "kid", "kids", "family", "families", "toddler", "baby", "teenager", "nipper",
     "youngster", "bairn", "sprog", "kiddie", "kiddo"),
    ("locker", "cloakroom", "bag", "coat", "luggage", "suitcase", "backpack", "pushchair", "stroller",
     "pram", "buggy"),
    ("member", "membership", "annual", "season", "pass"),
    ("christmas", "december", "holiday", "easter", "newyear"),
    ("group", "school", "class", "party"),
    ("exhibition", "exhibit", "display", "special"),
    ("climb", "climbing", "stairs", "steps", "tower"),
    ("language", "english", "german", "french", "spanish"),
)


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    by_stem: dict[str, set[str]] = {}
    for group in GROUPS:
        stems = {stem(w) for w in group}
        for s in stems:
            by_stem.setdefault(s, set()).update(stems)
    return {k: frozenset(v) for k, v in by_stem.items()}


def related(term: str) -> frozenset[str]:
    """The stem itself plus every stem sharing a group with it."""
    return _index().get(term, frozenset()) | {term}
