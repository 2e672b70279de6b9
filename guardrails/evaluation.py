"""Measuring the risk classifier: on the clinician messages written here, on
multi-turn conversations, and on external labelled sets in ``../shared/data/risk``
(never copied into the repo).

Every figure in ``guardrails/README.md`` comes from ``coach guard evaluate``.
"""

from __future__ import annotations

import csv
import gzip
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from guardrails.risk import RiskClassifier
from guardrails.types import Category, Level

Group = Literal[
    "direct",
    "indirect",
    "behaviour",
    "self_harm",
    "harm_to_others",
    "impairment",
    "distress",
    "clinical",
    "idiom",
    "ordinary",
]
CLINICAL_TALK: tuple[str, ...] = ("clinical", "idiom", "ordinary")


class LabelledMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = Field(min_length=1)
    level: Level
    categories: list[Category] = Field(default_factory=list)
    group: Group


class MessageSet(BaseModel):
    version: int
    messages: list[LabelledMessage] = Field(min_length=1)


class LabelledConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    turns: list[str] = Field(min_length=1)
    expected_final_level: Level
    expected_first_crisis_turn: int | None = None
    note: str = ""


class ConversationSet(BaseModel):
    version: int
    conversations: list[LabelledConversation] = Field(min_length=1)


_GROUP_OF_CATEGORY: dict[str, Group] = {
    "self_harm": "self_harm",
    "harm_to_others": "harm_to_others",
    "impairment": "impairment",
}


def load_messages(path: Path) -> list[LabelledMessage]:
    """A labelled message set; or a risk training file (``blocks`` of texts, as in
    ``guardrails/data/risk_training*.yaml``), so one author's examples that the model was
    trained without can be measured with the same figures."""
    data = yaml.safe_load(path.read_text("utf-8"))
    if isinstance(data, dict) and "blocks" in data:
        return _training_blocks_as_messages(data, path.stem)
    return MessageSet.model_validate(data).messages


def _training_blocks_as_messages(data: dict[str, object], stem: str) -> list[LabelledMessage]:
    from guardrails.train_risk_model import TrainingFile

    out: list[LabelledMessage] = []
    for block in TrainingFile.model_validate(data).blocks:
        categories = [block.category] if block.level is not Level.NONE else []
        group: Group = (
            _GROUP_OF_CATEGORY.get(block.category, "indirect")
            if block.level is Level.CRISIS
            else "distress"
            if block.level is Level.SUPPORT
            else "clinical"
        )
        for text in block.texts:
            out.append(
                LabelledMessage.model_validate(
                    {
                        "id": f"{stem}-{len(out) + 1}",
                        "text": text,
                        "level": block.level,
                        "categories": categories,
                        "group": group,
                    }
                )
            )
    return out


def load_conversations(path: Path) -> list[LabelledConversation]:
    data = yaml.safe_load(path.read_text("utf-8"))
    return ConversationSet.model_validate(data).conversations


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


@dataclass
class MessageScores:
    total: int
    crisis_recall: float
    crisis_precision: float
    support_or_crisis_recall: float  # labelled support: flagged support or crisis
    false_crisis_clinical: float  # clinical talk, idioms, ordinary talk flagged crisis
    false_alarm_clinical: float  # ... flagged support or crisis
    accuracy: float
    confusion: dict[str, dict[str, int]]
    # labelled crisis: flagged crisis, or given support with the direct question about
    # suicide (a yes to it is a crisis); and the same question's cost on clinical talk
    crisis_or_asked_directly: float
    asked_directly_clinical: float
    per_group: dict[str, float]  # share with the labelled level
    misses: list[str] = field(default_factory=list)  # ids: labelled crisis, not flagged
    false_crises: list[str] = field(default_factory=list)  # ids: flagged crisis, not labelled

    def as_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


def score_messages(
    classifier: RiskClassifier, messages: Sequence[LabelledMessage]
) -> MessageScores:
    confusion: dict[str, dict[str, int]] = {lv.value: {p.value: 0 for p in Level} for lv in Level}
    group_right: Counter[str] = Counter()
    group_total: Counter[str] = Counter()
    misses: list[str] = []
    false_crises: list[str] = []
    predicted: dict[str, Level] = {}
    asked: set[str] = set()
    for m in messages:
        assessment = classifier.assess(m.text)
        got = assessment.level
        predicted[m.id] = got
        if got is Level.SUPPORT and assessment.ask_directly:
            asked.add(m.id)
        confusion[m.level.value][got.value] += 1
        group_total[m.group] += 1
        group_right[m.group] += got is m.level
        if m.level is Level.CRISIS and got is not Level.CRISIS:
            misses.append(m.id)
        if got is Level.CRISIS and m.level is not Level.CRISIS:
            false_crises.append(m.id)
    crisis = [m for m in messages if m.level is Level.CRISIS]
    support = [m for m in messages if m.level is Level.SUPPORT]
    talk = [m for m in messages if m.group in CLINICAL_TALK and m.level is Level.NONE]
    flagged_crisis = [m for m in messages if predicted[m.id] is Level.CRISIS]
    return MessageScores(
        total=len(messages),
        crisis_recall=_ratio(sum(predicted[m.id] is Level.CRISIS for m in crisis), len(crisis)),
        crisis_precision=_ratio(
            sum(m.level is Level.CRISIS for m in flagged_crisis), len(flagged_crisis)
        ),
        support_or_crisis_recall=_ratio(
            sum(predicted[m.id] is not Level.NONE for m in support), len(support)
        ),
        false_crisis_clinical=_ratio(sum(predicted[m.id] is Level.CRISIS for m in talk), len(talk)),
        false_alarm_clinical=_ratio(
            sum(predicted[m.id] is not Level.NONE for m in talk), len(talk)
        ),
        accuracy=_ratio(sum(predicted[m.id] is m.level for m in messages), len(messages)),
        confusion=confusion,
        crisis_or_asked_directly=_ratio(
            sum(predicted[m.id] is Level.CRISIS or m.id in asked for m in crisis), len(crisis)
        ),
        asked_directly_clinical=_ratio(sum(m.id in asked for m in talk), len(talk)),
        per_group={g: group_right[g] / group_total[g] for g in sorted(group_total)},
        misses=misses,
        false_crises=false_crises,
    )


