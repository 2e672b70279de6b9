"""Hybrid retrieval: dense (the vector store) and lexical (BM25), fused by
reciprocal rank fusion, with optional stage and kind filters."""

from __future__ import annotations

import time
from collections.abc import Callable

from knowledge.embedder import Embedder
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.lexical import LexicalIndex
from knowledge.store import Filters, VectorStore
from knowledge.types import CARD_KINDS, DOCUMENT_KIND, STAGES, Chunk, SearchResult

MAX_QUERY_CHARS = 2000


class QueryError(ValueError):
    """The query or its filters are not usable; the message says why."""


def validate_filters(stage: str | None, kind: str | None) -> Filters:
    if stage is not None and stage not in STAGES:
        raise QueryError(f"unknown stage {stage!r}; choose one of: {', '.join(STAGES)}")
    kinds = (*CARD_KINDS, DOCUMENT_KIND)
    if kind is not None and kind not in kinds:
        raise QueryError(f"unknown kind {kind!r}; choose one of: {', '.join(kinds)}")
    return Filters(stage=stage, kind=kind)


def to_result(chunk: Chunk, score: float) -> SearchResult:
    return SearchResult(
        text=chunk.text,
        title=chunk.title,
        source=chunk.citation or chunk.source,
        score=score,
        card_id=chunk.card_id,
        chunk_id=chunk.id,
        heading=chunk.heading,
        kind=chunk.kind,
        stages=chunk.stages,
        source_key=chunk.source,
    )


class HybridRetriever:
    """Dense + BM25 + RRF. ``mode`` can be narrowed to one side for evaluation."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        *,
        rrf_k: int = 60,
        candidate_pool: int = 40,
        revision_check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._rrf_k = rrf_k
        self._pool = candidate_pool
        self._ttl = revision_check_seconds
        self._clock = clock
        self._lexical: LexicalIndex | None = None
        self._revision: str | None = None
        self._checked_at = float("-inf")

    def lexical_index(self) -> LexicalIndex:
        now = self._clock()
        if self._lexical is None or now - self._checked_at >= self._ttl:
            revision = self._store.revision()
            self._checked_at = now
            if self._lexical is None or revision != self._revision:
                self._lexical = LexicalIndex(self._store.all_chunks())
                self._revision = revision
        return self._lexical

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        stage: str | None = None,
        kind: str | None = None,
        mode: str = "hybrid",
    ) -> list[SearchResult]:
        query = query.strip()
        if not query:
            raise QueryError(
                "the query is empty; ask something, e.g. 'signs of compassion fatigue'"
            )
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(
                f"the query is {len(query)} characters; keep it under {MAX_QUERY_CHARS}"
            )
        if k < 1:
            raise QueryError("k must be at least 1")
        if mode not in ("hybrid", "dense", "lexical"):
            raise QueryError("mode must be one of: hybrid, dense, lexical")
        filters = validate_filters(stage, kind)
        pool = max(self._pool, k)
        rankings: list[list[str]] = []
        by_id: dict[str, Chunk] = {}
        if mode in ("hybrid", "dense"):
            dense = self._store.query(self._embedder.embed_query(query), pool, filters)
            rankings.append([h.chunk.id for h in dense])
            by_id.update({h.chunk.id: h.chunk for h in dense})
            if mode == "dense":
                return [to_result(h.chunk, h.similarity) for h in dense[:k]]
        lexical = self.lexical_index().search(query, pool, filters)
        if mode == "lexical":
            return [to_result(c, s) for c, s in lexical[:k]]
        rankings.append([c.id for c, _ in lexical])
        by_id.update({c.id: c for c, _ in lexical})
        fused = reciprocal_rank_fusion(rankings, k=self._rrf_k)
        return [to_result(by_id[cid], score) for cid, score in fused[:k]]
