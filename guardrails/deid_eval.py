"""Scores a Deidentifier against labelled sentences (tests/data/deid_sentences.yaml).

Entity-level matching: in each sentence, the expected and the found entities are compared as
multisets of (label, exact text); a found entity counts once against one expected entity.
Owns the case format, the scores and the lists of misses and false positives for reports.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from guardrails.deid import PLACEHOLDERS, Deidentifier

Label = Literal["NAME", "DATE", "ID", "PHONE", "EMAIL", "ADDRESS", "POSTCODE", "AGE"]


class ExpectedEntity(BaseModel):
    """One identifier a sentence contains: its label and the exact substring to replace."""

    label: Label
    text: str = Field(min_length=1)


class DeidCase(BaseModel):
    """One sentence and every identifier in it (none for a precision case)."""

    text: str = Field(min_length=1)
    entities: list[ExpectedEntity] = Field(default_factory=list)

    @model_validator(mode="after")
    def _entities_occur(self) -> DeidCase:
        for e in self.entities:
            if e.text not in self.text:
                raise ValueError(f"{e.text!r} does not occur in {self.text!r}")
        return self


class Mismatch(BaseModel):
    """An expected entity not found (a miss) or a found one not expected (false positive)."""

    sentence: str
    label: str
    text: str


class LabelScore(BaseModel):
    """Counts and precision, recall and F1 for one label or for all of them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class DeidScores(BaseModel):
    """Overall and per-label scores, with the misses and false positives behind them."""

    overall: LabelScore
    per_label: dict[str, LabelScore]
    misses: list[Mismatch]
    false_positives: list[Mismatch]
    sentences: int

    def table(self) -> str:
        """A plain-text table of the scores, one row per label then the overall row."""
        rows = [f"{'label':<9} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
        named = [(lbl, s) for lbl, s in self.per_label.items() if s.tp + s.fp + s.fn]
        for label, s in [*named, ("overall", self.overall)]:
            rows.append(
                f"{label:<9} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                f"{s.tp:4d} {s.fp:4d} {s.fn:4d}"
            )
        return "\n".join(rows)


def load_cases(path: str | Path) -> list[DeidCase]:
    """The cases in a YAML file whose top level is {cases: [...]} or a bare list."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = data["cases"] if isinstance(data, dict) else data
    return [DeidCase.model_validate(item) for item in items]


def evaluate(deid: Deidentifier, cases: list[DeidCase]) -> DeidScores:
    """Runs deid over every case and scores what it found against what was expected."""
    per_label = {label: LabelScore() for label in PLACEHOLDERS}
    misses: list[Mismatch] = []
    false_positives: list[Mismatch] = []
    for case in cases:
        expected: Counter[tuple[str, str]] = Counter((e.label, e.text) for e in case.entities)
        found: Counter[tuple[str, str]] = Counter((e.label, e.text) for e in deid.find(case.text))
        for label, text in expected | found:
            score = per_label.setdefault(label, LabelScore())
            hit = min(expected[(label, text)], found[(label, text)])
            score.tp += hit
            score.fn += expected[(label, text)] - hit
            score.fp += found[(label, text)] - hit
            misses.extend(
                Mismatch(sentence=case.text, label=label, text=text)
                for _ in range(expected[(label, text)] - hit)
            )
            false_positives.extend(
                Mismatch(sentence=case.text, label=label, text=text)
                for _ in range(found[(label, text)] - hit)
            )
    overall = LabelScore(
        tp=sum(s.tp for s in per_label.values()),
        fp=sum(s.fp for s in per_label.values()),
        fn=sum(s.fn for s in per_label.values()),
    )
    return DeidScores(
        overall=overall,
        per_label=per_label,
        misses=misses,
        false_positives=false_positives,
        sentences=len(cases),
    )


if __name__ == "__main__":  # python -m guardrails.deid_eval [path]
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else "tests/data/deid_sentences.yaml"
    result = evaluate(Deidentifier(), load_cases(target))
    print(f"{result.sentences} sentences")
    print(result.table())
    for m in result.misses:
        print(f"MISS {m.label:<8} {m.text!r:<28} in {m.sentence!r}")
    for m in result.false_positives:
        print(f"FP   {m.label:<8} {m.text!r:<28} in {m.sentence!r}")
