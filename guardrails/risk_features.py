"""What the risk model reads besides the embedding: which parts of a message it scores
(``units``) and the rules' view of whose risk each part is (``attribution``).

A message is cut into sentences; at most ``MAX_UNITS`` of them are scored, those that
speak in the first person first, so a long story costs a few embeddings, not one per
sentence. Each unit also gets a handful of features from the rules: a first-person or a
third-party subject, speech reported from someone else, negation, an idiom or humour,
and the weight of the hints the rules found. ``points_elsewhere`` is the gate: a unit
that tells someone else's risk may never raise a message to crisis, whatever the model
says; nor may a unit in which the speaker plainly rules their own risk out ("I'm not
going to hurt myself or anything").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.normalize import normalise
from guardrails.risk import denies_crisis, message_hits
from guardrails.risk_rules import IDIOMS, NEGATION, REPORTING, RULES, THIRD_PARTY
from guardrails.types import Level

MAX_UNITS = 4  # sentences scored per message
MAX_UNIT_CHARS = 600  # MiniLM reads ~256 word-pieces; longer text only costs time
MIN_UNIT_WORDS = 3

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|(?<=[a-z])\s*;\s*")
_TOKEN = re.compile(r"[a-z0-9]+")
_SELF = frozenset({"i", "me", "myself"})
_MINE = frozenset({"my", "mine"})
_WE = frozenset({"we", "us", "our", "ours"})
_HUMOUR = re.compile(r"\b(?:lol|lmao|haha+|jk|joking|kidding)\b|😂|🤣")
_CONDITIONAL = re.compile(r"\b(?:if i ever|what if i|if i were to|hypothetically)\b")
_CRISIS_PATTERNS = tuple(r.pattern for r in RULES if r.level == "crisis")

FEATURE_NAMES: tuple[str, ...] = (
    "self_subject",  # i / me / myself anywhere
    "self_first",  # the first person word is the speaker
    "mine",  # my / mine (also "my patient")
    "other_any",  # a third party is named
    "other_first",  # the first person word is someone else
    "we",
    "reported_other",  # "she said ...", "he told me ..."
    "negation",
    "idiom",
    "humour",
    "conditional",
    "question",
    "crisis_words",  # a crisis rule's wording, whoever it is about
    "rule_crisis",  # the rules flag this unit as the speaker's crisis
    "rule_support",
    "hint_weight",
    "long",  # more than 25 words
)


@dataclass(frozen=True)
class Attribution:
    """The rules' view of one unit of text."""

    features: tuple[float, ...]
    points_elsewhere: bool  # tells someone else's risk: never raise this unit to crisis
    denied: bool = False  # the speaker plainly rules their own risk out (``denies_crisis``)

    @property
    def gated(self) -> bool:
        """Never raise this unit to crisis: it is someone else's risk, or denied."""
        return self.points_elsewhere or self.denied


def split_units(text: str) -> list[str]:
    """Sentences of ``text`` worth scoring: at most ``MAX_UNITS``, first-person ones
    first (kept in their original order), each cut to ``MAX_UNIT_CHARS``."""
    parts = [p.strip() for p in _SPLIT.split(text[:20_000]) if p and p.strip()]
    parts = [p[:MAX_UNIT_CHARS] for p in parts if len(_TOKEN.findall(p.lower())) >= 1]
    if not parts:
        return [text.strip()[:MAX_UNIT_CHARS]] if text.strip() else []
    if len(parts) == 1:
        return parts
    # Very short fragments ("Anyway.") are merged into the sentence before them.
    merged: list[str] = []
    for part in parts:
        if merged and len(_TOKEN.findall(part.lower())) < MIN_UNIT_WORDS:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    if len(merged) <= MAX_UNITS:
        return merged
    ranked = sorted(range(len(merged)), key=lambda i: (_priority(merged[i]), i))
    keep = sorted(ranked[:MAX_UNITS])
    return [merged[i] for i in keep]


