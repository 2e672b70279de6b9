"""A Chroma server that hangs, or fails, never holds a debrief turn: requests time out,
and after a failure the store is left alone for a while before it is tried again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from coach.settings import Settings
from knowledge.chroma_http import timed_http_client
from knowledge.store import ChromaStore, Filters, StoreUnavailable
from tests.chroma_support import ChromaServer


@pytest.fixture
def hanging_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server, or a network
    that swallows replies)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_server_times_out_instead_of_waiting_forever(hanging_server: int) -> None:
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - chromadb wraps the timeout its own way
        timed_http_client("127.0.0.1", hanging_server, ssl=False, timeout=1)
    assert time.monotonic() - started < 15


def test_the_coach_starts_and_searches_while_the_server_hangs(
    hanging_server: int, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        chroma_host="127.0.0.1",
        chroma_port=hanging_server,
        chroma_timeout_seconds=1,
        chroma_retry_after_seconds=60,
    )
    started = time.monotonic()
    store = ChromaStore.from_settings(settings)  # logs a warning, does not hang
    assert time.monotonic() - started < 15
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="tried again in"):
        store.query(np.full(384, 0.05, dtype=np.float32), 3, Filters())
    assert time.monotonic() - started < 0.5  # the failure at start-up is remembered


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Collection:
    def __init__(self) -> None:
        self.fail = False

    def count(self) -> int:
        if self.fail:
            raise ConnectionError("connection reset")
        return 0


class _Client:
    def __init__(self, collection: _Collection) -> None:
        self.collection = collection

    def get_or_create_collection(self, name: str, **_: Any) -> _Collection:
        return self.collection


def test_after_a_failure_the_store_is_skipped_until_retry_after_has_passed() -> None:
    clock, collection = _Clock(), _Collection()
    opened: list[float] = []
    down = {"now": True}

    def open_client() -> _Client:
        opened.append(clock.now)
        if down["now"]:
            raise ConnectionError("connection refused")
        return _Client(collection)

    store = ChromaStore(open_client, "cards", retry_after=30, clock=clock)
    with pytest.raises(StoreUnavailable, match="Could not open"):
        store.count()
    clock.now += 29
    with pytest.raises(StoreUnavailable, match="tried again in 1 s"):
        store.count()
    assert opened == [1000.0]  # not tried again inside the window
    down["now"] = False
    clock.now += 2
    assert store.count() == 0  # back: used again without a restart
    assert len(opened) == 2

    collection.fail = True  # goes down while open
    with pytest.raises(StoreUnavailable, match="count the chunks"):
        store.count()
    collection.fail = False
    with pytest.raises(StoreUnavailable, match="tried again"):
        store.count()
    assert len(opened) == 2
    clock.now += 31
    assert store.count() == 0 and len(opened) == 3  # reconnected


def test_retry_after_zero_tries_the_store_at_every_use() -> None:
    clock = _Clock()
    opened: list[float] = []

    def open_client() -> _Client:
        opened.append(clock.now)
        raise ConnectionError("connection refused")

    store = ChromaStore(open_client, "cards", retry_after=0, clock=clock)
    for _ in range(3):
        with pytest.raises(StoreUnavailable, match="Could not open"):
            store.count()
    assert len(opened) == 3


def test_the_real_servers_client_carries_the_deadline(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    store = ChromaStore.from_settings(chroma_server.settings(tmp_path, chroma_timeout_seconds=3))
    assert store.count() == 0
    session = store._client._server._session
    assert isinstance(session, httpx.Client)
    assert session.timeout == httpx.Timeout(3)
