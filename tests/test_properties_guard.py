"""Property tests of the guard (risk screen + de-identification + escalation) on bad
input: whatever the text, it returns a valid level, text fit to store, and for any risk
the escalation reply with the locale's support lines; a crisis phrase is found whatever
surrounds it (prompt injections, other scripts, emoji, direction marks, 100k characters
of other text); and the risk model is consulted on every input, surrogates included."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coach.testing import fake_guard
from guardrails.events import MemoryEventLog
from guardrails.guard import Guard, Screening
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_model import RiskModel
from guardrails.types import Level
from knowledge.embedder import SentenceTransformerEmbedder
from tests.test_properties_inputs import (
    CRISIS_PHRASES,
    EMOJI,
    INJECTIONS,
    RTL_MARKS,
    SCRIPTS,
    SURROGATES,
    huge_text,
    messages,
)

SESSION = "session-props-guard"
GUARD = fake_guard(locale="UK")
CALM = "We restocked the trolley and handed over to the night team. "


def assert_sound(guard: Guard, text: str, history: list[str]) -> Screening:
    screening = guard.screen(text, history, session=SESSION)
    assert screening.level in set(Level)
    redacted = screening.redaction.redacted
    redacted.encode("utf-8")  # fit for any store and any model: no lone surrogates
    assert "\x00" not in redacted
    if screening.level is Level.NONE:
        assert screening.escalation is None
        return screening
    escalation = screening.escalation
    assert escalation is not None and escalation.level is screening.level
    assert escalation.text.strip()
    if screening.level is Level.CRISIS:
        assert escalation.resources, "a crisis reply always carries the support lines"
        assert set(escalation.resources) <= set(guard.resources), "the locale's own lines"
    return screening


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=messages, history=st.lists(messages, max_size=4))
@example(text="\ud800", history=["\udfff"])
@example(text="I want to kill myself \ud800\x00", history=[])
def test_the_guard_screens_anything_to_a_valid_level(text: str, history: list[str]) -> None:
    assert_sound(GUARD, text, history)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=huge_text(), history=st.lists(messages, max_size=2))
@example(text="x" * 150_000, history=[])
def test_the_guard_screens_100k_characters_and_more(text: str, history: list[str]) -> None:
    assert_sound(GUARD, text, history)


noise = st.one_of(
    st.sampled_from(SCRIPTS + EMOJI + INJECTIONS),
    st.sampled_from(tuple(RTL_MARKS + SURROGATES + "\x00\u200d")),
)


@settings(max_examples=80, deadline=None)
@given(
    before=st.lists(noise, max_size=5),
    after=st.lists(st.sampled_from(EMOJI + tuple(RTL_MARKS)), max_size=3),
    phrase=st.sampled_from(CRISIS_PHRASES),
    padding=st.sampled_from((0, 0, 0, 25_000)),  # past the first window of the rules
)
@example(before=[], after=[], phrase=CRISIS_PHRASES[0], padding=120_000)
@example(before=[INJECTIONS[9]], after=[], phrase=CRISIS_PHRASES[1], padding=0)
def test_a_crisis_phrase_is_found_whatever_surrounds_it(
    before: list[str], after: list[str], phrase: str, padding: int
) -> None:
    calm = (CALM * (padding // len(CALM) + 1))[:padding]
    text = calm + " ".join(before) + "\n" + phrase + " " + "".join(after)
    screening = GUARD.screen(text, (), session=SESSION)
    assert screening.level is Level.CRISIS, (len(text), before, after)


def test_a_crisis_after_100k_characters_is_found_in_the_last_window() -> None:
    text = CALM * (100_000 // len(CALM)) + "Honestly, I want to kill myself."
    assert GUARD.screen(text, (), session=SESSION).level is Level.CRISIS


def test_screening_records_no_text_even_for_huge_messages() -> None:
    events = MemoryEventLog()
    guard = fake_guard(events=events)
    text = "Mrs Okafor " * 12_000 + CRISIS_PHRASES[0]
    guard.screen(text, (), session=SESSION)
    [event] = events.recent()
    assert "Okafor" not in event.model_dump_json()


# --- with the shipped risk model (the hybrid screen's trained part) ------------------------


@pytest.fixture(scope="module")
def hybrid_guard(real_embedder: SentenceTransformerEmbedder) -> Guard:
    classifier = RaiseOnlyClassifier(RuleRiskClassifier(), RiskModel(real_embedder))
    return fake_guard(classifier=classifier)


@pytest.mark.integration
def test_the_hybrid_guard_screens_anything_and_always_hears_the_model(
    hybrid_guard: Guard,
) -> None:
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=messages, history=st.lists(messages, max_size=2))
    @example(text="everyone would be better off without me \ud800", history=[])
    @example(text="\ud800\udfff", history=["\ud800"])
    @example(text=CALM * 400 + CRISIS_PHRASES[1], history=[])  # past the first window
    def check(text: str, history: list[str]) -> None:
        screening = assert_sound(hybrid_guard, text, history)
        assert "second opinion unavailable" not in screening.assessment.reasons

    check()
