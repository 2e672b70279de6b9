"""Value types shared by the knowledge layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Stage = Literal[
    "check-in", "story", "feelings", "sense-making", "self-compassion", "next-step", "close"
]
STAGES: tuple[Stage, ...] = (
    "check-in",
    "story",
    "feelings",
    "sense-making",
    "self-compassion",
    "next-step",
    "close",
)
CardKind = Literal["concept", "practice", "framework", "evidence"]
CARD_KINDS: tuple[CardKind, ...] = ("concept", "practice", "framework", "evidence")
DOCUMENT_KIND = "document"  # kind given to user-added documents without front matter


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, as a parser found it."""

    headings: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser returns: a title, optional front-matter metadata, and sections."""

    title: str
    sections: tuple[Section, ...]
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """One retrievable unit of text with the metadata stored beside it."""

    id: str
    text: str
    source: str  # source key: "card:<id>" or an absolute file path
    title: str
    heading: str
    position: int
    content_hash: str
    card_id: str | None = None
    kind: str = DOCUMENT_KIND
    stages: tuple[str, ...] = ()
    citation: str = ""
    context: str = ""  # document-level gist (a card's summary and tags), indexed with each chunk

    def embedding_text(self) -> str:
        """What the embedder and the lexical index see: title, heading, the document's
        context, then the body (contextual chunk headers)."""
        parts = [self.title]
        if self.heading and self.heading != self.title:
            parts.append(self.heading)
        if self.context:
            parts.append(self.context)
        parts.append(self.text)
        return "\n".join(parts)


@dataclass(frozen=True)
class SearchResult:
    """A retrieved passage with where it came from and how well it matched."""

    text: str
    title: str
    source: str
    score: float
    card_id: str | None
    chunk_id: str
    heading: str
    kind: str
    stages: tuple[str, ...]
    source_key: str

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "title": self.title,
            "source": self.source,
            "score": round(self.score, 6),
            "card_id": self.card_id,
            "chunk_id": self.chunk_id,
            "heading": self.heading,
            "kind": self.kind,
            "stages": list(self.stages),
        }
