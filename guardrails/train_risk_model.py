"""Rebuild ``guardrails/data/risk_model.json``: ``python -m guardrails.train_risk_model``.

Training data:
- ``data/risk_bank.yaml`` and every ``data/risk_training*.yaml``: short clinician messages
  written for this project by several authors (crisis, support, and hard negatives about
  patients, idioms);
- ordinary Reddit comments from GoEmotions (Demszky et al. 2020, Apache-2.0), read from
  ``../shared/data/risk/goemotions`` when present, as extra ``none`` examples. Comments that
  mention death, suicide, harm or drugs are left out (their labels say nothing about
  risk). No row is copied into the repository; the weights record the file's hash.

Conversations (``data/conversations_training.yaml``, written for this project) choose how
much concern a message needs before the previous message read with it may make it a crisis
(``risk_context``): the floor that catches the most crisis conversations while escalating
no more of the others than the per-message screen already does.

The held-out sets in ``tests/data`` are never read here. Thresholds are chosen on
out-of-fold probabilities (stratified 5-fold cross-validation on the training data),
counting what the rules already flag: the crisis threshold is the lowest that keeps
false crises on the written ``none`` examples under ``--max-false-crisis`` and crises on
the written ``support`` examples under ``--max-support-to-crisis``; the alarm threshold
is the lowest that keeps any alarm on the written ``none`` examples under
``--max-false-alarm``.

Needs scikit-learn (installed with sentence-transformers) for training only; the
shipped model runs in numpy.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field

from guardrails.evaluation import load_conversations
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_bank import bank_bytes, load_bank
from guardrails.risk_context import ScoredConversation, choose, cross_validated, outcome
from guardrails.risk_features import FEATURE_NAMES, NGRAM_RANGE, attribution, ngrams
from guardrails.risk_model import (
    FORMAT_VERSION,
    ModelFile,
    RiskModel,
    data_hash,
    default_model_path,
    feature_matrix,
    ngram_scores,
)
from guardrails.types import Level
from knowledge.embedder import Embedder, MemoEmbedder, SentenceTransformerEmbedder

SHARED_RISK = Path(__file__).resolve().parents[2] / "shared" / "data" / "risk"
GOEMOTIONS = Path("goemotions") / "data" / "original" / "train.tsv"
CONVERSATIONS = "conversations_training.yaml"
LABEL = {Level.NONE: 0, Level.SUPPORT: 1, Level.CRISIS: 2}
_RISKY = re.compile(
    r"\b(?:kill\w*|die|died|dies|dying|dead|death|deaths|suicid\w*|hurt\w*|harm\w*|cut\w*|"
    r"overdos\w*|pills?|tablets?|end it|hang\w*|jump\w*|alive|live|living|life|shoot\w*|gun|"
    r"knife|blood\w*|drunk|high|wasted|stoned|drugs?|alcohol\w*|drink\w*|depress\w*|anxi\w*|"
    r"murder\w*|rape\w*|abus\w*|self|worthless|hopeless|burden|therap\w*|meds?|hospital)\b"
)


class TrainingBlock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Level
    category: str
    note: str = ""
    texts: list[str] = Field(min_length=1)


class TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    blocks: list[TrainingBlock] = Field(min_length=1)


def training_files() -> dict[str, bytes]:
    """Every ``data/risk_training*.yaml`` file by name, in name order. Each was written for
    this project by a different author; all are read the same way."""
    data = resources.files("guardrails") / "data"
    names = sorted(
        f.name
        for f in data.iterdir()
        if f.name.startswith("risk_training") and f.name.endswith(".yaml")
    )
    return {name: (data / name).read_bytes() for name in names}


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 0 none, 1 support, 2 crisis
    source: str  # "written" or "goemotions"


def written_examples(exclude: frozenset[str] = frozenset()) -> list[Example]:
    """The bank plus the training files: every example written for this project, but for
    the training files named in ``exclude`` (kept back to measure a new author's texts)."""
    seen: set[str] = set()
    out: list[Example] = []
    for e in load_bank().examples:
        if e.text.lower() not in seen:
            seen.add(e.text.lower())
            out.append(Example(e.text, LABEL[e.level], "written"))
    for name, raw in training_files().items():
        if name in exclude:
            continue
        extra = TrainingFile.model_validate(yaml.safe_load(raw))
        for block in extra.blocks:
            for text in block.texts:
                if text.lower() not in seen:
                    seen.add(text.lower())
                    out.append(Example(text, LABEL[block.level], "written"))
    return out


def goemotions_examples(shared: Path, count: int, seed: int) -> tuple[list[Example], str]:
    """``count`` ordinary comments (label ``none``) and the file's sha256."""
    path = shared / GOEMOTIONS
    raw = path.read_bytes()
    rows = list(csv.reader(raw.decode("utf-8").splitlines(), delimiter="\t"))
    texts = sorted(
        {
            r[0].strip()
            for r in rows
            if r and len(r[0].split()) >= 5 and not _RISKY.search(r[0].lower())
        }
    )
    random.Random(seed).shuffle(texts)
    return [Example(t, 0, "goemotions") for t in texts[:count]], data_hash(raw)


Matrix = npt.NDArray[np.float32]


def embed(embedder: Embedder, texts: list[str], cache_dir: Path | None) -> Matrix:
    key = hashlib.sha256(("\n".join(texts) + "|" + embedder.name).encode()).hexdigest()[:16]
    path = cache_dir / f"risk_train-{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        cached: Matrix = np.load(path)
        return cached
    matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, matrix)
    return matrix


