"""The trained risk model: a second opinion that may raise a message to ``support`` or
``crisis`` (through ``RaiseOnlyClassifier``, so the rules' own decisions always stand).

Two logistic-regression heads read three things about each unit of the message
(``risk_features.split_units``): its MiniLM sentence embedding, its word 1-3-grams
(tf-idf) and the rules' attribution features. The heads are
``crisis`` (the speaker's own risk, against everything else) and ``alarm`` (support or
crisis, against nothing). Inference is a dot product in numpy. The weights, their
thresholds and the cross-validated figures behind them are package data
(``data/risk_model.json``), rebuilt by ``python -m guardrails.train_risk_model``.

A unit raises to crisis only when the crisis head is confident and the rules'
attribution does not point at someone else (a patient's words, "she took 40 tablets").
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from guardrails.blas import one_blas_thread
from guardrails.risk import Opinion
from guardrails.risk_context import Context, context_unit, raises_to_crisis
from guardrails.risk_features import (
    FEATURE_NAMES,
    Attribution,
    attribution,
    ngrams,
    split_units,
)
from guardrails.types import Level
from knowledge.embedder import Embedder

log = logging.getLogger(__name__)

REBUILD_COMMAND = ".venv/bin/python -m guardrails.train_risk_model"
# Crisis-head probability at which a message already at ``support`` gets the direct
# question about suicide. Out of fold (5-fold, the shipped training settings), 0.5 on the
# crisis head with the rules flags 0.83 of the written crisis examples, 0.20 of the support
# examples and 0.13 of the hard none examples; a question asked kindly costs little, a
# missed crisis a great deal.
CONCERN_THRESHOLD = 0.5
FORMAT_VERSION = 1


class RiskModelUnavailable(RuntimeError):
    """The model's weights are missing, malformed or were made for another embedder."""


class Head(BaseModel):
    """One logistic-regression head over the dense part (embedding, then attribution
    features, scaling folded in); its n-gram weights live in ``ModelFile.vocabulary``."""

    model_config = ConfigDict(extra="forbid")

    weights: list[float] = Field(min_length=1)
    bias: float
    threshold: float = Field(gt=0.0, lt=1.0)


class ModelFile(BaseModel):
    """``data/risk_model.json``: weights plus what they were trained and checked on."""

    model_config = ConfigDict(extra="forbid")

    format: int
    embedder: str
    dimension: int = Field(gt=0)
    features: list[str]
    vocabulary: dict[str, tuple[float, float, float]]  # n-gram → idf, crisis w, alarm w
    crisis: Head
    alarm: Head
    training_data: dict[str, str]  # source → sha256 of what the weights were trained on
    training: dict[str, object]  # counts, settings, cross-validated figures
    # reading the previous message with this one (``risk_context``); None: each alone
    context: Context | None = None

    @model_validator(mode="after")
    def _shapes(self) -> ModelFile:
        if self.format != FORMAT_VERSION:
            raise ValueError(f"format {self.format}, this code reads {FORMAT_VERSION}")
        if tuple(self.features) != FEATURE_NAMES:
            raise ValueError("its attribution features are not the ones this code computes")
        width = self.dimension + len(FEATURE_NAMES)
        for name, head in (("crisis", self.crisis), ("alarm", self.alarm)):
            if len(head.weights) != width:
                raise ValueError(f"{name} head has {len(head.weights)} weights, expected {width}")
        return self


def default_model_path() -> Path:
    return Path(str(resources.files("guardrails") / "data" / "risk_model.json"))


