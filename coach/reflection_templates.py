"""The versioned wording of reflections (``coach/data/reflections.yaml``): its schema,
the placeholders each kind of line may use, and how a line is filled in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# ----------------------------------------------------------------------------- templates

_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_]+)\}")
_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "detail_feelings": frozenset({"detail", "Detail", "feelings", "event", "Event"}),
    "detail": frozenset({"detail", "Detail", "event", "Event"}),
    "feelings_event": frozenset({"feelings", "event", "Event"}),
    "feelings": frozenset({"feelings"}),
    "event": frozenset({"event", "Event"}),
    "practice": frozenset({"title", "summary"}),
    "practice_quick": frozenset({"title", "cite"}),
    "plan": frozenset({"plan", "Plan"}),
    "idea": frozenset({"summary"}),
    "support": frozenset({"summary"}),
    "close": frozenset({"event", "Event"}),
}
_REQUIRED: Final[dict[str, frozenset[str]]] = {
    "detail_feelings": frozenset({"feelings"}),
    "feelings_event": frozenset({"feelings"}),
    "feelings": frozenset({"feelings"}),
    "practice": frozenset({"summary"}),
    "practice_quick": frozenset({"cite"}),
    "plan": frozenset({"plan"}),
    "idea": frozenset({"summary"}),
    "support": frozenset({"summary"}),
}


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _check_lines(kind: str, lines: Sequence[str]) -> None:
    if not lines:
        raise ValueError(f"{kind}: needs at least one line")
    allowed = _ALLOWED.get(kind, frozenset())
    required = _REQUIRED.get(kind, frozenset())
    for line in lines:
        if "?" in line:
            raise ValueError(f"{kind}: {line!r} asks a question (questions come from the bank)")
        if line != line.strip() or not line:
            raise ValueError(f"{kind}: {line!r} has stray whitespace")
        found = _placeholders(line)
        if found - allowed:
            raise ValueError(f"{kind}: {line!r} uses {sorted(found - allowed)}")
        lowered = {p.lower() for p in found}
        if not {r.lower() for r in required} <= lowered:
            raise ValueError(f"{kind}: {line!r} must use {sorted(required)}")
        if kind.startswith("detail") and "detail" not in lowered:
            raise ValueError(f"{kind}: {line!r} must use {{detail}}")
        if kind in {"feelings_event", "event"} and "event" not in lowered:
            raise ValueError(f"{kind}: {line!r} must use {{event}}")
        if kind.startswith("practice") and "title" not in found:
            raise ValueError(f"{kind}: {line!r} must use {{title}}")
        if line.count("{") != line.count("}"):
            raise ValueError(f"{kind}: {line!r} has unbalanced braces")


class _Reflect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detail_feelings: tuple[str, ...]
    detail: tuple[str, ...]
    feelings_event: tuple[str, ...]
    feelings: tuple[str, ...]
    event: tuple[str, ...]
    plain: tuple[str, ...]
    empty: tuple[str, ...]
    self_blame: tuple[str, ...]
    plan: tuple[str, ...]
    redirect: tuple[str, ...]


class _ByMode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    full: tuple[str, ...]
    quick: tuple[str, ...]


class _Insight(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    practice: tuple[str, ...]
    practice_quick: tuple[str, ...]
    idea: tuple[str, ...]
    support: tuple[str, ...]


class ReflectionTemplates(BaseModel):
    """The validated contents of ``reflections.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    opening: _ByMode
    reflect: _Reflect
    bridges: dict[str, tuple[str, ...]]
    insight: _Insight
    listen: tuple[str, ...]
    no_question: tuple[str, ...]
    close: _ByMode

    @field_validator("opening", "close", mode="after")
    @classmethod
    def _fold(cls, value: _ByMode) -> _ByMode:
        return _ByMode(
            full=tuple(" ".join(t.split()) for t in value.full),
            quick=tuple(" ".join(t.split()) for t in value.quick),
        )

    def model_post_init(self, context: object, /) -> None:
        for name in _Reflect.model_fields:
            _check_lines(name, getattr(self.reflect, name))
        for name in _Insight.model_fields:
            _check_lines(name, getattr(self.insight, name))
        for stage in ("story", "feelings", "sense-making", "self-compassion", "next-step"):
            _check_lines(f"bridges.{stage}", self.bridges.get(stage, ()))
        _check_lines("opening", self.opening.full)
        _check_lines("opening", self.opening.quick)
        _check_lines("close", self.close.full)
        _check_lines("close", self.close.quick)
        _check_lines("listen", self.listen)
        _check_lines("no_question", self.no_question)


def load_reflection_templates(path: Path | None = None) -> ReflectionTemplates:
    """The wording at ``path``, or the one shipped with the coach."""
    try:
        if path is None:
            raw = (resources.files("coach") / "data" / "reflections.yaml").read_text("utf-8")
        else:
            raw = path.read_text("utf-8")
        return ReflectionTemplates.model_validate(yaml.safe_load(raw))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise ValueError(f"reflection templates {path or 'package data'}: {exc}") from exc


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def fill(template: str, **values: str) -> str:
    """Fill ``{name}`` placeholders; ``{Name}`` gets the value with a capital first letter."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name.lower(), match.group(0))
        return _capitalise(value) if name[:1].isupper() else value

    return _PLACEHOLDER.sub(replace, template)


_SENTENCE: Final = re.compile(r"[.!?]+(?=\s+[\"'(]*[A-Z]|\s*$)")


def count_sentences(text: str) -> int:
    """Sentences in ``text``: ends of sentence followed by a capital, or the end."""
    return len(_SENTENCE.findall(text.strip()))
