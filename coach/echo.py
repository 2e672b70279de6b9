"""What the clinician said, echoed back safely: pronouns shifted to the second person
("I stayed late" → "you stayed late"), short key phrases worth reflecting, the plan they
stated, and the signs that a message is off task or self-blaming.

Phrases that would be unsafe or unkind to echo (self-blame, risk words, doses, swearing,
anything addressed to the coach) are never picked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from coach.incidents import find_cues

# ----------------------------------------------------------------------------- pronouns

_SWAP: Final[dict[str, str]] = {
    "i": "you",
    "i'm": "you're",
    "i'd": "you'd",
    "i've": "you've",
    "i'll": "you'll",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "we're": "you're",
    "we'd": "you'd",
    "we've": "you've",
    "we'll": "you'll",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
}
_AFTER_I: Final[dict[str, str]] = {"am": "are", "was": "were", "wasn't": "weren't"}
_WORD: Final = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _match_case(original: str, replacement: str, sentence_start: bool) -> str:
    is_i = original.lower() == "i" or original.lower().startswith("i'")
    if original.isupper() and len(original) > 1 and not is_i:
        return replacement.upper()
    if (original[0].isupper() and not is_i) or sentence_start:
        return replacement[0].upper() + replacement[1:]
    return replacement


def shift_pronouns(text: str) -> str:
    """Turn first-person words into second-person ones: "I'd checked my chart" becomes
    "you'd checked your chart", "I was" becomes "you were", "was I" becomes "were you".
    Second-person words are left alone (callers do not echo text addressed to the coach)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    tokens = list(_WORD.finditer(text))
    out: list[str] = []
    pos = 0
    for index, token in enumerate(tokens):
        word = token.group(0)
        lower = word.lower()
        prev = tokens[index - 1].group(0).lower() if index else ""
        nxt = tokens[index + 1].group(0).lower() if index + 1 < len(tokens) else ""
        gap_before = text[tokens[index - 1].end() : token.start()] if index else ""
        adjacent_prev = index > 0 and gap_before.strip() == ""
        adjacent_next = (
            index + 1 < len(tokens) and text[token.end() : tokens[index + 1].start()].strip() == ""
        )
        replacement = word
        before = text[: token.start()].rstrip()
        starts = word[0].isupper() and (not before or before[-1] in ".!?\n\"'")
        if lower in _SWAP:
            # "US" the country, and "I" in abbreviations such as "I.V.", stay as they are.
            abbreviation = text[token.end() : token.end() + 2][:1] == "." and re.match(
                r"\.[A-Za-z]", text[token.end() : token.end() + 2]
            )
            if not (word == "US" or (lower == "i" and abbreviation)):
                replacement = _match_case(word, _SWAP[lower], starts)
        elif lower in _AFTER_I and (
            (prev == "i" and adjacent_prev) or (nxt == "i" and adjacent_next)
        ):
            replacement = _match_case(word, _AFTER_I[lower], False)
        out.append(text[pos : token.start()])
        out.append(replacement)
        pos = token.end()
    out.append(text[pos:])
    return "".join(out)


# ----------------------------------------------------------------------------- key phrases

