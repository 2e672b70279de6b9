"""One contract, run against the in-memory fake, a real embedded chromadb and a real
`chroma run` server (``conftest.chroma_server``, marked integration)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from coach.settings import Settings
from knowledge.embedder import HashingEmbedder
from knowledge.store import ChromaStore, Filters, InMemoryStore, StoreUnavailable, VectorStore
from knowledge.types import Chunk

EMB = HashingEmbedder(dimension=64)


def make_chunk(source: str, pos: int, text: str, **kw: object) -> Chunk:
    return Chunk(
        id=f"{source}-{pos}",
        text=text,
        source=source,
        title=f"title of {source}",
        heading="h",
        position=pos,
        content_hash=f"hash-{source}",
        **kw,  # type: ignore[arg-type]
    )


def put(store: VectorStore, source: str, *chunks: Chunk) -> None:
    store.replace_source(source, list(chunks), EMB.embed_documents([c.text for c in chunks]))


@pytest.fixture(
    params=["memory", "chroma", pytest.param("chroma-server", marks=pytest.mark.integration)]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "chroma":
        yield ChromaStore.from_settings(Settings(data_dir=tmp_path))
    else:  # a collection of this test's own on the run's server
        yield ChromaStore.from_settings(request.getfixturevalue("chroma_server").settings(tmp_path))


def test_replace_source_drops_stale_chunks_and_keeps_others(store: VectorStore) -> None:
    put(
        store,
        "a",
        make_chunk("a", 0, "one"),
        make_chunk("a", 1, "two"),
        make_chunk("a", 2, "three"),
    )
    put(store, "b", make_chunk("b", 0, "other"))
    put(store, "a", make_chunk("a", 0, "one again"))
    texts = {c.id: c.text for c in store.all_chunks()}
    assert texts == {"a-0": "one again", "b-0": "other"}
    assert store.count() == 2


def test_metadata_round_trips(store: VectorStore) -> None:
    chunk = make_chunk(
        "card:x",
        0,
        "grounding practice",
        card_id="x",
        kind="practice",
        stages=("feelings", "close"),
        citation="Someone (2020). A paper.",
    )
    put(store, "card:x", chunk)
    (back,) = store.all_chunks()
    assert back == chunk
    assert store.source_hashes() == {"card:x": "hash-card:x"}


def test_query_ranks_by_similarity_and_applies_filters(store: VectorStore) -> None:
    put(
        store,
        "p",
        make_chunk("p", 0, "breathing grounding practice", kind="practice", stages=("feelings",)),
    )
    put(
        store,
        "c",
        make_chunk("c", 0, "compassion fatigue concept", kind="concept", stages=("sense-making",)),
    )
    put(store, "d", make_chunk("d", 0, "grounding notes from my own file"))
    hits = store.query(EMB.embed_query("grounding practice"), 3, Filters())
    assert hits[0].chunk.id == "p-0"
    assert hits[0].similarity > hits[-1].similarity
    assert [
        h.chunk.id for h in store.query(EMB.embed_query("grounding"), 3, Filters(stage="feelings"))
    ] == ["p-0"]
    assert [
        h.chunk.id for h in store.query(EMB.embed_query("grounding"), 3, Filters(kind="document"))
    ] == ["d-0"]
    assert store.query(EMB.embed_query("x"), 3, Filters(stage="close")) == []
    both = Filters(stage="sense-making", kind="concept")
    assert [h.chunk.id for h in store.query(EMB.embed_query("x"), 3, both)] == ["c-0"]


def test_revision_changes_on_every_write(store: VectorStore) -> None:
    r0 = store.revision()
    put(store, "a", make_chunk("a", 0, "one"))
    r1 = store.revision()
    assert r1 != r0
    assert store.revision() == r1  # reading does not change it
    assert store.delete_sources(["a"]) == 1
    assert store.revision() != r1
    assert store.count() == 0 and store.query(EMB.embed_query("one"), 3, Filters()) == []


@pytest.mark.parametrize(
    "where", ["embedded", pytest.param("server", marks=pytest.mark.integration)]
)
def test_chroma_state_survives_reopening(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if where == "embedded":
        settings = Settings(data_dir=tmp_path)
    else:  # another client of the same server and collection, as a second instance
        settings = request.getfixturevalue("chroma_server").settings(tmp_path)
    first = ChromaStore.from_settings(settings)
    put(first, "a", make_chunk("a", 0, "kept across restarts"))
    del first
    again = ChromaStore.from_settings(settings)
    assert [c.text for c in again.all_chunks()] == ["kept across restarts"]


def test_unreachable_chroma_server_names_the_settings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The store is opened lazily: building it warns (naming the settings) instead of
    stopping whatever is starting; each use raises, naming them too."""
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9)
    with caplog.at_level("WARNING", logger="knowledge.store"):
        store = ChromaStore.from_settings(settings)
    assert "COACH_CHROMA_HOST" in caplog.text and "starts anyway" in caplog.text
    for use in (store.count, store.revision, store.all_chunks):
        with pytest.raises(StoreUnavailable, match="COACH_CHROMA_HOST"):
            use()


def test_in_memory_store_rejects_mismatched_embeddings() -> None:
    with pytest.raises(ValueError, match="one embedding per chunk"):
        InMemoryStore().upsert([make_chunk("a", 0, "x")], np.zeros((2, 64), dtype=np.float32))
