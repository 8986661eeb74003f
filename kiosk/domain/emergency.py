"""Emergencies in a visitor's own words: a lost or found child (or vulnerable person), someone ill or hurt,
fire or smoke, a threat. Recognised by words (here) together with meaning (embedding prototypes, an
``EmergencySense`` adapter), answered with the pack's safety entry of that kind or a built-in instruction,
never with "I don't know" and never as lost property."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Protocol


class EmergencyKind(StrEnum):
    LOST_PERSON = "lost_child"
    MEDICAL = "medical"
    FIRE = "fire"
    THREAT = "threat"


class EmergencySense(Protocol):
    def kind_by_meaning(self, question: str) -> EmergencyKind | None:
        """The kind of emergency the question means, by meaning alone; None when it means none."""


_PERSON = (r"(?:child|children|kids?|son|sons|daughters?|boy|girl|toddler|baby|twins?|grand(?:son|daughter|child)|"
           r"(?:little|wee|small|young|youngest|eldest|teenage) (?:one|boy|girl|lad|lass|man|un|brother|sister)|lad|"
           r"(?:grand)?(?:mum|mom|mummy|mommy|mam|mammy|mama|mother|dad|daddy|papa|father|parents?)|nan|nana|"
           r"gran|granny|grandma|grandad|grandpa|husband|wife|brother|sister|friend|family|carer|teacher|class|"
           r"group|teenager|\d+[- ]?(?:yr|year)s?[- ]old|(?:two|three|four|five|six|seven|eight|nine|ten|eleven|"
           r"twelve)[- ]year[- ]old)")
_GONE = (r"(?:lost|missing|gone|disappeared|vanished|wandered|can'?t (?:find|see)|cannot (?:find|see)|"
         r"can not (?:find|see)|not (?:there|here) any ?more|(?:is|are|was|were)n'?t (?:there|here)|not there|"
         r"nowhere|(?:has|have)n'?t come back|(?:has|have) not come back|not come back|not answering|"
         r"isn'?t answering|slipped away|took off|ran (?:off|ahead|out|away)|run off|walked out|lost track|"
         r"separated|left without|without (?:me|us|her|him)|doors? shut|don'?t know where|doesn'?t know where|dont know where|doesnt know where|"
         r"no idea where|only (?:find|see) one)")
_LOST_CHILD = re.compile(
    rf"\b{_PERSON}\b.{{0,80}}\b{_GONE}\b|\b{_GONE}\b.{{0,40}}\b{_PERSON}\b|"
    r"\bfound (?:a|this) (?:lost |little |small |crying )?(?:child|kid|boy|girl|toddler|little one)\b|"
    r"\b(?:little|small|young) (?:boy|girl|child|kid) (?:here )?(?:on (?:his|her) own|alone|crying)\b|"
    r"\bhas anyone seen (?:a|my|our) |\bje (?:ne )?trouve pas\b", re.IGNORECASE)
_ITEM = r"(?:bag|backpack|rucksack|suitcase|holdall|package|parcel|box|case|luggage)"
_ABANDONED = (r"(?:been left|left (?:a |an |the )?\w* ?(?:on its own|alone|unattended|behind|there|by|under|near|in|at|outside)|looks weird|sitting there|alone|on its own|nobody|no one|no-one|no ones|walked off|ran off|for ages|unattended|wires|"
              r"ticking|abandoned|been there|nobody's)")
_WORDS = {
    EmergencyKind.LOST_PERSON: _LOST_CHILD,
    EmergencyKind.MEDICAL: re.compile(
        r"\b(?:collaps\w*|faint(?:ed|ing)|passed out|unconscious|unresponsive|not breathing|not responding|"
        r"(?:can'?t|cannot|can not|struggling to|trouble|hard to) breath\w*|can'?t get (?:his|her|my|their|any) (?:breath|air)|"
        r"heart attack|chest pains?|pains? in (?:his|her|my|their) chest|(?:holding|clutching) (?:his|her|my|their) chest|"
        r"chest (?:is |feels )?(?:really |very )?tight|sweaty and confused|all sweaty|"
        r"bleeding|blood (?:everywhere|all over|pouring|gushing|coming out)|(?:pouring|gushing) (?:with )?blood|"
        r"(?:smashed|banged|cracked|split|bashed|hit|whacked) (?:his|her|their|my) head|head (?:is )?(?:bleeding|split open)|"
        r"seizure|having a fit|fitting|jerking|choking|"
        r"ambulance|defibrillator|allergic reaction|anaphyla\w*|epi-?pen|stroke|asthma attack|wheez\w*|"
        r"throat (?:is |feels |'s )?(?:going |getting )?(?:closing|tight|swelling)|neck (?:really )?hurts|(?:lips|face|tongue|eyes?) (?:is |are )?"
        r"(?:swelling|swollen|puffing)|swelling up|puffing up|hives|"
        r"fell (?:down|over|off)|keeled over|went down|dropped to the floor|(?:is|isn'?t|not) moving|badly hurt|"
        r"(?:is|got|been|has been) (?:hurt|injured)|injured|broken (?:arm|leg|ankle|wrist)|broken (?:his|her|my) \w+|"
        r"(?:looks|look) (?:broken|bent|wrong)|bent (?:the )?wrong way|bone (?:is )?sticking out|in agony|"
        r"screaming (?:in|with) pain|(?:he|she)(?:'s| is) screaming|can'?t (?:put (?:any )?weight|stand up|get up|walk\b(?! far| much| long| very| more))|"
        r"hit (?:his|her|their|my) head|turning blue|gone (?:all )?(?:pale|grey|gray|blue|white|floppy|stiff)|floppy|"
        r"won'?t wake up|won'?t answer me|wont answer me|overdose|took something|hypo\b|sugar'?s? (?:is )?(?:dropping|low)|"
        r"shaky and|shaking and|shaking all over|in labou?r|waters? (?:has |have )?(?:just )?broken|"
        r"(?:feel|feeling|felt|gone) (?:really |very |all )?(?:faint|dizzy)|dizzy|not making sense|confused and|"
        r"burn(?:t|ed) (?:my|his|her) \w+ (?:really |very )?badly|crushed|heat ?stroke|"
        r"need (?:a )?(?:doctor|medic|paramedic|first aid) (?:now|urgently|quick)|call (?:a|an) (?:doctor|ambulance))\b",
        re.IGNORECASE),
    EmergencyKind.FIRE: re.compile(
        r"\b(?:on fire|there'?s a fire|a fire (?:in|at|near|by|on)|caught fire|fire in the|flames (?:are|coming|everywhere|near|in|by|from)|see flames|(?:gone|went) up in flames|"
        r"smoke (?:is )?(?:coming|pouring|everywhere|billowing|rising)|see smoke|(?:is|are|'s) smoking|"
        r"(?:smell|smelling|smells) (?:like |of )?(?:burning|smoke|gas)|burning (?:smell|plastic|rubber)|"
        r"(?:is|are|'s) burning|gas leak|(?:alarm|siren)s?(?:'s| is| are)? (?:is |are )?(?:going off|ringing|sounding|"
        r"blaring|beeping|wailing|howling)|"
        r"bell (?:is )?ringing (?:non-?stop|and)|bells (?:are )?ringing (?:everywhere|all over|non-?stop)|"
        r"something(?:'s| is) burning|full of smoke|smoky|sparks (?:are |coming|flying)|sparking|"
        r"(?:is |are |'s )?melting (?:plastic|wires?|cables?)|(?:plug|socket|wire|wires|cable|cables|heater|"
        r"charger|fryer|oven|toaster|microwave|battery|bin|engine)(?:'s| is| are)? (?:on fire|sparking|smoking|melting))\b",
        re.IGNORECASE),
    EmergencyKind.THREAT: re.compile(
        r"\b(?:knife|knives|gun|guns|weapon|blade|axe|machete|crowbar|screwdriver|broken bottle|stabb?\w*|"
        r"shoot(?:ing|s)? (?:at|people|someone)|shot (?:at|him|her|someone)|(?:been|was|got) shot (?:at|by)|gunshots?|bomb|threaten\w*|attack(?:ed|ing)|assault\w*|"
        r"(?:a |there'?s a |they'?re |are |is )fight(?:ing)?|fighting|scrapping|punch(?:ed|ing) (?:me|him|her|someone|people|my)|mugged|robbed|"
        r"(?:going to|gonna) (?:kill|hurt|stab)|kill (?:him|her|me|you|someone)|shov(?:ed|ing)|smash(?:ing|ed)|"
        r"swinging (?:a|an|punches|his|her) ?\w*|breaking into|kicked the door|aggressive|screaming at|"
        r"suspicious (?:bag|package|parcel|item|person|man|woman|guy)|harass\w*|following (?:me|my|us|our)|"
        r"won'?t leave (?:me|her|him|us|them) alone|being followed|grabbed|kidnap\w*|hostage|"
        r"taking (?:photos|pictures) of (?:kids|children)|(?:he|she|they)(?:'s| is| are) hitting)\b", re.IGNORECASE),
}
# Left by someone else, or wired: never the visitor's own lost property, whatever else the question says.
_SUSPECT_ITEM = re.compile(rf"\b(?:someone|somebody|some (?:guy|bloke|man|woman|person)|a (?:man|woman|guy|bloke|person)|"
                           rf"they)(?:'s| has| have| just)? (?:left|dumped|dropped off|put down) (?:a|an|this|that|some) "
                           rf"\w* ?{_ITEM}\b|\b{_ITEM}\b.{{0,60}}\b(?:wires?|ticking)\b", re.IGNORECASE)
_LEFT_ITEM = re.compile(rf"\b{_ITEM}\b.{{0,80}}\b{_ABANDONED}|\b{_ABANDONED}\b.{{0,40}}\b{_ITEM}\b", re.IGNORECASE)
# Not emergencies though they share words: things lost (lost property), rules about smoking, where a
# first-aid room is, a show's name.
_NOT = re.compile(
    r"\b(?:lost property|lost and found|(?:lost|left) (?:my|our|a|his|her|their) (?:phone|wallet|purse|keys?|bag|ticket|"
    r"card|coat|jacket|umbrella|glasses|hat|scarf|camera|watch|ring|passport|headphones|toy|teddy)|"
    r"smoking (?:area|allowed|permitted|shelter)|can i smoke|"
    r"(?:is|are) (?:there|you) (?:a )?(?:first aid|defibrillator)|fire exits?\b|fire ban|fire[- ]?(?:pit|works?|eater|"
    r"engine ride|station museum)|shooting (?:gallery|star|range)|clay pigeon|attack of the|gun salute|noon gun|"
    r"what (?:happens|should i do|do i do) (?:if|when)|in case of|gun (?:go|goes|fire|fires) off|big gun|(?:sock|shoe|toy|hat|coat|jumper|glove|phone|dummy) (?:went|is|has gone|'s) missing|(?:kids|children|people) (?:who|that) get lost)", re.IGNORECASE)
_STRONG = re.compile(r"\b(?:help|now|quick(?:ly)?|please|urgent\w*|hurry|emergency|!)", re.IGNORECASE)


def kind_by_words(question: str) -> EmergencyKind | None:
    if _SUSPECT_ITEM.search(question):
        return EmergencyKind.THREAT
    if _NOT.search(question) and not _STRONG.search(question):
        return None
    for kind in (EmergencyKind.MEDICAL, EmergencyKind.FIRE, EmergencyKind.THREAT, EmergencyKind.LOST_PERSON):
        if _WORDS[kind].search(question):
            return kind
    return EmergencyKind.THREAT if _LEFT_ITEM.search(question) else None


def recognise(question: str, sense: EmergencySense | None) -> EmergencyKind | None:
    """Words first (the kind they name), then meaning. Either alone is enough: a missed emergency costs far
    more than a safety entry shown once too often."""
    by_words = kind_by_words(question)
    if by_words is not None:
        return by_words
    if sense is None or _NOT.search(question) and not _STRONG.search(question):
        return None
    return sense.kind_by_meaning(question)


# A heading that names a safety entry outright, looked for before ENTRY's wider words ("Prop weapons" is a
# costume rule that names a weapon, not where to go when someone has a knife).
FIRST = {
    EmergencyKind.THREAT: re.compile(r"\b(?:security|suspicious|unattended|threat\w*|violen\w*|lockdown|run,? hide)\b",
                                     re.IGNORECASE),
}
# What an entry of each kind says about itself (heading first, then body).
ENTRY = {
    EmergencyKind.LOST_PERSON: re.compile(
        r"\b(?:lost (?:child\w*|children|kids|people|persons?|someone|family)|missing (?:child\w*|persons?|people)|"
        r"lose (?:someone|a child|your child|sight)|separated|meeting point|found child\w*)\b", re.IGNORECASE),
    EmergencyKind.MEDICAL: re.compile(
        r"\b(?:first[- ]aid|medical|defibrillator|aed|ambulance|collaps\w*|unwell|taken ill|injur\w*|"
        r"emergency (?:help|care)|paramedic|999|112|911|000)\b", re.IGNORECASE),
    EmergencyKind.FIRE: re.compile(r"\b(?:fire|evacuat\w*|assembly point|alarm)\b", re.IGNORECASE),
    EmergencyKind.THREAT: re.compile(
        r"\b(?:security|suspicious|unattended|threat\w*|violen\w*|weapon|police|lockdown|run,? hide)\b",
        re.IGNORECASE),
}


def built_in(kind: EmergencyKind, number: str) -> str:
    """What the kiosk says when the pack has no entry of this kind: get a person now, and the number."""
    call = f" call {number}" if number else " call the emergency services"
    return {
        EmergencyKind.LOST_PERSON: "Please tell the nearest member of staff straight away: they will start "
                                   "looking at once. Stay where you are if you can.",
        EmergencyKind.MEDICAL: f"Please get help now: tell the nearest member of staff, and if it is serious{call}.",
        EmergencyKind.FIRE: f"Please move away from the fire or smoke, tell the nearest member of staff now, and "
                            f"if anyone is in danger leave the building and{call}.",
        EmergencyKind.THREAT: f"Please move to a safe place and tell the nearest member of staff or security now. "
                              f"If anyone is in danger,{call}.",
    }[kind]
