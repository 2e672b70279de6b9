"""``ThemeRecord``: what is kept about one debrief once it has ended or been abandoned.

Every field is a key from :mod:`coach.educator.vocabulary`, a coarse bucket or the ISO
week, plus ``clinician``: a keyed, non-reversible token (:mod:`coach.educator.tokens`)
that lets the aggregates count distinct clinicians and honour an opt-out. There is no
session id, no user id, no timestamp finer than the week and no text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.educator import vocabulary as v
from knowledge.types import Stage

RECORD_VERSION: Literal[1] = 1
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")

Escalation = Literal["none", "support", "crisis"]
Outcome = Literal["completed", "ended_early", "abandoned"]
Duration = Literal["under_10_min", "10_to_30_min", "30_to_60_min", "over_60_min"]


def iso_week(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    match = ISO_WEEK.fullmatch(week)
    if match is None:
        raise ValueError(f"{week!r} is not an ISO week such as 2026-W03")
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def week_month(week: str) -> str:
    """The month a week belongs to: its Thursday's (as ISO years do), e.g. ``2026-01``.
    Every week is in exactly one month, so months add up from weeks."""
    thursday = week_monday(week) + timedelta(days=3)
    return f"{thursday.year}-{thursday.month:02d}"


def month_quarter(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def duration_bucket(minutes: float) -> Duration:
    if minutes < 10:
        return "under_10_min"
    if minutes < 30:
        return "10_to_30_min"
    if minutes < 60:
        return "30_to_60_min"
    return "over_60_min"


def _only(values: tuple[str, ...], allowed: dict[str, str], what: str) -> tuple[str, ...]:
    unknown = [x for x in values if x not in allowed]
    if unknown:
        raise ValueError(f"{what} {unknown} are not in the vocabulary ({', '.join(allowed)})")
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")
    return tuple(sorted(values))


class ThemeRecord(BaseModel):
    """One debrief's themes (de-identified; vocabulary keys only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = RECORD_VERSION
    week: str = Field(description="ISO week of the debrief's end or last activity")
    role: str = Field(description="role category of the account")
    clinician: str = Field(description="keyed per-clinician token (HMAC), not reversible")
    incident: str
    emotions: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    escalation: Escalation = "none"
    stage: Stage
    outcome: Outcome
    duration: Duration

    @field_validator("week")
    @classmethod
    def _week(cls, value: str) -> str:
        week_monday(value)
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in v.ROLE_CATEGORIES:
            allowed = ", ".join(v.ROLE_CATEGORIES)
            raise ValueError(f"role category {value!r} is not one of {allowed}")
        return value

    @field_validator("clinician")
    @classmethod
    def _token(cls, value: str) -> str:
        if not TOKEN.fullmatch(value):
            raise ValueError("clinician must be a 32-hex-digit token from coach.educator.tokens")
        return value

    @field_validator("incident")
    @classmethod
    def _incident(cls, value: str) -> str:
        if value not in v.INCIDENT_NAMES:
            raise ValueError(f"incident {value!r} is not one of {', '.join(v.INCIDENTS)}")
        return value

    @field_validator("emotions")
    @classmethod
    def _emotions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _only(value, v.emotion_families(), "emotions")

    @field_validator("factors")
    @classmethod
    def _factors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _only(value, v.FACTORS, "factors")

    @field_validator("needs")
    @classmethod
    def _needs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _only(value, v.NEEDS, "needs")

    def keys(self, family: v.Family) -> tuple[str, ...]:
        """The record's keys in ``family`` (one for single-valued families)."""
        match family:
            case "incident":
                return (self.incident,)
            case "emotion":
                return self.emotions
            case "factor":
                return self.factors
            case "need":
                return self.needs
            case "escalation":
                return (self.escalation,)
            case "stage":
                return (self.stage,)
            case "outcome":
                return (self.outcome,)
            case "duration":
                return (self.duration,)
        raise ValueError(f"unknown theme family {family!r}")
