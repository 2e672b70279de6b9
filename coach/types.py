"""Value types shared by the debrief engine, its responders and the apps.

Every text held here is de-identified: the engine redacts a clinician's message
before it reaches any of these types, so they can be stored and sent to a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from knowledge.types import STAGES, SearchResult, Stage

__all__ = [
    "STAGES",
    "Control",
    "EmotionScore",
    "Mode",
    "Passage",
    "Reply",
    "ResponseRequest",
    "Stage",
    "TokenSink",
    "TurnView",
]

Mode = Literal["full", "quick"]
TokenSink = Callable[[str], None]  # receives reply text piece by piece, as it is released


class Control(StrEnum):
    """What the clinician can ask of the coach besides talking."""

    SKIP_STAGE = "skip_stage"
    LISTEN_ON = "listen_on"  # "just listen": reflections only, no questions pushed
    LISTEN_OFF = "listen_off"
    QUICK = "quick"  # the five-minute debrief
    FULL = "full"
    END = "end"  # end now, with the summary
    IM_SAFE = "im_safe"  # the "I'm safe, continue" button after an escalation
    CONTINUE = "continue"  # carry on with the debrief (after a support offer or a pause)


@dataclass(frozen=True)
class EmotionScore:
    """One emotion recognised in a message."""

    label: str  # machine label, e.g. "sadness", "remorse", "guilt"
    score: float  # 0..1
    phrase: str  # how a person would say it in a reflection, e.g. "sad", "guilty"


@dataclass(frozen=True)
class Passage:
    """A knowledge passage offered to a responder, with the id a reply cites it by."""

    id: str  # short citation id used in replies, e.g. "S1"
    chunk_id: str
    card_id: str | None
    title: str
    heading: str
    text: str
    kind: str  # concept | practice | framework | evidence | document
    citation: str  # full reference, from the card's sources
    score: float

    @classmethod
    def from_result(cls, pid: str, result: SearchResult, citation: str = "") -> Passage:
        return cls(
            id=pid,
            chunk_id=result.chunk_id,
            card_id=result.card_id,
            title=result.title,
            heading=result.heading,
            text=result.text,
            kind=result.kind,
            citation=citation or result.source,
            score=result.score,
        )


@dataclass(frozen=True)
class TurnView:
    """One earlier turn as a responder sees it (de-identified)."""

    role: Literal["clinician", "coach"]
    text: str
    stage: Stage


@dataclass(frozen=True)
class ResponseRequest:
    """Everything a responder may use to write one reply."""

    session_id: str
    text: str  # the clinician's latest message, de-identified ("" for the opening turn)
    stage: Stage  # the stage this reply serves
    stage_changed: bool  # the stage policy just moved on (the reply should bridge to it)
    mode: Mode
    listen_only: bool
    history: tuple[TurnView, ...]  # earlier turns, oldest first
    passages: tuple[Passage, ...]  # stage-aware retrieval for this turn, best first
    emotions: tuple[EmotionScore, ...]  # recognised in ``text``, strongest first
    asked: tuple[str, ...]  # question ids already asked this session (never repeat)
    insights_used: tuple[str, ...]  # passage card/chunk ids already offered this session
    turn_index: int  # how many clinician messages came before this one
    feedback: str = ""  # why the previous attempt failed the reply check, when regenerating


@dataclass(frozen=True)
class Reply:
    """A responder's answer."""

    text: str  # markdown shown to the clinician
    question_id: str | None = None  # from the question bank, when one was asked
    cited: tuple[str, ...] = ()  # passage ids (Passage.id) the reply draws on
    insight_id: str | None = None  # card or chunk id of an insight/practice offered
    responder: str = ""
    notes: dict[str, str] = field(default_factory=dict)  # e.g. {"incident": "patient death"}
    notice: str = ""  # shown to the clinician apart from the reply, e.g. a fallback notice
    attempts: int = 1  # how many generations it took (regenerated after a failed check: 2)
