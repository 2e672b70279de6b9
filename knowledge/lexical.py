"""Lexical retrieval: BM25 (bm25s) over the stored chunks, with the filters applied
as a mask over all scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from knowledge.store import Filters
from knowledge.text import content_terms
from knowledge.types import Chunk


class LexicalIndex:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._retriever = bm25s.BM25()
        self._empty = not self.chunks
        if not self._empty:
            corpus = [content_terms(c.embedding_text()) or ["_"] for c in self.chunks]
            self._retriever.index(corpus, show_progress=False)
        self._stage = {
            stage: np.array([stage in c.stages for c in self.chunks], dtype=bool)
            for stage in {s for c in self.chunks for s in c.stages}
        }
        self._kind = {
            kind: np.array([c.kind == kind for c in self.chunks], dtype=bool)
            for kind in {c.kind for c in self.chunks}
        }

    def _mask(self, filters: Filters) -> np.ndarray | None:
        mask: np.ndarray | None = None
        none = np.zeros(len(self.chunks), dtype=bool)
        if filters.stage is not None:
            mask = self._stage.get(filters.stage, none)
        if filters.kind is not None:
            kind_mask = self._kind.get(filters.kind, none)
            mask = kind_mask if mask is None else mask & kind_mask
        return mask

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        terms = content_terms(query)
        if self._empty or not terms or k <= 0:
            return []
        scores = np.asarray(self._retriever.get_scores(terms), dtype=np.float64)
        mask = self._mask(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0.0]
