"""Text normalisation for the risk rules: lower case, straight quotes, contractions
expanded (including the apostrophe-less forms people type on a phone), and split
into clauses, the unit the attribution rules reason about."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 20_000

_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}
)

# Order matters: specific forms before the generic n't / 're / 'll rules.
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\bi'm\b|\bim\b", "i am"),
        (r"\bi've\b|\bive\b", "i have"),
        (r"\bi'd\b", "i would"),
        (r"\bi'll\b", "i will"),
        (r"\bcan't\b|\bcant\b|\bcannot\b", "can not"),
        (r"\bwon't\b|\bwont\b", "will not"),
        (r"\bain't\b", "am not"),
        (r"\bshan't\b", "shall not"),
        (
            r"\b(do|does|did|is|was|were|are|would|could|should|have|has|had|must|might|need)"
            r"n'?t\b",
            r"\1 not",
        ),
        (r"\b(what|there|it|that|who|where|how|he|she|everything|nothing)'s\b", r"\1 is"),
        (r"\bwhats\b", "what is"),
        (r"\bthats\b", "that is"),
        (r"\btheres\b", "there is"),
        (r"\b(they|we|you|who)'re\b", r"\1 are"),
        (r"\b(they|we|you|he|she|it|that|everyone|everybody|people)'d\b", r"\1 would"),
        (r"\b(they|we|you|he|she|it|that)'ll\b", r"\1 will"),
        (r"\b(they|we|you|could|would|should|might|must)'ve\b", r"\1 have"),
        (r"\bgonna\b", "going to"),
        (r"\bwanna\b", "want to"),
        (r"\bgotta\b", "got to"),
        (r"\bdunno\b", "do not know"),
        (r"\bu\b", "you"),
    )
)

_SPACE = re.compile(r"\s+")
# Sentence ends, semicolons, dashes, and connectives that start a new thought.
_CLAUSE_BREAK = re.compile(
    r"[.!?;:\n]+|\s[-\u2013\u2014]+\s|,|\b(?:but|and then|and now|and honestly|"
    r"although|though|whereas|because|cos|so now|anyway)\b"
)


def normalise(text: str) -> str:
    """Lower-cased, quote-straightened, contraction-expanded, single-spaced text."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES).lower()
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def sentences(text: str) -> list[str]:
    """Normalised text split at sentence ends and line breaks (commas kept)."""
    parts = re.split(r"[.!?;\n]+", text)
    return [p.strip(" ,\"'") for p in parts if p.strip(" ,\"'")]


def clauses(sentence: str) -> list[str]:
    """A sentence split at commas, dashes and connectives that start a new thought."""
    parts = _CLAUSE_BREAK.split(sentence)
    return [p.strip(" \"'") for p in parts if p and p.strip(" \"'")]
