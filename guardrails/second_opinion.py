"""The optional second opinion on risk from a chat model (``COACH_RISK_SECOND_OPINION``).

The prompt is versioned package data; the messages go in, de-identified, as delimited
data and the answer must be one ``LEVEL:`` line. Anything else counts as no opinion, and a
confused or hijacked model can never lower a level (``RaiseOnlyClassifier`` only
ever raises).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

import yaml

from guardrails.deid import Deidentifier
from guardrails.types import Level

Complete = Callable[[str], str]  # prompt in, model text out

_ANSWER = re.compile(r"^\s*LEVEL:\s*(none|support|crisis)\s*$", re.IGNORECASE | re.MULTILINE)
_DELIMITERS = re.compile(r"</?\s*(?:message|earlier_messages)\s*>", re.IGNORECASE)
MAX_PROMPT_MESSAGE_CHARS = 4000


@cache
def load_prompt() -> tuple[int, str]:
    """(version, template) of the second-opinion prompt."""
    raw = (resources.files("guardrails") / "prompts" / "risk_second_opinion.md").read_text(
        encoding="utf-8"
    )
    _, front, body = raw.split("---", 2)
    meta = yaml.safe_load(front)
    return int(meta["version"]), body.strip()


def _as_data(text: str) -> str:
    """Message text with anything that looks like our delimiters defused."""
    return _DELIMITERS.sub("[tag removed]", text[:MAX_PROMPT_MESSAGE_CHARS])


def build_prompt(text: str, history: Sequence[str]) -> str:
    _, template = load_prompt()
    earlier = "\n".join(f"- {_as_data(h)}" for h in history[-6:]) or "(none)"
    return template.replace("{history}", earlier).replace("{message}", _as_data(text))


def parse_level(answer: str) -> Level:
    """The level in a model answer: the highest ``LEVEL:`` line, or 'none' without one
    (the caller only ever raises, so a malformed answer changes nothing)."""
    return Level.highest(*(Level(found.lower()) for found in _ANSWER.findall(answer)))


class ChatRiskOpinion:
    """A ``RiskOpinion`` backed by any text-completion callable (a chat model).

    The guard classifies a message as typed, before it is de-identified, so the opinion
    replaces identifiers itself: a model provider is sent placeholders only."""

    def __init__(self, complete: Complete, deidentifier: Deidentifier | None = None) -> None:
        self._complete = complete
        self._deidentifier = deidentifier or Deidentifier()

    def _redact(self, text: str) -> str:
        return self._deidentifier.redact(text).redacted if text.strip() else text

    def level(self, text: str, history: Sequence[str]) -> Level:
        prompt = build_prompt(self._redact(text), [self._redact(h) for h in history])
        return parse_level(self._complete(prompt))
