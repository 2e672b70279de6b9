"""Train the shipped GoEmotions classifier and write its package data.

    python -m coach.emotions.train --data ../shared/data/risk/goemotions [--out coach/emotions/data]

Reads the GoEmotions train/dev/test splits from ``--data`` (never copied into the repo),
fits one logistic regression per kept label on hashed word and word-pair features
(scikit-learn, training only), quantises the weights to int8, tunes each label's
threshold on the dev split, scores the test split, and writes ``goemotions_linear.npz``
and ``goemotions_linear.json`` to ``--out``. The run is deterministic: the same data and
settings give byte-identical files.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from coach.emotions.goemotions import DatasetError, Examples, read_split
from coach.emotions.lexicon import load_lexicon
from coach.emotions.metrics import LabelScore, macro_f1, micro_f1, score_label, tune_threshold
from coach.emotions.model import (
    META_FILE,
    MODEL_FORMAT,
    WEIGHTS_FILE,
    LinearEmotionModel,
    data_dir,
    file_sha256,
)
from coach.emotions.text import FEATURE_VERSION, iter_rows

MODEL_VERSION = "goemotions-linear-1"
# The GoEmotions labels the coach may reflect. Left out: neutral; admiration, amusement,
# approval, excitement, joy, love (not what a debrief reflects back, and risky when wrong
# after a death); caring (about others, not a felt state); curiosity, desire, realization
# (not feelings to name); surprise ("wow" as often as shock; the lexicon's "shocked" covers
# the clinical sense); disapproval (reflecting it sounds like a judgement; the lexicon's
# moral distress covers the clinical sense); grief (77 training comments, and what it
# learns is "died", "death", "RIP": in a debrief the topic, not the feeling); confusion
# (learnt from question marks, and clinicians ask the coach questions). The lexicon
# finds grief and confusion when they are said.
CLASSIFIER_LABELS: tuple[str, ...] = (
    "sadness",
    "remorse",
    "fear",
    "nervousness",
    "anger",
    "annoyance",
    "disappointment",
    "embarrassment",
    "relief",
    "gratitude",
    "pride",
    "disgust",
    "optimism",
)
N_BUCKETS = 2**17
C = 3.0  # inverse L2 strength, chosen on the dev split (1, 3, 10 tried)
BETA = 1.0  # thresholds maximise dev F1
MIN_DEV_F1 = 0.2  # a label below this on dev is left to the lexicon (threshold 1.0: never)
THRESHOLD_FLOOR = 0.1


def feature_matrix(texts: Sequence[str], n_buckets: int) -> Any:
    """Texts as a CSR matrix of L2-normalised binary hashed features."""
    from scipy import sparse  # type: ignore[import-untyped]

    indices: list[int] = []
    indptr = [0]
    values: list[float] = []
    for buckets, factor in iter_rows(texts, n_buckets):
        indices.extend(buckets.tolist())
        values.extend([factor] * len(buckets))
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices), np.array(indptr)),
        shape=(len(texts), n_buckets),
    )


def fit(
    train: Examples, labels: Sequence[str], n_buckets: int, c: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """One balanced logistic regression per label: (weights, bias)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    matrix = feature_matrix(train.texts, n_buckets)
    weights = np.zeros((n_buckets, len(labels)), dtype=np.float64)
    bias = np.zeros(len(labels), dtype=np.float64)
    for j, label in enumerate(labels):
        print(f"  fitting {label} ({int(train.column(label).sum())} examples)", flush=True)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, tol=1e-6)
        model.fit(matrix, train.column(label))
        weights[:, j] = model.coef_[0]
        bias[j] = model.intercept_[0]
    return weights, bias


