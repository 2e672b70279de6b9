"""Parsers for the formats ingestion accepts: Markdown, plain text, HTML and PDF.

Each takes raw bytes and returns a ``ParsedDocument`` of heading-scoped sections,
or raises ``ParseError`` with a message a person can act on.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from knowledge.types import ParsedDocument, Section

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MAX_PDF_PAGES = 2000


class ParseError(ValueError):
    """The file could not be read as its format; the message says why."""


# -- shared helpers -------------------------------------------------------------------


def decode_utf8(data: bytes) -> str:
    """Strict UTF-8 (a BOM is allowed); binary or other encodings get a clear error."""
    if b"\x00" in data[:8192]:
        if _looks_like_utf16(data):
            raise ParseError("looks like UTF-16 text, not UTF-8; re-save it as UTF-8")
        raise ParseError(
            "looks like a binary file (it contains NUL bytes), not text; save it as UTF-8 "
            f"text or PDF ({', '.join(SUPPORTED_SUFFIXES)})"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from exc


def _looks_like_utf16(data: bytes) -> bool:
    """Text saved as UTF-16 without a byte order mark: NUL bytes on one side of
    (nearly) every pair, and the rest decodes."""
    head = data[:8192]
    if len(head) < 4:
        return False
    for nuls, encoding in ((head[1::2], "utf-16-le"), (head[0::2], "utf-16-be")):
        if nuls.count(0) >= 0.9 * len(nuls):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                return False
            return True
    return False


_WS = re.compile(r"[ \t\f\v\u00a0]+")


def tidy(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep paragraph breaks."""
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def _looks_like_heading(line: str, before_blank: bool, after_blank: bool) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 80 or not (before_blank and after_blank):
        return False
    if stripped[-1] in ".,;:!)\"'\u201d\u2019\u00bb" or not stripped[0].isupper():
        return False
    return len(stripped.split()) <= (8 if stripped.endswith("?") else 12)


def reflow(text: str) -> str:
    """Join hard-wrapped lines inside paragraphs (as in text files and PDF text),
    mending words hyphenated across a line break."""
    paragraphs = re.split(r"\n[ \t]*\n", text)
    out = []
    for paragraph in paragraphs:
        joined = re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", paragraph)
        out.append(" ".join(line.strip() for line in joined.split("\n") if line.strip()))
    return "\n\n".join(p for p in out if p)


def sections_from_plain_text(text: str, title: str) -> tuple[Section, ...]:
    """Split plain text at lines that stand alone like headings ('# x' or a short
    capitalised line between blank lines)."""
    lines = text.replace("\r\n", "\n").split("\n")
    sections: list[Section] = []
    heading = title
    buffer: list[str] = []

    def flush() -> None:
        body = tidy(reflow("\n".join(buffer)))
        if body:
            sections.append(Section((heading,), body))
        buffer.clear()

    for i, line in enumerate(lines):
        md = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
        before_blank = i == 0 or not lines[i - 1].strip()
        after_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        if md or _looks_like_heading(line, before_blank, after_blank):
            flush()
            heading = (md.group(1) if md else line).strip()
            continue
        buffer.append(line)
    flush()
    return tuple(sections)


def _first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped if len(stripped) <= 120 else fallback
    return fallback


# -- Markdown -----------------------------------------------------------------------


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without aliases: front matter never needs ``*name``, and aliases nested
    in each other expand exponentially (a few hundred bytes can fill the memory)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader)  # a SafeLoader
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. a date like 2024-13-45
        raise ParseError(
            f"has malformed YAML front matter: {exc}; fix it (the lines between the --- "
            "markers) or remove it"
        ) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ParseError(
            "has front matter that is not a YAML mapping; write it as 'key: value' lines "
            "(kind, stages, citation) or remove it"
        )
    return {str(k): v for k, v in meta.items()}, text[match.end() :]


def parse_markdown(data: bytes, name: str) -> ParsedDocument:
    from markdown_it import MarkdownIt

    text = decode_utf8(data)
    meta, body = split_front_matter(text)
    tokens = MarkdownIt("commonmark").enable("table").parse(body)

    title = str(meta.get("title") or "")
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    buffer: list[str] = []

    def heading_path() -> tuple[str, ...]:
        return tuple(h for _, h in path) or ((title or name),)

    def flush() -> None:
        body_text = tidy("\n\n".join(buffer))
        if body_text:
            sections.append(Section(heading_path(), body_text))
        buffer.clear()

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            heading = _inline_text(tokens[i + 1]).strip() if i + 1 < len(tokens) else ""
            flush()
            if level == 1 and not title:
                title = heading
            path[:] = [(lvl, h) for lvl, h in path if lvl < level]
            path.append((level, heading))
            i += 3
            continue
        if tok.type == "inline":
            prefix = (
                "- " if any(t.type == "list_item_open" for t in tokens[max(0, i - 2) : i]) else ""
            )
            buffer.append(prefix + _inline_text(tok))
        elif tok.type in ("fence", "code_block"):
            buffer.append(tok.content)
        i += 1
    flush()
    return ParsedDocument(title=title or name, sections=tuple(sections), metadata=meta)


def _inline_text(token: object) -> str:
    children = getattr(token, "children", None) or []
    if not children:
        return str(getattr(token, "content", ""))
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


# -- plain text ----------------------------------------------------------------------


def parse_text(data: bytes, name: str) -> ParsedDocument:
    text = decode_utf8(data)
    title = _first_line_title(text, name)
    return ParsedDocument(title=title, sections=sections_from_plain_text(text, title))


