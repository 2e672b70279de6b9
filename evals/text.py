"""Small text helpers the scorers share: sentences, content words, syllables."""

from __future__ import annotations

import re
from typing import Final

from guardrails.reply_check import normalise

__all__ = [
    "content_stems",
    "flesch_reading_ease",
    "normalise",
    "plain",
    "questions",
    "sentences",
    "words",
]

_MARKDOWN: Final = re.compile(r"\*\*|__|`|^#+\s*|^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_SPLIT: Final = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_WORD: Final = re.compile(r"[a-z][a-z'-]*")
_VOWELS: Final = re.compile(r"[aeiouy]+")

STOPWORDS: Final = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even ever every few for from
    further get got had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is
    isn't it it's its itself just let's like me more most much must mustn't my myself no
    nor not now of off on once only or other ought our ours ourselves out over own
    really same shan't she she'd she'll she's should shouldn't so some still such than
    that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those though through to too under until up us very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's
    which while who who's whom why why's will with won't would wouldn't yeah yes yet you
    you'd you'll you're you've your yours yourself yourselves one thing things something
    anything really bit lot okay ok well maybe kind sort""".split()  # noqa: SIM905
)
_SUFFIXES: Final = (
    "ations",
    "ation",
    "ingly",
    "ings",
    "ness",
    "ment",
    "ing",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "s",
)


def plain(text: str) -> str:
    """Normalised text without markdown emphasis or list marks."""
    return normalise(_MARKDOWN.sub("", text))


def sentences(text: str) -> list[str]:
    """Sentences of normalised text (a question mark ends a sentence too)."""
    return [s.strip() for s in _SPLIT.split(plain(text)) if s and s.strip(" .!?\"'")]


def questions(parts: list[str]) -> list[str]:
    return [s for s in parts if s.rstrip("\"') ").endswith("?")]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _stem(word: str) -> str:
    word = word.strip("'-")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry content (no stopwords, no very short words)."""
    return {_stem(w) for w in words(text) if w not in STOPWORDS and len(w) >= 3}


def _syllables(word: str) -> int:
    word = word.strip("'-")
    groups = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, groups)


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease (higher is easier; 60-70 is plain English)."""
    parts = sentences(text)
    found = words(text)
    if not parts or not found:
        return 100.0
    syllables = sum(_syllables(w) for w in found)
    return 206.835 - 1.015 * (len(found) / len(parts)) - 84.6 * (syllables / len(found))
