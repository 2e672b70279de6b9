"""The debrief's persisted state: explicit, typed and de-identified.

A ``DebriefState`` is everything the coach needs to resume a session after a restart.
It never holds a clinician's raw words: every text in it passed the de-identifier.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.types import Mode, Stage, TurnView
from guardrails.escalation import SupportModeState

STATE_VERSION: Literal[1] = 1
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")

# "disclosure": a clinician message answered by the escalation or support-mode wording;
# kept for the risk screen's context, left out of the summary and responder history.
TurnKind = Literal[
    "message", "disclosure", "reply", "escalation", "support", "notice", "summary", "control"
]


def now() -> datetime:
    return datetime.now(UTC)


class Turn(BaseModel):
    """One message in the debrief, as stored (de-identified)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["clinician", "coach"]
    text: str
    stage: Stage
    kind: TurnKind = "message"
    at: datetime = Field(default_factory=now)
    level: Literal["none", "support", "crisis"] = "none"
    emotions: tuple[str, ...] = ()  # recognised emotion phrases (clinician turns)
    sources: tuple[str, ...] = ()  # chunk ids a coach reply drew on
    question_id: str | None = None
    responder: str = ""


class InsightNote(BaseModel):
    """A knowledge card the coach offered, for the summary's insight section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str  # card id, or chunk id for a user-added document
    title: str
    citation: str


class DebriefState(BaseModel):
    """A debrief session. Persisted after the clinician's message and after the reply."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    version: Literal[1] = STATE_VERSION
    session_id: str
    user_id: str = ""  # the signed-in account; scopes history and "delete my data"
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)
    mode: Mode = "full"
    listen_only: bool = False
    stage: Stage = "check-in"
    stage_turns: int = Field(default=0, ge=0)  # clinician messages answered in this stage
    stages_visited: list[Stage] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    asked: list[str] = Field(default_factory=list)  # question ids, never repeated
    insights_used: list[str] = Field(default_factory=list)  # card or chunk ids offered
    insights: list[InsightNote] = Field(default_factory=list)
    cited: list[str] = Field(default_factory=list)  # chunk ids cited in replies, in order
    emotions: list[str] = Field(default_factory=list)  # phrases recognised, first seen first
    support: SupportModeState = Field(default_factory=SupportModeState)
    peak_level: Literal["none", "support", "crisis"] = "none"
    support_offered_at: int | None = None  # clinician message index of the last support offer
    # clinician message index after which the coach last asked directly about suicide
    asked_directly_at: int | None = None
    ended: bool = False
    ended_at: datetime | None = None
    summary_markdown: str = ""

    @field_validator("session_id")
    @classmethod
    def _session_id(cls, value: str) -> str:
        if not SESSION_ID.fullmatch(value):
            raise ValueError("session id must be 8-128 characters of letters, digits, _ or -")
        return value

    @property
    def clinician_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "clinician" and t.kind == "message"]

    @property
    def message_count(self) -> int:
        return len(self.clinician_turns)

    def history(self, limit: int = 12) -> tuple[TurnView, ...]:
        """The recent conversation as responders see it (messages and replies only)."""
        shown = [t for t in self.turns if t.kind in ("message", "reply")]
        return tuple(TurnView(t.role, t.text, t.stage) for t in shown[-limit:])

    def clinician_texts(self, limit: int = 8) -> list[str]:
        """Recent de-identified clinician messages: the risk screen's context."""
        said = [t for t in self.turns if t.role == "clinician"]
        return [t.text for t in said[-limit:]]

    def add(self, turn: Turn) -> None:
        self.turns = [*self.turns, turn]
        self.updated_at = now()
