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
_CHORE = re.compile(
    r"^\s*(can you |could you |please )*(write|compose|solve|translate|summari[sz]e|calculate|sing|draw|"
    r"generate|tell me (a|an|some) (joke|story|poem|riddle))\b|\b(my|for my) (maths?|math|english|science|"
    r"history) homework\b", re.IGNORECASE)
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
# Words that mark an entry as the one to give in an emergency.
SAFETY_ENTRY = re.compile(
    r"\b(lost child\w*|lost (children|kids)|missing child\w*|first aid|emergenc\w*|defibrillator|999|112|911|"
    r"evacuat\w*|fire|assembly point|help point|security|collaps\w*|ambulance)\b", re.IGNORECASE)

_CUE = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|what if|same for|even)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|those|he|she)\b", re.IGNORECASE)


def classify(question: str) -> Intent:
    if _SAFETY.search(question):
        return Intent.SAFETY
    if _INJECTION.search(question) or _ABUSE.search(question) or _CHORE.search(question):
        return Intent.OFF_TOPIC
    return Intent.QUESTION


def leans_on_last_turn(question: str, content_terms: int) -> bool:
    """"and for kids?", "is it open on Sundays?": a connective at the start, or a pronoun in a short
    question. A standalone question ("where are the toilets?") is never read with the last one."""
    if _CUE.search(question):
        return True
    return content_terms <= 3 and bool(_PRONOUN.search(question))
