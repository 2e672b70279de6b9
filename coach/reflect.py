"""Reflections built from the clinician's own words: pronoun shifting, short key phrases,
the feelings they named, and the versioned wording in ``coach/data/reflections.yaml``.

Nothing here guesses at feelings: ``feeling_phrases`` uses only the emotions the
recogniser found in the message. Phrases that would be unsafe or unkind to echo (self-blame,
risk words, doses, swearing, anything addressed to the coach) are never picked.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.incidents import find_cues
from coach.types import EmotionScore

__all__ = [
    "Plan",
    "Reflection",
    "ReflectionTemplates",
    "build_reflection",
    "count_sentences",
    "feeling_phrases",
    "fill",
    "join_phrases",
    "key_phrases",
    "load_reflection_templates",
    "off_task",
    "plan_of",
    "self_blaming",
    "shift_pronouns",
]

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


# ----------------------------------------------------------------------------- feelings


def feeling_phrases(
    emotions: Sequence[EmotionScore], *, min_score: float = 0.7, limit: int = 2
) -> list[str]:
    """The phrases of the strongest emotions the clinician expressed, without duplicates.
    Below 0.7 an emotion is only the classifier's guess, so it is not reflected."""
    phrases: list[str] = []
    for emotion in sorted(emotions, key=lambda e: -e.score):
        phrase = " ".join(emotion.phrase.split()).strip(" .,")
        if emotion.score < min_score or not phrase or phrase in phrases:
            continue
        if len(phrase) > 40 or not re.fullmatch(r"[A-Za-z' -]+", phrase):
            continue
        phrases.append(phrase)
        if len(phrases) == limit:
            break
    return phrases


def join_phrases(phrases: Sequence[str]) -> str:
    """Join feelings: "sad", "sad and guilty", "sad, guilty and frightened"."""
    items = [p for p in phrases if p]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# ----------------------------------------------------------------------------- templates

_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_]+)\}")
_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "detail_feelings": frozenset({"detail", "Detail", "feelings", "event", "Event"}),
    "detail": frozenset({"detail", "Detail", "event", "Event"}),
    "feelings_event": frozenset({"feelings", "event", "Event"}),
    "feelings": frozenset({"feelings"}),
    "event": frozenset({"event", "Event"}),
    "practice": frozenset({"title", "summary"}),
    "practice_quick": frozenset({"title", "cite"}),
    "plan": frozenset({"plan", "Plan"}),
    "idea": frozenset({"summary"}),
    "support": frozenset({"summary"}),
    "close": frozenset({"event", "Event"}),
}
_REQUIRED: Final[dict[str, frozenset[str]]] = {
    "detail_feelings": frozenset({"feelings"}),
    "feelings_event": frozenset({"feelings"}),
    "feelings": frozenset({"feelings"}),
    "practice": frozenset({"summary"}),
    "practice_quick": frozenset({"cite"}),
    "plan": frozenset({"plan"}),
    "idea": frozenset({"summary"}),
    "support": frozenset({"summary"}),
}


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _check_lines(kind: str, lines: Sequence[str]) -> None:
    if not lines:
        raise ValueError(f"{kind}: needs at least one line")
    allowed = _ALLOWED.get(kind, frozenset())
    required = _REQUIRED.get(kind, frozenset())
    for line in lines:
        if "?" in line:
            raise ValueError(f"{kind}: {line!r} asks a question (questions come from the bank)")
        if line != line.strip() or not line:
            raise ValueError(f"{kind}: {line!r} has stray whitespace")
        found = _placeholders(line)
        if found - allowed:
            raise ValueError(f"{kind}: {line!r} uses {sorted(found - allowed)}")
        lowered = {p.lower() for p in found}
        if not {r.lower() for r in required} <= lowered:
            raise ValueError(f"{kind}: {line!r} must use {sorted(required)}")
        if kind.startswith("detail") and "detail" not in lowered:
            raise ValueError(f"{kind}: {line!r} must use {{detail}}")
        if kind in {"feelings_event", "event"} and "event" not in lowered:
            raise ValueError(f"{kind}: {line!r} must use {{event}}")
        if kind.startswith("practice") and "title" not in found:
            raise ValueError(f"{kind}: {line!r} must use {{title}}")
        if line.count("{") != line.count("}"):
            raise ValueError(f"{kind}: {line!r} has unbalanced braces")


class _Reflect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detail_feelings: tuple[str, ...]
    detail: tuple[str, ...]
    feelings_event: tuple[str, ...]
    feelings: tuple[str, ...]
    event: tuple[str, ...]
    plain: tuple[str, ...]
    empty: tuple[str, ...]
    self_blame: tuple[str, ...]
    plan: tuple[str, ...]
    redirect: tuple[str, ...]


class _ByMode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    full: tuple[str, ...]
    quick: tuple[str, ...]