_CLAUSE_SPLIT: Final = re.compile(
    r"[.!?;:\n()\u2014\u2013]+|\s-\s|,\s*(?=(?:but|and|so|because|then|although|though|"
    r"which|while|when|until)\b)|\bbut\b|\band then\b|\bbecause\b"
    r"|\band\s+(?=(?:i|i'd|i'm|i've|we|we'd|we're|he|she|they|it|there|the|his|her|my|our)\b)",
    re.IGNORECASE,
)
_LEADING: Final = re.compile(
    r"^(?:(?:and|so|but|then|well|um|erm|like|honestly|basically|just|also|anyway|"
    r"yeah|yes|no|ok|okay|oh|still|even|i mean|"
    r"i suppose|i guess|i think|to be honest|maybe|perhaps|probably)\b[\s,]*)+",
    re.IGNORECASE,
)
# A clause is echoed only when it reads as a statement: it opens with a pronoun subject,
# or with a noun phrase that goes on to a verb ("the chart was handwritten", "Security took
# twenty minutes"), so bare noun phrases ("my friend who had something similar") and
# fragments ("went home and cried") are left alone.
_PRONOUN_SUBJECT: Final = re.compile(
    r"^(?:i|i'd|i'm|i've|i'll|we|we'd|we're|we've|we'll|he|he'd|he's|she|she'd|she's|they|"
    r"they'd|they're|it|it's|there|nobody|no one|everyone|everybody|someone|somebody|"
    r"nothing|everything)\b",
    re.IGNORECASE,
)
_DETERMINER: Final = r"(?:the|his|her|their|my|our|a|an|this|that|both|one|[A-Z][a-z]+)"
_NOUN_THEN_VERB: Final = re.compile(
    rf"^{_DETERMINER}\s+(?:(?!who\b|which\b|that\b|whose\b|and\b)[\w'-]+\s+){{0,3}}?"
    r"(?:was|were|is|are|had|has|have|did|didn't|wasn't|weren't|isn't|hadn't|kept|got|went|"
    r"came|said|told|asked|would|could|couldn't|wouldn't|won't|can't|took|gave|left|made|"
    r"needed|seemed|looked|felt|[a-z]+ed)\b"
)
_NOT_A_NOUN: Final = re.compile(
    r"^(?:[A-Za-z]+(?:ed|ing)|went|got|came|gave|took|had|did|made|kept|left|said|told|talk|"
    r"tell|call|ask|go|get|try|need|want|if|when|whenever|because|although|though|as|so|but|"
    r"and|or|then|after|before|while|until|since|unless|whether|what|why|how|where|who|"
    r"which|once|like|just|maybe|perhaps|please|thanks|thank|sorry|yes|no|not|even|still)\b",
    re.IGNORECASE,
)
_FIRST_PERSON: Final = re.compile(r"^(?:i|i'd|i'm|i've|i'll|we|we'd|we're|we've|we'll)\b", re.I)
# Never echoed: self-blame, risk and method words, doses, swearing, words addressed to the
# coach, placeholders. Feelings are reflected from the recognised emotions instead.
_NEVER_ECHO: Final = re.compile(
    r"\b(?:you|your|yours|yourself|feel|feels|felt|feeling|should|shouldn't|should've|"
    r"could've|could have|would've|fault|blame\w*|stupid|idiot|useless|incompetent|"
    r"failed|failure|kill\w*|murder\w*|suicid\w*|overdos\w*|hang\w*|"
    r"ligature|noose|tablets|pills|jump\w*|cut|cutting|harm\w*|hurt myself|end it|"
    r"fuck\w*|shit\w*|cunt|bastard|bitch|twat|wanker|arse\w*|crap|"
    r"ignore|instructions?|prompts?|system prompt|pretend|assistant|chatbot|ai|bot|"
    r"roleplay|jailbreak|developer|hate|worthless)\b"
    r"|\[|\]|\?|\d+(?:\.\d+)? ?(?:mg|mcg|ml|mls|units?|mmol|g|grams?|micrograms?)\b"
    r"|https?:|www\.|@",
    re.IGNORECASE,
)
_FEELING_WORDS: Final = re.compile(
    r"\b(?:sad|sadness|guilty|guilt|angry|anger|furious|livid|frightened|scared|afraid|"
    r"terrified|fear|anxious|anxiety|worried|nervous|numb|empty|upset|ashamed|shame|"
    r"embarrassed|exhausted|drained|tired|heartbroken|devastated|gutted|awful|terrible|"
    r"horrible|overwhelmed|helpless|hopeless|relieved|relief|grateful|lonely|frustrated|"
    r"annoyed|irritated|distressed|hurt|broken|crying|cried|tearful)\b",
    re.IGNORECASE,
)
# Deaths are echoed when they are the patient's, never when the clinician speaks of their own.
_OWN_DEATH: Final = re.compile(
    r"\b(?:i|i'm|i'd|i've|me|my|myself)\b.*\b(?:die|died|dying|dead|death)\b", re.IGNORECASE
)
_CONCRETE: Final = re.compile(
    r"\d|\b(?:once|twice|three times|again|all night|night|shift|morning|evening|minutes|"
    r"hours|corridor|bay|ward|room|bed|resus|theatre|handover|family|relatives?|son|daughter|"
    r"wife|husband|parents|chart|drug|dose|alone|on (?:my|our) own|only one|nobody|no one)\b",
    re.IGNORECASE,
)
_MIN_WORDS: Final = 3
_MAX_WORDS: Final = 14
_WHOLE_MESSAGE_WORDS: Final = 8  # a longer message is never echoed back whole
_MAX_SCAN_CHARS: Final = 6000


