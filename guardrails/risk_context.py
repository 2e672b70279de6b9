"""The risk model reading a message together with the one before it.

A clinician may say what they mean over two messages, neither of which the model would
call a crisis on its own ("I've sorted my things so nobody has to." then "Friday, when
the flat's empty."). So besides the units of the current message, the model scores one
*context unit*: the end of the previous clinician message joined to the start of this one
(its n-grams and attribution; for its embedding, the mean of the two messages' adjoining
units' embeddings, already computed, so the context costs no extra encoder pass).
The context unit raises the message to crisis when the crisis head clears its usual
threshold plus ``margin`` on it, its attribution does not point at someone else or deny
the risk, and the current message is itself of some concern (its own units reach
``floor`` on the crisis head), so an ordinary reply after an earlier disclosure is not
re-flagged.

``floor`` and ``margin`` are chosen by ``python -m guardrails.train_risk_model`` on
``data/conversations_training.yaml`` (conversations written for this project, none from
the held-out sets) and shipped in ``data/risk_model.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from guardrails.types import Level

CONTEXT_CHARS = 300  # characters taken from each side of the join


class Context(BaseModel):
    """How the previous message is read with this one (shipped in ``risk_model.json``)."""

    model_config = ConfigDict(extra="forbid")

    floor: float = Field(gt=0.0, lt=1.0)  # the current message's own concern needed
    margin: float = Field(default=0.0, ge=0.0, lt=1.0)  # above the crisis threshold


def context_unit(previous: str, current: str) -> str:
    """The end of the previous message and the start of this one, as one unit."""
    before = " ".join(previous.split())[-CONTEXT_CHARS:]
    after = " ".join(current.split())[:CONTEXT_CHARS]
    return f"{before} {after}".strip()


def raises_to_crisis(concern: float, joined: float, threshold: float, context: Context) -> bool:
    """Whether the context unit makes the current message a crisis: ``joined`` (the
    crisis head on the context unit, 0 when gated) clears ``threshold`` plus the margin
    and the current message's own ``concern`` reaches the floor."""
    return joined >= min(threshold + context.margin, 0.999) and concern >= context.floor


@dataclass(frozen=True)
class ScoredConversation:
    """One training conversation as the screen saw it, turn by turn."""

    concerns: tuple[float, ...]  # the model's concern on each turn's own units
    joined: tuple[float, ...]  # the crisis head on each turn's context unit (0: first, gated)
    screened: tuple[Level, ...]  # the per-message screen's level on each turn
    crisis: bool  # labelled crisis
    first_crisis_turn: int | None = None  # where a careful human would first be sure


@dataclass(frozen=True)
class Outcome:
    crisis_caught: int  # crisis conversations that reach crisis
    crisis_total: int
    false_crisis: int  # other conversations that reach crisis
    other_total: int
    early: int = 0  # crisis conversations that reach crisis before the labelled turn

    def as_json(self) -> dict[str, float | int]:
        share = self.crisis_caught / self.crisis_total if self.crisis_total else float("nan")
        return {
            "crisis_caught": self.crisis_caught,
            "crisis_total": self.crisis_total,
            "crisis_caught_share": round(share, 4),
            "false_crisis": self.false_crisis,
            "other_total": self.other_total,
            "early": self.early,
        }


def outcome(
    conversations: Sequence[ScoredConversation], threshold: float, context: Context | None
) -> Outcome:
    """Conversation-level results: the per-message screen, plus the context unit if given."""
    caught = false = crisis_total = early = 0
    for conv in conversations:
        levels = [
            level is Level.CRISIS
            or (context is not None and raises_to_crisis(c, j, threshold, context))
            for level, c, j in zip(conv.screened, conv.concerns, conv.joined, strict=True)
        ]
        reached = any(levels)
        if conv.crisis:
            crisis_total += 1
            caught += reached
            expected = conv.first_crisis_turn
            early += reached and expected is not None and levels.index(True) < expected
        else:
            false += reached
    return Outcome(caught, crisis_total, false, len(conversations) - crisis_total, early)


FLOORS = tuple(round(0.05 * i, 2) for i in range(1, 19))  # 0.05 … 0.90
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)


def choose(
    conversations: Sequence[ScoredConversation], threshold: float, max_false_crisis: int = 0
) -> Context | None:
    """The floor and margin that catch the most crisis conversations while adding at
    most ``max_false_crisis`` escalations to what the per-message screen already does:
    other conversations escalated, or crisis conversations escalated before the turn
    where a careful human would be sure (an early crisis reply is a wrong reply too).
    Ties go to the highest margin, then the highest floor (the most cautious setting that
    does as well). ``None`` when no setting catches any more."""
    base = outcome(conversations, threshold, None)
    best: tuple[int, float, float] | None = None
    chosen: Context | None = None
    for margin in MARGINS:
        for floor in FLOORS:
            context = Context(floor=floor, margin=margin)
            got = outcome(conversations, threshold, context)
            added = got.false_crisis - base.false_crisis + got.early - base.early
            if added > max_false_crisis:
                continue
            gain = got.crisis_caught - base.crisis_caught
            if gain > 0 and (best is None or (gain, margin, floor) > best):
                best, chosen = (gain, margin, floor), context
    return chosen


def cross_validated(
    conversations: Sequence[ScoredConversation], threshold: float, folds: int = 5
) -> Outcome:
    """Conversation-level results when the floor is chosen without the conversations it
    is measured on (every ``folds``-th conversation held out in turn)."""
    caught = false = crisis_total = other_total = early = 0
    for k in range(folds):
        held = [c for i, c in enumerate(conversations) if i % folds == k]
        rest = [c for i, c in enumerate(conversations) if i % folds != k]
        got = outcome(held, threshold, choose(rest, threshold))
        caught += got.crisis_caught
        false += got.false_crisis
        crisis_total += got.crisis_total
        other_total += got.other_total
        early += got.early
    return Outcome(caught, crisis_total, false, other_total, early)
