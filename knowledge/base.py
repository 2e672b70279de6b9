"""The knowledge layer's front door: ingest, and search with the built-in cards
indexed automatically the first time they are needed."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.embedder import Embedder, build_embedder
from knowledge.ingest import Ingestor, IngestReport, Progress
from knowledge.retriever import HybridRetriever
from knowledge.store import ChromaStore, VectorStore
from knowledge.types import SearchResult

if TYPE_CHECKING:
    from coach.settings import Settings


class KnowledgeBase:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        *,
        chunk_words: int = 120,
        overlap_words: int = 20,
        max_file_bytes: int = 20 * 1024 * 1024,
        rrf_k: int = 60,
        candidate_pool: int = 40,
        revision_check_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.ingestor = Ingestor(
            store,
            embedder,
            chunk_words=chunk_words,
            overlap_words=overlap_words,
            max_file_bytes=max_file_bytes,
        )
        self.retriever = HybridRetriever(
            store,
            embedder,
            rrf_k=rrf_k,
            candidate_pool=candidate_pool,
            revision_check_seconds=revision_check_seconds,
        )
        self._cards_ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, store: VectorStore | None = None
    ) -> KnowledgeBase:
        return cls(
            store if store is not None else ChromaStore.from_settings(settings),
            build_embedder(settings),
            chunk_words=settings.chunk_words,
            overlap_words=settings.chunk_overlap_words,
            max_file_bytes=settings.max_file_bytes,
            rrf_k=settings.rrf_k,
            candidate_pool=settings.candidate_pool,
            revision_check_seconds=settings.revision_check_seconds,
        )

    def ensure_cards(self) -> IngestReport | None:
        """Index the built-in cards once per process (cheap when already indexed)."""
        with self._lock:
            if self._cards_ready:
                return None
            report = self.ingestor.sync_cards()
            self._cards_ready = True
            return report

    def ingest(
        self, paths: Sequence[Path], *, prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        self.ensure_cards()
        return self.ingestor.ingest_paths(paths, prune=prune, progress=progress)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        stage: str | None = None,
        kind: str | None = None,
        mode: str = "hybrid",
    ) -> list[SearchResult]:
        self.ensure_cards()
        return self.retriever.search(query, k, stage=stage, kind=kind, mode=mode)
