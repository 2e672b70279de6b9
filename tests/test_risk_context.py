"""The risk model reading a message with the one before it (``guardrails.risk_context``):
the context unit, the choice of its floor on training conversations, and the model using
it so that a disclosure made over two messages becomes a crisis while each alone does not.

Messages here were written for these tests; the small model runs on the hashing
embedder, so nothing loads MiniLM."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_context import (
    CONTEXT_CHARS,
    Context,
    ScoredConversation,
    choose,
    context_unit,
    cross_validated,
    outcome,
    raises_to_crisis,
)
from guardrails.risk_model import ModelFile, RiskModel
from guardrails.types import Level
from knowledge.embedder import HashingEmbedder
from tests.risk_support import hand_made_model

THRESHOLD = 0.9


def test_the_context_unit_joins_the_end_of_one_message_to_the_start_of_the_next() -> None:
    assert context_unit("Sorted my things.", "Friday then.") == "Sorted my things. Friday then."
    long_before, long_after = "a " * 400 + "END", "START " + "b " * 400
    unit = context_unit(long_before, long_after)
    assert unit.startswith("a") and "END START" in unit
    assert len(unit) <= 2 * CONTEXT_CHARS + 1
    assert context_unit("  ", "") == ""


def test_the_current_message_must_be_of_concern_itself() -> None:
    context = Context(floor=0.4)
    assert raises_to_crisis(0.5, 0.95, THRESHOLD, context)
    assert not raises_to_crisis(0.3, 0.99, THRESHOLD, context)  # "ok thanks" after a disclosure
    assert not raises_to_crisis(0.8, 0.85, THRESHOLD, context)  # the pair is under the bar
    with pytest.raises(ValidationError):
        Context(floor=1.0)


def conv(
    concerns: list[float], joined: list[float], crisis: bool, screened: Level = Level.NONE
) -> ScoredConversation:
    return ScoredConversation(
        tuple(concerns), tuple(joined), tuple(screened for _ in concerns), crisis
    )


BUILD_UPS = [
    conv([0.1, 0.6, 0.5], [0.0, 0.5, 0.95], True),
    conv([0.3, 0.7], [0.0, 0.97], True),
]
SAFE = [
    conv([0.2, 0.1, 0.25], [0.0, 0.4, 0.93], False),  # a pair over the bar, a calm turn
    conv([0.6, 0.1], [0.0, 0.2], False),
]


def test_outcome_counts_conversations_by_their_peak() -> None:
    already = conv([0.1, 0.1], [0.0, 0.0], False, screened=Level.CRISIS)
    got = outcome([*BUILD_UPS, *SAFE, already], THRESHOLD, None)
    assert (got.crisis_caught, got.crisis_total, got.false_crisis, got.other_total) == (
        0,
        2,
        1,
        3,
    )
    low = outcome([*BUILD_UPS, *SAFE, already], THRESHOLD, Context(floor=0.2))
    assert low.crisis_caught == 2 and low.false_crisis == 2


def test_the_floor_catches_build_ups_without_escalating_safe_conversations() -> None:
    chosen = choose([*BUILD_UPS, *SAFE], THRESHOLD)
    assert chosen is not None
    got = outcome([*BUILD_UPS, *SAFE], THRESHOLD, chosen)
    assert got.crisis_caught == 2 and got.false_crisis == 0
    assert chosen.floor == 0.5  # the highest floor that still catches both


def test_no_floor_when_nothing_can_be_caught_safely() -> None:
    twins = [conv([0.6, 0.7], [0.0, 0.95], True), conv([0.6, 0.7], [0.0, 0.95], False)]
    assert choose(twins, THRESHOLD) is None
    assert choose(twins, THRESHOLD, max_false_crisis=1) is not None


def test_cross_validation_measures_each_conversation_once() -> None:
    data = [*BUILD_UPS, *SAFE] * 3
    got = cross_validated(data, THRESHOLD, folds=3)
    assert got.crisis_total == 6 and got.other_total == 6
    assert got.false_crisis == 0 and got.crisis_caught == 6


# --- the model using it (hashing embedder, hand-made weights) ---------------------------


def tiny_model(embedder: HashingEmbedder, context: Context | None) -> ModelFile:
    """ "sorted" and "friday" each give a crisis probability of about 0.69, both together
    about 0.9995; the bar is 0.9."""
    return hand_made_model(
        embedder, ("sorted", "friday"), crisis_bias=-7.2, threshold=THRESHOLD, context=context
    )


FIRST = "i have sorted everything out at home"
SECOND = "it will be friday i think"
CALM = "the ward was calm tonight"


FLOOR = Context(floor=0.5)


def model(context: Context | None = FLOOR) -> RiskModel:
    embedder = HashingEmbedder(16)
    return RiskModel(embedder, tiny_model(embedder, context))


def test_two_messages_read_together_become_a_crisis_each_alone_does_not() -> None:
    m = model()
    assert m.concern(SECOND) == pytest.approx(0.69, abs=0.01)
    assert m.level(FIRST) is Level.SUPPORT and m.level(SECOND) is Level.SUPPORT
    assert m.level(SECOND, [CALM]) is Level.SUPPORT
    assert m.level(SECOND, [FIRST]) is Level.CRISIS
    assert "read with the one before" in m.opinion(SECOND, [FIRST]).reason
    assert m.level(CALM, [FIRST]) is Level.NONE  # a calm message is not raised
    assert m.level(SECOND, [FIRST, CALM]) is Level.SUPPORT  # only the message before


def test_someone_elses_words_do_not_make_a_pair() -> None:
    m = model()
    assert m.joined_crisis("she said she has sorted everything out", SECOND) == 0.0
    assert m.level(SECOND, ["she said she has sorted everything out"]) is Level.SUPPORT


def test_without_a_shipped_context_each_message_is_read_alone() -> None:
    assert model(None).level(SECOND, [FIRST]) is Level.SUPPORT


def test_the_reason_reaches_the_assessment_and_the_rules_still_decide_first() -> None:
    screen = RaiseOnlyClassifier(RuleRiskClassifier(), model())
    found = screen.assess(SECOND, [FIRST])
    assert found.level is Level.CRISIS
    assert any("read with the one before" in r for r in found.reasons)
    assert screen.assess("I want to kill myself").level is Level.CRISIS


def test_a_crisis_reply_before_the_labelled_turn_counts_against_a_setting() -> None:
    # the pair at turn 1 clears the bar a little, before the disclosure at turn 2
    early = ScoredConversation(
        (0.5, 0.6, 0.9), (0.0, 0.92, 0.99), (Level.NONE,) * 3, True, first_crisis_turn=2
    )
    loose = Context(floor=0.5, margin=0.0)
    assert outcome([early], THRESHOLD, loose).early == 1
    chosen = choose([early], THRESHOLD)
    assert chosen is not None and chosen.margin >= 0.03  # clears 0.99 but not 0.92
    got = outcome([early], THRESHOLD, chosen)
    assert got.crisis_caught == 1 and got.early == 0


def test_a_margin_raises_the_bar_for_the_pair() -> None:
    assert raises_to_crisis(0.5, 0.93, THRESHOLD, Context(floor=0.4))
    assert not raises_to_crisis(0.5, 0.93, THRESHOLD, Context(floor=0.4, margin=0.05))