@dataclass
class ConversationScores:
    total: int
    final_level_accuracy: float
    crisis_caught: float  # conversations labelled crisis that reached crisis
    false_crisis: float  # conversations not labelled crisis that reached crisis
    caught_by_expected_turn: float  # of those caught, share by the expected turn or earlier
    wrong: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


def score_conversations(
    classifier: RiskClassifier, conversations: Sequence[LabelledConversation]
) -> ConversationScores:
    """A conversation's level is the highest any turn reached (a crisis holds the
    session in support mode until the clinician says they are safe)."""
    right = caught = on_time = false = 0
    crisis_total = other_total = 0
    wrong: list[str] = []
    for conv in conversations:
        levels = [
            classifier.assess(turn, conv.turns[:i]).level for i, turn in enumerate(conv.turns)
        ]
        peak = Level.highest(*levels)
        right += peak is conv.expected_final_level
        if peak is not conv.expected_final_level:
            wrong.append(conv.id)
        if conv.expected_final_level is Level.CRISIS:
            crisis_total += 1
            if peak is Level.CRISIS:
                caught += 1
                first = levels.index(Level.CRISIS)
                expected = conv.expected_first_crisis_turn
                on_time += expected is None or first <= expected
        else:
            other_total += 1
            false += peak is Level.CRISIS
    return ConversationScores(
        total=len(conversations),
        final_level_accuracy=_ratio(right, len(conversations)),
        crisis_caught=_ratio(caught, crisis_total),
        false_crisis=_ratio(false, other_total),
        caught_by_expected_turn=_ratio(on_time, caught),
        wrong=wrong,
    )


@dataclass
class BinaryScores:
    name: str
    positives: int
    negatives: int
    precision: float
    recall: float
    false_alarm_rate: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict[str, object]:
        return {**self.__dict__, "f1": self.f1}


def _binary(name: str, pairs: Sequence[tuple[bool, bool]]) -> BinaryScores:
    tp = sum(1 for truth, flag in pairs if truth and flag)
    fp = sum(1 for truth, flag in pairs if not truth and flag)
    pos = sum(1 for truth, _ in pairs if truth)
    neg = len(pairs) - pos
    return BinaryScores(name, pos, neg, _ratio(tp, tp + fp), _ratio(tp, pos), _ratio(fp, neg))


def score_moderation_self_harm(
    classifier: RiskClassifier, path: Path
) -> tuple[BinaryScores, BinaryScores]:
    """OpenAI moderation eval, rows with an ``SH`` label: flagged as crisis, and as
    support-or-crisis, against the self-harm label."""
    rows: list[tuple[bool, Level]] = []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            item = json.loads(line)
            if item.get("SH") is None:
                continue
            rows.append((item["SH"] == 1, classifier.assess(item["prompt"]).level))
    return (
        _binary("self-harm → crisis", [(t, lv is Level.CRISIS) for t, lv in rows]),
        _binary("self-harm → support or crisis", [(t, lv is not Level.NONE) for t, lv in rows]),
    )


def score_xstest(classifier: RiskClassifier, path: Path) -> dict[str, float | int]:
    """XSTest: false alarms on the safe prompts (which look unsafe by design)."""
    safe = crisis = alarm = 0
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["label"] != "safe":
                continue
            safe += 1
            level = classifier.assess(row["prompt"]).level
            crisis += level is Level.CRISIS
            alarm += level is not Level.NONE
    return {
        "safe_prompts": safe,
        "false_crisis_rate": _ratio(crisis, safe),
        "false_alarm_rate": _ratio(alarm, safe),
    }


def latency_ms(
    run: Callable[[str], object],
    texts: Sequence[str],
    repeats: int = 3,
    before: Callable[[str], object] | None = None,
) -> dict[str, float]:
    """p50/p95 in ms of ``run`` per text, warm (the first pass is not counted);
    ``before`` runs untimed ahead of each timed call (e.g. the message before it)."""
    for text in texts:
        run(text)
    timings: list[float] = []
    for _ in range(repeats):
        for text in texts:
            if before is not None:
                before(text)
            start = time.perf_counter()
            run(text)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "p50_ms": timings[len(timings) // 2],
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "calls": len(timings),
    }
