"""Retrieval quality on a labelled query set: recall@k and MRR, per retrieval mode.

Results are collapsed to distinct cards in rank order (several chunks of one card
count once), so the figures say whether the right *cards* come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from knowledge.base import KnowledgeBase

MODES = ("dense", "lexical", "hybrid")


class LabelledQuery(BaseModel):
    query: str = Field(min_length=1)
    relevant: list[str] = Field(min_length=1)


class QuerySet(BaseModel):
    queries: list[LabelledQuery] = Field(min_length=1)


def load_queries(path: Path) -> list[LabelledQuery]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return QuerySet.model_validate(data).queries


@dataclass(frozen=True)
class ModeScores:
    mode: str
    recall_at_k: float
    hit_at_k: float
    mrr: float
    k: int
    queries: int
    misses: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            f"recall@{self.k}": round(self.recall_at_k, 4),
            f"hit@{self.k}": round(self.hit_at_k, 4),
            "mrr": round(self.mrr, 4),
            "queries": self.queries,
            "misses": list(self.misses),
        }


def ranked_cards(kb: KnowledgeBase, query: str, mode: str, depth: int = 20) -> list[str]:
    seen: list[str] = []
    for result in kb.search(query, depth, mode=mode):
        if result.card_id and result.card_id not in seen:
            seen.append(result.card_id)
    return seen


def evaluate(
    kb: KnowledgeBase, queries: Sequence[LabelledQuery], mode: str, k: int = 3
) -> ModeScores:
    """recall@k: the share of a query's relevant cards found in the top k distinct
    cards, averaged over queries (strict: a query labelled with two cards needs both).
    hit@k: the share of queries with at least one relevant card in the top k.
    MRR: 1/rank of the first relevant card (0 if none in the top 20), averaged."""
    recall_total = 0.0
    hits = 0
    rr_total = 0.0
    misses: list[str] = []
    for item in queries:
        ranking = ranked_cards(kb, item.query, mode)
        relevant = set(item.relevant)
        found = len(relevant & set(ranking[:k]))
        recall_total += found / len(relevant)
        hits += found > 0
        if found < len(relevant):
            misses.append(item.query)
        rank = next((i for i, cid in enumerate(ranking, 1) if cid in relevant), None)
        rr_total += 1.0 / rank if rank else 0.0
    n = len(queries)
    return ModeScores(mode, recall_total / n, hits / n, rr_total / n, k, n, tuple(misses))
