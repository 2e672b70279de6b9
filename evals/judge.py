"""An LLM judge for tone, with a versioned rubric (``judge_rubric.yaml``). It runs only
when a chat model is configured (``COACH_LLM``), and its verdicts are compared with the
offline scorers: per criterion, the share of turns on which both agree and Cohen's kappa.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Final

import yaml
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from evals.tone import SCORERS

__all__ = [
    "RUBRIC_VERSION",
    "Agreement",
    "JudgeError",
    "JudgeRubric",
    "LlmJudge",
    "agreement",
    "load_rubric",
]

RUBRIC_VERSION: Final = 2
_OBJECT: Final = re.compile(r"\{[^{}]*\}", re.DOTALL)
_TAGS: Final = re.compile(r"</?(?:clinician_message|coach_reply)>", re.IGNORECASE)


class JudgeError(ValueError):
    """The rubric is malformed, or the judge could not be run."""


class SingleCriterion(BaseModel):
    """One criterion per call, answered yes or no (for very small models)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str
    question: str

    @field_validator("question")
    @classmethod
    def _has_slot(cls, value: str) -> str:
        if "{criterion}" not in value:
            raise ValueError("the question must contain {criterion}")
        return value


class JudgeRubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    system: str
    single: SingleCriterion
    criteria: dict[str, str]

    @field_validator("criteria")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SCORERS))
        if unknown or not value:
            raise ValueError(f"criteria must be offline scorer names ({SCORERS}); got {unknown}")
        return value

    def system_prompt(self) -> str:
        lines = "\n".join(f"- {name}: {text}" for name, text in self.criteria.items())
        example = json.dumps(dict.fromkeys(self.criteria, 1))
        return self.system.replace("{criteria}", lines).replace("{example}", example)


@cache
def load_rubric(path: Path | None = None) -> JudgeRubric:
    where = str(path) if path else "judge_rubric.yaml"
    if path is not None:
        text = path.read_text("utf-8")
    else:
        text = pkg_resources.files("evals").joinpath("judge_rubric.yaml").read_text("utf-8")
    try:
        rubric = JudgeRubric.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise JudgeError(f"{where} does not match the rubric schema:\n{exc}") from exc
    if rubric.version != RUBRIC_VERSION:
        raise JudgeError(f"{where} has version {rubric.version}; this code reads {RUBRIC_VERSION}")
    return rubric


def _quoted(text: str) -> str:
    return _TAGS.sub("", text)  # a message cannot close its own tag


_YES_NO: Final = re.compile(r"^\W*(yes|no|true|false|1|0)\b", re.IGNORECASE)
_WORD_END: Final = [".", ",", "!", "\n"]  # a yes or no needs no more than its first word
_VERDICT: Final = r"[\"']?\s*[:=]\s*[\"']?(-?\d+(?:\.\d+)?|yes|no|true|false)\b"
_WORDS: Final = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}


def _key(name: object) -> str:
    return re.sub(r"[\s-]+", "_", str(name).strip().lower())


def _value(raw: object) -> float | None:
    """A verdict of 0..1 from a number, a boolean or a yes/no word; else ``None``."""
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _WORDS:
            return _WORDS[word]
        try:
            raw = float(word)
        except ValueError:
            return None
    if not isinstance(raw, int | float) or raw != raw:  # NaN
        return None
    return float(raw) if 0 <= raw <= 1 else None


