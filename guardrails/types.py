"""Typed results shared by every guardrail: risk levels and categories, C-SSRS
screener items, de-identified entities and reply verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    """How far the coach must step out of the debrief."""

    NONE = "none"
    SUPPORT = "support"
    CRISIS = "crisis"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @classmethod
    def highest(cls, *levels: Level) -> Level:
        return max(levels, key=lambda lv: lv.rank, default=cls.NONE)


_LEVEL_RANK = {Level.NONE: 0, Level.SUPPORT: 1, Level.CRISIS: 2}


class Category(StrEnum):
    """What kind of risk a message signals, about the clinician themself."""

    SUICIDAL_IDEATION = "suicidal_ideation"  # passive or active
    SUICIDAL_INTENT = "suicidal_intent"  # intent, plan or behaviour
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    IMPAIRMENT = "impairment"  # substances, or exhaustion that endangers patients
    ACUTE_DISTRESS = "acute_distress"  # panic, not coping, trauma symptoms


class CssrsItem(StrEnum):
    """The C-SSRS screener items (Posner et al. 2011; Columbia Lighthouse Project)."""

    WISH_TO_BE_DEAD = "wish_to_be_dead"  # Q1
    THOUGHTS = "suicidal_thoughts"  # Q2
    METHOD = "method"  # Q3: thoughts with a method, no intent
    INTENT = "intent"  # Q4: some intention to act
    PLAN = "plan"  # Q5: details worked out, intent to carry out
    BEHAVIOUR = "behaviour"  # Q6: preparatory acts or an attempt


# C-SSRS screener triage: Q1-Q2 (and Q6 over a year ago) → support/follow-up;
# Q3 → moderate; Q4, Q5 or recent Q6 → high risk. Here any item from Q2 up is a crisis,
# because a coach cannot assess further and a human must.
CSSRS_LEVEL: dict[CssrsItem, Level] = {
    CssrsItem.WISH_TO_BE_DEAD: Level.CRISIS,
    CssrsItem.THOUGHTS: Level.CRISIS,
    CssrsItem.METHOD: Level.CRISIS,
    CssrsItem.INTENT: Level.CRISIS,
    CssrsItem.PLAN: Level.CRISIS,
    CssrsItem.BEHAVIOUR: Level.CRISIS,
}


@dataclass(frozen=True)
class RiskAssessment:
    """The verdict on one message, in the context of the conversation so far."""

    level: Level
    categories: tuple[Category, ...] = ()
    cssrs: tuple[CssrsItem, ...] = ()
    reasons: tuple[str, ...] = ()
    score: float = 0.0  # this message's own risk signal, 0..1
    cumulative: float = 0.0  # the conversation's accumulated signal, 0..1
    # Below crisis, but with a sign of suicidal thinking (a hint, a softened crisis phrase,
    # or the risk model's concern): the support reply asks about suicide directly.
    ask_directly: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "escalation": self.level.value,
            "ask_directly": self.ask_directly,
            "categories": [c.value for c in self.categories],
            "cssrs": [c.value for c in self.cssrs],
            "reasons": list(self.reasons),
            "score": round(self.score, 3),
            "cumulative": round(self.cumulative, 3),
        }


@dataclass(frozen=True)
class Entity:
    """One identifier found in a text, with its placeholder type."""

    label: str  # NAME, DATE, ID, PHONE, EMAIL, ADDRESS, POSTCODE, AGE
    start: int
    end: int
    text: str

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Redaction:
    text: str
    redacted: str
    entities: tuple[Entity, ...] = ()


@dataclass(frozen=True)
class ReplyVerdict:
    """Whether a coach reply may be shown, and if not, why."""

    passed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
