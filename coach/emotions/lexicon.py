"""The clinical lexicon: the catalogue of emotions the coach may reflect (label, phrase,
family) and the cue words that find them, read from the versioned package data file
``coach/emotions/data/clinical_lexicon.yaml``.

:class:`Lexicon` validates the file; :class:`CompiledLexicon` finds cues in a sentence
and says, with :mod:`coach.emotions.attribution`, whose feeling each one is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.emotions.attribution import (
    INTENSIFIERS,
    Holder,
    after_state_word,
    content_positions,
    holder,
)
from coach.emotions.text import clean, words

LEXICON_FILE = "clinical_lexicon.yaml"
_LABEL = re.compile(r"^[a-z][a-z_]*$")


class EmotionEntry(BaseModel):
    """One emotion the coach may reflect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrase: str = Field(min_length=2, max_length=40)
    family: str = Field(pattern=_LABEL.pattern)
    cues: tuple[str, ...] = ()

    @field_validator("cues")
    @classmethod
    def _cues_are_words(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        for cue in cues:
            body = cue.removeprefix("~")
            cue_words = words(clean(body))
            if not cue_words or " ".join(cue_words) != " ".join(words(body)):
                raise ValueError(f"cue {cue!r} must be lower-case words")
            if not INTENSIFIERS.isdisjoint(cue_words):
                raise ValueError(
                    f"cue {cue!r} contains an intensifier; intensifiers are skipped in text, "
                    "so the cue could never match"
                )
        return cues


class Lexicon(BaseModel):
    """The whole file: version, courtesy formulas, emotions by label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    courtesy: tuple[str, ...] = ()
    misread: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    emotions: dict[str, EmotionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _labels_and_cues_unique(self) -> Lexicon:
        owner: dict[tuple[str, ...], str] = {}
        for label, entry in self.emotions.items():
            if not _LABEL.match(label):
                raise ValueError(f"label {label!r} must be lower-case snake_case")
            for cue in entry.cues:
                key = tuple(words(clean(cue.removeprefix("~"))))
                if key in owner:
                    where = label if owner[key] == label else f"both {owner[key]} and {label}"
                    raise ValueError(f"cue {cue!r} is listed twice (under {where})")
                owner[key] = label
        for word, labels in self.misread.items():
            if words(clean(word)) != [word]:
                raise ValueError(f"misread word {word!r} must be one lower-case word")
            unknown = [label for label in labels if label not in self.emotions]
            if unknown:
                raise ValueError(f"misread word {word!r} names unknown labels {unknown}")
        return self

    def phrase(self, label: str) -> str:
        return self.emotions[label].phrase

    def family(self, label: str) -> str:
        return self.emotions[label].family


@dataclass(frozen=True)
class Cue:
    label: str
    text: str
    words: tuple[str, ...]
    after_state_word: bool  # "~" cues: only after a feeling verb or first-person subject


@dataclass(frozen=True)
class CueHit:
    """A cue found in a sentence, and whose feeling it is."""

    label: str
    cue: str
    holder: Holder
    intensified: bool  # an intensifier came right before it ("so guilty")


def lexicon_bytes() -> bytes:
    return (resources.files("coach.emotions") / "data" / LEXICON_FILE).read_bytes()


def load_lexicon(raw: bytes | None = None) -> Lexicon:
    """The shipped lexicon (or ``raw`` YAML), validated."""
    return Lexicon.model_validate(yaml.safe_load(lexicon_bytes() if raw is None else raw))


class CompiledLexicon:
    """Cue matching over one sentence's words: longest cue first, no overlaps."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        by_first: dict[str, list[Cue]] = {}
        for label, entry in lexicon.emotions.items():
            for text in entry.cues:
                cue_words = tuple(words(clean(text.removeprefix("~"))))
                cue = Cue(label, text, cue_words, text.startswith("~"))
                by_first.setdefault(cue_words[0], []).append(cue)
        self._by_first = {k: sorted(v, key=lambda c: -len(c.words)) for k, v in by_first.items()}
        formulas = sorted(lexicon.courtesy, key=len, reverse=True)
        self._courtesy = (
            re.compile(
                r"\b(?:"
                + "|".join(r"\s+".join(map(re.escape, f.split())) for f in formulas)
                + r")\b"
            )
            if formulas
            else None
        )

    def strip_courtesy(self, cleaned: str) -> str:
        """Cleaned text with politeness formulas ("thanks for listening") replaced by a
        comma, so neither the lexicon nor the classifier reads them as feelings."""
        return self._courtesy.sub(",", cleaned) if self._courtesy else cleaned

    def misread_labels(self, sentence_words: list[str]) -> set[str]:
        """Classifier labels to ignore in this sentence (see ``misread`` in the file)."""
        ignored: set[str] = set()
        for word in sentence_words:
            ignored.update(self.lexicon.misread.get(word, ()))
        return ignored

    def find(self, sentence_words: list[str]) -> list[CueHit]:
        """Every cue in one sentence (a list of :func:`coach.emotions.text.words`)."""
        content = content_positions(sentence_words)
        seq = [sentence_words[i] for i in content]
        hits: list[CueHit] = []
        pos = 0
        while pos < len(seq):
            cue = self._match_at(seq, pos, sentence_words, content)
            if cue is None:
                pos += 1
                continue
            end = pos + len(cue.words)
            who = holder(sentence_words, content, pos, end, cue.words)
            before = content[pos] - 1
            intensified = before >= 0 and sentence_words[before] in INTENSIFIERS
            hits.append(CueHit(cue.label, cue.text, who, intensified))
            pos = end
        return hits

    def _match_at(
        self, seq: list[str], pos: int, sentence_words: list[str], content: list[int]
    ) -> Cue | None:
        for cue in self._by_first.get(seq[pos], ()):
            n = len(cue.words)
            if tuple(seq[pos : pos + n]) != cue.words:
                continue
            if cue.after_state_word and not after_state_word(sentence_words, content, pos, pos + n):
                continue
            return cue
        return None


@cache
def shipped_lexicon() -> CompiledLexicon:
    """The shipped lexicon, compiled once per process."""
    return CompiledLexicon(load_lexicon())
