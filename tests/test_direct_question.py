"""Asking directly about suicide: when a support reply asks, how the answer is read, and
how a yes reaches human support through the whole coach."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from coach.testing import fake_coach, fake_guard
from guardrails.direct_question import after_direct_question, read_answer
from guardrails.escalation import load_messages, support_reply
from guardrails.events import MemoryEventLog
from guardrails.resources import load_resources
from guardrails.risk import Opinion, RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.types import Category, CssrsItem, Level, RiskAssessment

QUESTION = " ".join(load_messages().support.ask_directly.split())
BURDEN = "I feel like such a burden to everyone at the moment."


@pytest.mark.parametrize(
    "text",
    [
        "Yes.",
        "yeah, sometimes",
        "Sometimes, not often",
        "Maybe. I don't know.",
        "A bit, if I'm honest",
        "I guess so",
        "Not really, but lately yes",
        "I've had thoughts of not waking up",
        "It has crossed my mind",
        "I do",
        "ya",
        "Yes but I'd never act on it",
    ],
)
def test_any_yes_including_a_hedged_one_is_a_yes(text: str) -> None:
    assert read_answer(text) == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No, I'm just tired",
        "No. God no. I just feel awful about the patient.",
        "I'm fine, honestly",
        "I guess not",
        "I don't think so",
        "I'm not suicidal, I'm angry",
    ],
)
def test_a_plain_no_is_a_no(text: str) -> None:
    assert read_answer(text) == "no"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Lately I have been exhausted", "The patient's family was angry", "i have no idea"],
)
def test_anything_else_is_unclear(text: str) -> None:
    assert read_answer(text) == "unclear"


def test_a_yes_raises_to_crisis_and_nothing_is_lowered() -> None:
    support = RiskAssessment(Level.SUPPORT, (Category.ACUTE_DISTRESS,), ask_directly=True)
    raised = after_direct_question("Sometimes, yes.", support)
    assert raised.level is Level.CRISIS
    assert raised.categories[0] is Category.SUICIDAL_IDEATION
    assert raised.cssrs == (CssrsItem.THOUGHTS,)
    assert "answered yes when asked directly about suicide" in raised.reasons
    assert after_direct_question("No, not at all.", support) == support
    crisis = RiskAssessment(Level.CRISIS, (Category.SUICIDAL_INTENT,), (CssrsItem.PLAN,))
    assert after_direct_question("no", crisis) == crisis


def test_rules_ask_on_a_hint_of_suicidal_thinking_not_on_distress_alone() -> None:
    rules = RuleRiskClassifier()
    assert rules.assess(BURDEN).ask_directly
    assert rules.assess("Ha, after that shift I want to die, joking obviously").ask_directly
    not_coping = rules.assess("I am not coping after that shift")
    assert not_coping.level is Level.SUPPORT and not not_coping.ask_directly
    patient = rules.assess("My patient said she wanted to die")
    assert patient.level is Level.NONE and not patient.ask_directly


class FixedOpinion:
    def __init__(self, opinion: Opinion) -> None:
        self.answer = opinion

    def opinion(self, text: str, history: Sequence[str]) -> Opinion:
        return self.answer

    def level(self, text: str, history: Sequence[str]) -> Level:
        return self.answer.level


class LevelOnly:
    def level(self, text: str, history: Sequence[str]) -> Level:
        return Level.SUPPORT


def test_the_models_concern_asks_directly_only_at_support() -> None:
    rules = RuleRiskClassifier()
    distress = "I am not coping after that shift"
    concerned = RaiseOnlyClassifier(rules, FixedOpinion(Opinion(Level.SUPPORT, concern=True)))
    assert concerned.assess(distress).ask_directly
    raised = concerned.assess("It was a long night on the ward.")
    assert raised.level is Level.SUPPORT and raised.ask_directly
    calm = RaiseOnlyClassifier(rules, FixedOpinion(Opinion(Level.NONE, concern=True)))
    assert not calm.assess("It was a long night on the ward.").ask_directly
    plain = RaiseOnlyClassifier(rules, LevelOnly())
    assert not plain.assess("It was a long night on the ward.").ask_directly
    crisis = RaiseOnlyClassifier(rules, FixedOpinion(Opinion(Level.CRISIS, concern=True)))
    assert not crisis.assess(distress).ask_directly


def test_the_support_reply_ends_with_the_question_only_when_asked() -> None:
    resources = load_resources().for_locale("UK")
    asked = support_reply(resources, (Category.SUICIDAL_IDEATION,), ask_directly=True)
    assert asked.asks_directly and " ".join(asked.text.split()).endswith(QUESTION)
    assert "suicide" in QUESTION and QUESTION.endswith("?")
    plain = support_reply(resources, (Category.SUICIDAL_IDEATION,))
    assert not plain.asks_directly and "thoughts of suicide" not in plain.text


def test_the_guard_reads_the_answer_and_records_the_crisis() -> None:
    events = MemoryEventLog()
    guard = fake_guard(events=events)
    screening = guard.screen(
        "Sometimes, yes.", [BURDEN], session="session-guard", answers_direct_question=True
    )
    assert screening.level is Level.CRISIS
    assert events.recent(1)[0].level is Level.CRISIS
    assert Category.SUICIDAL_IDEATION in events.recent(1)[0].categories
    unasked = guard.screen("Sometimes, yes.", [BURDEN], session="session-guard")
    assert unasked.level is not Level.CRISIS


def test_a_yes_to_the_question_takes_the_clinician_to_human_support() -> None:
    coach = fake_coach()
    coach.start("session-ask-yes")
    offer = coach.turn("session-ask-yes", BURDEN)
    assert offer.level is Level.SUPPORT
    assert " ".join(offer.text.split()).endswith(QUESTION)
    answer = coach.turn("session-ask-yes", "Sometimes, yes.")
    assert answer.level is Level.CRISIS
    assert answer.messages[0].kind == "escalation"
    state = coach.load("session-ask-yes")
    assert state is not None and state.support.active


def test_a_no_lets_the_debrief_go_on_and_the_question_is_not_repeated() -> None:
    coach = fake_coach()
    coach.start("session-ask-no")
    coach.turn("session-ask-no", BURDEN)
    answer = coach.turn("session-ask-no", "No, not at all. It's the shift that got to me.")
    assert answer.level is not Level.CRISIS
    assert [m.kind for m in answer.messages] == ["reply"]
    later = coach.turn("session-ask-no", "I just keep thinking about the family.")
    assert later.level is not Level.CRISIS
    assert QUESTION not in " ".join(later.text.split())


@pytest.mark.parametrize(
    "answer",
    [
        "No, I am not having any thoughts of harming myself. Just empty.",
        "No. I have not had any thoughts of killing myself, it's the guilt.",
    ],
)
def test_a_no_in_a_whole_sentence_that_names_the_thought_is_not_a_crisis(answer: str) -> None:
    coach = fake_coach()
    coach.start("session-ask-no-sentence")
    coach.turn("session-ask-no-sentence", BURDEN)
    assert read_answer(answer) == "no"
    reply = coach.turn("session-ask-no-sentence", answer)
    assert reply.level is not Level.CRISIS
    assert [m.kind for m in reply.messages] == ["reply"]
