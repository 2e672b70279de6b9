"""What an eval run records: every clinician message, every coach reply, its scores."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evals.safety import EscalationTiming, SafeMessagingResult

__all__ = ["ConversationRecord", "TurnRecord"]


class TurnRecord(BaseModel):
    """One clinician message and what the coach answered."""

    model_config = ConfigDict(extra="forbid")

    index: int  # 1-based clinician message
    clinician: str
    clinician_by: Literal["scenario", "disclosure", "simulated"] = "scenario"
    coach: str  # every message the coach showed, in order
    reply: str  # the debrief reply alone ("" when the turn was an escalation)
    stage: str
    level: Literal["none", "support", "crisis"]
    kinds: list[str]  # the kinds of the messages shown (reply, escalation, support, ...)
    escalation: Literal["crisis", "support"] | None = None  # a new escalation this turn
    support_mode: bool = False
    sources: dict[str, str] = Field(default_factory=dict)  # citation id -> passage text
    scores: dict[str, float] = Field(default_factory=dict)  # tone scorers (debrief replies)
    overall: float | None = None
    notes: dict[str, str] = Field(default_factory=dict)
    reflections: int = 0
    questions: int = 0
    safe_messaging: list[SafeMessagingResult] = Field(default_factory=list)
    judge: dict[str, float] = Field(default_factory=dict)  # LLM-judge scores, when run
    # Who wrote the debrief reply (evals/replies.py); "" when the turn had none.
    writer: str = ""  # the responder's name, "scripted", "safe-fallback", "safe"
    attempts: int = 0  # writers' calls it took
    check_failed: bool = False  # a draft was turned down by the reply check
    fallback: bool = False  # not written by the configured responder
    model_error: bool = False  # the model failed or timed out


class ConversationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario_id: str
    kind: Literal["tone", "crisis", "trap"]
    title: str
    incident: str
    trap: str | None = None
    country: str
    opening: str
    turns: list[TurnRecord]
    timing: EscalationTiming
    seconds: float

    @property
    def scored(self) -> list[TurnRecord]:
        return [t for t in self.turns if t.overall is not None]

    @property
    def rq_ratio(self) -> float | None:
        """Reflections per question over the debrief replies (MITI's R:Q)."""
        questions = sum(t.questions for t in self.scored)
        reflections = sum(t.reflections for t in self.scored)
        if not questions:
            return float(reflections) if reflections else None
        return reflections / questions

    def mean(self, scorer: str) -> float | None:
        values = [t.overall if scorer == "overall" else t.scores.get(scorer) for t in self.scored]
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None
