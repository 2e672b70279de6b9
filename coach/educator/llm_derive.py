"""LLM-assisted theme derivation: the configured chat model suggests vocabulary keys.

The model is shown the debrief's clinician messages (de-identified again here, cut to
length, as delimited data with the delimiters defused) and the closed lists of
:mod:`coach.educator.vocabulary`, with the versioned prompt
``coach/educator/prompts/theme_derivation.md``. It must answer with exactly four lines::

    INCIDENT: <key or none>
    EMOTIONS: <keys or none>
    FACTORS: <keys or none>
    NEEDS: <keys or none>

Anything else (prose, a missing or repeated line, a value that is not a list of keys) is
no suggestion at all; a well-formed key that is not in the vocabulary is dropped. So a
confused or hijacked model can add vocabulary keys at most, never text. How suggestions
are merged with the rules is :func:`coach.educator.derive.derive_theme`'s business.

:func:`assistant_from_settings` builds the assistant the recorder uses when ``COACH_LLM``
names a chat model and ``COACH_THEMES_LLM`` is on; the model itself is built on first use.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Final, Protocol

import yaml

from coach.educator import vocabulary as v

if TYPE_CHECKING:
    from coach.settings import Settings
    from guardrails.deid import Deidentifier

log = logging.getLogger(__name__)

Complete = Callable[[str], str]  # prompt in, model text out

PROMPT_FILE: Final = "theme_derivation.md"
PLACEHOLDERS: Final = ("{incidents}", "{emotions}", "{factors}", "{needs}", "{messages}")
MAX_PROMPT_MESSAGE_CHARS: Final = 4000  # per message, as the risk second opinion cuts
MAX_PROMPT_CHARS: Final = 12_000  # all messages together (small local models included)
MAX_ANSWER_CHARS: Final = 2000
PAUSE_AFTER_FAILURE_SECONDS: Final = 300.0

# The model is not offered crisis support: that need follows from the session's peak
# escalation level, which only the engine decides.
MODEL_NEEDS: Final[dict[str, str]] = {k: n for k, n in v.NEEDS.items() if k != "crisis_support"}
MODEL_INCIDENTS: Final[dict[str, str]] = {
    k: n for k, n in v.INCIDENT_NAMES.items() if k != v.UNRECOGNISED
}

_DELIMITERS: Final = re.compile(r"</?\s*messages?\b[^>]*>", re.IGNORECASE)
_LINE: Final = re.compile(r"^(INCIDENT|EMOTIONS|FACTORS|NEEDS)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_KEY: Final = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_FENCE: Final = re.compile(r"^```[a-z]*$", re.IGNORECASE)
_NONE: Final = frozenset({"", "none", "-"})
LABELS: Final = ("INCIDENT", "EMOTIONS", "FACTORS", "NEEDS")


class ThemePromptError(RuntimeError):
    """The theme derivation prompt file is missing or malformed."""


@dataclass(frozen=True)
class ThemeSuggestion:
    """What a model suggested: vocabulary keys only (see :func:`parse_answer`)."""

    incident: str | None = None
    emotions: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


class ThemeAssistant(Protocol):
    """Suggests theme keys for a debrief from its (de-identified) clinician messages;
    ``None`` for no suggestion. May raise; the caller falls back to the rules."""

    def suggest(self, messages: Sequence[str]) -> ThemeSuggestion | None: ...


# --- the prompt -------------------------------------------------------------------------


@cache
def load_prompt() -> tuple[int, str]:
    """(version, template) of the theme derivation prompt (package data)."""
    path = resources.files("coach.educator") / "prompts" / PROMPT_FILE
    try:
        raw = path.read_text(encoding="utf-8")
        _, front, body = raw.split("---", 2)
        meta = yaml.safe_load(front)
        version = int(meta["version"])
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ThemePromptError(
            f"coach/educator/prompts/{PROMPT_FILE} is missing or malformed ({exc}); it needs "
            "front matter with 'version:' (or set COACH_THEMES_LLM=false)"
        ) from exc
    template = body.strip()
    missing = [p for p in PLACEHOLDERS if p not in template]
    if missing:
        raise ThemePromptError(
            f"coach/educator/prompts/{PROMPT_FILE} lacks the placeholders {', '.join(missing)}"
        )
    return version, template


def _listing(keys: dict[str, str]) -> str:
    """One line per key, with its label when that says more than the key."""
    return "\n".join(
        f"- {key}" if label == key.replace("_", " ") else f"- {key}: {label}"
        for key, label in keys.items()
    )


def _as_data(text: str) -> str:
    """A message cut to length, with anything that looks like our delimiters defused."""
    return _DELIMITERS.sub("[tag removed]", text[:MAX_PROMPT_MESSAGE_CHARS]).strip()


def _within_budget(texts: list[str]) -> tuple[list[str], list[str]]:
    """The first and the last messages that fit :data:`MAX_PROMPT_CHARS` together,
    dropping from the middle: the first ones usually tell what happened, the last ones
    what the clinician will do next."""
    if sum(len(t) for t in texts) <= MAX_PROMPT_CHARS:
        return texts, []
    front: list[str] = []
    back: list[str] = []
    used, left, right = 0, 0, len(texts) - 1
    while left <= right:
        take_front = len(front) <= len(back)
        text = texts[left] if take_front else texts[right]
        if used + len(text) > MAX_PROMPT_CHARS:
            break
        used += len(text)
        if take_front:
            front.append(text)
            left += 1
        else:
            back.insert(0, text)
            right -= 1
    return front, back


def _block(texts: list[str]) -> str:
    return "\n".join(f"<message>\n{t}\n</message>" for t in texts)


def build_prompt(messages: Sequence[str]) -> str:
    """The prompt for ``messages`` (already de-identified), each as delimited data."""
    _, template = load_prompt()
    texts = [t for t in (_as_data(m) for m in messages) if t]
    front, back = _within_budget(texts)
    left_out = len(texts) - len(front) - len(back)
    parts = [_block(front)]
    if left_out:
        parts.append(f"({left_out} messages in between left out)")
    if back:
        parts.append(_block(back))
    filled = (
        template.replace("{incidents}", _listing(MODEL_INCIDENTS))
        .replace("{emotions}", _listing(v.emotion_families()))
        .replace("{factors}", _listing(v.FACTORS))
        .replace("{needs}", _listing(MODEL_NEEDS))
    )
    return filled.replace("{messages}", "\n".join(parts))  # last: message text is never expanded


# --- the answer -------------------------------------------------------------------------


def _keys(value: str) -> list[str] | None:
    """The keys in a line's value, or ``None`` when it is not a plain list of keys."""
    value = value.strip().lower()
    if value in _NONE:
        return []
    keys: list[str] = []
    for token in value.split(","):
        token = token.strip().strip("`").strip()
        if token in _NONE:
            continue
        if not _KEY.fullmatch(token):
            return None
        if token not in keys:
            keys.append(token)
    return keys


