"""The knowledge base on the embedded chromadb and on a real `chroma run` server (one per
test run, shared through ``conftest.chroma_server``): the same ingest, search, update,
delete and restart behaviour, and a second instance sees the first one's writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coach.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.embedder import HashingEmbedder
from knowledge.ingest import IngestReport
from knowledge.store import ChromaStore
from knowledge.types import SearchResult
from tests.chroma_support import ChromaServer

pytestmark = pytest.mark.integration

Instance = Callable[[str], Settings]


@pytest.fixture(params=["embedded", "server"])
def instance(request: pytest.FixtureRequest, tmp_path: Path) -> Instance:
    """Settings of app instance ``name``. Embedded: each instance on the one chromadb
    folder (as ``coach knowledge ingest`` and the app share it on one machine). Server:
    each instance on its own data folder, sharing the server and one collection."""
    if request.param == "embedded":
        chroma = tmp_path / "chroma"
        return lambda name: Settings(data_dir=tmp_path / name, chroma_path=chroma)
    server: ChromaServer = request.getfixturevalue("chroma_server")
    collection = server.settings(tmp_path).collection
    return lambda name: server.settings(tmp_path / name, collection)


class _Knowledge:
    """An instance's knowledge base without the built-in cards (quicker; the cards are
    ingested through the same code as any file)."""

    def __init__(self, settings: Settings) -> None:
        self.kb = KnowledgeBase(
            ChromaStore.from_settings(settings), HashingEmbedder(), revision_check_seconds=0
        )
        self.store = self.kb.store

    def ingest(self, paths: list[Path], prune: bool = False) -> IngestReport:
        return self.kb.ingestor.ingest_paths(paths, prune=prune)

    def search(self, query: str, k: int) -> list[SearchResult]:
        return self.kb.retriever.search(query, k)


_knowledge = _Knowledge


def _sources(kb: _Knowledge) -> set[str]:
    return {chunk.source for chunk in kb.store.all_chunks()}


def test_ingest_search_update_and_delete_seen_by_another_instance(
    instance: Instance, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    handover = notes / "handover.md"
    handover.write_text("# Handover ritual\n\nAt handover we pause for one breath together.\n")
    rota = notes / "rota.md"
    rota.write_text("# Rota swaps\n\nSwaps are agreed with the charge nurse a week ahead.\n")

    writer = _knowledge(instance("one"))
    report = writer.ingest([notes])
    assert sorted(report.added) == sorted([str(handover.resolve()), str(rota.resolve())])

    reader = _knowledge(instance("two"))  # another instance, its own client
    top = reader.search("handover pause breath", 3)
    assert top[0].source_key == str(handover.resolve())
    assert reader.ingest([notes]).unchanged  # the second instance finds it all in place

    handover.write_text("# Handover ritual\n\nWe end handover naming one thing that went well.\n")
    assert writer.ingest([notes]).updated == [str(handover.resolve())]
    top = reader.search("naming one thing that went well", 3)
    assert "went well" in top[0].text
    assert not any("one breath" in c.text for c in reader.store.all_chunks())

    rota.unlink()
    assert writer.ingest([notes], prune=True).pruned == [str(rota.resolve())]
    assert str(rota.resolve()) not in _sources(reader)
    assert all("charge nurse" not in hit.text for hit in reader.search("rota swaps", 5))


def test_the_server_holds_the_state_not_the_instance(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    settings = chroma_server.settings(tmp_path / "one")
    note = tmp_path / "note.md"
    note.write_text("# Debrief huddle\n\nTen minutes after a resus, before the next patient.\n")
    _knowledge(settings).ingest([note])
    assert not (tmp_path / "one" / "chroma").exists()  # nothing in the embedded path


def test_the_knowledge_survives_a_restart(
    instance: Instance, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Embedded: the folder reopened. Server: `chroma run` stopped and started again on
    its folder; a fresh client and the instance's existing one both carry on."""
    note = tmp_path / "huddle.md"
    note.write_text("# Debrief huddle\n\nTen minutes after a resus, before the next patient.\n")
    settings = instance("one")
    before = _knowledge(settings)
    before.ingest([note])
    count = before.store.count()

    if settings.chroma_host is not None:
        server: ChromaServer = request.getfixturevalue("chroma_server")
        server.restart()
    after = _knowledge(instance("two"))
    assert after.store.count() == count
    assert after.search("huddle after a resus", 3)[0].source_key == str(note.resolve())
    assert before.search("huddle after a resus", 3)[0].source_key == str(note.resolve())
    assert after.ingest([note]).unchanged == [str(note.resolve())]
