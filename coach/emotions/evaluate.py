"""Score the shipped emotion recogniser on the GoEmotions test split.

    python -m coach.emotions.evaluate --data ../shared/data/risk/goemotions [--json]

Prints three things:

- **classifier**: per-label precision, recall and F1 of the shipped GoEmotions model at
  its shipped thresholds (the figures training printed);
- **recogniser**: the whole recogniser (classifier, lexicon, negation, attribution,
  one emotion per family) scored by family against the GoEmotions labels that have a
  family in the lexicon (e.g. gold "anger" or "annoyance" -> family "anger"); families
  GoEmotions has no label for (guilt aside, e.g. numbness, shock) are not scored;
- **latency**: ``recognise()`` per test comment and per longer message (eight comments
  joined), p50/p95/max in milliseconds, one process, warm.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coach.emotions.goemotions import DatasetError, Examples, read_split
from coach.emotions.lexicon import shipped_lexicon
from coach.emotions.metrics import LabelScore, macro_f1, micro_f1, score_label
from coach.emotions.model import LinearEmotionModel, load_model
from coach.emotions.recognizer import ClinicalEmotionRecognizer
from coach.emotions.text import clean

LONG_MESSAGE_COMMENTS = 8
LONG_MESSAGES = 400


def classifier_scores(model: LinearEmotionModel, test: Examples) -> list[LabelScore]:
    """Per-label scores of the classifier alone at its shipped thresholds."""
    probabilities = model.probabilities_many([clean(t) for t in test.texts])
    return [
        score_label(label, test.column(label).astype(bool), probabilities[:, j] >= threshold)
        for j, (label, threshold) in enumerate(zip(model.labels, model.thresholds, strict=True))
    ]


def recogniser_scores(
    recogniser: ClinicalEmotionRecognizer, test: Examples
) -> tuple[list[LabelScore], list[float]]:
    """Per-family scores of the whole recogniser, and each comment's latency in seconds."""
    catalogue = recogniser.lexicon.lexicon
    gold_labels = [label for label in test.labels if label in catalogue.emotions]
    families = sorted({catalogue.family(label) for label in gold_labels})
    truth = np.zeros((len(test.texts), len(families)), dtype=bool)
    predicted = np.zeros_like(truth)
    latencies: list[float] = []
    for row, text in enumerate(test.texts):
        for label in gold_labels:
            if test.targets[row, test.labels.index(label)]:
                truth[row, families.index(catalogue.family(label))] = True
        start = time.perf_counter()
        found = recogniser.recognise(text)
        latencies.append(time.perf_counter() - start)
        for emotion in found:
            family = catalogue.family(emotion.label)
            if family in families:  # clinical families GoEmotions lacks are not scored
                predicted[row, families.index(family)] = True
    scores = [score_label(f, truth[:, j], predicted[:, j]) for j, f in enumerate(families)]
    return scores, latencies


def long_message_latencies(
    recogniser: ClinicalEmotionRecognizer, texts: Sequence[str]
) -> list[float]:
    latencies = []
    for i in range(LONG_MESSAGES):
        chunk = texts[i * LONG_MESSAGE_COMMENTS : (i + 1) * LONG_MESSAGE_COMMENTS]
        message = " ".join(t if t.rstrip()[-1:] in ".!?" else t + "." for t in chunk)
        start = time.perf_counter()
        recogniser.recognise(message)
        latencies.append(time.perf_counter() - start)
    return latencies


def _ms(latencies: Sequence[float]) -> dict[str, float]:
    values = np.array(latencies) * 1000.0
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p95": round(float(np.percentile(values, 95)), 3),
        "max": round(float(values.max()), 3),
    }


def evaluate(data: Path) -> dict[str, Any]:
    test = read_split(data, "test")
    model = load_model()
    recogniser = ClinicalEmotionRecognizer(model, shipped_lexicon())
    recogniser.recognise("warm up: I was scared.")
    classifier = classifier_scores(model, test)
    families, per_comment = recogniser_scores(recogniser, test)
    per_message = long_message_latencies(recogniser, test.texts)
    return {
        "model_version": model.version,
        "lexicon_version": recogniser.lexicon.lexicon.version,
        "test_rows": len(test.texts),
        "classifier": {
            "macro_f1": round(macro_f1(classifier), 4),
            "micro_f1": round(micro_f1(classifier), 4),
            "labels": [s.as_dict() for s in classifier],
            "thresholds": {
                label: float(t) for label, t in zip(model.labels, model.thresholds, strict=True)
            },
        },
        "recogniser": {
            "macro_f1": round(macro_f1(families), 4),
            "micro_f1": round(micro_f1(families), 4),
            "families": [s.as_dict() for s in families],
        },
        "latency_ms": {
            "comment": _ms(per_comment),
            f"message_of_{LONG_MESSAGE_COMMENTS}_comments": _ms(per_message),
        },
    }


def _print_scores(title: str, rows: list[dict[str, Any]], macro: float, micro: float) -> None:
    print(f"\n{title}")
    print(f"{'label':<16}{'support':>9}{'P':>7}{'R':>7}{'F1':>7}")
    for row in rows:
        print(
            f"{row['label']:<16}{row['support']:>9}{row['precision']:>7.3f}"
            f"{row['recall']:>7.3f}{row['f1']:>7.3f}"
        )
    print(f"macro F1 {macro:.4f}   micro F1 {micro:.4f}")


def print_report(report: dict[str, Any]) -> None:
    print(
        f"model {report['model_version']}, lexicon v{report['lexicon_version']}, "
        f"GoEmotions test split ({report['test_rows']} comments)"
    )
    c, r = report["classifier"], report["recogniser"]
    _print_scores("classifier (GoEmotions labels)", c["labels"], c["macro_f1"], c["micro_f1"])
    _print_scores("whole recogniser (by family)", r["families"], r["macro_f1"], r["micro_f1"])
    print("\nlatency of recognise(), ms")
    for name, figures in report["latency_ms"].items():
        p50, p95, peak = figures["p50"], figures["p95"], figures["max"]
        print(f"  {name:<28} p50 {p50:.3f}   p95 {p95:.3f}   max {peak:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coach.emotions.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="GoEmotions folder")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = evaluate(args.data)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
