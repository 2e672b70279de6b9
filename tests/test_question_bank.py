"""The versioned question bank: it validates, covers every stage, and every question is
one open, safe question."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from coach.incidents import INCIDENT_KEYS
from coach.questions import (
    EVENT_FALLBACK,
    QuestionBankError,
    load_question_bank,
    parse_question_bank,
)
from coach.types import STAGES
from guardrails.reply_check import check_reply

BANK = load_question_bank()
EVENTS = (None, "the medication error", "what happened with the relative", "the child's death")


def _raw() -> dict[str, Any]:
    data = BANK.model_dump(mode="json", exclude_defaults=True)
    assert isinstance(data, dict)
    return data


def _parse(data: dict[str, Any]) -> None:
    parse_question_bank(yaml.safe_dump(data, sort_keys=False))


def test_the_shipped_bank_validates_and_is_versioned() -> None:
    assert BANK.version >= 1
    assert len(BANK.ids) == len(set(BANK.ids)) > len(STAGES) * 2
    assert set(BANK.stages) == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_general_questions_in_both_modes(stage: str) -> None:
    for mode in ("full", "quick"):
        _, general = BANK.candidates(stage, mode)  # type: ignore[arg-type]
        assert general, (stage, mode)
        assert all(not q.incidents for q in general)


def test_every_question_is_one_open_question_that_passes_the_reply_check() -> None:
    for question in BANK.all():
        for event in EVENTS:
            text = question.render(event)
            assert text.count("?") == 1 and text.endswith("?"), text
            assert "{" not in text and "[" not in text, text
            verdict = check_reply(text)
            assert verdict.passed, (question.id, text, verdict.reasons)
            assert not text.lower().startswith(("why ", "did you ", "were you ")), text
        assert len(question.text) <= 200


def test_placeholders_are_filled() -> None:
    with_event = [q for q in BANK.all() if "{event}" in q.text]
    assert with_event
    question = with_event[0]
    assert "the medication error" in question.render("the medication error")
    assert EVENT_FALLBACK in question.render(None)


def test_incident_variants_cover_the_incidents_that_need_them() -> None:
    specific = {key for q in BANK.all() for key in q.incidents}
    assert specific <= INCIDENT_KEYS
    assert specific == INCIDENT_KEYS  # every incident type has at least one variant
    system = BANK.get("sense-making.system-factors")
    assert system.incidents == ("medication_error",)
    assert "system" in system.text


def test_stable_ids_the_sessions_rely_on() -> None:
    for qid in (
        "check-in.right-now",
        "check-in.right-now-quick",
        "story.own-words",
        "sense-making.system-factors",
        "self-compassion.to-a-colleague",
        "next-step.who-to-talk-to",
        "close.anything-else",
    ):
        assert BANK.get(qid).id == qid
    with pytest.raises(KeyError):
        BANK.get("no.such-question")


def test_candidates_leave_out_what_was_asked_and_what_does_not_fit() -> None:
    specific, general = BANK.candidates("sense-making", "full", ("medication_error",))
    assert [q.id for q in specific][:2] == [
        "sense-making.system-factors",
        "sense-making.safeguards",
    ]
    asked = [q.id for q in specific] + ["sense-making.helped"]
    specific, general = BANK.candidates("sense-making", "full", ("medication_error",), asked)
    assert specific == []
    assert "sense-making.helped" not in [q.id for q in general]
    _, quick = BANK.candidates("sense-making", "quick")
    assert [q.id for q in quick] == ["sense-making.helped", "sense-making.helped-hindered"]
    _, opening = BANK.candidates("check-in", "full", opening=True)
    assert [q.id for q in opening] == ["check-in.right-now"]
    _, entering = BANK.candidates("story", "full", entering=True)
    assert "story.what-next" not in [q.id for q in entering]
    _, later = BANK.candidates("story", "full")
    assert "story.what-next" in [q.id for q in later]


# ----------------------------------------------------------------------------- validation


def _question(data: dict[str, Any], stage: str, index: int = 0) -> dict[str, Any]:
    question = data["stages"][stage][index]
    assert isinstance(question, dict)
    return question


BROKEN: dict[str, tuple[str, Any]] = {
    "duplicate id": ("id", "story.own-words"),
    "two question marks": ("text", "What happened? And then?"),
    "no question mark": ("text", "Tell me what happened."),
    "question mark not at the end": ("text", "What? happened"),
    "unknown placeholder": ("text", "What happened with {name}?"),
    "de-identification placeholder": ("text", "What happened with [NAME]?"),
    "unknown incident": ("incidents", ["alien_abduction"]),
    "id in the wrong stage": ("id", "feelings.misfiled"),
    "bad id shape": ("id", "Story Own Words"),
    "no modes": ("modes", []),
    "unknown mode": ("modes", ["slow"]),
    "lower-case start": ("text", "what happened?"),
    "unknown field": ("colour", "blue"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_question_is_refused(case: str) -> None:
    field_name, value = BROKEN[case]
    data = copy.deepcopy(_raw())
    target = _question(data, "story", 1)  # story.where-start
    target[field_name] = value
    with pytest.raises(QuestionBankError):
        _parse(data)


def test_a_missing_stage_is_refused() -> None:
    data = copy.deepcopy(_raw())
    del data["stages"]["close"]
    with pytest.raises(QuestionBankError, match="close"):
        _parse(data)


def test_a_stage_without_a_quick_question_is_refused() -> None:
    data = copy.deepcopy(_raw())
    data["stages"]["story"] = [
        q for q in data["stages"]["story"] if q.get("modes", ["full", "quick"]) == ["full"]
    ]
    with pytest.raises(QuestionBankError, match="quick"):
        _parse(data)


def test_an_opening_outside_check_in_is_refused() -> None:
    data = copy.deepcopy(_raw())
    _question(data, "feelings")["opening"] = True
    with pytest.raises(QuestionBankError, match="only check-in"):
        _parse(data)


def test_a_missing_version_or_bad_yaml_is_refused() -> None:
    data = copy.deepcopy(_raw())
    del data["version"]
    with pytest.raises(QuestionBankError):
        _parse(data)
    with pytest.raises(QuestionBankError, match="YAML"):
        parse_question_bank("version: [1\nstages: {")


def test_the_unchanged_bank_round_trips() -> None:
    _parse(copy.deepcopy(_raw()))  # the validators above fail for a reason, not always


def test_entry_questions_are_only_asked_on_entering_the_stage() -> None:
    """Once the clinician has told the story, "what happened?" would not be heard."""
    bank = load_question_bank()
    entering = [q.id for part in bank.candidates("story", "full", entering=True) for q in part]
    later = [q.id for part in bank.candidates("story", "full", entering=False) for q in part]
    assert "story.own-words" in entering
    assert "story.own-words" not in later and "story.where-start" not in later
    assert later, "later story turns still have questions"
