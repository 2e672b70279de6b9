"""Text handling the emotion recogniser owns: cleaning, sentence splitting, and the
hashed word features the shipped linear model reads.

The feature function is part of the model: training and inference both call
:func:`hashed_features`, and the model's JSON records :data:`FEATURE_VERSION` so a
change here cannot silently mismatch the shipped weights.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

FEATURE_VERSION = 1
MAX_CHARS = 20_000  # longer messages are cut here (the coach refuses far shorter ones)
MAX_SENTENCES = 40

_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}
)
_SPACE = re.compile(r"[ \t\r\f\v]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[\n;]+")

# A word (with an inner apostrophe, "don't"), ! or ?, one pictograph, or a clause break.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[!?]|[\u2600-\u27bf\U0001f300-\U0001faff]|[,.;:]")
_BREAKS = frozenset({",", ".", ";", ":", "!", "?", "but"})
# Words that flip the meaning of what follows, up to the next clause break. Kept apart from
# attribution.NEGATORS on purpose: this list is part of the model's features.
_NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "don't",
        "dont",
        "didn't",
        "didnt",
        "doesn't",
        "doesnt",
        "isn't",
        "isnt",
        "wasn't",
        "wasnt",
        "aren't",
        "arent",
        "weren't",
        "werent",
        "can't",
        "cant",
        "cannot",
        "couldn't",
        "couldnt",
        "won't",
        "wont",
        "wouldn't",
        "wouldnt",
        "shouldn't",
        "shouldnt",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "hadn't",
        "hadnt",
        "ain't",
    }
)
_NEGATION_WINDOW = 3  # tokens after a negator that are marked as negated


def clean(text: str) -> str:
    """NFKC, straight quotes, printable characters only, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES).lower()
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.split("\n")).strip()


def split_sentences(cleaned: str) -> list[str]:
    """Sentences of already-cleaned text (at most :data:`MAX_SENTENCES`)."""
    parts = (p.strip(" \"'") for p in _SENTENCE_END.split(cleaned))
    return [p for p in parts if p][:MAX_SENTENCES]


def tokens(cleaned: str) -> list[str]:
    """Word tokens of cleaned text; words within a few tokens after a negator carry a
    ``neg:`` prefix, so "not guilty" and "guilty" are different features."""
    out: list[str] = []
    negated_left = 0
    for match in _TOKEN.finditer(cleaned):
        token = match.group(0)
        if token in _NEGATORS:
            out.append(token)
            negated_left = _NEGATION_WINDOW
            continue
        if token in _BREAKS:
            negated_left = 0
            if token in {",", ".", ";", ":"}:
                continue
        if negated_left:
            out.append("neg:" + token)
            negated_left -= 1
        else:
            out.append(token)
    return out


# "I feel ..." says nothing about which feeling, but in GoEmotions it leans sad, so a
# clinician's "I feel fine" read as sadness; the verb is left out of the features.
_FEEL_WORDS = frozenset({"feel", "feels", "felt", "feeling", "feelings"})


def feature_names(cleaned: str) -> list[str]:
    """Unigrams and bigrams (bigrams use the words without their ``neg:`` marks), with
    the verb "feel" left out."""
    toks = [t for t in tokens(cleaned) if t.removeprefix("neg:") not in _FEEL_WORDS]
    plain = [t.removeprefix("neg:") for t in toks]
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(plain)]


def bucket(feature: str, n_buckets: int) -> int:
    """The stable hash bucket of one feature (CRC-32, not Python's salted ``hash``)."""
    return zlib.crc32(feature.encode("utf-8")) % n_buckets


def hashed_features(cleaned: str, n_buckets: int) -> tuple[npt.NDArray[np.int64], float]:
    """Distinct buckets hit by the text and the L2 norm factor of its binary vector.

    A message's feature vector is 1/sqrt(k) at each of its k distinct buckets, so a
    linear score is ``weights[buckets].sum(axis=0) * factor``.
    """
    buckets = np.unique(
        np.fromiter((bucket(f, n_buckets) for f in feature_names(cleaned)), dtype=np.int64)
    )
    factor = 1.0 / float(np.sqrt(len(buckets))) if len(buckets) else 0.0
    return buckets, factor


def iter_rows(
    texts: Iterable[str], n_buckets: int
) -> Iterable[tuple[npt.NDArray[np.int64], float]]:
    """:func:`hashed_features` of each text, cleaned first (for training and evaluation)."""
    for text in texts:
        yield hashed_features(clean(text), n_buckets)


# --- words for the lexicon ------------------------------------------------------------

_WORD = re.compile(r"\[[a-z_]+\]|[a-z0-9]+(?:['-][a-z0-9]+)*|[,;:!?]")
# Contractions spelled out (with the apostrophe-less forms people type on a phone), so a
# cue written once matches every spelling. Negations stay one word: they are negators.
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "i'm": ("i", "am"),
    "im": ("i", "am"),
    "i've": ("i", "have"),
    "ive": ("i", "have"),
    "i'd": ("i", "would"),
    "i'll": ("i", "will"),
    "we're": ("we", "are"),
    "we've": ("we", "have"),
    "we'd": ("we", "would"),
    "you're": ("you", "are"),
    "you've": ("you", "have"),
    "they're": ("they", "are"),
    "they've": ("they", "have"),
    "he's": ("he", "is"),
    "she's": ("she", "is"),
    "it's": ("it", "is"),
    "that's": ("that", "is"),
    "thats": ("that", "is"),
    "there's": ("there", "is"),
    "should've": ("should", "have"),
    "shouldve": ("should", "have"),
    "could've": ("could", "have"),
    "couldve": ("could", "have"),
    "would've": ("would", "have"),
    "wouldve": ("would", "have"),
    "cannot": ("can't",),
}
_APOSTROPHE_LESS = {
    "cant": "can't",
    "dont": "don't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "wont": "won't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
}


def words(cleaned: str) -> list[str]:
    """Lexicon words of cleaned text: contractions spelled out, possessive "'s" dropped
    ("the patient's wife" -> "the patient wife"), punctuation inside a sentence kept as
    its own word (it ends a negation's reach)."""
    out: list[str] = []
    for match in _WORD.finditer(cleaned):
        word = match.group(0)
        word = _APOSTROPHE_LESS.get(word, word)
        if word in _EXPANSIONS:
            out.extend(_EXPANSIONS[word])
        elif word.endswith("'s"):
            out.append(word[:-2])
        else:
            out.append(word)
    return out