@dataclass(frozen=True)
class _Candidate:
    phrase: str
    score: int
    order: int


def _clean_clause(clause: str) -> str:
    clause = _LEADING.sub("", clause.strip(" \t,'\"*_-"))
    return clause.strip(" \t,'\"*_-")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _head(text: str) -> str:
    """The start of a long message, cut at a sentence end so no clause is cut short."""
    if len(text) <= _MAX_SCAN_CHARS:
        return text
    head = text[:_MAX_SCAN_CHARS]
    ends = [m.end() for m in re.finditer(r"[.!?\n]", head)]
    return head[: ends[-1]] if ends else ""


# A phrase that ends on one of these words has been cut short ("you were so").
_DANGLING_END: Final = re.compile(
    r"\b(?:so|the|a|an|and|or|but|to|of|with|very|really|just|that|my|your|our|his|her|"
    r"their|was|were|is|are|be|been|in|on|at|for|from|by|as|if|than|then|too|quite)$",
    re.IGNORECASE,
)


def _statement(clause: str) -> bool:
    if _PRONOUN_SUBJECT.match(clause):
        return True
    return bool(_NOUN_THEN_VERB.match(clause)) and not _NOT_A_NOUN.match(clause)


# Words that open a closing phrase of time or place ("that night", "on the ward").
_TAIL_START: Final = frozenset(
    {"that", "this", "last", "yesterday", "today", "tonight", "during", "on", "in", "at"}
)


def _drop_tail(clause: str) -> str:
    """The clause without its last trailing phrase ("... for the whole hospital that night"
    becomes "... for the whole hospital"), keeping at least four words."""
    words = clause.split()
    for index in range(len(words) - 1, 3, -1):
        if words[index].lower() in _TAIL_START:
            return " ".join(words[:index])
    return ""


def _fit(clause: str, message_words: list[str]) -> str | None:
    """The clause, or the part before its first comma or "and", if it is a reasonable
    length and is not the whole of a longer message."""
    options = [
        clause,
        clause.split(",")[0],
        re.split(r"\band\b", clause, maxsplit=1)[0],
        _drop_tail(clause),
    ]
    for option in options:
        option = option.strip(" ,")
        if not _MIN_WORDS <= len(option.split()) <= _MAX_WORDS or _DANGLING_END.search(option):
            continue
        if len(message_words) > _WHOLE_MESSAGE_WORDS and _words(option) == message_words:
            continue
        if not _statement(option):
            continue
        return option
    return None


def key_phrases(
    text: str, *, avoid: Iterable[str] = (), feelings: Iterable[str] = (), limit: int = 3
) -> list[str]:
    """Short phrases from ``text`` worth echoing back, best first, already shifted to the
    second person. ``avoid``: earlier coach replies (a phrase already in one is not echoed
    again); ``feelings``: emotion phrases reflected separately, so not echoed as details.
    A message longer than eight words is never echoed back whole."""
    text = _head(text).replace("\u2019", "'").replace("\u2018", "'")
    message_words = _words(text)
    used = [a.lower() for a in avoid]
    felt = [f.lower() for f in feelings if f.strip()]
    candidates: list[_Candidate] = []
    for order, raw in enumerate(_CLAUSE_SPLIT.split(text)):
        clause = _fit(_clean_clause(raw or ""), message_words)
        if clause is None or _NEVER_ECHO.search(clause) or _OWN_DEATH.search(clause):
            continue
        if _FEELING_WORDS.search(clause) or any(f in clause.lower() for f in felt):
            continue
        phrase = shift_pronouns(clause)
        phrase = phrase[0].lower() + phrase[1:] if not phrase.startswith("I.") else phrase
        if any(phrase.lower() in earlier for earlier in used):
            continue
        score = 0
        if find_cues(clause):
            score += 3
        if _FIRST_PERSON.match(clause):
            score += 2
        if _CONCRETE.search(clause):
            score += 1
        if 4 <= len(clause.split()) <= 12:
            score += 1
        candidates.append(_Candidate(phrase, score, order))
    candidates.sort(key=lambda c: (-c.score, c.order))
    phrases: list[str] = []
    for candidate in candidates:
        if candidate.phrase not in phrases:
            phrases.append(candidate.phrase)
    return phrases[:limit]


