"""Retrieval quality on the labelled query set, with the real model and a real chromadb.

The README's table comes from `coach knowledge evaluate` (same code, same data).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.cards import load_builtin_cards
from knowledge.embedder import SentenceTransformerEmbedder
from knowledge.evaluation import MODES, ModeScores, evaluate, load_queries
from knowledge.store import ChromaStore

QUERIES = Path(__file__).parent / "data" / "retrieval_queries.yaml"

# Measured 2026-11-21, after the card wording fixes: hybrid recall@3 0.904 (strict),
# hit@3 0.985, MRR 0.915. The target is 0.90 with a guard of at least 0.85;
# these floors sit just under what we measure, so that losing more than one query's
# second card fails (earlier runs moved by up to one query between machines).
HYBRID_RECALL_FLOOR = 0.89
HYBRID_MRR_FLOOR = 0.90


def test_query_set_is_labelled_with_real_cards() -> None:
    queries = load_queries(QUERIES)
    ids = {c.meta.id for c in load_builtin_cards()}
    assert len(queries) >= 40
    assert len({q.query for q in queries}) == len(queries)
    for q in queries:
        assert set(q.relevant) <= ids, q.query
    # most cards are the best answer to some query
    assert len({q.relevant[0] for q in queries}) >= 0.9 * len(ids)


@pytest.fixture(scope="module")
def scores(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> dict[str, ModeScores]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("quality"))
    kb = KnowledgeBase(
        ChromaStore.from_settings(settings),
        real_embedder,
        chunk_words=settings.chunk_words,
        overlap_words=settings.chunk_overlap_words,
    )
    queries = load_queries(QUERIES)
    return {mode: evaluate(kb, queries, mode, k=3) for mode in MODES}


@pytest.mark.integration
def test_hybrid_retrieval_meets_its_floor(scores: dict[str, ModeScores]) -> None:
    hybrid = scores["hybrid"]
    assert hybrid.recall_at_k >= HYBRID_RECALL_FLOOR, hybrid.misses
    assert hybrid.mrr >= HYBRID_MRR_FLOOR


@pytest.mark.integration
def test_fusion_beats_each_retriever_alone(scores: dict[str, ModeScores]) -> None:
    assert scores["hybrid"].recall_at_k > scores["dense"].recall_at_k
    assert scores["hybrid"].recall_at_k > scores["lexical"].recall_at_k
    assert scores["hybrid"].mrr >= max(scores["dense"].mrr, scores["lexical"].mrr) - 0.01
