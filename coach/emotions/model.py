"""The shipped GoEmotions classifier: a one-vs-rest logistic model over hashed word and
word-pair features, run with numpy alone.

Two package data files make the model (both written by ``python -m coach.emotions.train``):

- ``data/goemotions_linear.npz``: ``weights`` (buckets x labels, int8), ``scales`` (per
  label, float32; a weight is ``int8 * scale``) and ``bias`` (per label, float32);
- ``data/goemotions_linear.json``: format, feature version, bucket count, labels, the
  per-label thresholds tuned on the GoEmotions dev split, the training settings and the
  SHA-256 of the ``.npz``, so a changed or truncated weights file is refused.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from coach.emotions.text import FEATURE_VERSION, hashed_features

MODEL_FORMAT = 1
WEIGHTS_FILE = "goemotions_linear.npz"
META_FILE = "goemotions_linear.json"
REBUILD_COMMAND = "python -m coach.emotions.train --data ../shared/data/risk/goemotions"

Floats = npt.NDArray[np.float32]


class EmotionModelUnavailable(RuntimeError):
    """The shipped weights are missing or corrupt; the message names the file and the
    command that rebuilds it."""


def data_dir() -> Path:
    """The package data folder the shipped model lives in."""
    return Path(str(resources.files("coach.emotions") / "data"))


def _unavailable(path: Path, problem: str) -> EmotionModelUnavailable:
    return EmotionModelUnavailable(
        f"Emotion model {path} {problem}. Rebuild it with `{REBUILD_COMMAND}` "
        "(GoEmotions train/dev/test splits needed), or reinstall the package."
    )


@dataclass(frozen=True)
class LinearEmotionModel:
    """Per-label probabilities for a sentence; ``thresholds`` say when a label counts."""

    labels: tuple[str, ...]
    thresholds: Floats  # per label, tuned on the dev split
    n_buckets: int
    weights: npt.NDArray[np.int8]  # (n_buckets, n_labels)
    scales: Floats  # (n_labels,)
    bias: Floats  # (n_labels,)
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta.get("model_version", "?"))

    def probabilities(self, cleaned: str) -> Floats:
        """Sigmoid probability of each label for one cleaned sentence."""
        buckets, factor = hashed_features(cleaned, self.n_buckets)
        if not len(buckets):
            raw = np.zeros(len(self.labels), dtype=np.float32)
        else:
            raw = self.weights[buckets].sum(axis=0, dtype=np.int32).astype(np.float32)
        logits = raw * self.scales * np.float32(factor) + self.bias
        probs: Floats = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probs

    def probabilities_many(self, cleaned: list[str]) -> Floats:
        """:meth:`probabilities` of several sentences, one row each."""
        if not cleaned:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.stack([self.probabilities(s) for s in cleaned])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(directory: Path | None = None) -> LinearEmotionModel:
    """The model in ``directory`` (default: the shipped package data), checked whole."""
    folder = directory if directory is not None else data_dir()
    meta_path, weights_path = folder / META_FILE, folder / WEIGHTS_FILE
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise _unavailable(path, "is missing")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        labels = tuple(str(label) for label in meta["labels"])
        thresholds = np.array([meta["thresholds"][label] for label in labels], dtype=np.float32)
        n_buckets = int(meta["n_buckets"])
        expected_sha = str(meta["weights_sha256"])
        feature_version = int(meta["feature_version"])
        model_format = int(meta["format"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _unavailable(meta_path, f"is not a valid model description ({exc!r})") from exc
    if model_format != MODEL_FORMAT or feature_version != FEATURE_VERSION:
        raise _unavailable(
            meta_path,
            f"was written for model format {model_format} / feature version {feature_version}, "
            f"but this code reads format {MODEL_FORMAT} / feature version {FEATURE_VERSION}",
        )
    if file_sha256(weights_path) != expected_sha:
        raise _unavailable(weights_path, f"does not match the SHA-256 recorded in {META_FILE}")
    try:
        with np.load(weights_path, allow_pickle=False) as arrays:
            weights = np.asarray(arrays["weights"], dtype=np.int8)
            scales = np.asarray(arrays["scales"], dtype=np.float32)
            bias = np.asarray(arrays["bias"], dtype=np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise _unavailable(weights_path, f"cannot be read ({exc!r})") from exc
    n_labels = len(labels)
    if weights.shape != (n_buckets, n_labels):
        raise _unavailable(
            weights_path, f"has shape {weights.shape}, expected ({n_buckets}, {n_labels})"
        )
    if scales.shape != (n_labels,) or bias.shape != (n_labels,):
        raise _unavailable(weights_path, "has scales or bias of the wrong length")
    return LinearEmotionModel(labels, thresholds, n_buckets, weights, scales, bias, meta)
