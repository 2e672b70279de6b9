"""The tone scorers' markers and weights (``tone_lexicon.yaml``, versioned package data)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from coach.types import STAGES

__all__ = ["LEXICON_VERSION", "LexiconError", "ToneLexicon", "join_pattern", "load_lexicon"]

LEXICON_VERSION: Final = 1
PENALTIES: Final = ("no_judgement", "no_advice", "no_minimising", "no_diagnosis", "one_question")
POSITIVES: Final = ("reflection", "validation", "exploration", "length_readability")


class LexiconError(ValueError):
    """``tone_lexicon.yaml`` is malformed; the message names the entry to fix."""


def join_pattern(text: str) -> str:
    """A pattern written over several lines: the lines joined with nothing between them
    (YAML has already dropped the block's indentation)."""
    return "".join(text.splitlines())


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LengthLimits(_Frozen):
    min_words: int = Field(ge=1)
    max_words: int = Field(ge=2)
    max_sentence_words: int = Field(ge=5)


class Readability(_Frozen):
    good_flesch: float
    poor_flesch: float


class OverallWeights(_Frozen):
    positive: dict[str, float]
    penalties: list[str]
    penalty_floor: float = Field(ge=0.0, le=1.0)

    @field_validator("positive")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(POSITIVES))
        if unknown:
            raise ValueError(f"unknown positive scorers {unknown}; use some of {POSITIVES}")
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("positive weights must be >= 0 and not all 0")
        return value

    @field_validator("penalties")
    @classmethod
    def _penalties(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PENALTIES))
        if unknown:
            raise ValueError(f"unknown penalty scorers {unknown}; use some of {PENALTIES}")
        return value


_PATTERN_FIELDS: Final = (
    "feelings",
    "validation",
    "reflection_frame",
    "advice",
    "reported",
    "imperative",
    "permission",
    "judgement",
    "minimising",
    "diagnosis",
    "open_question",
    "closed_question",
    "citation_marker",
)


class ToneLexicon(_Frozen):
    version: int
    feelings: str
    validation: str
    reflection_frame: str
    advice: str
    reported: str
    imperative: str
    permission: str
    judgement: str
    minimising: str
    diagnosis: str
    open_question: str
    closed_question: str
    stage_cues: dict[str, str]
    citation_marker: str
    citation_support: float = Field(gt=0.0, le=1.0)
    length: LengthLimits
    readability: Readability
    overall: OverallWeights
    _patterns: dict[str, re.Pattern[str]] = PrivateAttr(default_factory=dict)

    @field_validator("stage_cues")
    @classmethod
    def _stages(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [s for s in STAGES if s not in value]
        extra = sorted(set(value) - set(STAGES))
        if missing or extra:
            raise ValueError(f"stage_cues needs exactly the stages {list(STAGES)}")
        return value

    def compiled(self, name: str) -> re.Pattern[str]:
        """The pattern ``name`` (a field, or ``stage_cues.<stage>``), compiled once."""
        pattern = self._patterns.get(name)
        if pattern is None:
            if name.startswith("stage_cues."):
                source = self.stage_cues[name.removeprefix("stage_cues.")]
            else:
                source = getattr(self, name)
            pattern = self._patterns[name] = re.compile(join_pattern(source))
        return pattern

    def stage_pattern(self, stage: str) -> re.Pattern[str]:
        return self.compiled(f"stage_cues.{stage}")


def _validate_patterns(lexicon: ToneLexicon, where: str) -> None:
    named = [(f, getattr(lexicon, f)) for f in _PATTERN_FIELDS]
    named += [(f"stage_cues.{s}", p) for s, p in lexicon.stage_cues.items()]
    for name, pattern in named:
        joined = join_pattern(pattern)
        if "||" in joined or "(?:|" in joined or "|)" in joined:
            raise LexiconError(
                f"{where}: {name} has an empty alternative ('||', '(?:|' or '|)'), which "
                "matches everything; check the line breaks inside that pattern"
            )
        try:
            re.compile(joined)
        except re.error as exc:
            raise LexiconError(f"{where}: {name} is not a valid regular expression: {exc}") from exc


def parse_lexicon(text: str, where: str = "tone_lexicon.yaml") -> ToneLexicon:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{where} is not valid YAML: {exc}") from exc
    try:
        lexicon = ToneLexicon.model_validate(raw)
    except ValidationError as exc:
        raise LexiconError(f"{where} does not match the lexicon schema:\n{exc}") from exc
    if lexicon.version != LEXICON_VERSION:
        raise LexiconError(
            f"{where} has version {lexicon.version}; this code reads version {LEXICON_VERSION}"
        )
    _validate_patterns(lexicon, where)
    return lexicon


@cache
def load_lexicon(path: Path | None = None) -> ToneLexicon:
    """The shipped lexicon, or the one at ``path``."""
    if path is not None:
        return parse_lexicon(path.read_text("utf-8"), str(path))
    text = pkg_resources.files("evals").joinpath("tone_lexicon.yaml").read_text("utf-8")
    return parse_lexicon(text)
