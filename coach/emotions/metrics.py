"""Precision, recall and F-scores for multi-label predictions, and threshold tuning.
Shared by training, evaluation and the tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LabelScore:
    label: str
    support: int  # true examples in the split
    predicted: int
    true_positives: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float | int | str]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def score_label(label: str, truth: Bools, predicted: Bools) -> LabelScore:
    tp = int(np.sum(truth & predicted))
    n_pred, n_true = int(np.sum(predicted)), int(np.sum(truth))
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * tp / (n_pred + n_true) if n_pred + n_true else 0.0
    return LabelScore(label, n_true, n_pred, tp, precision, recall, f1)


def macro_f1(scores: list[LabelScore]) -> float:
    return float(np.mean([s.f1 for s in scores])) if scores else 0.0


def micro_f1(scores: list[LabelScore]) -> float:
    tp = sum(s.true_positives for s in scores)
    total = sum(s.predicted + s.support for s in scores)
    return 2 * tp / total if total else 0.0


def f_beta(truth: Bools, predicted: Bools, beta: float) -> float:
    tp = float(np.sum(truth & predicted))
    fp = float(np.sum(~truth & predicted))
    fn = float(np.sum(truth & ~predicted))
    b2 = beta * beta
    denominator = (1 + b2) * tp + b2 * fn + fp
    return (1 + b2) * tp / denominator if denominator else 0.0


THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def tune_threshold(truth: Bools, probabilities: npt.NDArray[np.float32], beta: float) -> float:
    """The grid threshold with the best F-beta on (dev) data; ties go to the higher
    threshold, the more careful one. 1.0 (never) when nothing scores above zero."""
    best, best_threshold = 0.0, 1.0
    for threshold in THRESHOLD_GRID:
        value = f_beta(truth, probabilities >= threshold, beta)
        if value >= best and value > 0.0:
            best, best_threshold = value, float(threshold)
    return best_threshold
