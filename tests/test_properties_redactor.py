"""Property tests of the redactor on bad input: it never raises (beyond its documented
length limit, whose message says what to use instead), its output is fit for any store,
identifiers never come back, and redacting twice changes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guardrails.deid import MAX_CHARS, PLACEHOLDERS, Deidentifier
from tests.test_properties_inputs import (
    EMOJI,
    IDENTIFIERS,
    INJECTIONS,
    RTL_MARKS,
    SCRIPTS,
    composed_text,
    huge_text,
    messages,
)

DEID = Deidentifier()
# The parts of ``IDENTIFIERS`` that must never be in redacted text.
SECRETS = (
    "Okafor",
    "1234567",
    "943 476 5919",
    "07700 900123",
    "okafor@example.com",
    "3 March 2024",
    "12 Station Road",
    "LS1 4AP",
    "Patel",
    "Ibe",
)
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(PLACEHOLDERS) + r")\]")


def assert_storable(text: str) -> None:
    text.encode("utf-8")  # no lone surrogates
    assert "\x00" not in text


@settings(max_examples=200, deadline=None)
@given(messages)
@example("\ud800 Mr \udfffSmith\x00")
def test_redaction_never_raises_and_its_output_can_be_stored(text: str) -> None:
    result = DEID.redact(text)
    assert result.text == text
    assert_storable(result.redacted)
    for entity in result.entities:
        assert entity.label in PLACEHOLDERS
        assert text[entity.start : entity.end] == entity.text


@settings(max_examples=200, deadline=None)
@given(messages)
@example("Mrs Okafor rang. [NAME] said Okafor was tired.")
@example("Dr [NAME] and Dr Patel")
def test_redacting_twice_changes_nothing(text: str) -> None:
    once = DEID.redact(text).redacted
    twice = DEID.redact(once)
    assert twice.redacted == once
    assert all(PLACEHOLDER.fullmatch(e.text) for e in twice.entities), twice.entities


noise = st.sampled_from(SCRIPTS + EMOJI + INJECTIONS + tuple(RTL_MARKS) + ("\x00", "\ud800"))
separator = st.sampled_from((" ", ". ", ", ", "\n", " \u200f", " \u202e", " \u200d "))


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.one_of(st.sampled_from(IDENTIFIERS), noise), separator),
        min_size=1,
        max_size=10,
    )
)
def test_identifiers_never_come_back_whatever_surrounds_them(
    parts: list[tuple[str, str]],
) -> None:
    text = "".join(f + s for f, s in parts)
    redacted = DEID.redact(text).redacted
    for secret in SECRETS:
        if secret in text:
            assert secret not in redacted, (secret, text)


def test_over_the_limit_redact_says_what_to_use_and_redact_all_takes_it() -> None:
    text = "Mrs Okafor rang on 07700 900123. " * (MAX_CHARS // 32 + 10)
    with pytest.raises(ValueError, match="use redact_all"):
        DEID.redact(text)
    result = DEID.redact_all(text)
    assert result.text == text
    assert not any(secret in result.redacted for secret in ("Okafor", "07700", "900123"))
    assert result.redacted.count("[NAME]") == text.count("Okafor")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(huge_text())
def test_redact_all_takes_any_length_and_keeps_the_entity_offsets(text: str) -> None:
    result = DEID.redact_all(text)
    assert result.text == text
    assert_storable(result.redacted)
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text


@settings(max_examples=60, deadline=None)
@given(text=composed_text)
def test_redact_all_equals_redact_within_the_limit(text: str) -> None:
    assert DEID.redact_all(text) == DEID.redact(text)


@pytest.mark.parametrize(
    "identifier",
    ["her son rang from 07700 900123", "Dr Patel and Staff Nurse Ibe", "NHS number 943 476 5919"],
)
def test_an_identifier_across_a_piece_boundary_is_still_redacted(identifier: str) -> None:
    """redact_all cuts long text into pieces; an identifier is never cut in two."""
    filler = "word " * (MAX_CHARS // 5)
    for shift in (1, len(identifier) // 2, len(identifier) - 1):  # straddling the edge
        text = filler[: MAX_CHARS - shift] + identifier + ". " + filler[:50]
        redacted = DEID.redact_all(text).redacted
        leaked = [s for s in SECRETS if s in identifier and s in redacted]
        assert not leaked, (shift, leaked)
