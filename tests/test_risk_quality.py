"""Figures on the clinician messages written here (tests/data/risk_*.yaml). The sets
were written by someone who had not seen the rules; the floors sit just under what
`coach guard evaluate` measures, so a regression fails. The issue's targets (crisis
recall ≥ 0.98, false crisis on clinical talk ≤ 2%) are not met yet; see
guardrails/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.evaluation import (
    load_conversations,
    load_messages,
    score_conversations,
    score_messages,
)
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_bank import RiskBank
from knowledge.embedder import SentenceTransformerEmbedder

DATA = Path(__file__).parent / "data"
MESSAGES = load_messages(DATA / "risk_messages.yaml")
CONVERSATIONS = load_conversations(DATA / "risk_conversations.yaml")


def test_the_written_sets_are_big_enough_and_varied() -> None:
    assert len(MESSAGES) >= 150
    assert len({m.id for m in MESSAGES}) == len(MESSAGES)
    groups = {m.group for m in MESSAGES}
    assert {"indirect", "behaviour", "clinical", "idiom", "distress", "impairment"} <= groups
    assert len(CONVERSATIONS) >= 20


def test_rules_rarely_treat_clinical_talk_as_a_crisis() -> None:
    scores = score_messages(RuleRiskClassifier(), MESSAGES)
    assert scores.false_crisis_clinical <= 0.03  # measured 0.020 (0.026 before the red team)
    assert scores.crisis_precision >= 0.85  # measured 0.93
    assert scores.crisis_recall >= 0.30  # measured 0.351 (0.316 first): the gap the issue names


@pytest.mark.integration
def test_hybrid_offers_people_to_nearly_every_crisis_message(
    real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    classifier = RaiseOnlyClassifier(
        RuleRiskClassifier(), RiskBank(real_embedder, cache_dir=tmp_path)
    )
    scores = score_messages(classifier, MESSAGES)
    flagged = [m for m in MESSAGES if m.level.value == "crisis" and m.id not in scores.misses]
    at_least_support = scores.confusion["crisis"]["support"] + len(flagged)
    assert at_least_support / sum(m.level.value == "crisis" for m in MESSAGES) >= 0.87
    # measured 0.949: one short support message fewer since sentences of one or two words
    # stopped voting (they drew support offers on one-word check-ins); 0.966 before
    assert scores.support_or_crisis_recall >= 0.94
    assert scores.false_crisis_clinical <= 0.03  # the bank never raises to crisis
    conversations = score_conversations(classifier, CONVERSATIONS)
    assert conversations.false_crisis <= 0.15  # measured 0.0 (0.10 before the red team)


@pytest.mark.integration
def test_hybrid_with_the_trained_model_raises_crisis_recall(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    """The default screen (rules + the trained risk model). Floors sit just under the
    figures measured at the end of the work (guardrails/README.md); the set was not used
    to train or to choose thresholds."""
    from guardrails.risk_model import RiskModel

    classifier = RaiseOnlyClassifier(RuleRiskClassifier(), RiskModel(real_embedder))
    scores = score_messages(classifier, MESSAGES)
    # Measured at the eighth look (2026-11-21: five more authors, the message before read
    # with this one, denials, the rules' red team); the fifth: recall 0.491, crisis or
    # asked 0.842, conversations caught 0.61, false crisis on talk 0.026. Retraining on
    # four more authors (the fourth and fifth looks) gave support offers and the direct
    # question on more clinical talk, so three ceilings were loosened then on purpose (any
    # alarm 0.15 -> 0.24, asked on clinical talk 0.04 -> 0.07, safe conversations
    # escalated 0.25 -> 0.35): guardrails/README.md.
    assert scores.crisis_recall >= 0.50  # measured 0.526 (rules alone 0.351)
    assert scores.crisis_precision >= 0.85  # measured 0.952
    assert scores.false_crisis_clinical <= 0.02  # the target; measured 0.020 (3 of 153)
    assert scores.false_alarm_clinical <= 0.24  # measured 0.216 (0.235 at the seventh look)
    assert scores.support_or_crisis_recall >= 0.93  # measured 0.966
    # the crisis reply, or the support reply that asks directly about suicide
    assert scores.crisis_or_asked_directly >= 0.82  # measured 0.842 (0.860 at the seventh)
    assert scores.asked_directly_clinical <= 0.07  # measured 0.046 (0.020 at the third look)
    conversations = score_conversations(classifier, CONVERSATIONS)
    assert conversations.crisis_caught >= 0.77  # measured 0.83 (0.39 at the second look)
    assert conversations.false_crisis <= 0.35  # measured 0.30 (0.20 before; rules alone 0.0)