def load_model_file(path: Path | None = None) -> ModelFile:
    """The weights at ``path`` (default: the package's), or ``RiskModelUnavailable``
    naming the command that rebuilds them."""
    where = path if path is not None else default_model_path()
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
        return ModelFile.model_validate(raw)
    except FileNotFoundError as exc:
        raise RiskModelUnavailable(
            f"risk model weights not found at {where}; rebuild them with `{REBUILD_COMMAND}`"
        ) from exc
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors()[:3])
        raise RiskModelUnavailable(
            f"risk model weights at {where} are malformed ({reason}); rebuild them with "
            f"`{REBUILD_COMMAND}`"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RiskModelUnavailable(
            f"risk model weights at {where} are unreadable ({reason}); rebuild them with "
            f"`{REBUILD_COMMAND}`"
        ) from exc


def data_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


Matrix = npt.NDArray[np.float32]


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
    return out


def ngram_scores(
    units: Sequence[str], vocabulary: dict[str, tuple[float, float, float]]
) -> npt.NDArray[np.float64]:
    """(n, 2): each unit's tf-idf n-gram vector (sublinear tf, l2-normalised) times the
    crisis and alarm n-gram weights, as scikit-learn's TfidfVectorizer computes it."""
    out = np.zeros((len(units), 2))
    for row, unit in enumerate(units):
        counts: dict[str, int] = {}
        for gram in ngrams(unit):
            if gram in vocabulary:
                counts[gram] = counts.get(gram, 0) + 1
        if not counts:
            continue
        values = {g: (1.0 + np.log(c)) * vocabulary[g][0] for g, c in counts.items()}
        norm = float(np.sqrt(sum(v * v for v in values.values())))
        for gram, value in values.items():
            _, crisis_w, alarm_w = vocabulary[gram]
            out[row, 0] += value / norm * crisis_w
            out[row, 1] += value / norm * alarm_w
    return out


def feature_matrix(embeddings: Matrix, attributions: Sequence[Attribution]) -> Matrix:
    """The model's input rows: the embedding, then the attribution features."""
    extra = np.asarray([a.features for a in attributions], dtype=np.float32).reshape(
        len(attributions), len(FEATURE_NAMES)
    )
    joined: Matrix = np.hstack([embeddings.astype(np.float32), extra])
    return joined


@dataclass(frozen=True)
class UnitScore:
    """The model's view of one unit (sentence) of a message."""

    unit: str
    crisis: float  # probability from the crisis head
    alarm: float  # probability from the alarm head
    points_elsewhere: bool  # someone else's risk, or the speaker denies their own

    def level(self, crisis_threshold: float, alarm_threshold: float) -> Level:
        if self.crisis >= crisis_threshold and not self.points_elsewhere:
            return Level.CRISIS
        if max(self.alarm, self.crisis) >= alarm_threshold or self.crisis >= crisis_threshold:
            return Level.SUPPORT  # as cross-validated: the alarm score is the higher of the two
        return Level.NONE


class RiskModel:
    """A ``RiskOpinion``: the highest level any unit of the message earns."""

    def __init__(
        self,
        embedder: Embedder,
        model: ModelFile | None = None,
        *,
        max_level: Level = Level.CRISIS,
    ) -> None:
        self._model = model if model is not None else load_model_file()
        if self._model.embedder != embedder.name:
            raise RiskModelUnavailable(
                f"risk model weights were trained on {self._model.embedder!r} embeddings but "
                f"the embedder is {embedder.name!r}; rebuild them with `{REBUILD_COMMAND}`"
            )
        self._embedder = embedder
        self._max = max_level
        self._w = np.asarray(
            [self._model.crisis.weights, self._model.alarm.weights], dtype=np.float64
        ).T
        self._b = np.asarray([self._model.crisis.bias, self._model.alarm.bias])

    @property
    def file(self) -> ModelFile:
        return self._model

    def probabilities(self, units: Sequence[str], rows: Matrix) -> npt.NDArray[np.float64]:
        """(n, 2): crisis and alarm probabilities of units, given their dense rows."""
        lexical = ngram_scores(units, self._model.vocabulary)
        with one_blas_thread():
            logits = rows.astype(np.float64) @ self._w
        return _sigmoid(logits + lexical + self._b)

    def scores(self, text: str) -> list[UnitScore]:
        units = split_units(text)
        if not units:
            return []
        attributions = [attribution(u) for u in units]
        embeddings = np.asarray(self._embedder.embed_documents(units), dtype=np.float32)
        probs = self.probabilities(units, feature_matrix(embeddings, attributions))
        return [
            UnitScore(u, float(p[0]), float(p[1]), a.gated)
            for u, a, p in zip(units, attributions, probs, strict=True)
        ]

    def level(self, text: str, history: Sequence[str] = ()) -> Level:
        """The highest level any unit earns, capped at ``max_level``."""
        return self.opinion(text, history).level

    def opinion(self, text: str, history: Sequence[str] = ()) -> Opinion:
        """The level, and whether the crisis head is concerned (at or over
        ``CONCERN_THRESHOLD`` on a unit about the speaker) though below its crisis bar.

        With the shipped ``context``, the previous message read together with this one
        can make this one a crisis (``risk_context``)."""
        crisis_t, alarm_t = self._model.crisis.threshold, self._model.alarm.threshold
        scores = self.scores(text)
        found = Level.highest(*(s.level(crisis_t, alarm_t) for s in scores))
        now = own_concern(scores)
        reason = ""
        context = self._model.context
        if context is not None and history and found is not Level.CRISIS and now >= context.floor:
            joined = self.joined_crisis(history[-1], text)
            if raises_to_crisis(now, joined, crisis_t, context):
                found = Level.CRISIS
                reason = f"risk model: this message read with the one before ({joined:.2f})"
        concern = now >= CONCERN_THRESHOLD
        return Opinion(min(found, self._max, key=lambda lv: lv.rank), concern, reason)

    def concern(self, text: str) -> float:
        """The crisis head's highest probability on a unit of ``text`` about the speaker."""
        return own_concern(self.scores(text))

    def joined_crisis(self, previous: str, text: str) -> float:
        """The crisis head on the context unit of ``previous`` and ``text``; 0 when the
        previous message, or the unit, points at someone else or denies the risk (so a
        patient's words are not read as the speaker's).

        The unit's n-grams and attribution are its own; its embedding is the mean of the
        embeddings of the previous message's last unit and this message's first, which
        the embedding memo already holds (both were embedded to score their messages), so
        reading the context costs no extra pass through the encoder."""
        unit = context_unit(previous, text)
        if not unit or attribution(previous).gated:
            return 0.0
        found = attribution(unit)
        if found.gated:
            return 0.0
        before, after = split_units(previous), split_units(text)
        if not before or not after:
            return 0.0
        pair = np.asarray(self._embedder.embed_documents([before[-1], after[0]]), dtype=np.float32)
        mean = pair.mean(axis=0)
        embedding = (mean / max(float(np.linalg.norm(mean)), 1e-12)).reshape(1, -1)
        rows = feature_matrix(embedding.astype(np.float32), [found])
        return float(self.probabilities([unit], rows)[0, 0])


def own_concern(scores: Sequence[UnitScore]) -> float:
    """The highest crisis probability on a unit that does not point at someone else."""
    return max((s.crisis for s in scores if not s.points_elsewhere), default=0.0)
