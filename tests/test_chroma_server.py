"""The HttpClient path: a real `chroma run` server on loopback, started by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.embedder import HashingEmbedder
from knowledge.store import ChromaStore, StoreUnavailable

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        found = shutil.which("chroma")
        if found is None:
            pytest.fail("the chroma command (from the chromadb package) is missing: run make setup")
        exe = Path(found)
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ChromaStore.from_settings(Settings(chroma_host="127.0.0.1", chroma_port=port))
                break
            except StoreUnavailable:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("chroma run did not start within 60 s")
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_search_through_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=chroma_server)
    note = tmp_path / "handover.md"
    note.write_text("# Handover ritual\n\nAt handover we pause for one breath together.\n")

    writer = KnowledgeBase(ChromaStore.from_settings(settings), HashingEmbedder())
    report = writer.ingest([note])
    assert report.added == [str(note.resolve())]
    assert not (tmp_path / "chroma").exists()  # nothing was written to the embedded path

    # A second client (as another app instance would be) sees the same state.
    reader = KnowledgeBase(
        ChromaStore.from_settings(settings), HashingEmbedder(), revision_check_seconds=0
    )
    top = reader.search("handover pause breath", 3)
    assert top[0].source_key == str(note.resolve())
    assert reader.search("loving kindness practice", 1, kind="practice")[0].card_id

    note.write_text("# Handover ritual\n\nWe end handover naming one thing that went well.\n")
    assert writer.ingest([note]).updated == [str(note.resolve())]
    top = reader.search("naming one thing that went well", 3)
    assert "went well" in top[0].text
