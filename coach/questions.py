"""The versioned bank of open questions the scripted responder asks, one per reply.

``load_question_bank()`` reads ``coach/data/question_bank.yaml`` (package data) and
validates it: unique ids named after their stage, every stage covered in both modes,
exactly one question mark per question (at the end), only known placeholders, and only
known incident keys. ``QuestionBank.candidates`` gives the questions still open for a
turn, incident-specific variants first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.incidents import INCIDENT_KEYS
from coach.types import STAGES, Mode, Stage

__all__ = [
    "EVENT_FALLBACK",
    "PLACEHOLDERS",
    "Question",
    "QuestionBank",
    "QuestionBankError",
    "load_question_bank",
]

PLACEHOLDERS: Final[frozenset[str]] = frozenset({"event"})
EVENT_FALLBACK: Final = "what happened"  # {event} when no incident has been named
MODES: Final[tuple[Mode, ...]] = ("full", "quick")
_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
_ID: Final = re.compile(r"^[a-z]+(?:-[a-z]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_CHARS: Final = 200


class QuestionBankError(ValueError):
    """The question bank file is missing or malformed; the message says what is wrong."""


class Question(BaseModel):
    """One open question, with the incidents and modes it suits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str = Field(min_length=5, max_length=_MAX_CHARS)
    incidents: tuple[str, ...] = ()
    modes: tuple[Literal["full", "quick"], ...] = MODES
    opening: bool = False
    follow_up: bool = False  # only once the stage is under way, never on entering it
    entry: bool = False  # only on entering the stage (e.g. "what happened?" asked once)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"question id {value!r} must look like 'stage.slug'")
        return value

    @field_validator("text")
    @classmethod
    def _one_open_question(cls, value: str) -> str:
        if value != value.strip() or "\n" in value:
            raise ValueError(f"{value!r}: no leading/trailing whitespace or line breaks")
        if value.count("?") != 1 or not value.endswith("?"):
            raise ValueError(f"{value!r}: exactly one question mark, at the end")
        if not value[0].isupper():
            raise ValueError(f"{value!r}: start with a capital letter")
        if "[" in value or "]" in value:
            raise ValueError(f"{value!r}: square brackets look like de-identification placeholders")
        if value.count("{") != value.count("}"):
            raise ValueError(f"{value!r}: unbalanced braces")
        unknown = set(_PLACEHOLDER.findall(value)) - PLACEHOLDERS
        if unknown:
            raise ValueError(f"{value!r}: unknown placeholder(s) {sorted(unknown)}")
        return value

    @field_validator("incidents")
    @classmethod
    def _known_incidents(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - INCIDENT_KEYS)
        if unknown:
            raise ValueError(f"unknown incident key(s) {unknown}")
        if len(set(value)) != len(value):
            raise ValueError("an incident key is listed twice")
        return value

    @field_validator("modes")
    @classmethod
    def _some_mode(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError("modes must name full and/or quick, once each")
        return value

    def render(self, event: str | None = None) -> str:
        """The question as asked, with ``{event}`` filled in."""
        return self.text.replace("{event}", event or EVENT_FALLBACK)

    def suits(self, mode: Mode, incident_keys: Iterable[str]) -> bool:
        if mode not in self.modes:
            return False
        return not self.incidents or bool(set(self.incidents) & set(incident_keys))


class QuestionBank(BaseModel):
    """Every stage's questions, in the order they are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    stages: dict[Stage, tuple[Question, ...]]

    @model_validator(mode="after")
    def _complete(self) -> QuestionBank:
        seen: set[str] = set()
        for stage in STAGES:
            questions = self.stages.get(stage, ())
            for mode in MODES:
                if not any(q.suits(mode, ()) and not q.follow_up for q in questions):
                    raise ValueError(f"stage {stage!r} needs a general question for {mode} mode")
            for question in questions:
                if question.id in seen:
                    raise ValueError(f"question id {question.id!r} is used twice")
                seen.add(question.id)
                if not question.id.startswith(f"{stage}."):
                    raise ValueError(f"question {question.id!r} is filed under {stage!r}")
                if question.opening and stage != "check-in":
                    raise ValueError(f"question {question.id!r}: only check-in may open")
                if question.entry and question.follow_up:
                    raise ValueError(f"question {question.id!r}: an entry is not a follow-up")
                if question.opening and question.follow_up:
                    raise ValueError(f"question {question.id!r}: an opening is not a follow-up")
        for mode in MODES:
            if not any(q.opening and mode in q.modes for q in self.stages["check-in"]):
                raise ValueError(f"check-in needs an opening question for {mode} mode")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for stage in STAGES for q in self.stages[stage])

    def all(self) -> tuple[Question, ...]:
        return tuple(q for stage in STAGES for q in self.stages[stage])

    def get(self, question_id: str) -> Question:
        for question in self.all():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def candidates(
        self,
        stage: Stage,
        mode: Mode,
        incident_keys: Iterable[str] = (),
        asked: Iterable[str] = (),
        *,
        opening: bool = False,
        entering: bool = False,
    ) -> tuple[list[Question], list[Question]]:
        """Questions not yet asked that suit this turn: (incident-specific, general), each in
        bank order. ``entering``: the stage has just begun, so follow-ups are left out."""
        keys = tuple(incident_keys)
        done = set(asked)
        pool = [
            q
            for q in self.stages[stage]
            if q.id not in done
            and q.suits(mode, keys)
            and (q.opening or not opening)
            and not (entering and q.follow_up)
            and not (q.entry and not entering)
        ]
        if opening:
            return [], pool
        specific = [q for q in pool if q.incidents]
        general = [q for q in pool if not q.incidents and not q.opening]
        if not general:  # an opening question may still serve a later check-in turn
            general = [q for q in pool if not q.incidents]
        return specific, general


def _read(path: Path | None) -> str:
    try:
        if path is None:
            return (resources.files("coach") / "data" / "question_bank.yaml").read_text("utf-8")
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionBankError(f"question bank {path or 'package data'}: {exc}") from exc


def parse_question_bank(text: str, source: str = "question bank") -> QuestionBank:
    """Validate a bank given as YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise QuestionBankError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return QuestionBank.model_validate(data)
    except ValidationError as exc:
        raise QuestionBankError(f"{source}: {exc}") from exc


def load_question_bank(path: Path | None = None) -> QuestionBank:
    """The bank at ``path``, or the one shipped with the coach."""
    return parse_question_bank(_read(path), str(path or "coach/data/question_bank.yaml"))
