"""Ingestion into the (fake) store: idempotence, updates, pruning, failures that
stay per file, metadata from front matter, cards, and the `coach knowledge` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from knowledge.cards import Card, parse_card
from knowledge.embedder import HashingEmbedder
from knowledge.ingest import Ingestor, IngestReport
from knowledge.store import InMemoryStore
from knowledge.types import Chunk
from tests.fixtures_docs import (
    CountingEmbedder,
    FlakyStore,
    RecordingProgress,
    card_bytes,
    make_pdf,
    texts_of,
    write,
)

CHUNK_WORDS = 40
OVERLAP = 8


def ingestor(
    store: InMemoryStore,
    embedder: HashingEmbedder | None = None,
    *,
    chunk_words: int = CHUNK_WORDS,
    max_file_bytes: int = 20 * 1024 * 1024,
) -> Ingestor:
    return Ingestor(
        store,
        embedder or HashingEmbedder(),
        chunk_words=chunk_words,
        overlap_words=OVERLAP,
        max_file_bytes=max_file_bytes,
    )


def long_markdown(topic: str, sentences: int = 30) -> str:
    body = " ".join(f"The {topic} sentence number {i} goes on calmly." for i in range(sentences))
    return f"# {topic.title()}\n\n{body}\n"


def chunks_of(store: InMemoryStore, path: Path) -> list[Chunk]:
    return [c for c in store.all_chunks() if c.source == str(path.resolve())]


def errors_by_name(report: IngestReport) -> dict[str, str]:
    return {Path(e.path).name: e.message for e in report.failed}


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    return [
        write(tmp_path, "breathing.md", long_markdown("breathing")),
        write(
            tmp_path, "sleep.txt", "Sleep Hygiene\n\nKeep the bedroom dark after night shifts.\n"
        ),
        write(tmp_path, "page.html", "<title>Peer Support</title><p>Call a colleague.</p>"),
    ]


# -- idempotence --------------------------------------------------------------------------


def test_first_run_adds_and_second_run_is_unchanged_without_embedding(docs: list[Path]) -> None:
    store = InMemoryStore()
    embedder = CountingEmbedder()
    ing = ingestor(store, embedder)

    first = ing.ingest_paths(docs)
    assert sorted(first.added) == sorted(str(p.resolve()) for p in docs)
    assert (first.updated, first.unchanged, first.failed) == ([], [], [])
    assert first.ok
    assert first.chunks_written == store.count() > len(docs)  # breathing.md needs several
    assert embedder.texts == store.count()
    assert {c.source for c in store.all_chunks()} == set(first.added)

    calls = embedder.calls
    before = store.all_chunks()
    second = ing.ingest_paths(docs)
    assert sorted(second.unchanged) == sorted(first.added)
    assert (second.added, second.updated, second.failed) == ([], [], [])
    assert second.chunks_written == 0
    assert embedder.calls == calls  # nothing was embedded again
    assert store.all_chunks() == before


def test_chunk_ids_are_stable_and_positions_run_from_zero(docs: list[Path]) -> None:
    store = InMemoryStore()
    ingestor(store).ingest_paths(docs)
    chunks = chunks_of(store, docs[0])
    assert sorted(c.position for c in chunks) == list(range(len(chunks)))
    other = InMemoryStore()
    ingestor(other).ingest_paths(docs)
    assert [c.id for c in other.all_chunks()] == [c.id for c in store.all_chunks()]


def test_edited_file_is_updated_and_leaves_no_stale_chunks(tmp_path: Path) -> None:
    store = InMemoryStore()
    ing = ingestor(store)
    path = write(tmp_path, "notes.md", long_markdown("zebra", sentences=40))
    keep = write(tmp_path, "keep.md", "# Keep\n\nThis file stays the same.\n")
    ing.ingest_paths([path, keep])
    assert len(chunks_of(store, path)) > 3

    write(tmp_path, "notes.md", "# Notes\n\nNow it is a single short giraffe paragraph.\n")
    report = ing.ingest_paths([path, keep])
    assert report.updated == [str(path.resolve())]
    assert report.unchanged == [str(keep.resolve())]
    assert report.added == []
    chunks = chunks_of(store, path)
    assert [c.text for c in chunks] == ["Now it is a single short giraffe paragraph."]
    assert report.chunks_written == 1
    assert "zebra" not in texts_of(store)
    assert "giraffe" in texts_of(store)
    assert "This file stays the same." in texts_of(store)
    assert len({c.content_hash for c in chunks}) == 1


def test_changing_chunk_words_changes_the_hash_and_reingests(docs: list[Path]) -> None:
    store = InMemoryStore()
    small = ingestor(store, chunk_words=30)
    large = ingestor(store, chunk_words=90)
    assert small.content_hash(b"same bytes") != large.content_hash(b"same bytes")
    assert small.content_hash(b"same bytes") == ingestor(store, chunk_words=30).content_hash(
        b"same bytes"
    )

    small.ingest_paths(docs)
    many = len(chunks_of(store, docs[0]))
    report = large.ingest_paths(docs)
    assert sorted(report.updated) == sorted(str(p.resolve()) for p in docs)
    assert report.unchanged == []
    assert len(chunks_of(store, docs[0])) < many
    assert all(len(c.text.split()) <= 90 for c in store.all_chunks())


# -- pruning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prune", [True, False])
def test_deleted_file_is_pruned_only_when_asked(docs: list[Path], prune: bool) -> None:
    store = InMemoryStore()
    ing = ingestor(store)
    ing.ingest_paths(docs)
    gone = docs[0]
    gone_key = str(gone.resolve())
    gone.unlink()

    report = ing.ingest_paths(docs[1:], prune=prune)
    sources = {c.source for c in store.all_chunks()}
    if prune:
        assert report.pruned == [gone_key]
        assert gone_key not in sources
        assert "breathing" not in texts_of(store)
    else:
        assert report.pruned == []
        assert gone_key in sources
    assert {str(p.resolve()) for p in docs[1:]} <= sources


def test_prune_drops_files_gone_from_a_walked_folder_but_keeps_others(tmp_path: Path) -> None:
    store = InMemoryStore()
    ing = ingestor(store)
    folder = tmp_path / "library"
    a = write(folder, "a.md", "# A\n\nAlpha text.\n")
    b = write(folder, "sub/b.md", "# B\n\nBeta text.\n")
    outside = write(tmp_path, "outside.md", "# Outside\n\nOutside text.\n")
    ing.ingest_paths([folder, outside])
    b.unlink()

    report = ing.ingest_paths([folder], prune=True)
    assert report.pruned == [str(b.resolve())]
    sources = {c.source for c in store.all_chunks()}
    assert sources == {str(a.resolve()), str(outside.resolve())}


# -- folders -----------------------------------------------------------------------------------


def test_folder_walk_is_recursive_ignores_hidden_and_skips_unsupported(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    wanted = [
        write(root, "top.md", "# Top\n\nTop level text.\n"),
        write(root, "nested/deeper/guide.txt", "Guide\n\nDeep text.\n"),
        write(root, "nested/page.HTM", "<p>Upper-case suffix text.</p>"),
        write(root, "nested/paper.pdf", make_pdf([[("h1", "Paper"), ("p", "Paper text.")]])),
    ]
    write(root, ".hidden.md", "# Hidden\n\nSecret text.\n")
    write(root, ".git/config.md", "# Git\n\nNot mine.\n")
    write(root, "nested/.cache/cached.txt", "Cached text.\n")
    unsupported = [
        write(root, "report.docx", b"PK\x03\x04"),
        write(root, "nested/photo.png", b"\x89PNG\r\n\x1a\n\x00"),
    ]

    store = InMemoryStore()
    report = ingestor(store).ingest_paths([root])
    assert sorted(report.added) == sorted(str(p.resolve()) for p in wanted)
    assert sorted(report.skipped) == sorted(str(p.resolve()) for p in unsupported)
    assert report.failed == []
    assert report.ok
    text = texts_of(store)
    assert "Secret" not in text and "Not mine" not in text and "Cached" not in text
    assert "Paper text." in text


def test_a_file_named_twice_is_ingested_once(tmp_path: Path) -> None:
    path = write(tmp_path, "once.md", "# Once\n\nOnly once.\n")
    report = ingestor(InMemoryStore()).ingest_paths([path, tmp_path, tmp_path / "once.md"])
    assert report.added == [str(path.resolve())]


# -- failures -----------------------------------------------------------------------------------


def test_bad_files_fail_one_by_one_and_the_good_one_is_added(tmp_path: Path) -> None:
    good = write(tmp_path, "good.md", "# Good\n\nCalm breathing helps.\n")
    bad = [
        write(tmp_path, "empty.txt", ""),
        write(tmp_path, "binary.md", b"\x89PNG\x00\x00\x01"),
        write(tmp_path, "latin1.txt", b"caf\xe9"),
        write(tmp_path, "broken.pdf", b"%PDF-1.4\ngarbage"),
        write(tmp_path, "fake.pdf", b"plain text"),
        write(tmp_path, "huge.txt", "Long text. " * 20),
        write(tmp_path, "doc.docx", b"PK\x03\x04"),
        write(tmp_path, "date.md", "---\nreviewed: 2024-13-45\n---\nBody.\n"),
        write(tmp_path, "rejected.html", "<![foo bar]> hi"),
    ]
    missing = tmp_path / "missing.md"
    store = InMemoryStore()
    report = ingestor(store, max_file_bytes=100).ingest_paths([good, *bad, missing])

    assert report.added == [str(good.resolve())]
    assert not report.ok
    errors = errors_by_name(report)
    assert set(errors) == {p.name for p in bad} | {"missing.md"}
    assert {e.path for e in report.failed} == {str(p.resolve()) for p in bad} | {str(missing)}
    expected = {
        "empty.txt": "is empty",
        "binary.md": "binary",
        "latin1.txt": "UTF-8",
        "broken.pdf": "malformed PDF",
        "fake.pdf": "not a PDF",
        "huge.txt": "limit",
        "doc.docx": "unsupported type '.docx'",
        "date.md": "malformed YAML front matter",
        "rejected.html": "malformed HTML",
        "missing.md": "does not exist",
    }
    for name, fragment in expected.items():
        assert fragment in errors[name], (name, errors[name])
    assert {c.source for c in store.all_chunks()} == {str(good.resolve())}
    failed_json = report.as_json()["failed"]
    assert isinstance(failed_json, list)
    assert {(e["path"], e["error"]) for e in failed_json} == {
        (e.path, e.message) for e in report.failed
    }


def test_size_limit_message_gives_both_sizes(tmp_path: Path) -> None:
    big = write(tmp_path, "big.txt", "x" * 250)
    report = ingestor(InMemoryStore(), max_file_bytes=100).ingest_paths([big])
    message = errors_by_name(report)["big.txt"]
    assert "250 bytes" in message
    assert "100 bytes" in message
    assert "COACH_MAX_FILE_BYTES" in message


def test_unreadable_file_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    good = write(tmp_path, "good.md", "# Good\n\nFine.\n")
    locked = write(tmp_path, "locked.md", "# Locked\n\nHidden.\n")

    def read(path: Path) -> bytes:
        if path.name == "locked.md":
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_bytes()

    ing = Ingestor(InMemoryStore(), HashingEmbedder(), read=read)
    report = ing.ingest_paths([good, locked])
    assert report.added == [str(good.resolve())]
    assert errors_by_name(report) == {"locked.md": "could not be read: Permission denied"}


def test_store_failure_for_one_file_keeps_its_previous_chunks(tmp_path: Path) -> None:
    store = FlakyStore()
    ing = ingestor(store)
    a = write(tmp_path, "a.md", "# A\n\nOriginal alpha text.\n")
    b = write(tmp_path, "b.md", "# B\n\nOriginal beta text.\n")
    c = write(tmp_path, "c.md", "# C\n\nOriginal gamma text.\n")
    ing.ingest_paths([a, b, c])
    old_b = chunks_of(store, b)

    for path, word in ((a, "alpha"), (b, "beta"), (c, "gamma")):
        write(tmp_path, path.name, f"# {path.stem.upper()}\n\nRevised {word} text.\n")
    store.refuse = str(b.resolve())
    report = ing.ingest_paths([a, b, c])

    assert sorted(report.updated) == sorted([str(a.resolve()), str(c.resolve())])
    assert [e.path for e in report.failed] == [str(b.resolve())]
    assert "could not be stored" in report.failed[0].message
    assert "disk quota exceeded" in report.failed[0].message
    assert not report.ok
    assert chunks_of(store, b) == old_b  # the previous version is still there
    assert "Revised alpha text." in texts_of(store, str(a.resolve()))
    assert "Revised gamma text." in texts_of(store, str(c.resolve()))
    assert report.chunks_written == 2

    store.refuse = None  # the next run retries the file that failed
    retry = ing.ingest_paths([a, b, c])
    assert retry.updated == [str(b.resolve())]
    assert texts_of(store, str(b.resolve())) == "Revised beta text."


# -- metadata ------------------------------------------------------------------------------------


def test_front_matter_kind_and_stages_are_stored(tmp_path: Path) -> None:
    practice = write(
        tmp_path,
        "practice.md",
        "---\ntitle: Naming Feelings\nkind: practice\nstages: [feelings, not-a-stage]\n"
        "citation: Team handbook, 2024\n---\n# Name it\n\nSay the feeling out loud.\n",
    )
    odd = write(tmp_path, "odd.md", "---\nkind: recipe\nstages: feelings\n---\nSome text.\n")
    plain = write(tmp_path, "plain.md", "# Plain\n\nNo front matter.\n")
    store = InMemoryStore()
    ingestor(store).ingest_paths([practice, odd, plain])

    [chunk] = chunks_of(store, practice)
    assert chunk.kind == "practice"
    assert chunk.stages == ("feelings",)
    assert chunk.title == "Naming Feelings"
    assert chunk.heading == "Name it"
    assert chunk.citation == "Team handbook, 2024"
    [odd_chunk] = chunks_of(store, odd)
    assert (odd_chunk.kind, odd_chunk.stages) == ("document", ("feelings",))  # unknown kind dropped
    [plain_chunk] = chunks_of(store, plain)
    assert (plain_chunk.kind, plain_chunk.stages, plain_chunk.citation) == (
        "document",
        (),
        "plain.md",
    )


# -- progress -------------------------------------------------------------------------------------


def test_progress_is_reported_per_file_and_for_embedding(docs: list[Path]) -> None:
    progress = RecordingProgress()
    report = ingestor(InMemoryStore()).ingest_paths(docs, progress=progress)
    assert progress.events[0] == ("start", len(docs))
    done = [str(name) for kind, name in progress.events if kind == "file_done"]
    assert sorted(done) == sorted(p.name for p in docs)
    embedding = [value for kind, value in progress.events if kind == "embedding"]
    assert embedding
    assert embedding[-1] == (report.chunks_written, report.chunks_written)
    kinds = [kind for kind, _ in progress.events]
    assert kinds.index("embedding") > max(i for i, k in enumerate(kinds) if k == "file_done")

    again = RecordingProgress()
    ingestor(InMemoryStore()).ingest_paths([], progress=again)
    assert again.events == [("start", 0)]


# -- built-in cards ---------------------------------------------------------------------------


def make_cards() -> list[Card]:
    return [
        parse_card(card_bytes("pause-and-name", title="Pause and name"), "pause-and-name.md"),
        parse_card(
            card_bytes("kind-self-talk", title="Kind self talk", kind="concept", stages=("close",)),
            "kind-self-talk.md",
        ),
    ]


def test_sync_cards_indexes_skips_unchanged_and_drops_removed_cards(tmp_path: Path) -> None:
    store = InMemoryStore()
    embedder = CountingEmbedder()
    ing = ingestor(store, embedder)
    user_doc = write(tmp_path, "mine.md", "# Mine\n\nA user document.\n")
    ing.ingest_paths([user_doc])
    cards = make_cards()

    first = ing.sync_cards(cards)
    assert sorted(first.added) == ["card:kind-self-talk", "card:pause-and-name"]
    assert first.ok
    by_card = {c.card_id: c for c in store.all_chunks() if c.card_id}
    assert set(by_card) == {"pause-and-name", "kind-self-talk"}
    pause = [c for c in store.all_chunks() if c.source == "card:pause-and-name"]
    assert pause[0].kind == "practice"
    assert pause[0].stages == ("feelings",)
    assert pause[0].citation.startswith("Author, A. (2020)")
    assert any("Pause and name the feeling" in c.text for c in pause)
    assert any(c.heading == "Pause and name > In brief" for c in pause)  # the summary

    calls = embedder.calls
    second = ing.sync_cards(cards)
    assert sorted(second.unchanged) == ["card:kind-self-talk", "card:pause-and-name"]
    assert second.chunks_written == 0
    assert embedder.calls == calls

    third = ing.sync_cards(cards[:1])
    assert third.pruned == ["card:kind-self-talk"]
    assert third.unchanged == ["card:pause-and-name"]
    sources = {c.source for c in store.all_chunks()}
    assert sources == {"card:pause-and-name", str(user_doc.resolve())}


def test_an_edited_card_is_updated(tmp_path: Path) -> None:
    store = InMemoryStore()
    ing = ingestor(store)
    ing.sync_cards(make_cards())
    edited = parse_card(
        card_bytes("pause-and-name", body="## What to do\n\nTry a slower exhale.\n"),
        "pause-and-name.md",
    )
    report = ing.sync_cards([edited, make_cards()[1]])
    assert report.updated == ["card:pause-and-name"]
    text = texts_of(store, "card:pause-and-name")
    assert "slower exhale" in text
    assert "name the feeling" not in text


def test_user_files_are_never_pruned_as_cards(tmp_path: Path) -> None:
    store = InMemoryStore()
    ing = ingestor(store)
    ing.sync_cards(make_cards())
    doc = write(tmp_path, "doc.md", "# Doc\n\nText.\n")
    report = ing.ingest_paths([doc], prune=True)
    assert report.pruned == []
    assert {c.source for c in store.all_chunks()} >= {"card:pause-and-name", "card:kind-self-talk"}


# -- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CLI wired to a real embedded chromadb in ``tmp_path`` and the hashing
    embedder. The built-in cards are left out so the tests don't depend on them."""
    for name in ("COACH_CHROMA_HOST", "COACH_CHROMA_PATH", "COACH_COLLECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_EMBEDDER", "hashing")
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("knowledge.ingest.load_builtin_cards", lambda: [])
    return tmp_path