# -- HTML ------------------------------------------------------------------------------

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = ("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption", "div", "section")
_DROP = ("script", "style", "noscript", "nav", "footer", "template", "svg", "form", "iframe")


def parse_html(data: bytes, name: str) -> ParsedDocument:
    from bs4 import BeautifulSoup, Tag
    from bs4.builder import ParserRejectedMarkup
    from bs4.element import CData, PreformattedString

    text = decode_utf8(data)
    try:
        soup = BeautifulSoup(text, "html.parser")
    except ParserRejectedMarkup as exc:
        reason = str(exc).strip().splitlines()[-1].strip()
        raise ParseError(
            f"is malformed HTML the parser rejected ({reason}); re-save it from a browser "
            "or editor, or save its text as .txt"
        ) from exc
    for tag in soup.find_all(_DROP):
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    if title_tag:
        title_tag.decompose()
    root = soup.body or soup

    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    buffer: list[str] = []

    def flush() -> None:
        body = tidy("\n\n".join(buffer))
        if body:
            sections.append(Section(tuple(h for _, h in path) or ((title or name),), body))
        buffer.clear()

    # Walk the text in document order; each run of text belongs to its nearest
    # enclosing block, so text beside nested blocks is kept, and kept once.
    owner: Tag | None = None
    parts: list[str] = []
    block_of: dict[int, Tag] = {id(root): root}  # each tag's nearest enclosing block

    def end_piece() -> None:
        piece = " ".join(p.strip() for p in parts if p.strip())
        if piece:
            buffer.append(f"- {piece}" if owner is not None and owner.name == "li" else piece)
        parts.clear()

    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name in _HEADINGS + _BLOCKS:
                block_of[id(node)] = node
            else:
                block_of[id(node)] = block_of.get(id(node.parent), root)
            if node.name not in _HEADINGS:
                continue
            heading = node.get_text(" ", strip=True)
            if not heading:
                continue
            end_piece()
            flush()
            level = int(node.name[1])
            if level == 1 and not title:
                title = heading
            path[:] = [(lvl, h) for lvl, h in path if lvl < level]
            path.append((level, heading))
            continue
        if isinstance(node, PreformattedString) and not isinstance(node, CData):
            continue  # comments, doctypes, processing instructions
        block = block_of.get(id(node.parent), root)
        if block.name in _HEADINGS:
            continue  # heading text is taken with the heading
        if block is not owner:
            end_piece()
            owner = block
        parts.append(str(node))
    end_piece()
    flush()
    if not sections:  # no block structure at all: take the visible text
        loose = tidy(root.get_text("\n"))
        if loose:
            sections.append(Section(((title or name),), loose))
    return ParsedDocument(title=title or name, sections=tuple(sections))


# -- PDF ---------------------------------------------------------------------------------


_PDF_HEADING_SIZE = 1.15  # a line set this much larger than the body text is a heading


def _pdf_page_text(page: Any) -> str:
    """The page's text, with whole lines set in a larger font than the page's body
    text (headings) stood apart by blank lines, so the plain-text splitter sees them."""
    sized: list[tuple[str, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip() and size:
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            sized.append((text.strip(), abs(size * scale)))

    text = str(page.extract_text(visitor_text=visit) or "")
    weight: dict[float, int] = {}
    for piece, size in sized:
        weight[round(size, 1)] = weight.get(round(size, 1), 0) + len(piece)
    if not weight:
        return text
    body = max(weight, key=lambda size: weight[size])
    headings = {p for p, size in sized if size >= body * _PDF_HEADING_SIZE and len(p) <= 80}
    return "\n".join(
        f"\n{line}\n" if line.strip() in headings else line for line in text.split("\n")
    )


def parse_pdf(data: bytes, name: str) -> ParsedDocument:
    from pypdf import PdfReader

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ParseError(
            "is not a PDF (it does not start with %PDF); check what the file is and rename "
            "it to its real type, or export it as PDF"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ParseError("is an encrypted PDF; save an unlocked copy and ingest that")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise ParseError(
                f"has {len(pages)} pages, more than the {MAX_PDF_PAGES} accepted; split it "
                "into smaller PDFs"
            )
        texts = [_pdf_page_text(page) for page in pages]
        meta_title = ""
        if reader.metadata is not None and reader.metadata.title:
            meta_title = str(reader.metadata.title).strip()
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        raise ParseError(
            f"is a malformed PDF ({type(exc).__name__}: {exc}); re-export it (or print it "
            "to a new PDF) and ingest that copy"
        ) from exc
    text = "\n\n".join(texts)
    title = meta_title or _first_line_title(text, name)
    return ParsedDocument(title=title, sections=sections_from_plain_text(text, title))


# -- dispatch -----------------------------------------------------------------------------

Parser = Callable[[bytes, str], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
}


def parser_for(path: Path) -> Parser:
    try:
        return PARSERS[path.suffix.lower()]
    except KeyError:
        raise ParseError(
            f"has an unsupported type {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}; convert it to one of these"
        ) from None


def parse_bytes(path: Path, data: bytes) -> ParsedDocument:
    """Parse ``data`` (the bytes of ``path``) with the parser for its suffix."""
    parser = parser_for(path)
    if not data.strip():
        raise ParseError("is empty; add text to it, or leave it out")
    doc = parser(data, path.stem)
    if not any(s.text.strip() for s in doc.sections):
        raise ParseError(
            "has no text to index (a scanned PDF needs text recognition first); add text "
            "to it, or leave it out"
        )
    return doc
