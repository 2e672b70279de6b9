"""Header-aware chunking: sections never straddle a heading; long sections are cut
at paragraph, then sentence, then word boundaries with a small overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.types import ParsedDocument

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True)
class TextPiece:
    heading: str
    text: str


def _split_long(unit: str, max_words: int, overlap: int) -> list[str]:
    """Cut an over-long unit into back-to-back pieces of ``max_words - overlap``
    words. The pieces must not overlap each other: the packer in ``chunk_section``
    carries the overlap, and always has room for it next to a piece this size."""
    words = unit.split()
    if len(words) <= max_words:
        return [unit]
    step = max(1, max_words - overlap)
    return [" ".join(words[start : start + step]) for start in range(0, len(words), step)]


def _units(paragraph: str, max_words: int, overlap: int) -> list[str]:
    if len(paragraph.split()) <= max_words:
        return [paragraph]
    units: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        units.extend(_split_long(sentence, max_words, overlap))
    return units


def chunk_section(text: str, max_words: int, overlap: int) -> list[str]:
    """Pack paragraphs (or sentences of long ones) into chunks of at most
    ``max_words`` words; consecutive chunks share up to ``overlap`` words."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if paragraph:
            units.extend(_units(paragraph, max_words, overlap))
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        n = len(unit.split())
        if current and size + n > max_words:
            chunks.append("\n\n".join(current))
            tail = " ".join(" ".join(current).split()[-overlap:]) if overlap else ""
            current = [tail] if tail and len(tail.split()) + n <= max_words else []
            size = len(tail.split()) if current else 0
        current.append(unit)
        size += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def chunk_document(doc: ParsedDocument, max_words: int, overlap: int) -> list[TextPiece]:
    pieces: list[TextPiece] = []
    for section in doc.sections:
        heading = " > ".join(h for h in section.headings if h)
        for text in chunk_section(section.text, max_words, overlap):
            pieces.append(TextPiece(heading=heading, text=text))
    return pieces