def parse_answer(answer: str) -> ThemeSuggestion | None:
    """The suggestion in a model answer, or ``None`` unless the answer is exactly the four
    lines the prompt asks for (blank lines and code fences aside). Keys outside the
    vocabulary are dropped; nothing else of the answer is kept."""
    if len(answer) > MAX_ANSWER_CHARS:
        return None
    found: dict[str, list[str]] = {}
    for raw in answer.splitlines():
        line = raw.strip()
        if not line or _FENCE.fullmatch(line):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        label = match[1].upper()
        keys = _keys(match[2])
        if label in found or keys is None:
            return None
        found[label] = keys
    if set(found) != set(LABELS) or len(found["INCIDENT"]) > 1:
        return None
    incident = next((k for k in found["INCIDENT"] if k in MODEL_INCIDENTS), None)
    return ThemeSuggestion(
        incident=incident,
        emotions=tuple(k for k in found["EMOTIONS"] if k in v.emotion_families()),
        factors=tuple(k for k in found["FACTORS"] if k in v.FACTORS),
        needs=tuple(k for k in found["NEEDS"] if k in MODEL_NEEDS),
    )


# --- assistants -------------------------------------------------------------------------


class ChatThemeAssistant:
    """A :class:`ThemeAssistant` backed by a text-completion callable (a chat model,
    e.g. :class:`guardrails.second_opinion.ModelCompletion`, which enforces the deadline).

    The messages are de-identified in the debrief state already; they are run through the
    de-identifier again here, so a model provider is sent placeholders only."""

    def __init__(self, complete: Complete, deidentifier: Deidentifier | None = None) -> None:
        if deidentifier is None:
            from guardrails.deid import Deidentifier

            deidentifier = Deidentifier()
        self._complete = complete
        self._deidentifier = deidentifier

    def _redact(self, text: str) -> str:
        return self._deidentifier.redact_all(text).redacted if text.strip() else ""

    def suggest(self, messages: Sequence[str]) -> ThemeSuggestion | None:
        redacted = [r for r in (self._redact(m) for m in messages) if r.strip()]
        if not redacted:
            return None
        return parse_answer(self._complete(build_prompt(redacted)))


