"""The vector-store seam: a Protocol, chromadb behind it, and an in-memory fake.

Chunks carry their metadata (source key, content hash, card id, kind, stages,
citation) so the store alone knows what has been ingested: nothing about the
index lives in process memory or beside it on disk. A ``revision`` marker on the
collection changes on every write, so readers in other processes can tell when
to refresh what they derived from it (the lexical index).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from knowledge.chroma_http import timed_http_client
from knowledge.embedder import Vectors
from knowledge.types import Chunk

if TYPE_CHECKING:
    from coach.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreUnavailable(RuntimeError):
    """The vector store cannot be reached or opened; the message says how to fix it."""


@dataclass(frozen=True)
class Filters:
    """Optional retrieval filters: a debrief stage and/or a card kind."""

    stage: str | None = None
    kind: str | None = None

    def matches(self, chunk: Chunk) -> bool:
        if self.stage is not None and self.stage not in chunk.stages:
            return False
        return self.kind is None or chunk.kind == self.kind

    def is_empty(self) -> bool:
        return self.stage is None and self.kind is None


@dataclass(frozen=True)
class DenseHit:
    chunk: Chunk
    similarity: float


class VectorStore(Protocol):
    """Where chunks and their embeddings live."""

    def upsert(self, chunks: Sequence[Chunk], embeddings: Vectors) -> None: ...

    def replace_source(self, source: str, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        """Make ``chunks`` the only chunks of ``source``. New chunks are written before
        stale ones are dropped, so a failure part-way never loses the old version."""
        ...

    def delete_sources(self, sources: Iterable[str]) -> int: ...

    def source_hashes(self) -> dict[str, str]: ...

    def all_chunks(self) -> list[Chunk]: ...

    def query(self, embedding: Vectors, k: int, filters: Filters) -> list[DenseHit]: ...

    def count(self) -> int: ...

    def revision(self) -> str: ...


# -- metadata <-> Chunk -----------------------------------------------------------


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": chunk.source,
        "title": chunk.title,
        "heading": chunk.heading,
        "position": chunk.position,
        "content_hash": chunk.content_hash,
        "kind": chunk.kind,
        "citation": chunk.citation,
        "context": chunk.context,
    }
    if chunk.card_id is not None:
        meta["card_id"] = chunk.card_id
    if chunk.stages:  # chromadb refuses empty lists
        meta["stages"] = list(chunk.stages)
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    card_id = meta.get("card_id")
    return Chunk(
        id=chunk_id,
        text=text,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        heading=str(meta.get("heading", "")),
        position=int(meta.get("position", 0)),
        content_hash=str(meta.get("content_hash", "")),
        card_id=str(card_id) if card_id is not None else None,
        kind=str(meta.get("kind", "document")),
        stages=tuple(str(s) for s in (meta.get("stages") or ())),
        citation=str(meta.get("citation", "")),
        context=str(meta.get("context", "")),
    )


# -- the in-memory fake -------------------------------------------------------------


class InMemoryStore:
    """A brute-force cosine store for tests and for running with no vector store."""

    def __init__(self) -> None:
        self._chunks: dict[str, Chunk] = {}
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        self._revision = uuid.uuid4().hex

    def _touch(self) -> None:
        self._revision = uuid.uuid4().hex

    def upsert(self, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError("upsert needs one embedding per chunk")
        for chunk, vector in zip(chunks, embeddings, strict=True):
            self._chunks[chunk.id] = chunk
            self._vectors[chunk.id] = np.asarray(vector, dtype=np.float32)
        self._touch()

    def replace_source(self, source: str, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        self.upsert(chunks, embeddings)
        keep = {c.id for c in chunks}
        for cid in [cid for cid, c in self._chunks.items() if c.source == source]:
            if cid not in keep:
                del self._chunks[cid]
                del self._vectors[cid]
        self._touch()

    def delete_sources(self, sources: Iterable[str]) -> int:
        wanted = set(sources)
        doomed = [cid for cid, c in self._chunks.items() if c.source in wanted]
        for cid in doomed:
            del self._chunks[cid]
            del self._vectors[cid]
        if doomed:
            self._touch()
        return len(doomed)

    def source_hashes(self) -> dict[str, str]:
        return {c.source: c.content_hash for c in self._chunks.values()}

    def all_chunks(self) -> list[Chunk]:
        return sorted(self._chunks.values(), key=lambda c: c.id)

    def query(self, embedding: Vectors, k: int, filters: Filters) -> list[DenseHit]:
        ids = [cid for cid, c in self._chunks.items() if filters.matches(c)]
        if not ids or k <= 0:
            return []
        matrix = np.stack([self._vectors[cid] for cid in ids])
        sims = matrix @ np.asarray(embedding, dtype=np.float32)
        order = np.argsort(-sims, kind="stable")[:k]
        return [DenseHit(self._chunks[ids[i]], float(sims[i])) for i in order]

    def count(self) -> int:
        return len(self._chunks)

    def revision(self) -> str:
        return self._revision


# -- chromadb -------------------------------------------------------------------------

_UPSERT_BATCH = 2000


class ChromaStore:
    """chromadb: an embedded PersistentClient, or an HttpClient to a Chroma server.

    The client and the collection are opened on first use, and again on each use until
    that succeeds, so the coach starts (and answers, without sources) while the store is
    down, and uses it as soon as it is back, without a restart. A store that cannot be
    opened raises ``StoreUnavailable`` naming the settings to check."""

    def __init__(
        self,
        open_client: Callable[[], Any],
        collection_name: str,
        *,
        where: str = "the Chroma store",
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_client = open_client
        self._name = collection_name
        self._where = where
        self._client: Any = None
        self._collection: Any = None
        self._opening = threading.Lock()
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaStore:
        """The store ``settings`` name, opened now if it can be; if it cannot, a warning
        naming the setting is logged and it is opened at its first use instead."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_host:
            host, port, ssl = settings.chroma_host, settings.chroma_port, settings.chroma_ssl
            where = (
                f"the Chroma server at {host}:{port} (check COACH_CHROMA_HOST / "
                "COACH_CHROMA_PORT, or unset COACH_CHROMA_HOST to use the embedded store)"
            )

            timeout = settings.chroma_timeout_seconds

            def open_client() -> Any:
                return timed_http_client(host, port, ssl=ssl, timeout=timeout)

        else:
            folder = settings.chroma_dir
            where = f"the embedded store at {folder} (check COACH_DATA_DIR)"

            def open_client() -> Any:
                folder.mkdir(parents=True, exist_ok=True)
                return chromadb.PersistentClient(path=str(folder), settings=chroma_settings)

        store = cls(
            open_client,
            settings.collection,
            where=where,
            retry_after=settings.chroma_retry_after_seconds,
        )
        try:
            store.collection()
        except StoreUnavailable as exc:
            log.warning(
                "%s. The coach starts anyway: replies have no sources until it can be "
                "reached, and it is tried again at each use.",
                exc,
            )
        return store

    def collection(self) -> Any:
        """The chromadb collection, opened now if it is not open yet. For ``retry_after``
        seconds after the store failed, this fails at once instead of waiting on it again
        (each turn would otherwise wait up to ``COACH_CHROMA_TIMEOUT_SECONDS``)."""
        if self._collection is not None:
            return self._collection
        with self._opening:
            if self._collection is None:
                wait = self._down_until - self._clock()
                if wait > 0:
                    raise StoreUnavailable(
                        f"{self._where} was unreachable; it is tried again in {wait:.0f} s"
                    )
                try:
                    client = self._client if self._client is not None else self._open_client()
                except Exception as exc:
                    self._went_down()
                    raise StoreUnavailable(f"Could not open {self._where}: {exc}") from exc
                self._client = client
                try:
                    self._collection = client.get_or_create_collection(
                        self._name,
                        embedding_function=None,  # we always pass our own embeddings
                        metadata={"hnsw:space": "cosine", "revision": uuid.uuid4().hex},
                    )
                except Exception as exc:
                    self._went_down()
                    raise StoreUnavailable(
                        f"Could not open the Chroma collection {self._name!r} in "
                        f"{self._where}: {exc}"
                    ) from exc
        return self._collection

    def _went_down(self) -> None:
        """Forget the connection, and leave the store alone for ``retry_after`` seconds."""
        self._collection = None
        self._client = None
        self._down_until = self._clock() + self._retry_after

    def _read(self, what: str, read: Callable[[Any], T]) -> T:
        """``read(collection)``; a failure marks the store down (see :meth:`collection`)."""
        collection = self.collection()
        try:
            return read(collection)
        except Exception as exc:
            with self._opening:
                self._went_down()
            raise StoreUnavailable(f"Could not {what} {self._where}: {exc}") from exc

    def _bump_revision(self) -> None:
        self.collection().modify(metadata={"revision": uuid.uuid4().hex})

    def upsert(self, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError("upsert needs one embedding per chunk")
        for start in range(0, len(chunks), _UPSERT_BATCH):
            batch = chunks[start : start + _UPSERT_BATCH]
            self.collection().upsert(
                ids=[c.id for c in batch],
                embeddings=np.asarray(embeddings[start : start + _UPSERT_BATCH], dtype=np.float32),
                documents=[c.text for c in batch],
                metadatas=[chunk_metadata(c) for c in batch],
            )
        if chunks:
            self._bump_revision()

    def replace_source(self, source: str, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        self.upsert(chunks, embeddings)
        keep = {c.id for c in chunks}
        found = self.collection().get(where={"source": source}, include=[])
        stale = [cid for cid in found["ids"] if cid not in keep]
        if stale:
            self.collection().delete(ids=stale)
            self._bump_revision()

    def delete_sources(self, sources: Iterable[str]) -> int:
        removed = 0
        for source in sorted(set(sources)):
            found = self.collection().get(where={"source": source}, include=[])
            ids = list(found["ids"])
            if ids:
                self.collection().delete(ids=ids)
                removed += len(ids)
        if removed:
            self._bump_revision()
        return removed

    def source_hashes(self) -> dict[str, str]:
        found = self.collection().get(include=["metadatas"])
        hashes: dict[str, str] = {}
        for meta in found["metadatas"] or []:
            hashes[str(meta["source"])] = str(meta.get("content_hash", ""))
        return hashes

    def all_chunks(self) -> list[Chunk]:
        found = self.collection().get(include=["documents", "metadatas"])
        chunks = [
            chunk_from_record(cid, doc or "", dict(meta or {}))
            for cid, doc, meta in zip(
                found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
            )
        ]
        return sorted(chunks, key=lambda c: c.id)

    def query(self, embedding: Vectors, k: int, filters: Filters) -> list[DenseHit]:
        total = self.count()
        if total == 0 or k <= 0:
            return []
        clauses: list[dict[str, Any]] = []
        if filters.stage is not None:
            clauses.append({"stages": {"$contains": filters.stage}})
        if filters.kind is not None:
            clauses.append({"kind": filters.kind})
        where: dict[str, Any] | None
        if not clauses:
            where = None
        elif len(clauses) == 1:
            where = clauses[0]
        else:
            where = {"$and": clauses}
        found = self._read(
            "search",
            lambda c: c.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                n_results=min(k, total),
                where=where,
                include=["documents", "metadatas", "distances"],
            ),
        )
        hits = []
        for cid, doc, meta, dist in zip(
            found["ids"][0],
            (found["documents"] or [[]])[0],
            (found["metadatas"] or [[]])[0],
            (found["distances"] or [[]])[0],
            strict=True,
        ):
            hits.append(
                DenseHit(chunk_from_record(cid, doc or "", dict(meta or {})), 1.0 - float(dist))
            )
        return hits

    def count(self) -> int:
        return int(self._read("count the chunks in", lambda c: c.count()))

    def revision(self) -> str:
        self.collection()
        client = self._client
        meta = self._read("read", lambda _: client.get_collection(self._name).metadata) or {}
        return str(meta.get("revision", ""))
