"""Ingestion: files (and the built-in cards) into the vector store, idempotently.

- Unchanged sources are skipped by content hash (the hash also covers the chunking
  settings and pipeline version, so changing those re-ingests).
- Changed sources are replaced; with ``prune`` the chunks of removed files go.
- A bad file gets an error naming it; the others go on.
- Chunks are embedded in batches across files, so the model, not the bookkeeping,
  sets the pace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.cards import CARD_SOURCE_PREFIX, Card, load_builtin_cards
from knowledge.chunking import chunk_document
from knowledge.embedder import Embedder
from knowledge.parsers import SUPPORTED_SUFFIXES, ParseError, parse_bytes
from knowledge.store import VectorStore
from knowledge.text import sha256_hex
from knowledge.types import DOCUMENT_KIND, STAGES, Chunk, ParsedDocument

# Bump when parsing or chunking changes, so stored sources are re-ingested.
PIPELINE_VERSION = "4"
EMBED_BATCH = 256


@dataclass(frozen=True)
class FileError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unsupported files met in a folder walk
    pruned: list[str] = field(default_factory=list)
    failed: list[FileError] = field(default_factory=list)
    chunks_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "pruned": self.pruned,
            "failed": [{"path": e.path, "error": e.message} for e in self.failed],
            "chunks_written": self.chunks_written,
        }


class Progress:
    """What ingestion reports as it goes; the CLI draws it as a progress bar."""

    def start(self, files: int) -> None:  # pragma: no cover - default is silent
        pass

    def file_done(self, name: str) -> None:  # pragma: no cover
        pass

    def embedding(self, done: int, total: int) -> None:  # pragma: no cover
        pass


@dataclass(frozen=True)
class _Pending:
    source: str
    display: str
    chunks: list[Chunk]
    is_new: bool


def _chunk_id(source: str, position: int) -> str:
    return f"{hashlib.sha1(source.encode('utf-8')).hexdigest()[:16]}-{position:05d}"


def _size(n: int) -> str:
    """A file size for a message: MiB when large, else bytes (so small limits read right)."""
    return f"{n / 1_048_576:.1f} MiB" if n >= 1_048_576 else f"{n:,} bytes"


def _as_stages(value: object) -> tuple[str, ...]:
    """Front-matter stages: a list, or one stage as a string; unknown names dropped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(s for s in STAGES if s in value)