class _Insight(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    practice: tuple[str, ...]
    practice_quick: tuple[str, ...]
    idea: tuple[str, ...]
    support: tuple[str, ...]


class ReflectionTemplates(BaseModel):
    """The validated contents of ``reflections.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    opening: _ByMode
    reflect: _Reflect
    bridges: dict[str, tuple[str, ...]]
    insight: _Insight
    listen: tuple[str, ...]
    no_question: tuple[str, ...]
    close: _ByMode

    @field_validator("opening", "close", mode="after")
    @classmethod
    def _fold(cls, value: _ByMode) -> _ByMode:
        return _ByMode(
            full=tuple(" ".join(t.split()) for t in value.full),
            quick=tuple(" ".join(t.split()) for t in value.quick),
        )

    def model_post_init(self, context: object, /) -> None:
        for name in _Reflect.model_fields:
            _check_lines(name, getattr(self.reflect, name))
        for name in _Insight.model_fields:
            _check_lines(name, getattr(self.insight, name))
        for stage in ("story", "feelings", "sense-making", "self-compassion", "next-step"):
            _check_lines(f"bridges.{stage}", self.bridges.get(stage, ()))
        _check_lines("opening", self.opening.full)
        _check_lines("opening", self.opening.quick)
        _check_lines("close", self.close.full)
        _check_lines("close", self.close.quick)
        _check_lines("listen", self.listen)
        _check_lines("no_question", self.no_question)


def load_reflection_templates(path: Path | None = None) -> ReflectionTemplates:
    """The wording at ``path``, or the one shipped with the coach."""
    try:
        if path is None:
            raw = (resources.files("coach") / "data" / "reflections.yaml").read_text("utf-8")
        else:
            raw = path.read_text("utf-8")
        return ReflectionTemplates.model_validate(yaml.safe_load(raw))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise ValueError(f"reflection templates {path or 'package data'}: {exc}") from exc


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def fill(template: str, **values: str) -> str:
    """Fill ``{name}`` placeholders; ``{Name}`` gets the value with a capital first letter."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name.lower(), match.group(0))
        return _capitalise(value) if name[:1].isupper() else value

    return _PLACEHOLDER.sub(replace, template)


_SENTENCE: Final = re.compile(r"[.!?]+(?=\s+[\"'(]*[A-Z]|\s*$)")


def count_sentences(text: str) -> int:
    """Sentences in ``text``: ends of sentence followed by a capital, or the end."""
    return len(_SENTENCE.findall(text.strip()))


# ----------------------------------------------------------------------------- reflection


@dataclass(frozen=True)
class Reflection:
    """The reflective opening of a reply, and what went into it."""

    text: str
    detail: str | None = None
    feelings: tuple[str, ...] = ()
    event_named: bool = False


def _pick(
    options: Sequence[str],
    rng: random.Random,
    avoid_start: str,
    values: dict[str, str],
    used_starts: frozenset[str] = frozenset(),
) -> str:
    """A filled template, preferring one whose first two words differ from ``avoid_start``
    and, where possible, from every opening in ``used_starts``."""
    rendered = [fill(option, **values) for option in options]
    fresh = [r for r in rendered if _start(r) != avoid_start]
    unused = [r for r in fresh if _start(r) not in used_starts]
    return rng.choice(unused or fresh or rendered)


def _start(text: str) -> str:
    return " ".join(text.lower().split()[:2])


def build_reflection(
    text: str,
    emotions: Sequence[EmotionScore],
    templates: ReflectionTemplates,
    rng: random.Random,
    *,
    event: str | None = None,
    max_sentences: int = 2,
    use_detail: bool = True,
    avoid_details: Iterable[str] = (),
    avoid_start: str = "",
    used_starts: Iterable[str] = (),
    name_event: bool = True,
    plan: Plan | None = None,
) -> Reflection:
    """One or two sentences reflecting what the clinician said: a detail in their own
    words, the feelings they named, the event, or (when none is there) a plain
    acknowledgement. ``avoid_start``: how the previous reply began (lower case);
    ``used_starts``: how earlier replies began, avoided where the wording allows.
    ``name_event``: false when another part of the reply already names the event.
    ``plan``: a next step they named, reflected in place of a detail."""
    r = templates.reflect
    feelings = feeling_phrases(emotions)
    felt = join_phrases(feelings)
    details = key_phrases(text, avoid=avoid_details, feelings=feelings) if use_detail else []
    detail = details[0] if details else None
    detail_has_event = bool(detail and find_cues(detail))
    if not name_event:
        event = None
    if plan is not None:
        detail = None
    values = {
        "detail": detail or "",
        "feelings": felt,
        "event": event or "",
        "plan": plan.phrase if plan else "",
    }
    sentences: list[str] = []
    event_named = False

    starts = frozenset(used_starts)

    def add(options: Sequence[str]) -> None:
        if sentences:
            sentences.append(_pick(options, rng, _start(sentences[-1]), values))
        else:
            sentences.append(_pick(options, rng, avoid_start, values, starts))

    plan_used = plan is not None and (max_sentences >= 2 or not felt)
    if plan_used:
        add(r.plan)
        if felt:
            add(r.feelings)
    elif detail and felt:
        if max_sentences >= 2:
            add(r.detail)
            if event and not detail_has_event:
                add(r.feelings_event)
                event_named = True
            else:
                add(r.feelings)
        else:
            add(r.detail_feelings)
    elif detail:
        add(r.detail)
    elif felt:
        if event:
            add(r.feelings_event)
            event_named = True
        else:
            add(r.feelings)
    elif off_task(text):
        add(r.redirect)
    elif event and text.strip():
        add(r.event)
        event_named = True
    elif not text.strip():
        add(r.empty)
    else:
        add(r.plain)
    if self_blaming(text) and len(sentences) < max_sentences:
        add(r.self_blame)
    return Reflection(
        text=" ".join(sentences),
        detail=plan.phrase if plan is not None and plan_used else detail,
        feelings=tuple(feelings),
        event_named=event_named,
    )
