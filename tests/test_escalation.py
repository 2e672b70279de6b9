"""Escalation replies (crisis and support) and the support mode after a crisis."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from guardrails.escalation import (
    Action,
    EscalationMessages,
    SupportMode,
    SupportModeState,
    crisis_reply,
    detect_exit,
    load_messages,
    support_reply,
)
from guardrails.resources import LOCALES, Resource, load_resources
from guardrails.types import Category, Level, RiskAssessment

METHOD_WORDS = re.compile(
    r"\b(?:overdos\w*|tablets?|hang\w*|jump\w*|cut\w*|dose\w*|dosing|lethal|pills?)\b", re.I
)
EMERGENCY = {"US": "911", "UK": "999", "IE": "112", "AU": "000"}
CRISIS_LINE = {"US": "988", "UK": "116 123", "IE": "116 123", "AU": "13 11 14"}
ALL_CRISIS_CATEGORIES = [
    (Category.SUICIDAL_IDEATION,),
    (Category.SUICIDAL_INTENT,),
    (Category.SELF_HARM,),
    (Category.HARM_TO_OTHERS,),
    (Category.IMPAIRMENT,),
    (Category.ACUTE_DISTRESS,),
    (),
]
CRISIS = RiskAssessment(level=Level.CRISIS, categories=(Category.SUICIDAL_IDEATION,))


def _org(kind: str = "peer", name: str = "Staff peer support") -> Resource:
    return Resource(
        id=f"org-{kind}",
        name=name,
        contact="020 7946 0000",
        how="call",
        hours="Mon-Fri 8am-6pm",
        for_clinicians=True,
        description="Colleagues who listen.",
        kind=kind,  # type: ignore[arg-type]
        organisation=True,
    )


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)


# --- the message file --------------------------------------------------------------


def test_messages_are_versioned() -> None:
    assert load_messages().version >= 1


def test_no_template_mentions_a_method_or_says_commit() -> None:
    for text in _strings(load_messages().model_dump(by_alias=True)):
        assert not METHOD_WORDS.search(text), text
        assert not re.search(r"\bcommit\w*\b|successful|failed attempt", text, re.I), text


def test_no_national_resource_text_mentions_a_method() -> None:
    directory = load_resources()
    for locale in LOCALES:
        for r in directory.for_locale(locale):
            assert not METHOD_WORDS.search(f"{r.name} {r.description} {r.hours}"), r.id


def test_unknown_placeholder_in_messages_is_rejected() -> None:
    data = load_messages().model_dump(by_alias=True)
    data["crisis"]["limits"] = "Call $nobody."
    with pytest.raises(ValidationError, match="nobody"):
        EscalationMessages.model_validate(data)


def test_crisis_templates_need_a_default_variant() -> None:
    data = load_messages().model_dump(by_alias=True)
    del data["crisis"]["question"]["default"]
    with pytest.raises(ValidationError, match="default"):
        EscalationMessages.model_validate(data)


# --- crisis replies ----------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("categories", ALL_CRISIS_CATEGORIES)
def test_crisis_reply_is_safe_in_every_locale(
    locale: str, categories: tuple[Category, ...]
) -> None:
    reply = crisis_reply(load_resources().for_locale(locale), categories)
    text = reply.text
    assert reply.level is Level.CRISIS
    assert "are you safe right now" in text.lower()
    assert f"call {EMERGENCY[locale]} now" in text
    assert CRISIS_LINE[locale] in text
    # Emergency number first, before any other line.
    assert text.index(EMERGENCY[locale]) < text.index(CRISIS_LINE[locale])
    assert "Nothing is sent to anyone without your permission" in text
    assert "not a crisis service" in text
    assert "deserve" in text
    assert not METHOD_WORDS.search(text)
    assert reply.resources[0].kind == "emergency"
    assert reply.actions == (Action.SHOW_RESOURCES, Action.IM_SAFE)
    assert reply.messages_version == load_messages().version


@pytest.mark.parametrize(
    "category", [Category.SUICIDAL_IDEATION, Category.SUICIDAL_INTENT, Category.SELF_HARM]
)
def test_suicide_risk_gets_the_direct_question(category: Category) -> None:
    text = crisis_reply(load_resources().for_locale("UK"), (category,)).text
    assert re.search(
        r"are you thinking about (?:hurting yourself, or about )?ending your life", text, re.I
    )
    assert "don't stay alone" in text


def test_unclassified_crisis_still_asks_about_suicide() -> None:
    text = crisis_reply(load_resources().for_locale("US"), ()).text
    assert "are you thinking about ending your life?" in text.lower()


def test_harm_to_others_wording_fits() -> None:
    text = crisis_reply(load_resources().for_locale("UK"), (Category.HARM_TO_OTHERS,)).text
    assert "is everyone around you safe" in text
    assert "If you or anyone else is in immediate danger, call 999 now" in text
    assert "step away" in text
    assert "ending your life" not in text


def test_impairment_wording_is_practical_and_not_shaming() -> None:
    text = crisis_reply(load_resources().for_locale("AU"), (Category.IMPAIRMENT,)).text
    assert "step away from patient care now" in text
    assert "nurse in charge" in text
    assert "occupational health" in text
    assert "not a judgement" in text
    assert not re.search(r"irresponsib|unprofessional|reckless|disgrace|ashamed|fault", text, re.I)


def test_mixed_categories_get_every_relevant_paragraph() -> None:
    text = crisis_reply(
        load_resources().for_locale("UK"), (Category.IMPAIRMENT, Category.SUICIDAL_IDEATION)
    ).text
    assert "are you thinking about ending your life" in text  # highest risk leads
    assert "step away from patient care now" in text


def test_peer_supporter_offer_only_with_a_webhook() -> None:
    resources = [_org(), *load_resources().for_locale("UK")]
    with_hook = crisis_reply(resources, (Category.SUICIDAL_IDEATION,), peer_contact_available=True)
    assert with_hook.actions == (
        Action.SHOW_RESOURCES,
        Action.CONTACT_PEER_SUPPORTER,
        Action.IM_SAFE,
    )
    assert "on-call peer supporter" in with_hook.text
    assert "only do that if you confirm" in with_hook.text
    without = crisis_reply(resources, (Category.SUICIDAL_IDEATION,))
    assert Action.CONTACT_PEER_SUPPORTER not in without.actions
    assert "on-call peer supporter" not in without.text


def test_crisis_lists_org_entries_after_crisis_lines_and_emergency_first() -> None:
    directory_uk = load_resources().for_locale("UK")
    reply = crisis_reply([_org(), *directory_uk], (Category.SUICIDAL_INTENT,))
    ids = [r.id for r in reply.resources]
    assert ids[0] == "uk-999"
    assert ids.index("uk-samaritans") < ids.index("org-peer") < ids.index("uk-practitioner-health")
    assert "Staff peer support" in reply.text


def test_crisis_without_an_emergency_entry_still_points_to_emergency_help() -> None:
    text = crisis_reply([_org()], (Category.SUICIDAL_IDEATION,)).text
    assert "call your local emergency number now" in text


def test_resource_text_is_markdown_escaped() -> None:
    text = crisis_reply([_org(name="**Peer** [team]")], ()).text
    assert r"\*\*Peer\*\* \[team\]" in text


# --- support replies ---------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_support_reply_offers_people_and_continuing(locale: str) -> None:
    reply = support_reply(load_resources().for_locale(locale), (Category.ACUTE_DISTRESS,))
    text = reply.text
    assert reply.level is Level.SUPPORT
    assert "Thank you for telling me" in text
    for offer in ("Peer support", "occupational health", "(EAP)"):
        assert offer in text
    assert "continue the debrief" in text
    assert reply.actions == (Action.SHOW_RESOURCES, Action.CONTINUE_DEBRIEF)
    assert CRISIS_LINE[locale] in text and f"call {EMERGENCY[locale]}" in text
    assert "without your permission" in text
    assert not METHOD_WORDS.search(text)
    assert reply.resources  # something to show


def test_support_reply_lists_the_organisation_first() -> None:
    resources = [
        _org(),
        _org("clinician", "Occupational health"),
        *load_resources().for_locale("UK"),
    ]
    reply = support_reply(resources, ())
    assert [r.id for r in reply.resources[:2]] == ["org-peer", "org-clinician"]
    assert reply.text.index("Staff peer support") < reply.text.index("NHS Practitioner Health")
    assert reply.resources[-1].kind == "emergency"


def test_support_reply_without_clinician_lines_lists_crisis_lines() -> None:
    reply = support_reply(load_resources().for_locale("IE"), ())
    assert "Samaritans Ireland" in reply.text and "HELLO to 50808" in reply.text


def test_support_reply_for_exhaustion_mentions_occupational_health_and_safe_practice() -> None:
    text = support_reply(load_resources().for_locale("UK"), (Category.IMPAIRMENT,)).text
    assert "depleted" in text
    assert "may not be safe to practise" in text


# --- support mode ------------------------------------------------------------------


def _mode(locale: str = "UK", **kwargs: Any) -> SupportMode:
    return SupportMode(load_resources().for_locale(locale), **kwargs)


def test_support_mode_is_inactive_until_a_crisis() -> None:
    mode = _mode()
    assert not mode.active
    turn = mode.on_message("hello")
    assert not turn.active and not turn.exited and turn.text == ""
    mode.enter(RiskAssessment(level=Level.SUPPORT, categories=(Category.ACUTE_DISTRESS,)))
    assert not mode.active
    mode.enter(CRISIS)
    assert mode.active


@pytest.mark.parametrize(
    "message",
    [
        "I'm not safe",
        "I'm not ok",
        "no one to call",
        "I have no one to call",
        "I don't feel safe",
        "I'm not sure I'm safe",
        "Am I safe?",
        "I tried to call 988 but nobody answered",
        "I rang my mum but she didn't pick up",
        "I'm okay with dying",
        "I feel ok now that I've decided",
        "I'm with a patient",
        "I called in sick",
        "I'm fine",
        "whatever",
    ],
)
def test_support_mode_stays_active_for_negated_or_unclear_messages(message: str) -> None:
    mode = _mode()
    mode.enter(CRISIS)
    turn = mode.on_message(message)
    assert turn.active and not turn.exited, message
    assert mode.active
    assert "999" in turn.text and "116 123" in turn.text  # repeats the numbers
    assert turn.actions == (Action.SHOW_RESOURCES, Action.IM_SAFE)
    assert not METHOD_WORDS.search(turn.text)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("I'm safe", "safe"),
        ("I\u2019m safe now, thank you", "safe"),
        ("I'm ok now, I called my sister", "connected"),
        ("I've spoken to the peer supporter", "connected"),
        ("I'm with my partner", "connected"),
        ("I rang 988", "connected"),
        ("My partner is here with me", "connected"),
        ("I texted SHOUT and talked to a volunteer", "connected"),
    ],
)
def test_support_mode_exits_when_safe_or_connected(message: str, reason: str) -> None:
    mode = _mode()
    mode.enter(CRISIS)
    turn = mode.on_message(message)
    assert turn.exited and not turn.active
    assert turn.reason == reason
    assert not mode.active
    assert turn.actions == (Action.SHOW_RESOURCES, Action.CONTINUE_DEBRIEF)
    assert "really glad" in turn.text and "999" in turn.text
    # After leaving, the coach goes back to the debrief.
    assert mode.on_message("so about the handover").text == ""


def test_detect_exit_is_none_for_ordinary_debrief_text() -> None:
    assert detect_exit("The patient deteriorated on the ward and I froze.") is None


def test_crisis_assessment_of_the_message_keeps_support_mode_on() -> None:
    mode = _mode()
    mode.enter(CRISIS)
    turn = mode.on_message("I'm safe", assessment=CRISIS)
    assert turn.active and not turn.exited


def test_im_safe_button_leaves_support_mode() -> None:
    mode = _mode()
    mode.enter(CRISIS)
    turn = mode.confirm_safe()
    assert turn.exited and turn.reason == "confirmed"
    assert not mode.active
    assert not mode.confirm_safe().exited  # nothing to leave any more


def test_support_mode_replies_rotate_and_offer_the_peer_supporter() -> None:
    mode = _mode(peer_contact_available=True)
    mode.enter(CRISIS)
    texts = [mode.on_message("it's all too much").text for _ in range(3)]
    assert len(set(texts)) == 3
    turn = mode.on_message("still here")
    assert turn.text == texts[0]
    assert Action.CONTACT_PEER_SUPPORTER in turn.actions


def test_support_mode_round_trips_through_its_state() -> None:
    message = "I keep thinking everyone would be better off without me"
    mode = _mode("AU")
    mode.enter(CRISIS)
    first = mode.on_message(message)
    stored = mode.to_state().model_dump_json()
    assert message not in stored and "better off" not in stored
    restored = SupportMode.from_state(json.loads(stored), load_resources().for_locale("AU"))
    assert restored.active
    assert restored.to_state() == mode.to_state()
    second = restored.on_message("still here")
    assert second.active and second.text != first.text  # continues the rotation
    assert "000" in second.text and "13 11 14" in second.text
    assert restored.on_message("I'm safe").exited


def test_support_mode_state_is_strict() -> None:
    with pytest.raises(ValidationError):
        SupportModeState.model_validate({"active": True, "last_message": "hi"})
    with pytest.raises(ValidationError):
        SupportModeState.model_validate({"active": True, "categories": ["feeling sad"]})


def test_entering_again_keeps_every_category() -> None:
    mode = _mode()
    mode.enter(CRISIS)
    mode.enter(RiskAssessment(level=Level.CRISIS, categories=(Category.IMPAIRMENT,)))
    assert mode.to_state().categories == (Category.SUICIDAL_IDEATION, Category.IMPAIRMENT)