def test_cli_ingest_reports_the_bad_file_and_the_good_one_is_searchable(cli_env: Path) -> None:
    good = write(
        cli_env, "good.md", "# Quiet Room\n\nAfter a resuscitation, sit in the quiet room.\n"
    )
    bad = write(cli_env, "bad.bin", b"\x00\x01\x02binary")
    runner = CliRunner()

    result = runner.invoke(app, ["knowledge", "ingest", str(good), str(bad)])
    assert result.exit_code == 1, result.output
    assert "added 1," in result.stdout
    assert "failed 1" in result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert "bad.bin" in error_lines[0]
    assert "unsupported type '.bin'" in error_lines[0]

    found = runner.invoke(app, ["knowledge", "search", "resuscitation", "--json"])
    assert found.exit_code == 0, found.output
    results = json.loads(found.stdout)
    assert isinstance(results, list) and results
    first = results[0]
    assert {"text", "title", "source", "score"} <= set(first)
    assert "resuscitation" in first["text"]
    assert first["title"] == "Quiet Room"
    assert first["source"] == "good.md"  # the citation defaults to the file name


def test_cli_ingest_json_report_parses(cli_env: Path) -> None:
    good = write(cli_env, "good.md", "# Good\n\nSome text to index.\n")
    runner = CliRunner()
    result = runner.invoke(app, ["knowledge", "ingest", "--json", str(good)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == [str(good.resolve())]
    assert report["failed"] == []
    assert report["chunks_written"] == 1

    again = runner.invoke(app, ["knowledge", "ingest", "--json", str(good)])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["unchanged"] == [str(good.resolve())]


@pytest.mark.parametrize("query", ["", "   "])
def test_cli_search_with_an_empty_query_fails_clearly(cli_env: Path, query: str) -> None:
    result = CliRunner().invoke(app, ["knowledge", "search", query])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error: the query is empty" in result.stderr


def test_front_matter_stage_given_as_a_single_string_is_kept(tmp_path: Path) -> None:
    doc = tmp_path / "note.md"
    doc.write_text("---\nkind: practice\nstages: feelings\n---\n# Note\n\nBreathe out slowly.\n")
    store = InMemoryStore()
    Ingestor(store, HashingEmbedder()).ingest_paths([doc])
    assert {c.stages for c in store.all_chunks()} == {("feelings",)}


def test_ingestor_refuses_an_overlap_as_large_as_the_chunk() -> None:
    with pytest.raises(ValueError, match="COACH_CHUNK_OVERLAP_WORDS"):
        Ingestor(InMemoryStore(), HashingEmbedder(), chunk_words=50, overlap_words=50)


def test_a_malformed_built_in_card_is_a_clear_cli_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import knowledge.ingest
    from knowledge.cards import CardError

    def broken() -> list[object]:
        raise CardError("knowledge card broken.md: kind must be one of concept, practice")

    monkeypatch.setattr(knowledge.ingest, "load_builtin_cards", broken)
    monkeypatch.setenv("COACH_EMBEDDER", "hashing")
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["knowledge", "search", "grounding"])
    assert result.exit_code == 2
    assert "broken.md" in result.stderr
    assert "Traceback" not in result.output


def test_cards_command_lists_every_card_on_stdout_and_the_count_on_stderr() -> None:
    from knowledge.cards import load_builtin_cards

    result = CliRunner().invoke(app, ["knowledge", "cards", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert {c["id"] for c in listed} == {c.meta.id for c in load_builtin_cards()}
    plain = CliRunner().invoke(app, ["knowledge", "cards"])
    assert f"{len(listed)} cards" in plain.stderr
    assert "cards" not in plain.stdout.splitlines()[-1]
