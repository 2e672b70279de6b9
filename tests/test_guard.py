"""The guard facade: escalation content and events on risk, never the message text;
the risk bank's vote (fake embedder) may only raise a level, and only to support."""

from __future__ import annotations

import json
from pathlib import Path

from coach.settings import Settings
from guardrails.deid import Deidentifier
from guardrails.events import JsonlEventLog, MemoryEventLog
from guardrails.guard import Guard, build_classifier
from guardrails.reply_check import ReplyChecker
from guardrails.resources import load_resources
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_bank import Bank, BankExample, RiskBank, split_sentences
from guardrails.types import Level
from knowledge.embedder import HashingEmbedder

SESSION = "session0001"


def make_guard(events: MemoryEventLog | JsonlEventLog) -> Guard:
    return Guard(
        RuleRiskClassifier(),
        Deidentifier(),
        ReplyChecker(),
        load_resources().for_locale("UK"),
        events,
    )


def test_crisis_gets_the_escalation_reply_and_an_event_without_text(tmp_path: Path) -> None:
    log = JsonlEventLog(tmp_path / "events.jsonl")
    guard = make_guard(log)
    text = "Mrs Okafor died on my shift and honestly everyone would be better off without me"
    screening = guard.screen(text, session=SESSION)
    assert screening.level is Level.CRISIS
    assert screening.escalation is not None
    assert "999" in screening.escalation.text and "116 123" in screening.escalation.text
    assert "Okafor" not in screening.redaction.redacted
    stored = (tmp_path / "events.jsonl").read_text()
    assert json.loads(stored)["level"] == "crisis"
    for fragment in ("Okafor", "better off", "without me", "shift"):
        assert fragment not in stored


def test_support_offers_people_and_ordinary_talk_passes_quietly() -> None:
    log = MemoryEventLog()
    guard = make_guard(log)
    support = guard.screen("I've had panic attacks every day since", session=SESSION)
    assert support.level is Level.SUPPORT
    assert support.escalation is not None
    assert "Practitioner Health" in support.escalation.text
    calm = guard.screen("my patient took an overdose and died in resus", session=SESSION)
    assert calm.level is Level.NONE and calm.escalation is None and calm.event is None
    assert [e.level for e in log.recent()] == [Level.SUPPORT]


def test_reply_check_is_part_of_the_guard() -> None:
    guard = make_guard(MemoryEventLog())
    assert not guard.check_reply("You should have checked the dose.").passed
    assert guard.check_reply("That sounds like a hard night. What stays with you?").passed


def tiny_bank() -> Bank:
    examples = [
        ("nobody would care if i vanished for good", Level.CRISIS),
        ("i have made my peace and sorted everything for after i am gone", Level.CRISIS),
        ("i cannot see myself still being around by spring", Level.CRISIS),
        ("i keep crying in the car before every shift", Level.SUPPORT),
        ("i am not sleeping and i dread going back in", Level.SUPPORT),
        ("the ward round ran late and the coffee machine broke", Level.NONE),
        ("we discharged the patient to the hospice this morning", Level.NONE),
        ("the handover was rushed but the registrar was kind", Level.NONE),
        ("the family brought cake for the nurses", Level.NONE),
        ("the patient was moved to the side room", Level.NONE),
    ]
    return Bank(
        version=1,
        examples=[BankExample(text=t, level=lv, category="x") for t, lv in examples],
    )


def test_bank_votes_follow_the_nearest_examples_and_are_capped_at_support(
    tmp_path: Path,
) -> None:
    bank = RiskBank(HashingEmbedder(), tiny_bank(), k=3, cache_dir=tmp_path)
    assert bank.level("nobody would care if i vanished for good") is Level.SUPPORT  # capped
    uncapped = RiskBank(HashingEmbedder(), tiny_bank(), k=3, max_level=Level.CRISIS)
    assert uncapped.level("nobody would care if i vanished for good") is Level.CRISIS
    assert uncapped.level("the ward round ran late and the coffee machine broke") is Level.NONE
    assert list(tmp_path.glob("risk_bank-*.npy"))  # embeddings cached for the next start


def test_one_or_two_words_never_vote(tmp_path: Path) -> None:
    """Found by the eval suite: one-word check-ins ("Numb", "Bit wobbly") sit close to
    short support examples in embedding space and drew a support offer at the first
    message of most debriefs."""
    short = [("crying", Level.SUPPORT), ("not sleeping", Level.SUPPORT)]
    bank = tiny_bank()
    bank = Bank(
        version=1,
        examples=[
            *bank.examples,
            *(BankExample(text=t, level=lv, category="x") for t, lv in short),
        ],
    )
    votes = RiskBank(HashingEmbedder(), bank, k=1, cache_dir=tmp_path)
    assert votes.level("crying") is Level.NONE
    assert votes.level("Not sleeping.") is Level.NONE
    assert votes.level("i keep crying in the car before every shift") is Level.SUPPORT


def test_bank_only_raises_the_rules() -> None:
    classifier = RaiseOnlyClassifier(
        RuleRiskClassifier(), RiskBank(HashingEmbedder(), tiny_bank(), k=3)
    )
    assert classifier.assess("I want to die").level is Level.CRISIS  # the rules decide
    assert classifier.assess("i keep crying in the car before every shift").level is Level.SUPPORT


def test_a_corrupt_bank_cache_is_ignored(tmp_path: Path) -> None:
    first = RiskBank(HashingEmbedder(), tiny_bank(), cache_dir=tmp_path)
    for path in tmp_path.glob("*.npy"):
        path.write_bytes(b"not numpy")
    second = RiskBank(HashingEmbedder(), tiny_bank(), cache_dir=tmp_path)
    assert second.level("i am not sleeping and i dread going back in") is first.level(
        "i am not sleeping and i dread going back in"
    )


def test_split_sentences_keeps_every_sentence_up_to_a_limit() -> None:
    assert split_sentences("One thing. Another thing! A third?") == [
        "One thing.",
        "Another thing!",
        "A third?",
    ]
    assert len(split_sentences("word. " * 100)) == 12


def test_build_classifier_follows_the_setting(tmp_path: Path) -> None:
    rules = build_classifier(Settings(data_dir=tmp_path, risk_classifier="rules"))
    assert isinstance(rules, RuleRiskClassifier)
    hybrid = build_classifier(
        Settings(data_dir=tmp_path, risk_classifier="hybrid"), embedder=HashingEmbedder()
    )
    assert isinstance(hybrid, RaiseOnlyClassifier)


def test_the_shipped_bank_loads_and_covers_every_level() -> None:
    from guardrails.risk_bank import load_bank

    bank = load_bank()
    assert bank.version >= 1
    assert len(bank.examples) >= 450
    assert {e.level for e in bank.examples} == set(Level)
    assert len({e.text for e in bank.examples}) == len(bank.examples)