def _priority(unit: str) -> int:
    """0: the speaker without anyone else; 1: the speaker and others; 2: no one; 3: others."""
    tokens = set(_TOKEN.findall(normalise(unit)))
    me = bool(tokens & _SELF)
    others = bool(tokens & THIRD_PARTY)
    if me and not others:
        return 0
    if me:
        return 1
    return 3 if others else 2


def _first_person_word(tokens: Sequence[str]) -> str | None:
    for token in tokens:
        if token in _SELF or token in _MINE:
            return "self"
        if token in THIRD_PARTY or token in _WE:
            return "other"
    return None


def _reported_other(text: str) -> bool:
    """Someone else's words: "she said she wanted to die", not "he shouted at me and i
    wanted to die" (the speaker comes back after the reporting verb)."""
    for match in REPORTING.finditer(text):
        before = _TOKEN.findall(text[: match.start()])
        after = _TOKEN.findall(text[match.end() :])
        speaker_after = [t for t in after if t in _SELF and t != "me"]
        for token in reversed(before):
            if token in THIRD_PARTY:
                if not speaker_after:
                    return True
                break
            if token in _SELF or token in _WE:
                break
    return False


_WORD = re.compile(r"[a-z0-9']+")
_DROPPED_I_VERBS = frozenset(
    """
    took take taking been got get had have went go going did do said gave give kept keep
    left bought buy found find wrote write drove sat stood thought think thinking feel
    feeling felt want wanted wish cant can not nearly almost just really still keep
    """.split()  # noqa: SIM905 - a word list reads better as text
)
NGRAM_RANGE = (1, 3)


def ngrams(unit: str) -> list[str]:
    """Word 1- to 3-grams of the normalised unit (contractions expanded), the model's
    lexical features."""
    words = _WORD.findall(normalise(unit))
    low, high = NGRAM_RANGE
    return [
        " ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)
    ]


def _self_reference(tokens: Sequence[str]) -> bool:
    """The speaker is in the unit: "i", "me", "myself", "my" before a thing rather than
    a person ("my will", not "my patient"), or a chat message that drops its "I" and
    starts with a verb ("took a couple of ...", "been reading about ...")."""
    if tokens and (tokens[0] in _DROPPED_I_VERBS or re.fullmatch(r"[a-z]{3,}ed", tokens[0])):
        return True
    for i, token in enumerate(tokens):
        if token in _SELF:
            return True
        if token in _MINE:
            following = tokens[i + 1 : i + 3]
            if not any(t in THIRD_PARTY for t in following):
                return True
    return False


def attribution(unit: str) -> Attribution:
    """Features of one unit, and whether it points at someone else's risk."""
    norm = normalise(unit)
    tokens = _TOKEN.findall(norm)
    token_set = set(tokens)
    self_subject = bool(token_set & _SELF)
    other_any = bool(token_set & THIRD_PARTY)
    we = bool(token_set & _WE)
    first = _first_person_word(tokens)
    reported = _reported_other(norm)
    hits = message_hits(unit)
    rule_level = Level.highest(*(h.level for h in hits))
    hint = min(1.0, sum(h.weight for h in hits if h.rule.level == "hint"))
    crisis_words = any(p.search(norm) for p in _CRISIS_PATTERNS)
    features = (
        float(self_subject),
        float(first == "self"),
        float(bool(token_set & _MINE)),
        float(other_any),
        float(first == "other"),
        float(we),
        float(reported),
        float(bool(token_set & NEGATION)),
        float(bool(IDIOMS.search(norm))),
        float(bool(_HUMOUR.search(norm))),
        float(bool(_CONDITIONAL.search(norm))),
        float("?" in unit),
        float(crisis_words),
        float(rule_level is Level.CRISIS),
        float(rule_level is Level.SUPPORT),
        hint,
        float(len(tokens) > 25),
    )
    elsewhere = reported or ((other_any or we) and not _self_reference(tokens))
    own_crisis = rule_level is Level.CRISIS
    return Attribution(
        features,
        points_elsewhere=elsewhere and not own_crisis,
        denied=not own_crisis and denies_crisis(unit, hits),
    )
