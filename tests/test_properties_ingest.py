"""Property tests of ingestion on bad files: random bytes, invalid UTF-8, UTF-16 without
a BOM, truncated PDFs, PDFs with garbage streams, files over COACH_MAX_FILE_BYTES and
PDFs with too many pages. Whatever the file, ingestion never raises; a refused file is
named with a message that says what to do; and nothing already in the knowledge base is
lost, neither the other documents nor the last good version of the file itself."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from knowledge.embedder import HashingEmbedder
from knowledge.ingest import Ingestor, IngestReport
from knowledge.parsers import MAX_PDF_PAGES, ParseError, parse_bytes
from knowledge.store import InMemoryStore
from knowledge.types import Chunk
from tests.test_properties_inputs import (
    bad_file_bytes,
    many_page_pdf,
    sample_pdf,
    with_garbage_streams,
)

LIMIT = 64 * 1024  # COACH_MAX_FILE_BYTES for these tests
GOOD: dict[str, bytes] = {
    ".md": b"# Breathing\n\nA slow breath out calms the body after a hard shift.\n",
    ".txt": b"Peer support\n\nTalking to a colleague helps after a difficult death.\n",
    ".html": b"<html><title>Debriefs</title><body><p>Short team debriefs help.</p></body>",
    ".pdf": sample_pdf(),
}
KEEP = b"# Handover\n\nAt handover we pause for one breath together.\n"
# A refusal says what to do: one of these, or where to look.
WHAT_TO_DO = re.compile(
    r"\b(re-save|save|re-export|export|split|convert|remove|add|check|rename|raise|fix|"
    r"leave it out|ingest|use|supported)\b",
    re.IGNORECASE,
)


def ingestor(store: InMemoryStore) -> Ingestor:
    return Ingestor(store, HashingEmbedder(dimension=64), max_file_bytes=LIMIT)


def by_source(store: InMemoryStore) -> dict[str, list[Chunk]]:
    found: dict[str, list[Chunk]] = {}
    for chunk in store.all_chunks():
        found.setdefault(chunk.source, []).append(chunk)
    return found


def assert_refused_well(report: IngestReport, path: Path) -> None:
    [failure] = [f for f in report.failed if f.path == str(path.resolve())]
    assert failure.message.strip()
    assert WHAT_TO_DO.search(failure.message), failure.message
    assert str(path.resolve()) in str(failure), "the error names the file"


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    suffix=st.sampled_from(tuple(GOOD)),
    payload=bad_file_bytes,
    replacing=st.booleans(),
)
@example(suffix=".pdf", payload=sample_pdf()[:100], replacing=True)
@example(suffix=".pdf", payload=with_garbage_streams(sample_pdf(), 7), replacing=True)
@example(suffix=".txt", payload="Tired but okay.".encode("utf-16-le"), replacing=True)
@example(suffix=".md", payload=b"x" * (LIMIT + 1), replacing=True)
@example(suffix=".pdf", payload=sample_pdf() + b"%" * LIMIT, replacing=True)
def test_a_bad_file_never_escapes_and_loses_nothing(
    suffix: str, payload: bytes, replacing: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        keep = root / "keep.md"
        keep.write_bytes(KEEP)
        target = root / f"target{suffix}"
        target.write_bytes(GOOD[suffix])
        store = InMemoryStore()
        ing = ingestor(store)
        first = ing.ingest_paths([root])
        assert first.ok and len(first.added) == 2
        before = by_source(store)

        bad = target if replacing else root / f"new{suffix}"
        bad.write_bytes(payload)
        report = ing.ingest_paths([root], prune=True)

        after = by_source(store)
        assert after[str(keep.resolve())] == before[str(keep.resolve())]
        source = str(bad.resolve())
        if source in report.added + report.updated:
            assert after[source], "a file taken in has chunks"
        elif source in report.unchanged:
            assert payload == GOOD[suffix]
        else:
            assert_refused_well(report, bad)
            if replacing:
                assert after[source] == before[source], "the last good version is kept"
            else:
                assert source not in after
        if not replacing:
            assert after[str(target.resolve())] == before[str(target.resolve())]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(tuple(GOOD)), payload=bad_file_bytes)
def test_parsers_raise_only_parse_errors_that_say_what_to_do(suffix: str, payload: bytes) -> None:
    try:
        doc = parse_bytes(Path(f"x{suffix}"), payload)
    except ParseError as exc:
        assert WHAT_TO_DO.search(str(exc)), str(exc)
        return
    assert any(s.text.strip() for s in doc.sections)


def test_a_pdf_with_too_many_pages_is_refused_with_what_to_do(tmp_path: Path) -> None:
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(many_page_pdf(MAX_PDF_PAGES + 1))
    store = InMemoryStore()
    report = Ingestor(store, HashingEmbedder(dimension=64)).ingest_paths([pdf])
    assert_refused_well(report, pdf)
    assert str(MAX_PDF_PAGES) in report.failed[0].message
    assert store.count() == 0


@pytest.mark.parametrize(
    ("name", "payload", "fragment"),
    [
        ("empty.md", b"", "is empty"),
        ("blank.txt", b" \n\t\r\n", "is empty"),
        ("ideographic.txt", " \u3000\u2028 ".encode(), "no text"),
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("latin1.txt", "café".encode("latin-1"), "UTF-8"),
        ("utf16.txt", "Peer support".encode("utf-16-le"), "UTF-16"),
        ("utf16be.md", "# Peer support".encode("utf-16-be"), "UTF-16"),
        ("fake.pdf", b"Not a PDF at all", "not a PDF"),
        ("cut.pdf", sample_pdf()[:200], "malformed PDF"),
        ("big.md", b"x" * (LIMIT + 1), "COACH_MAX_FILE_BYTES"),
        ("front.md", b"---\nreviewed: 2024-13-45\n---\nBody.\n", "front matter"),
        ("list.md", b"---\n- a\n- b\n---\nBody.\n", "front matter"),
        ("images.html", b"<html><body><img src='x.png'></body></html>", "no text"),
        ("doc.docx", b"PK\x03\x04", "unsupported type"),
    ],
)
def test_each_refusal_names_the_problem_and_what_to_do(
    tmp_path: Path, name: str, payload: bytes, fragment: str
) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    report = ingestor(InMemoryStore()).ingest_paths([path])
    assert_refused_well(report, path)
    assert fragment in report.failed[0].message


def test_front_matter_with_nested_yaml_aliases_is_refused_before_it_expands(
    tmp_path: Path,
) -> None:
    """Nine levels of aliases, nine each, would be a title of billions of characters."""
    lines, previous = ["a: &a ['x', 'x']"], "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    path = tmp_path / "bomb.md"
    path.write_text("---\n" + "\n".join(lines) + "\ntitle: *j\n---\nBody text.\n")
    store = InMemoryStore()
    report = ingestor(store).ingest_paths([path])
    assert_refused_well(report, path)
    assert "aliases" in report.failed[0].message
    assert store.count() == 0


def test_a_file_that_grows_past_the_limit_while_being_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"Handover notes.\n")

    def read(file: Path) -> bytes:  # a file still being written as it is ingested
        return file.read_bytes() + b"More notes.\n" * (LIMIT // 10)

    store = InMemoryStore()
    ing = Ingestor(store, HashingEmbedder(dimension=64), max_file_bytes=LIMIT, read=read)
    report = ing.ingest_paths([path])
    assert_refused_well(report, path)
    assert "COACH_MAX_FILE_BYTES" in report.failed[0].message
    assert store.count() == 0