@dataclass(frozen=True)
class Fitted:
    """Both heads, in the shipped form: dense weights with scaling folded in, and each
    n-gram's idf with its crisis and alarm weights."""

    dense: npt.NDArray[np.float64]  # (dimension + features, 2)
    bias: npt.NDArray[np.float64]  # (2,)
    vocabulary: dict[str, tuple[float, float, float]]

    def predict(self, texts: list[str], dense: Matrix) -> npt.NDArray[np.float64]:
        lexical = ngram_scores(texts, self.vocabulary)
        z = dense.astype(np.float64) @ self.dense + lexical + self.bias
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        return out


@dataclass(frozen=True)
class Settings:
    c: float
    embedding_scale: float
    feature_scale: float
    min_df: int


def fit(texts: list[str], dense: Matrix, labels: Any, weights: Any, s: Settings) -> Fitted:
    """Fit the crisis head (crisis against the rest) and the alarm head (support or
    crisis against none) on tf-idf n-grams plus the scaled dense features."""
    from scipy import sparse  # type: ignore[import-untyped]
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    vectoriser = TfidfVectorizer(analyzer=ngrams, min_df=s.min_df, sublinear_tf=True)
    lexical = vectoriser.fit_transform(texts)
    scale = np.r_[
        np.full(dense.shape[1] - len(FEATURE_NAMES), s.embedding_scale),
        np.full(len(FEATURE_NAMES), s.feature_scale),
    ]
    x = sparse.hstack([lexical, sparse.csr_matrix(dense * scale)]).tocsr()
    n_lex = lexical.shape[1]
    dense_w = np.zeros((dense.shape[1], 2))
    lex_w = np.zeros((n_lex, 2))
    bias = np.zeros(2)
    for col, target in enumerate((labels == 2, labels >= 1)):
        model = LogisticRegression(C=s.c, max_iter=10000, class_weight="balanced")
        model.fit(x, target.astype(int), sample_weight=weights)
        coef = model.coef_[0]
        lex_w[:, col] = coef[:n_lex]
        dense_w[:, col] = coef[n_lex:] * scale
        bias[col] = float(model.intercept_[0])
    vocabulary = {
        gram: (float(vectoriser.idf_[i]), float(lex_w[i, 0]), float(lex_w[i, 1]))
        for gram, i in vectoriser.vocabulary_.items()
    }
    return Fitted(dense_w, bias, vocabulary)


def out_of_fold(
    texts: list[str], dense: Matrix, labels: Any, weights: Any, s: Settings, folds: int, seed: int
) -> npt.NDArray[np.float64]:
    """(n, 2): out-of-fold crisis and alarm probabilities for every example."""
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    probs = np.zeros((len(labels), 2))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(dense, labels):
        fitted = fit([texts[i] for i in train], dense[train], labels[train], weights[train], s)
        probs[test] = fitted.predict([texts[i] for i in test], dense[test])
    return probs


def choose_threshold(
    scores: npt.NDArray[np.float64], negatives: Any, max_rate: float, already: Any
) -> float:
    """The lowest threshold on a 0.01 grid at which the false-positive rate on
    ``negatives``, counting those the rules ``already`` flag, is at most ``max_rate``."""
    for t in np.arange(0.05, 0.995, 0.01):
        if float(np.mean((scores[negatives] >= t) | already[negatives])) <= max_rate:
            return round(float(t), 2)
    return 0.99


