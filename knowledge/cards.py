"""The built-in knowledge cards: Markdown files with YAML front matter, shipped as
package data in ``knowledge/cards/``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.parsers import ParseError, parse_markdown, split_front_matter
from knowledge.types import CARD_KINDS, STAGES, CardKind, ParsedDocument, Section, Stage

CARD_SOURCE_PREFIX = "card:"


class CardSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    citation: str = Field(min_length=10)
    url: str | None = None


class CardMeta(BaseModel):
    """The front matter every card must have."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=3)
    kind: CardKind
    stages: list[Stage] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    summary: str = Field(min_length=20)
    sources: list[CardSource] = Field(min_length=1)

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: list[Stage]) -> list[Stage]:
        return [s for s in STAGES if s in value]  # canonical order, no duplicates

    def context_text(self) -> str:
        """The card's gist, indexed with each of its chunks."""
        tags = f" Keywords: {', '.join(self.tags)}." if self.tags else ""
        return f"{self.summary.strip()}{tags}"

    def citation_text(self) -> str:
        return "; ".join(f"{s.citation} {s.url}" if s.url else s.citation for s in self.sources)


class Card(BaseModel):
    meta: CardMeta
    document: ParsedDocument
    raw: bytes

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def source_key(self) -> str:
        return f"{CARD_SOURCE_PREFIX}{self.meta.id}"


class CardError(ValueError):
    """A card file is malformed; the message names the file."""


def parse_card(raw: bytes, filename: str) -> Card:
    try:
        text = raw.decode("utf-8")
        meta_dict, _ = split_front_matter(text)
        meta = CardMeta.model_validate(meta_dict)
        doc = parse_markdown(raw, Path(filename).stem)
    except (UnicodeDecodeError, ParseError, ValidationError) as exc:
        raise CardError(f"knowledge card {filename}: {exc}") from exc
    if Path(filename).stem != meta.id:
        raise CardError(f"knowledge card {filename}: id {meta.id!r} must equal the file name")
    summary = Section((meta.title, "In brief"), meta.summary.strip())
    document = ParsedDocument(
        title=meta.title, sections=(summary, *doc.sections), metadata=dict(doc.metadata)
    )
    return Card(meta=meta, document=document, raw=raw)


def card_files() -> list[tuple[str, bytes]]:
    folder = resources.files("knowledge") / "cards"
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in folder.iterdir()
        if entry.name.endswith(".md") and not entry.name.startswith(("_", "."))
    )


def load_builtin_cards() -> list[Card]:
    cards = [parse_card(raw, name) for name, raw in card_files()]
    seen: set[str] = set()
    for card in cards:
        if card.meta.id in seen:
            raise CardError(f"knowledge card id {card.meta.id!r} is used twice")
        seen.add(card.meta.id)
    return cards


__all__ = ["CARD_KINDS", "STAGES", "Card", "CardError", "CardMeta", "load_builtin_cards"]