_SELF_BLAME: Final = re.compile(
    r"\b(?:my fault|blame myself|blaming myself|should have|shouldn't have|should've|"
    r"could have prevented|could've prevented|if only i|i failed|i let (?:him|her|them|"
    r"everyone|the team) down|i'm useless|i'm a failure|my mistake|i messed up|i screwed up)\b",
    re.IGNORECASE,
)


_GERUND: Final[dict[str, str]] = {
    "talk": "talking",
    "speak": "speaking",
    "call": "calling",
    "ring": "ringing",
    "phone": "phoning",
    "text": "texting",
    "message": "messaging",
    "see": "seeing",
    "tell": "telling",
    "ask": "asking",
    "go": "going",
    "take": "taking",
    "get": "getting",
    "book": "booking",
    "write": "writing",
    "fill": "filling",
    "rest": "resting",
    "sleep": "sleeping",
    "walk": "walking",
    "eat": "eating",
    "look": "looking",
    "read": "reading",
    "contact": "contacting",
    "email": "emailing",
    "raise": "raising",
    "report": "reporting",
}
_PERSON_VERBS: Final = frozenset(
    {"talk", "speak", "call", "ring", "phone", "text", "message", "see", "tell", "ask"}
    | {"contact", "email"}
)
_PLAN: Final = re.compile(
    r"\b(?:i could|i might|i'll|i will|i want to|i'm going to|i am going to|i'd like to|"
    r"i need to|i ought to|i can|i plan to|i'm planning to|maybe|probably|perhaps)\s+"
    r"(?:just |probably |maybe |try to |also |go and )?(?P<verb>"
    + "|".join(_GERUND)
    + r")\b(?P<rest>[^.,;!?\n]{0,60})",
    re.IGNORECASE,
)


_SOMEONE: Final = re.compile(
    r"\b(?:talk|speak|call|ring|phone|text|tell|ask|contact|email|see)\b(?: to| with)? "
    r"(?:my|the|a|our|his|her|their|someone|somebody)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Plan:
    """A next step the clinician named, as a gerund phrase ("talking to the registrar")."""

    phrase: str
    with_someone: bool


def plan_of(text: str) -> Plan | None:
    """The first next step named in ``text`` ("I could talk to the registrar who was
    there"), or ``None``. Steps in unsafe or self-blaming words are not picked."""
    text = text[:_MAX_SCAN_CHARS].replace("\u2019", "'")
    for match in _PLAN.finditer(text):
        verb = match.group("verb").lower()
        rest = re.split(r"\band\b|\bbut\b|\bbecause\b", match.group("rest"), maxsplit=1)[0]
        rest = rest.rstrip()
        if _NEVER_ECHO.search(f"{verb}{rest}"):
            continue
        phrase = shift_pronouns(f"{_GERUND[verb]}{rest}")
        if _OWN_DEATH.search(f"{verb}{rest}") or len(phrase.split()) > 12:
            continue
        return Plan(
            phrase=phrase, with_someone=verb in _PERSON_VERBS or bool(_SOMEONE.search(text))
        )
    return None


_OFF_TASK: Final = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,30}\b(?:instructions?|prompts?|rules|"
    r"messages?|guidelines)\b|\bsystem prompt\b|\byou are now\b|\bjailbreak\b|"
    r"\bdeveloper mode\b|\b(?:reveal|print|show|repeat)\b[^.!?\n]{0,20}\b(?:your|the) "
    r"(?:prompt|instructions|rules|configuration)\b",
    re.IGNORECASE,
)


def off_task(text: str) -> bool:
    """Is the message trying to steer the coach itself (e.g. "ignore previous
    instructions")? Such text is never echoed, and the reply returns to the debrief."""
    return bool(_OFF_TASK.search(text[:_MAX_SCAN_CHARS]))


def self_blaming(text: str) -> bool:
    """Does the clinician speak about themself with blame?"""
    return bool(_SELF_BLAME.search(text[:_MAX_SCAN_CHARS].replace("\u2019", "'")))
