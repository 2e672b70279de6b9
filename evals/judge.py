"""An LLM judge for tone, with a versioned rubric (``judge_rubric.yaml``). It runs only
when a chat model is configured (``COACH_LLM``), and its verdicts are compared with the
offline scorers: per criterion, the share of turns on which both agree and Cohen's kappa.
"""

from __future__ import annotations

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

__all__ = ["Agreement", "JudgeRubric", "LlmJudge", "agreement", "load_rubric"]

RUBRIC_VERSION: Final = 1
_OBJECT: Final = re.compile(r"\{[^{}]*\}", re.DOTALL)
_TAGS: Final = re.compile(r"</?(?:clinician_message|coach_reply)>", re.IGNORECASE)


class JudgeError(ValueError):
    """The rubric is malformed, or the judge could not be run."""


class JudgeRubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    system: str
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


class LlmJudge:
    """Grades one reply with a chat model; ``None`` when the answer is not usable."""

    def __init__(self, model: BaseChatModel, rubric: JudgeRubric | None = None) -> None:
        self.model = model
        self.rubric = rubric or load_rubric()
        self.failures = 0

    def messages(self, context: str, response: str) -> list[SystemMessage | HumanMessage]:
        data = (
            f"<clinician_message>\n{_quoted(context)}\n</clinician_message>\n"
            f"<coach_reply>\n{_quoted(response)}\n</coach_reply>"
        )
        return [SystemMessage(content=self.rubric.system_prompt()), HumanMessage(content=data)]

    def parse(self, answer: str) -> dict[str, float] | None:
        for match in _OBJECT.finditer(answer):
            try:
                raw = json.loads(match.group(0))
            except json.JSONDecodeError:
                continue
            if not isinstance(raw, dict):
                continue
            scores: dict[str, float] = {}
            for name in self.rubric.criteria:
                value = raw.get(name)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    break
                if not 0 <= value <= 1:
                    break
                scores[name] = float(value)
            else:
                return scores
        return None

    def score(self, context: str, response: str) -> dict[str, float] | None:
        try:
            answer = self.model.invoke(self.messages(context, response))
        except Exception:  # a judge outage must not stop the run
            self.failures += 1
            return None
        content = answer.content if isinstance(answer.content, str) else str(answer.content)
        parsed = self.parse(content)
        if parsed is None:
            self.failures += 1
        return parsed


class Agreement(BaseModel):
    criterion: str
    n: int
    agreement: float | None  # share of turns where judge and offline scorer agree
    kappa: float | None  # Cohen's kappa (None when undefined)


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
    """``turns``: (offline scores, judge scores). A score of 0.5 or more counts as yes."""
    rows = list(turns)
    out = []
    for name in criteria:
        pairs = [
            (offline[name] >= 0.5, judged[name] >= 0.5)
            for offline, judged in rows
            if name in offline and name in judged
        ]
        share = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
        out.append(Agreement(criterion=name, n=len(pairs), agreement=share, kappa=_kappa(pairs)))
    return out
