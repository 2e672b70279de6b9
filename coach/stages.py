"""The stage policy: which debrief stage the next reply serves.

The full debrief walks all seven stages; the quick (about five minutes) one keeps the
story, feelings, self-compassion and one next step. A stage ends after its budget of
clinician messages, when the clinician signals they are done with it ("that's it",
"nothing else"), or when they skip it. "Just listen" holds the stage: no question is
pushed, so the coach does not move the clinician on either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.types import STAGES, Mode, Stage

PLANS: dict[Mode, tuple[Stage, ...]] = {
    "full": STAGES,
    "quick": ("check-in", "story", "feelings", "self-compassion", "next-step", "close"),
}

# Clinician messages each stage takes before the coach moves on.
BUDGETS: dict[Mode, dict[Stage, int]] = {
    "full": {
        "check-in": 1,
        "story": 2,
        "feelings": 2,
        "sense-making": 2,
        "self-compassion": 2,
        "next-step": 1,
        "close": 1,
    },
    "quick": {
        "check-in": 1,
        "story": 1,
        "feelings": 1,
        "sense-making": 1,
        "self-compassion": 1,
        "next-step": 1,
        "close": 1,
    },
}

_DONE = re.compile(
    r"^\s*(?:no|nope|not really|nothing(?: else| more)?|that'?s (?:it|all|everything)|"
    r"i think that'?s (?:it|all|everything)|i'?m done|that covers it|no,? that'?s (?:it|all))"
    r"[\s.!]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StageDecision:
    stage: Stage
    changed: bool
    reason: str  # "budget", "done", "skip", "mode", "hold", "listen"


def plan(mode: Mode) -> tuple[Stage, ...]:
    return PLANS[mode]


def next_stage(stage: Stage, mode: Mode) -> Stage:
    """The stage after ``stage`` in ``mode``'s plan (a stage outside the plan jumps to
    the next planned one)."""
    order = PLANS["full"]
    stages = PLANS[mode]
    position = order.index(stage)
    for candidate in order[position + 1 :]:
        if candidate in stages:
            return candidate
    return "close"


def signals_done(text: str) -> bool:
    return bool(_DONE.match(text))


def decide(
    stage: Stage,
    stage_turns: int,
    mode: Mode,
    *,
    text: str,
    listen_only: bool,
    skip: bool = False,
) -> StageDecision:
    """Where the reply to this message goes. ``stage_turns`` counts the clinician's
    messages in ``stage`` including this one."""
    if stage == "close":
        return StageDecision("close", False, "hold")
    if skip:
        return StageDecision(next_stage(stage, mode), True, "skip")
    if stage not in PLANS[mode]:
        return StageDecision(next_stage(stage, mode), True, "mode")
    if listen_only:
        return StageDecision(stage, False, "listen")
    if text and signals_done(text) and stage not in ("check-in",):
        return StageDecision(next_stage(stage, mode), True, "done")
    if stage_turns >= BUDGETS[mode][stage]:
        return StageDecision(next_stage(stage, mode), True, "budget")
    return StageDecision(stage, False, "hold")
