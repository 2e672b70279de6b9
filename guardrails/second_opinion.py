"""The optional second opinion on risk from a chat model (``COACH_RISK_SECOND_OPINION``).

The prompt is versioned package data; the messages go in, de-identified, as delimited
data and the answer must be one ``LEVEL:`` line. Anything else counts as no opinion, and a
confused or hijacked model can never lower a level (``RaiseOnlyClassifier`` only
ever raises). ``ModelCompletion`` asks a LangChain chat model with a deadline, so a slow
model costs at most ``COACH_LLM_TIMEOUT_SECONDS`` and then counts as no opinion.
"""

from __future__ import annotations

import contextvars
import queue
import re
import threading
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from guardrails.deid import Deidentifier
from guardrails.types import Level

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

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
        return self._deidentifier.redact_all(text).redacted if text.strip() else text

    def level(self, text: str, history: Sequence[str]) -> Level:
        prompt = build_prompt(self._redact(text), [self._redact(h) for h in history])
        return parse_level(self._complete(prompt))


class ModelCompletion:
    """A ``Complete`` backed by a LangChain chat model: the prompt goes in as one user
    message, and the answer must arrive within ``timeout_seconds``, else ``TimeoutError``.
    The call runs in a daemon thread, so a hung model is left behind (the model's own
    client timeout ends it), never waited on."""

    def __init__(self, model: BaseChatModel, timeout_seconds: float) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.model = model
        self.timeout_seconds = timeout_seconds

    def __call__(self, prompt: str) -> str:
        from langchain_core.messages import HumanMessage

        handover: queue.Queue[str | BaseException] = queue.Queue(maxsize=1)

        def ask() -> None:
            try:
                handover.put(self.model.invoke([HumanMessage(content=prompt)]).text)
            except BaseException as exc:  # handed to the caller's thread below
                handover.put(exc)

        context = contextvars.copy_context()  # keeps callbacks and tracing in the worker
        threading.Thread(
            target=context.run, args=(ask,), name="risk-second-opinion", daemon=True
        ).start()
        try:
            answer = handover.get(timeout=self.timeout_seconds)
        except queue.Empty:
            raise TimeoutError(
                f"no second opinion within {self.timeout_seconds:g} s (COACH_LLM_TIMEOUT_SECONDS)"
            ) from None
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, BaseException):  # never past the caller's "no opinion"
            raise RuntimeError(f"the second opinion stopped: {answer!r}") from answer
        return answer
