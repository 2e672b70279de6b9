"""Builders for sample documents (Markdown, text, HTML, PDF, cards) and small test
doubles for ingestion (a counting embedder, a recording progress, a failing store)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from knowledge.embedder import HashingEmbedder, Vectors
from knowledge.ingest import Progress
from knowledge.store import InMemoryStore
from knowledge.types import Chunk


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` to ``folder/name`` (parents made) and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# -- PDFs ---------------------------------------------------------------------------


def make_pdf(
    pages: Sequence[Sequence[tuple[str, str]]],
    *,
    title: str = "",
    compress: bool = True,
) -> bytes:
    """A real PDF laid out by reportlab: each page is a list of (style, text) with
    style ``"h1"``, ``"h2"`` or ``"p"``. ``title`` goes into the PDF metadata."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    style_for = {"h1": styles["Heading1"], "h2": styles["Heading2"], "p": styles["BodyText"]}
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="", pageCompression=1 if compress else 0
    )
    story: list[object] = []
    for number, page in enumerate(pages):
        if number:
            story.append(PageBreak())
        story.extend(Paragraph(text, style_for[style]) for style, text in page)
    doc.build(story)
    return buffer.getvalue()


def encrypt_pdf(data: bytes, password: str = "pw") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(data)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- knowledge cards ------------------------------------------------------------------


def card_bytes(
    card_id: str,
    *,
    title: str = "A hand-made card",
    kind: str = "practice",
    stages: Sequence[str] = ("feelings",),
    body: str = "## What to do\n\nPause and name the feeling before moving on.\n",
) -> bytes:
    """Card Markdown whose front matter passes ``knowledge.cards.CardMeta``."""
    return (
        "---\n"
        f"id: {card_id}\n"
        f'title: "{title}"\n'
        f"kind: {kind}\n"
        f"stages: [{', '.join(stages)}]\n"
        "tags: [test]\n"
        "summary: A summary that is long enough to pass validation.\n"
        "sources:\n"
        '  - citation: "Author, A. (2020). A citation long enough. Journal, 1(1), 1-2."\n'
        "---\n"
        f"# {title}\n\n{body}"
    ).encode()


# -- test doubles for ingestion --------------------------------------------------------


class CountingEmbedder(HashingEmbedder):
    """HashingEmbedder that counts the texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.texts = 0

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.texts += len(texts)
        return super().embed_documents(texts)


class RecordingProgress(Progress):
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, files: int) -> None:
        self.events.append(("start", files))

    def file_done(self, name: str) -> None:
        self.events.append(("file_done", name))

    def embedding(self, done: int, total: int) -> None:
        self.events.append(("embedding", (done, total)))


class StoreRefused(RuntimeError):
    pass


class FlakyStore(InMemoryStore):
    """InMemoryStore whose ``replace_source`` refuses one chosen source."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: str | None = None

    def replace_source(self, source: str, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        if source == self.refuse:
            raise StoreRefused("disk quota exceeded")
        super().replace_source(source, chunks, embeddings)


def texts_of(store: InMemoryStore, source: str | None = None) -> str:
    """All stored chunk text (of one source, if given), joined."""
    return "\n".join(c.text for c in store.all_chunks() if source is None or c.source == source)