class Ingestor:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        *,
        chunk_words: int = 120,
        overlap_words: int = 20,
        max_file_bytes: int = 20 * 1024 * 1024,
        read: Callable[[Path], bytes] = Path.read_bytes,
    ) -> None:
        if not 0 <= overlap_words < chunk_words:
            raise ValueError(
                f"overlap_words ({overlap_words}) must be at least 0 and below chunk_words "
                f"({chunk_words}); see COACH_CHUNK_WORDS / COACH_CHUNK_OVERLAP_WORDS"
            )
        self._store = store
        self._embedder = embedder
        self._chunk_words = chunk_words
        self._overlap = overlap_words
        self._max_bytes = max_file_bytes
        self._read = read

    # -- hashing and chunking ------------------------------------------------------

    def content_hash(self, data: bytes) -> str:
        head = f"{PIPELINE_VERSION}|{self._chunk_words}|{self._overlap}|".encode()
        return sha256_hex(head + data)

    def _chunks(
        self,
        source: str,
        doc: ParsedDocument,
        content_hash: str,
        *,
        card_id: str | None,
        kind: str,
        stages: tuple[str, ...],
        citation: str,
        context: str = "",
    ) -> list[Chunk]:
        pieces = chunk_document(doc, self._chunk_words, self._overlap)
        return [
            Chunk(
                id=_chunk_id(source, i),
                text=piece.text,
                source=source,
                title=doc.title,
                heading=piece.heading,
                position=i,
                content_hash=content_hash,
                card_id=card_id,
                kind=kind,
                stages=stages,
                citation=citation,
                context=context,
            )
            for i, piece in enumerate(pieces)
        ]

    # -- writing ---------------------------------------------------------------------

    def _write(self, pending: Sequence[_Pending], report: IngestReport, progress: Progress) -> None:
        """Embed all pending chunks in batches, then replace each source in the store."""
        texts = [c.embedding_text() for p in pending for c in p.chunks]
        total = len(texts)
        vectors = []
        for start in range(0, total, EMBED_BATCH):
            vectors.append(self._embedder.embed_documents(texts[start : start + EMBED_BATCH]))
            progress.embedding(min(start + EMBED_BATCH, total), total)
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        offset = 0
        for item in pending:
            n = len(item.chunks)
            try:
                self._store.replace_source(item.source, item.chunks, matrix[offset : offset + n])
            except Exception as exc:  # the store refused this one; keep going with the rest
                report.failed.append(FileError(item.display, f"could not be stored: {exc}"))
            else:
                (report.added if item.is_new else report.updated).append(item.display)
                report.chunks_written += n
            offset += n

    # -- files -----------------------------------------------------------------------

    @staticmethod
    def expand(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[FileError], list[Path]]:
        """Files to ingest, folders walked, errors for missing paths, unsupported files
        met inside folders (skipped, not failures)."""
        files: list[Path] = []
        roots: list[Path] = []
        errors: list[FileError] = []
        skipped: list[Path] = []
        for raw in paths:
            path = raw.expanduser()
            if path.is_dir():
                roots.append(path.resolve())
                for child in sorted(path.rglob("*")):
                    rel = child.relative_to(path)
                    if any(part.startswith(".") for part in rel.parts) or not child.is_file():
                        continue
                    if child.suffix.lower() in SUPPORTED_SUFFIXES:
                        files.append(child.resolve())
                    else:
                        skipped.append(child.resolve())
            elif path.is_file():
                files.append(path.resolve())
            elif path.exists():
                errors.append(FileError(str(raw), "is not a regular file or folder"))
            else:
                errors.append(FileError(str(raw), "does not exist"))
        unique = list(dict.fromkeys(files))
        return unique, roots, errors, skipped

    def ingest_paths(
        self, paths: Sequence[Path], *, prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        progress = progress or Progress()
        report = IngestReport()
        files, roots, errors, skipped = self.expand(paths)
        report.failed.extend(errors)
        report.skipped.extend(str(p) for p in skipped)
        known = self._store.source_hashes()
        progress.start(len(files))
        pending: list[_Pending] = []
        for path in files:
            source = str(path)
            try:
                pending_item = self._prepare_file(path, source, known)
            except ParseError as exc:
                report.failed.append(FileError(source, str(exc)))
            except OSError as exc:
                report.failed.append(FileError(source, f"could not be read: {exc.strerror or exc}"))
            else:
                if pending_item is None:
                    report.unchanged.append(source)
                else:
                    pending.append(pending_item)
            progress.file_done(path.name)
        self._write(pending, report, progress)
        if prune:
            seen = {str(p) for p in files}
            doomed = [
                src
                for src in known
                if not src.startswith(CARD_SOURCE_PREFIX)
                and src not in seen
                and (not Path(src).exists() or any(Path(src).is_relative_to(r) for r in roots))
            ]
            if doomed:
                self._store.delete_sources(doomed)
                report.pruned.extend(sorted(doomed))
        return report

    def _too_big(self, size: int) -> ParseError:
        return ParseError(
            f"is {_size(size)}, over the {_size(self._max_bytes)} limit "
            "(COACH_MAX_FILE_BYTES); split it into smaller files, or raise COACH_MAX_FILE_BYTES"
        )

    def _prepare_file(self, path: Path, source: str, known: dict[str, str]) -> _Pending | None:
        size = path.stat().st_size
        if size > self._max_bytes:
            raise self._too_big(size)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise ParseError(
                f"has an unsupported type {path.suffix or '(no extension)'!r}; "
                f"supported: {', '.join(SUPPORTED_SUFFIXES)}; convert it to one of these"
            )
        data = self._read(path)
        if len(data) > self._max_bytes:  # it grew after it was measured
            raise self._too_big(len(data))
        digest = self.content_hash(data)
        if known.get(source) == digest:
            return None
        doc = parse_bytes(path, data)
        meta = doc.metadata
        kind = str(meta.get("kind") or DOCUMENT_KIND)
        card_id = str(meta["id"]) if meta.get("id") else None
        citation = str(meta.get("citation") or meta.get("source") or path.name)
        chunks = self._chunks(
            source,
            doc,
            digest,
            card_id=card_id,
            kind=kind
            if kind in ("concept", "practice", "framework", "evidence")
            else DOCUMENT_KIND,
            stages=_as_stages(meta.get("stages")),
            citation=citation,
        )
        return _Pending(source, source, chunks, is_new=source not in known)

    # -- built-in cards ------------------------------------------------------------------

    def sync_cards(self, cards: Sequence[Card] | None = None) -> IngestReport:
        """Index the built-in cards: new and changed ones written, removed ones dropped."""
        cards = load_builtin_cards() if cards is None else cards
        report = IngestReport()
        known = self._store.source_hashes()
        pending: list[_Pending] = []
        for card in cards:
            digest = self.content_hash(card.raw)
            if known.get(card.source_key) == digest:
                report.unchanged.append(card.source_key)
                continue
            chunks = self._chunks(
                card.source_key,
                card.document,
                digest,
                card_id=card.meta.id,
                kind=card.meta.kind,
                stages=tuple(card.meta.stages),
                citation=card.meta.citation_text(),
                context=card.meta.context_text(),
            )
            pending.append(
                _Pending(card.source_key, card.source_key, chunks, card.source_key not in known)
            )
        self._write(pending, report, Progress())
        current = {c.source_key for c in cards}
        stale = [s for s in known if s.startswith(CARD_SOURCE_PREFIX) and s not in current]
        if stale:
            self._store.delete_sources(stale)
            report.pruned.extend(sorted(stale))
        return report