def _mapping(text: str) -> dict[str, object] | None:
    """``text`` read as a JSON object, else as a Python literal (single quotes, trailing
    commas, True/False, as small models write them)."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        try:
            raw = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return {_key(k): v for k, v in raw.items()} if isinstance(raw, dict) else None


class LlmJudge:
    """Grades one reply with a chat model.

    A verdict may cover only some criteria (a small model drops some, or answers one with
    "maybe"): the missing ones count as no verdict for that criterion. An answer with no
    usable verdict at all, or a model error, is counted in ``failures`` and scored
    ``None``; nothing is guessed and nothing raises."""

    def __init__(
        self,
        model: BaseChatModel,
        rubric: JudgeRubric | None = None,
        *,
        per_criterion: bool | None = None,
    ) -> None:
        self.model = model
        self.rubric = rubric or load_rubric()
        if per_criterion is None:  # very small models say so (LocalTinyChatModel)
            per_criterion = bool(getattr(model, "prefers_compact_prompt", False))
        self.per_criterion = per_criterion
        self.graded = 0  # replies sent to the model
        self.failures = 0  # answers with no usable verdict (or a model error)
        self.partial = 0  # answers with a verdict on some criteria only
        names = "|".join(
            r"[ _-]?".join(map(re.escape, name.split("_"))) for name in self.rubric.criteria
        )
        self._pairs = re.compile(rf"(?<![A-Za-z_])({names}){_VERDICT}", re.IGNORECASE)

    def messages(self, context: str, response: str) -> list[SystemMessage | HumanMessage]:
        data = (
            f"<clinician_message>\n{_quoted(context)}\n</clinician_message>\n"
            f"<coach_reply>\n{_quoted(response)}\n</coach_reply>"
        )
        return [SystemMessage(content=self.rubric.system_prompt()), HumanMessage(content=data)]

    def single_messages(
        self, context: str, response: str, criterion: str
    ) -> list[SystemMessage | HumanMessage]:
        """The messages asking about one criterion (``per_criterion`` mode)."""
        single = self.rubric.single
        question = single.question.replace("{criterion}", self.rubric.criteria[criterion])
        data = (
            f"<clinician_message>\n{_quoted(context)}\n</clinician_message>\n"
            f"<coach_reply>\n{_quoted(response)}\n</coach_reply>\n\n{question}"
        )
        return [SystemMessage(content=single.system), HumanMessage(content=data)]

    @staticmethod
    def parse_yes_no(answer: str) -> float | None:
        """1 for an answer that opens with yes, 0 for no; ``None`` otherwise."""
        match = _YES_NO.match(answer)
        return _value(match.group(1)) if match else None

    def _ask(
        self, messages: list[SystemMessage | HumanMessage], stop: list[str] | None = None
    ) -> str:
        answer = self.model.invoke(messages, stop=stop)
        return answer.content if isinstance(answer.content, str) else str(answer.content)

    def _verdict(self, raw: dict[str, object]) -> dict[str, float]:
        scores = {}
        for name in self.rubric.criteria:
            value = _value(raw.get(name))
            if value is not None:
                scores[name] = value
        return scores

    def parse(self, answer: str) -> dict[str, float] | None:
        """The verdicts in ``answer``: the JSON object (or Python-style dict) covering the
        most criteria; failing that, ``criterion: 1`` pairs anywhere in the text (a
        cut-off object, a list). ``None`` when no criterion has a usable verdict."""
        best: dict[str, float] = {}
        for match in _OBJECT.finditer(answer):
            raw = _mapping(match.group(0))
            if raw is not None and len(scores := self._verdict(raw)) > len(best):
                best = scores
        if not best:
            pairs: dict[str, object] = {}
            for match in self._pairs.finditer(answer):
                pairs.setdefault(_key(match.group(1)), match.group(2))
            best = self._verdict(pairs)
        return best or None

    def _score_each(self, context: str, response: str) -> dict[str, float] | None:
        scores = {}
        for name in self.rubric.criteria:
            try:
                answer = self._ask(self.single_messages(context, response, name), _WORD_END)
                value = self.parse_yes_no(answer)
            except Exception:  # a judge outage must not stop the run
                value = None
            if value is not None:
                scores[name] = value
        return scores or None

    def score(self, context: str, response: str) -> dict[str, float] | None:
        """The verdicts on one reply: every criterion in one call, or (``per_criterion``)
        one call per criterion. ``None`` when no criterion got a usable verdict."""
        self.graded += 1
        try:
            if self.per_criterion:
                parsed = self._score_each(context, response)
            else:
                parsed = self.parse(self._ask(self.messages(context, response)))
        except Exception:  # a judge outage or an unreadable answer must not stop the run
            parsed = None
        if parsed is None:
            self.failures += 1
        elif len(parsed) < len(self.rubric.criteria):
            self.partial += 1
        return parsed


class Agreement(BaseModel):
    criterion: str
    n: int  # turns with both an offline score and a judge verdict on this criterion
    agreement: float | None  # share of those turns where judge and offline scorer agree
    kappa: float | None  # Cohen's kappa (None when undefined)
    offline_yes: float | None = None  # share the offline scorer passed (0.5 or more)
    judge_yes: float | None = None  # share the judge passed: a judge that passes
    # everything agrees exactly as often as the offline scorer passes, with kappa 0
    no_verdict: int = 0  # turns graded with an offline score but no verdict from the judge


def _kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    a_yes = sum(a for a, _ in pairs) / n
    b_yes = sum(b for _, b in pairs) / n
    expected = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def agreement(
    turns: Iterable[tuple[dict[str, float], dict[str, float]]], criteria: Iterable[str]
) -> list[Agreement]:
    """``turns``: (offline scores, judge scores) for every graded turn; judge scores may
    lack a criterion (or be empty) where the judge gave no verdict. A score of 0.5 or more
    counts as yes."""
    rows = list(turns)
    out = []
    for name in criteria:
        pairs = [
            (offline[name] >= 0.5, judged[name] >= 0.5)
            for offline, judged in rows
            if name in offline and name in judged
        ]
        n = len(pairs)
        out.append(
            Agreement(
                criterion=name,
                n=n,
                agreement=sum(a == b for a, b in pairs) / n if n else None,
                kappa=_kappa(pairs),
                offline_yes=sum(a for a, _ in pairs) / n if n else None,
                judge_yes=sum(b for _, b in pairs) / n if n else None,
                no_verdict=sum(name in offline and name not in judged for offline, judged in rows),
            )
        )
    return out