def quantise(
    weights: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """int8 weights and a per-label scale (largest weight maps to 127)."""
    peak = np.abs(weights).max(axis=0)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    quantised = np.clip(np.rint(weights / scales), -127, 127).astype(np.int8)
    return quantised, scales


def write_npz(path: Path, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    """An ``.npz`` with fixed zip timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def score_split(
    model: LinearEmotionModel, examples: Examples, thresholds: npt.NDArray[np.float32]
) -> list[LabelScore]:
    probabilities = probabilities_of(model, examples.texts)
    return [
        score_label(
            label, examples.column(label).astype(bool), probabilities[:, j] >= thresholds[j]
        )
        for j, label in enumerate(model.labels)
    ]


def probabilities_of(model: LinearEmotionModel, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The model's probabilities for whole GoEmotions comments, as inference computes them."""
    from coach.emotions.text import clean

    return model.probabilities_many([clean(t) for t in texts])


def print_table(title: str, scores: list[LabelScore], thresholds: Mapping[str, float]) -> None:
    print(f"\n{title}")
    print(f"{'label':<16}{'thr':>6}{'support':>9}{'P':>7}{'R':>7}{'F1':>7}")
    for s in scores:
        print(
            f"{s.label:<16}{thresholds[s.label]:>6.2f}{s.support:>9}"
            f"{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
        )
    print(f"macro F1 {macro_f1(scores):.4f}   micro F1 {micro_f1(scores):.4f}")


def train(
    data: Path, out: Path, n_buckets: int = N_BUCKETS, c: float = C, beta: float = BETA
) -> dict[str, Any]:
    """Fit, tune, score and write the model; returns the model description written."""
    catalogue = load_lexicon().emotions
    missing = [label for label in CLASSIFIER_LABELS if label not in catalogue]
    if missing:
        raise SystemExit(f"labels {missing} have no phrase in clinical_lexicon.yaml")
    train_split, dev, test = (read_split(data, s) for s in ("train", "dev", "test"))
    labels = CLASSIFIER_LABELS
    print(
        f"GoEmotions: {len(train_split.texts)} train, {len(dev.texts)} dev, {len(test.texts)} test"
    )
    weights, bias = fit(train_split, labels, n_buckets, c)
    quantised, scales = quantise(weights)
    model = LinearEmotionModel(
        labels,
        np.ones(len(labels), dtype=np.float32),
        n_buckets,
        quantised,
        scales,
        bias.astype(np.float32),
        {},
    )
    dev_probabilities = probabilities_of(model, dev.texts)
    thresholds: dict[str, float] = {}
    for j, label in enumerate(labels):
        truth = dev.column(label).astype(bool)
        threshold = max(THRESHOLD_FLOOR, tune_threshold(truth, dev_probabilities[:, j], beta))
        if score_label(label, truth, dev_probabilities[:, j] >= threshold).f1 < MIN_DEV_F1:
            threshold = 1.0
        thresholds[label] = threshold
    threshold_array = np.array([thresholds[label] for label in labels], dtype=np.float32)
    dev_scores = score_split(model, dev, threshold_array)
    test_scores = score_split(model, test, threshold_array)
    print_table("dev split (thresholds tuned here)", dev_scores, thresholds)
    print_table("test split", test_scores, thresholds)

    out.mkdir(parents=True, exist_ok=True)
    weights_path = out / WEIGHTS_FILE
    write_npz(
        weights_path, {"weights": quantised, "scales": scales, "bias": bias.astype(np.float32)}
    )
    meta: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "model_version": MODEL_VERSION,
        "feature_version": FEATURE_VERSION,
        "features": "binary word unigrams (negation-marked) + word bigrams, CRC-32 hashed, L2",
        "n_buckets": n_buckets,
        "labels": list(labels),
        "thresholds": thresholds,
        "training": {
            "data": "GoEmotions (Demszky et al., 2020), Apache-2.0; train split",
            "rows": {
                "train": len(train_split.texts),
                "dev": len(dev.texts),
                "test": len(test.texts),
            },
            "model": "one-vs-rest logistic regression, L2, class_weight=balanced, lbfgs",
            "C": c,
            "threshold_objective": f"max F{beta:g} on dev, floor {THRESHOLD_FLOOR}",
            "min_dev_f1": MIN_DEV_F1,
            "command": "python -m coach.emotions.train --data ../shared/data/risk/goemotions",
        },
        "dev": {
            "macro_f1": round(macro_f1(dev_scores), 4),
            "micro_f1": round(micro_f1(dev_scores), 4),
        },
        "test": {
            "macro_f1": round(macro_f1(test_scores), 4),
            "micro_f1": round(micro_f1(test_scores), 4),
            "labels": [s.as_dict() for s in test_scores],
        },
        "weights_sha256": file_sha256(weights_path),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    print(f"\nwrote {weights_path} ({weights_path.stat().st_size:,} bytes) and {out / META_FILE}")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coach.emotions.train", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="GoEmotions folder")
    parser.add_argument("--out", type=Path, default=data_dir(), help="where to write the model")
    parser.add_argument("--buckets", type=int, default=N_BUCKETS, help=argparse.SUPPRESS)
    parser.add_argument("--c", type=float, default=C, help=argparse.SUPPRESS)
    parser.add_argument("--beta", type=float, default=BETA, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        train(args.data, args.out, args.buckets, args.c, args.beta)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
