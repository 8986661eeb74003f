"""What kind of request a visitor's words are, before any retrieval: a question for the pack, an emergency,
something that is not a question about the venue at all, or a follow-up that leans on the last turn.

Cheap, venue-independent patterns (they were written before the evaluation packs were run, and are checked
on all of them): an emergency is never answered "I don't know", an attempt to re-instruct the kiosk or
abuse it is politely declined (not queued for staff), and a follow-up ("and for children?") is read with
the question before it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Protocol


class OffTopicSense(Protocol):
    def off_topic(self, question: str) -> bool:
        """Whether the question, by its meaning, is about nothing a venue could answer (weather, sport,
        general knowledge, chores)."""


class Leaning(StrEnum):
    """How much a question depends on the turn before it."""

    NONE = ""
    MAYBE = "maybe"     # a pronoun in a short question: read with the last turn if that fits better
    SURELY = "surely"   # a connective at the start ("and for kids?")


class Intent(StrEnum):
    QUESTION = "question"
    SAFETY = "safety"
    OFF_TOPIC = "off_topic"


_INJECTION = re.compile(
    r"\b(ignore|disregard|forget) (all |any |your |the |my |previous |prior |earlier |above )*"
    r"(instructions|rules|prompts?|guidelines|programming)\b|\bsystem prompt\b|\bdeveloper mode\b|"
    r"\bjailbreak\b|\byou are now\b|\bpretend (to be|you are)\b|\bsystem override\b|\bact as (a|an|my)\b|"
    r"\bprint your (instructions|prompt|rules)\b", re.IGNORECASE)
_ABUSE = re.compile(
    r"\b(useless|stupid|idiot\w*|dumb|moron\w*|shut up|hate you|f+u+c+k\w*|shit\w*|crap|bitch\w*|bastard\w*|"
    r"piece of (junk|crap|rubbish))\b", re.IGNORECASE)
_AMOUNT = (r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|half|"
           r"halves|thirds?|quarters?|fifths?|eighths?|tenths?)")
_MONEY = (r"(?:euros?|eur|dollars?|bucks|usd|aud|cad|nzd|pounds?|quid|gbp|sterling|yen|francs?|rand|pesos?|"
          r"kroner|krona|zloty)")
_CHORE = re.compile(
    r"^\s*(can you |could you |please )*(write|compose|solve|translate|summari[sz]e|calculate|sing|draw|"
    r"generate|tell me (a|an|some) (joke|story|poem|riddle))\b|\b(my|for my) (maths?|math|english|science|"
    r"history) homework\b|"
    # sums and conversions: "what's 17 times 23", "15 percent of 80", "how many ounces in a kilo"
    r"^\s*(?:what(?:'?s| is)|whats|how much is|calculate|work out)\s+\d+(?:\.\d+)? ?(?:times|x|\*|plus|\+|minus|-|"
    r"divided by|/|multiplied by|percent of|per ?cent of|% of) ?\d+(?:\.\d+)?\s*[?.!]*\s*$|\bsquare root of \d|"
    r"\bhow many (?:ounces|oz|grams|kilos?|pounds|lbs|inches|centimet\w+|cm|millimet\w+|feet|foot|yards|metres|meters|"
    r"miles|kilomet\w+|km|pints|litres|liters|gallons|cups|teaspoons|tablespoons|seconds|minutes|hours|days|weeks) "
    r"(?:are )?in (?:a|an|one) (?:ounce|oz|gram|kilo\w*|pound|lb|inch|centimet\w+|cm|foot|yard|metre|meter|mile|"
    r"kilomet\w+|km|pint|litre|liter|gallon|cup|tablespoon|minute|hour|day|week|month|year|leap year)\b|"
    # sums in words ("what's two thirds plus a half") and money conversions ("what's 20 dollars in euros")
    rf"^\s*(?:what(?:'?s| is)|whats|how much is|work out)\s+{_AMOUNT}(?: {_AMOUNT}){{0,2}} (?:plus|minus|times|"
    rf"divided by|multiplied by|add|take away) {_AMOUNT}(?: {_AMOUNT}){{0,2}}\s*[?.!]*\s*$|"
    rf"^\s*(?:what(?:'?s| is)|whats|how much is|convert)\s+[€$£]?\d+(?:[.,]\d+)? ?{_MONEY}?\s+(?:in|into|to) "
    rf"(?:(?:us|american|canadian|aussie|australian|nz|new zealand) )?{_MONEY}\s*[?.!]*\s*$|"
    # the forecast: "is it gonna rain tomorrow", "will it snow in leeds this weekend", "weather forecast"
    r"\b(?:gonna|going to|will it|is it going to|is it gonna) (?:rain|snow|pour|be sunny|be (?:hot|cold|warm|windy) "
    r"(?:today|tomorrow|tonight|later|this))\b.*\b(?:today|tomorrow|tonight|later|this (?:afternoon|evening|"
    r"morning|weekend)|on \w+day)\b|\bweather forecast\b", re.IGNORECASE)
_SAFETY = re.compile(
    r"\b(lost|missing) (my |our |a )?(child|children|son|daughter|kid|kids|boy|girl|toddler|baby)\b|"
    r"\b(can'?t|cannot|can not) find (my |our )?(child|son|daughter|kid|kids|little (one|boy|girl)|boy|girl|"
    r"toddler|baby|mum|mom|dad|grandma|grandad|nan)\b|"
    r"\b(child|son|daughter|kid|boy|girl|toddler) (is |has )?(missing|lost|gone missing|wandered off)\b|"
    r"\bwandered off\b|\bcollaps\w*|\bfaint\w*|\bpassed out\b|\bunconscious\b|\bnot breathing\b|"
    r"\bheart attack\b|\bchest pains?\b|\bbleeding\b|\bseizure\b|\bchoking\b|\bfirst aid\b|\bambulance\b|"
    r"\bdefibrillator\b|\bemergency\b|\bon fire\b|\bfire alarm\b|\bsmell (of )?(smoke|gas)\b|"
    r"\bfell (down|over)\b|\bbadly hurt\b|\binjured\b|\ballergic reaction\b|\bfeel(ing)? (very )?(faint|dizzy)\b",
    re.IGNORECASE)
_LOST = re.compile(r"\b(lost|missing|can'?t find|cannot find|can not find|wandered off|gone missing)\b", re.I)
_FIRE = re.compile(r"\b(fire|smoke|gas|alarm|evacuat\w*)\b", re.IGNORECASE)
# Which entries to give in an emergency, by kind: a lost person, fire, anything else (medical).
_LOST_ENTRY = re.compile(r"\b(lost (child\w*|children|kids|people|person|someone)|missing (child\w*|person)|"
                         r"lose (someone|a child|your child|sight))\b", re.IGNORECASE)
_FIRE_ENTRY = re.compile(r"\b(fire|evacuat\w*|assembly point|alarm)\b", re.IGNORECASE)
_MEDICAL_ENTRY = re.compile(r"\b(first aid|defibrillator|medical|emergenc\w*|999|112|911|ambulance|"
                            r"collaps\w*|unwell|first-aid)\b", re.IGNORECASE)
SAFETY_ENTRY = re.compile(f"{_LOST_ENTRY.pattern}|{_FIRE_ENTRY.pattern}|{_MEDICAL_ENTRY.pattern}", re.IGNORECASE)


def safety_entry_pattern(question: str) -> re.Pattern:
    """What the entry for this emergency says: lost person, fire, or medical help."""
    if _LOST.search(question):
        return _LOST_ENTRY
    if _FIRE.search(question):
        return _FIRE_ENTRY
    return _MEDICAL_ENTRY


_CUE = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|what if|same for|even)\b", re.IGNORECASE)
_ASKS = re.compile(r"\b(how|what|when|where|which|who|why|is|are|can|do|does)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|those|he|she)\b", re.IGNORECASE)


def classify(question: str) -> Intent:
    if _SAFETY.search(question):
        return Intent.SAFETY
    if _INJECTION.search(question) or _ABUSE.search(question) or _CHORE.search(question):
        return Intent.OFF_TOPIC
    return Intent.QUESTION


def leans_on_last_turn(question: str, content_terms: int) -> Leaning:
    """A standalone question ("where are the toilets?") is never read with the last one; one that names
    nothing ("how much?", "when?") or opens with a cue ("and for kids?") always is."""
    if _CUE.search(question) or (content_terms == 0 and _ASKS.search(question)):
        return Leaning.SURELY
    if content_terms <= 1 and _ASKS.search(question):  # "how long?", "do i need to book": read both ways
        return Leaning.MAYBE
    return Leaning.MAYBE if content_terms <= 3 and _PRONOUN.search(question) else Leaning.NONE
