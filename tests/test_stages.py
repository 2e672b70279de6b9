"""The stage policy: budgets, skipping, "that's it", listen-only and the quick plan."""

from __future__ import annotations

import pytest

from coach import stages
from coach.types import STAGES


def test_full_plan_is_the_seven_stages_in_order() -> None:
    assert stages.plan("full") == STAGES


def test_quick_plan_keeps_story_feelings_self_compassion_and_next_step() -> None:
    quick = stages.plan("quick")
    assert "sense-making" not in quick
    for stage in ("story", "feelings", "self-compassion", "next-step", "close"):
        assert stage in quick
    assert sum(stages.BUDGETS["quick"][s] for s in quick if s != "close") <= 5


@pytest.mark.parametrize(
    ("stage", "mode", "expected"),
    [
        ("check-in", "full", "story"),
        ("feelings", "full", "sense-making"),
        ("feelings", "quick", "self-compassion"),
        ("sense-making", "quick", "self-compassion"),
        ("next-step", "full", "close"),
    ],
)
def test_next_stage(stage: str, mode: str, expected: str) -> None:
    assert stages.next_stage(stage, mode) == expected  # type: ignore[arg-type]


def test_stage_holds_until_its_budget_is_used() -> None:
    held = stages.decide("story", 1, "full", text="We were called to bay 4.", listen_only=False)
    assert (held.stage, held.changed) == ("story", False)
    moved = stages.decide("story", 2, "full", text="Then he arrested.", listen_only=False)
    assert (moved.stage, moved.changed, moved.reason) == ("feelings", True, "budget")


def test_saying_that_is_all_moves_on_early() -> None:
    decision = stages.decide("feelings", 1, "full", text="No, that's it.", listen_only=False)
    assert decision.changed and decision.stage == "sense-making"
    assert decision.reason == "done"


def test_a_long_answer_mentioning_nothing_else_does_not_count_as_done() -> None:
    text = "Nothing else mattered to me in that moment except getting him back."
    assert not stages.signals_done(text)


def test_skip_moves_on_whatever_the_budget() -> None:
    decision = stages.decide("story", 0, "full", text="", listen_only=False, skip=True)
    assert (decision.stage, decision.reason) == ("feelings", "skip")


def test_listen_only_holds_the_stage() -> None:
    decision = stages.decide("story", 5, "full", text="and then", listen_only=True)
    assert (decision.stage, decision.changed, decision.reason) == ("story", False, "listen")


def test_a_stage_outside_the_quick_plan_moves_on() -> None:
    decision = stages.decide("sense-making", 0, "quick", text="hm", listen_only=False)
    assert decision.changed and decision.stage == "self-compassion"


def test_close_is_final() -> None:
    assert stages.decide("close", 9, "full", text="x", listen_only=False).stage == "close"