class ModelThemeAssistant:
    """The assistant the recorder uses: builds the chat model ``COACH_LLM`` names on first
    use (never at import, never for ``scripted``) and asks it with the
    ``COACH_LLM_TIMEOUT_SECONDS`` deadline.

    It never raises: a model that cannot be built, fails or times out gives no
    suggestion, logged at warning without any text, and is not asked again for
    ``pause_seconds``, so a sweep over many debriefs costs one timeout, not one each."""

    def __init__(
        self, settings: Settings, *, pause_seconds: float = PAUSE_AFTER_FAILURE_SECONDS
    ) -> None:
        self._settings = settings
        self.pause_seconds = pause_seconds
        self._assistant: ChatThemeAssistant | None = None
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _build(self) -> ChatThemeAssistant:
        with self._lock:
            if self._assistant is None:
                from coach.llm.models import build_chat_model
                from guardrails.second_opinion import ModelCompletion

                settings = self._settings.model_copy(update={"llm_temperature": 0.0})
                model = build_chat_model(settings)
                if model is None:
                    raise ValueError(f"COACH_LLM={settings.llm!r} names no chat model")
                completion = ModelCompletion(model, settings.llm_timeout_seconds)
                self._assistant = ChatThemeAssistant(completion)
            return self._assistant

    def suggest(self, messages: Sequence[str]) -> ThemeSuggestion | None:
        if time.monotonic() < self._paused_until:
            return None
        try:
            assistant = self._build()
        except Exception as exc:  # a setting to fix: its message names it, never any text
            self._pause()
            log.warning(
                "themes: the chat model for LLM-assisted derivation is unavailable (%s); "
                "rules only for %g s (fix COACH_LLM, or set COACH_THEMES_LLM=false)",
                exc,
                self.pause_seconds,
            )
            return None
        try:
            return assistant.suggest(messages)
        except Exception as exc:  # only the kind of failure: no prompt, no answer
            self._pause()
            log.warning(
                "themes: the chat model failed (%s); rules only for %g s",
                type(exc).__name__,
                self.pause_seconds,
            )
            return None

    def _pause(self) -> None:
        self._paused_until = time.monotonic() + self.pause_seconds


def assistant_from_settings(settings: Settings) -> ThemeAssistant | None:
    """The theme assistant the settings ask for: ``None`` when ``COACH_THEMES_LLM`` is
    off or ``COACH_LLM`` is ``scripted`` (no model), else a :class:`ModelThemeAssistant`
    (which builds nothing until it is first asked)."""
    if not settings.themes_llm or settings.llm.strip().lower() == "scripted":
        return None
    return ModelThemeAssistant(settings)