def figures(labels: Any, crisis_level: Any, alarm_level: Any, written: Any) -> dict[str, float]:
    """Rates on the out-of-fold predictions (``alarm_level`` includes crisis)."""
    alarm_level = alarm_level | crisis_level

    def rate(flags: Any, mask: Any) -> float:
        return round(float(np.mean(flags[mask])), 4) if mask.any() else float("nan")

    return {
        "crisis_recall": rate(crisis_level, written & (labels == 2)),
        "crisis_or_support_on_crisis": rate(alarm_level, written & (labels == 2)),
        "support_recall": rate(alarm_level, written & (labels == 1)),
        "support_flagged_crisis": rate(crisis_level, written & (labels == 1)),
        "false_crisis_written_none": rate(crisis_level, written & (labels == 0)),
        "false_alarm_written_none": rate(alarm_level, written & (labels == 0)),
        "false_crisis_goemotions": rate(crisis_level, ~written),
        "false_alarm_goemotions": rate(alarm_level, ~written),
    }


def conversations_path() -> Path:
    return Path(str(resources.files("guardrails") / "data" / CONVERSATIONS))


def score_training_conversations(
    model: ModelFile, embedder: Embedder, path: Path
) -> list[ScoredConversation]:
    """Each conversation turn by turn: the model's concern on the turn, the crisis head
    on its context unit, and the level the rules plus the model give each message read
    alone (the rules' own accumulation over turns included)."""
    single = model.model_copy(update={"context": None})
    risk_model = RiskModel(embedder, single)
    screen = RaiseOnlyClassifier(RuleRiskClassifier(), risk_model)
    out: list[ScoredConversation] = []
    for conv in load_conversations(path):
        turns = conv.turns
        out.append(
            ScoredConversation(
                concerns=tuple(risk_model.concern(t) for t in turns),
                joined=tuple(
                    risk_model.joined_crisis(turns[i - 1], t) if i else 0.0
                    for i, t in enumerate(turns)
                ),
                screened=tuple(screen.assess(t, turns[:i]).level for i, t in enumerate(turns)),
                crisis=conv.expected_final_level is Level.CRISIS,
                first_crisis_turn=conv.expected_first_crisis_turn,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=default_model_path())
    parser.add_argument("--shared", type=Path, default=SHARED_RISK)
    parser.add_argument("--goemotions", type=int, default=1500, help="ordinary comments used")
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 strength")
    parser.add_argument("--embedding-scale", type=float, default=2.0)
    parser.add_argument("--feature-scale", type=float, default=0.3)
    parser.add_argument("--min-df", type=int, default=2, help="n-grams seen in fewer are dropped")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-false-crisis", type=float, default=0.02)
    parser.add_argument("--max-false-alarm", type=float, default=0.15)
    parser.add_argument(
        "--max-support-to-crisis",
        type=float,
        default=0.02,
        help="share of written support examples the crisis threshold may raise to crisis",
    )
    parser.add_argument("--external-weight", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=Path(".coach-data") / "cache")
    parser.add_argument("--cv-only", action="store_true", help="print figures, write nothing")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="leave out a training file (e.g. risk_training_voices_b.yaml) to measure the "
        "model on one author's texts with `coach guard evaluate --messages`; such weights "
        "are for measuring only and fail the stale-weights test",
    )
    args = parser.parse_args(argv)

    excluded = frozenset(args.exclude)
    unknown = excluded - set(training_files())
    if unknown:
        print(f"error: no training file {sorted(unknown)} in guardrails/data", file=sys.stderr)
        return 2
    examples = written_examples(excluded)
    hashes = {"risk_bank.yaml": data_hash(bank_bytes())}
    hashes.update(
        {name: data_hash(raw) for name, raw in training_files().items() if name not in excluded}
    )
    if args.goemotions > 0:
        if not (args.shared / GOEMOTIONS).is_file():
            print(
                f"error: {args.shared / GOEMOTIONS} is missing; pass --shared DIR, or "
                "--goemotions 0 to train on the written examples alone",
                file=sys.stderr,
            )
            return 2
        extra, digest = goemotions_examples(args.shared, args.goemotions, args.seed)
        examples += extra
        hashes[f"goemotions/train.tsv ({len(extra)} comments)"] = digest
    texts = [e.text for e in examples]
    labels = np.asarray([e.label for e in examples])
    written = np.asarray([e.source == "written" for e in examples])
    sample_weight = np.where(written, 1.0, args.external_weight)

    embedder = SentenceTransformerEmbedder()
    attributions = [attribution(t) for t in texts]
    dense = feature_matrix(embed(embedder, texts, args.cache), attributions)
    elsewhere = np.asarray([a.gated for a in attributions])
    settings = Settings(args.c, args.embedding_scale, args.feature_scale, args.min_df)

    oof = out_of_fold(texts, dense, labels, sample_weight, settings, args.folds, args.seed)
    rules = RuleRiskClassifier()
    rule_rank = np.asarray([rules.assess(t).level.rank for t in texts])
    gated = np.where(elsewhere, 0.0, oof[:, 0])
    none_written = written & (labels == 0)
    crisis_t = max(
        choose_threshold(gated, none_written, args.max_false_crisis, rule_rank == 2),
        choose_threshold(
            gated, written & (labels == 1), args.max_support_to_crisis, rule_rank == 2
        ),
    )
    alarm_scores = np.maximum(oof[:, 1], oof[:, 0])
    alarm_t = choose_threshold(alarm_scores, none_written, args.max_false_alarm, rule_rank >= 1)
    model_crisis, model_alarm = gated >= crisis_t, alarm_scores >= alarm_t
    cv = {
        "model alone": figures(labels, model_crisis, model_alarm, written),
        "rules alone": figures(labels, rule_rank == 2, rule_rank >= 1, written),
        "rules + model": figures(
            labels, model_crisis | (rule_rank == 2), model_alarm | (rule_rank >= 1), written
        ),
    }
    counts = Counter(f"{e.source}:{['none', 'support', 'crisis'][e.label]}" for e in examples)
    report: dict[str, object] = {
        "counts": dict(sorted(counts.items())),
        "c": args.c,
        "embedding_scale": args.embedding_scale,
        "feature_scale": args.feature_scale,
        "min_df": args.min_df,
        "ngram_range": list(NGRAM_RANGE),
        "folds": args.folds,
        "seed": args.seed,
        "external_weight": args.external_weight,
        "max_false_crisis": args.max_false_crisis,
        "max_false_alarm": args.max_false_alarm,
        "max_support_to_crisis": args.max_support_to_crisis,
        "crisis_threshold": crisis_t,
        "alarm_threshold": alarm_t,
        "cross_validated": cv,
    }
    print(json.dumps(report, indent=2))
    if args.cv_only:
        return 0

    final = fit(texts, dense, labels, sample_weight, settings)
    out: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "embedder": embedder.name,
        "dimension": embedder.dimension,
        "features": list(FEATURE_NAMES),
        "vocabulary": {
            gram: [round(v, 6) for v in values] for gram, values in sorted(final.vocabulary.items())
        },
        "crisis": {
            "weights": [round(float(v), 6) for v in final.dense[:, 0]],
            "bias": round(float(final.bias[0]), 6),
            "threshold": crisis_t,
        },
        "alarm": {
            "weights": [round(float(v), 6) for v in final.dense[:, 1]],
            "bias": round(float(final.bias[1]), 6),
            "threshold": alarm_t,
        },
        "training_data": hashes,
        "training": {
            **report,
            "command": "python -m guardrails.train_risk_model",
            "attribution": "GoEmotions (Demszky et al. 2020, Apache-2.0): ordinary comments "
            "as none examples; no rows are stored here",
        },
    }
    conversations = conversations_path()
    scored = score_training_conversations(
        ModelFile.model_validate(out), MemoEmbedder(embedder), conversations
    )
    context = choose(scored, crisis_t)
    context_report = {
        "conversations": len(scored),
        "chosen": context.model_dump() if context is not None else None,
        "each_message_alone": outcome(scored, crisis_t, None).as_json(),
        "with_the_previous_message": outcome(scored, crisis_t, context).as_json(),
        "cross_validated_5_fold": cross_validated(scored, crisis_t).as_json(),
    }
    print(json.dumps({"context": context_report}, indent=2))
    out["context"] = context.model_dump() if context is not None else None
    out["training_data"][CONVERSATIONS] = data_hash(conversations.read_bytes())
    out["training"]["context"] = context_report
    args.out.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
