"""Nearest-neighbour risk signal over sentence embeddings.

The bank (``guardrails/data/risk_bank.yaml``, versioned package data written for
this project) holds short labelled clinician messages, including hard negatives:
a patient's suicide told in the first person, what a patient said, idioms. Each
sentence of a new message is compared with the bank; a similarity-weighted vote of
its nearest neighbours says how crisis-like it is. Bank embeddings are cached under
the data directory, keyed by the bank's hash and the embedder.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from guardrails.blas import one_blas_thread
from guardrails.risk_features import split_units
from guardrails.types import Level
from knowledge.embedder import Embedder

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
MAX_SENTENCES = 12


class BankExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=2)
    level: Level
    category: str


class Bank(BaseModel):
    version: int
    examples: list[BankExample] = Field(min_length=10)


def bank_bytes() -> bytes:
    return (resources.files("guardrails") / "data" / "risk_bank.yaml").read_bytes()


def load_bank(raw: bytes | None = None) -> Bank:
    return Bank.model_validate(yaml.safe_load(bank_bytes() if raw is None else raw))


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text) if len(p.strip()) > 3]
    return parts[:MAX_SENTENCES] or [text.strip()[:2000]]


@dataclass(frozen=True)
class BankVote:
    sentence: str
    crisis: float  # share of the neighbours' similarity mass that is crisis
    support: float
    top_similarity: float

    @property
    def level(self) -> Level:
        return level_for(self)


CRISIS_SHARE = 0.6
SUPPORT_SHARE = 0.6
MIN_SIMILARITY = 0.4
# A sentence of one or two words does not vote: its embedding says little about whose
# risk it is or how serious, and one-word check-ins ("Numb", "Bit wobbly") sat close to
# short support examples, drawing a support offer at the first message of most debriefs
# in the eval suite.
MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def level_for(vote: BankVote) -> Level:
    if vote.top_similarity < MIN_SIMILARITY or len(_WORD.findall(vote.sentence)) < MIN_WORDS:
        return Level.NONE
    if vote.crisis >= CRISIS_SHARE:
        return Level.CRISIS
    if vote.crisis + vote.support >= SUPPORT_SHARE:
        return Level.SUPPORT
    return Level.NONE


class RiskBank:
    """k-nearest-neighbour votes against the labelled bank."""

    def __init__(
        self,
        embedder: Embedder,
        bank: Bank | None = None,
        *,
        k: int = 7,
        cache_dir: Path | None = None,
        max_level: Level = Level.SUPPORT,
    ) -> None:
        self._embedder = embedder
        self._bank = bank if bank is not None else load_bank()
        self._k = k
        self._max = max_level
        self._labels = np.array(
            [
                {Level.CRISIS: 2, Level.SUPPORT: 1, Level.NONE: 0}[e.level]
                for e in self._bank.examples
            ]
        )
        self._matrix = self._embed_bank(cache_dir)

    def _embed_bank(self, cache_dir: Path | None) -> np.ndarray:
        texts = [e.text for e in self._bank.examples]
        key = hashlib.sha256(
            ("\n".join(texts) + "|" + self._embedder.name).encode("utf-8")
        ).hexdigest()[:16]
        path = cache_dir / f"risk_bank-{key}.npy" if cache_dir is not None else None
        if path is not None and path.is_file():
            try:
                cached: np.ndarray = np.load(path)
                if cached.shape == (len(texts), self._embedder.dimension):
                    return cached
            except (OSError, ValueError):
                log.warning("ignoring an unreadable risk bank cache at %s", path)
        matrix = np.asarray(self._embedder.embed_documents(texts), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, matrix)
            except OSError:
                log.warning("could not cache risk bank embeddings at %s", path)
        return matrix

    def votes(self, text: str) -> list[BankVote]:
        # the risk model's units: the same sentences, so one shared embedding memo encodes
        # each once for both (guardrails.guard)
        sentences = split_units(text) or split_sentences(text)
        queries = np.asarray(self._embedder.embed_documents(sentences), dtype=np.float32)
        # One BLAS thread: this product is tiny, and OpenBLAS's threads spin after it,
        # halving the speed of the next sentence encode on two cores.
        with one_blas_thread():
            sims = queries @ self._matrix.T
        k = min(self._k, sims.shape[1])
        out: list[BankVote] = []
        for sentence, row in zip(sentences, sims, strict=True):
            top = np.argpartition(-row, k - 1)[:k]
            weights = np.clip(row[top], 0.0, None)
            total = float(weights.sum()) or 1.0
            labels = self._labels[top]
            out.append(
                BankVote(
                    sentence=sentence,
                    crisis=float(weights[labels == 2].sum()) / total,
                    support=float(weights[labels == 1].sum()) / total,
                    top_similarity=float(row[top].max()),
                )
            )
        return out

    def level(self, text: str, history: Sequence[str] = ()) -> Level:
        """The highest level any sentence of ``text`` earns, capped at ``max_level`` (a
        ``RiskOpinion``). The default cap is ``support``: on the held-out clinician set
        a bank vote alone raised false crises on clinical talk from 2.6% to 7.8%, so a
        bank-only signal offers human support and the debrief goes on."""
        return min(
            Level.highest(*(v.level for v in self.votes(text))),
            self._max,
            key=lambda lv: lv.rank,
        )
