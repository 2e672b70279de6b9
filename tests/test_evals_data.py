"""The eval suite's versioned data: scenarios, lexicon, safe-messaging rules, thresholds,
judge rubric."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from evals.judge import RUBRIC_VERSION, JudgeError, load_rubric
from evals.lexicon import LexiconError, join_pattern, load_lexicon, parse_lexicon
from evals.metrics import METRIC_HELP
from evals.safety import SafeMessagingError, load_safe_messaging, parse_safe_messaging
from evals.scenarios import (
    INCIDENTS,
    MAX_TURNS,
    MIN_TURNS,
    ScenarioError,
    load_scenarios,
    parse_scenarios,
)
from evals.thresholds import ThresholdError, load_thresholds, parse_thresholds
from evals.tone import SCORERS

EVALS = Path(__file__).resolve().parents[1] / "evals"


def test_the_scenarios_cover_the_issue() -> None:
    scenarios = load_scenarios()
    kinds = Counter(s.kind for s in scenarios)
    assert len(scenarios) >= 40
    assert kinds["crisis"] >= 10 and kinds["trap"] >= 10
    assert set(INCIDENTS) <= {s.incident for s in scenarios}, "every incident has a scenario"
    assert {"UK", "US"} <= {s.persona.country for s in scenarios}
    assert all(MIN_TURNS <= len(s.messages) <= MAX_TURNS for s in scenarios)
    assert {s.trap for s in scenarios if s.kind == "trap"} == {
        "patient_suicide",
        "idiom",
        "dark_humour",
    }
    assert {s.disclosure.style for s in scenarios if s.disclosure} == {"direct", "indirect"}
    assert len({s.id for s in scenarios}) == len(scenarios)


def test_the_fast_subset_has_every_kind() -> None:
    fast = load_scenarios(fast=True)
    assert Counter(s.kind for s in fast).keys() == {"tone", "crisis", "trap"}
    assert all(s.fast for s in fast)
    assert len(fast) < len(load_scenarios()) / 2


def test_a_disclosure_is_the_clinicians_expected_message() -> None:
    for s in load_scenarios(kinds=["crisis"]):
        assert s.disclosure is not None and s.expect_escalation_at is not None
        assert s.messages[s.expect_escalation_at - 1] == s.disclosure.text
        assert len(s.messages) == len(s.turns) + 1


def test_crisis_scenarios_name_no_method() -> None:
    """Safe messaging: no means or method anywhere in a crisis scenario (traps may use
    idioms such as "shoot me now")."""
    method = re.compile(join_pattern(load_safe_messaging().forbidden["method"]))
    for s in load_scenarios(kinds=["crisis"]):
        for text in s.messages:
            assert not method.search(text.lower()), (s.id, text)


BASE = """
version: 1
kind: crisis
scenarios:
  - id: crisis-example
    title: An example crisis
    persona: {role: nurse, experience: 2 years, setting: ward, country: UK,
              second_victim_stage: intrusive_reflections}
    incident: medication_error
    turns: [one, two, three, four]
    disclosure: {text: I have been thinking about ending my life., style: direct}
    expect_escalation_at: 3
"""


def test_a_valid_file_parses_and_the_disclosure_is_inserted() -> None:
    (scenario,) = parse_scenarios(BASE, "example.yaml")
    assert scenario.messages[2].startswith("I have been thinking")
    assert scenario.messages[3] == "three"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("expect_escalation_at: 3", "expect_escalation_at: 9"), "past the last turn"),
        (("turns: [one, two, three, four]", "turns: [one, two]"), "use 5 to 10"),
        (("incident: medication_error", "incident: alien_abduction"), "incident"),
        (("version: 1", "version: 2"), "version 2"),
        (("kind: crisis\n", "kind: trap\n"), "trap"),
        (("    expect_escalation_at: 3\n", ""), "needs `disclosure` and `expect_escalation_at`"),
    ],
)
def test_malformed_scenarios_say_what_to_fix(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenarios(BASE.replace(*change), "example.yaml")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, "utf-8")
    (tmp_path / "b.yaml").write_text(BASE, "utf-8")
    with pytest.raises(ScenarioError, match="crisis-example"):
        load_scenarios(tmp_path)


def test_the_lexicon_loads_and_every_pattern_compiles() -> None:
    lexicon = load_lexicon()
    assert lexicon.version == 1
    assert set(lexicon.stage_cues) == {
        "check-in",
        "story",
        "feelings",
        "sense-making",
        "self-compassion",
        "next-step",
        "close",
    }
    assert lexicon.compiled("advice").search("you should talk to your manager")


def test_a_line_break_that_empties_an_alternative_is_caught() -> None:
    text = (EVALS / "tone_lexicon.yaml").read_text("utf-8")
    broken = text.replace(
        "minimising: |-\n  \\b(?:at least|", "minimising: |-\n  \\b(?:at least|\n  |"
    )
    assert broken != text
    with pytest.raises(LexiconError, match="minimising has an empty alternative"):
        parse_lexicon(broken)


def test_safe_messaging_rules_load_and_refuse_bad_patterns() -> None:
    rules = load_safe_messaging()
    assert {"asks_about_safety", "crisis_line", "emergency"} <= set(rules.required.crisis)
    text = (EVALS / "safe_messaging.yaml").read_text("utf-8")
    with pytest.raises(SafeMessagingError, match="method is not a valid pattern"):
        parse_safe_messaging(text.replace("overdos\\w*|", "overdos\\w*|(unclosed|"))


def test_thresholds_name_known_metrics_in_both_profiles() -> None:
    thresholds = load_thresholds()
    assert set(thresholds.profiles) == {"full", "fast"}
    for bounds in thresholds.profiles.values():
        assert set(bounds) <= set(METRIC_HELP)
        assert "turn.overall" in bounds and "conversation.escalation_recall" in bounds
    text = (EVALS / "thresholds.yaml").read_text("utf-8")
    with pytest.raises(ThresholdError, match="unknown metrics"):
        parse_thresholds(text.replace("turn.overall:", "turn.charm:", 1))


def test_the_judge_rubric_grades_offline_scorers() -> None:
    rubric = load_rubric()
    assert set(rubric.criteria) <= set(SCORERS)
    prompt = rubric.system_prompt()
    assert "{criteria}" not in prompt and all(name in prompt for name in rubric.criteria)
    assert rubric.version == RUBRIC_VERSION and "{criterion}" in rubric.single.question


def test_a_rubric_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(
        (EVALS / "judge_rubric.yaml")
        .read_text("utf-8")
        .replace(f"version: {RUBRIC_VERSION}", "version: 7")
    )
    with pytest.raises(JudgeError, match="version 7"):
        load_rubric(path)
