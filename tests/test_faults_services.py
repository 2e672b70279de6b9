"""Faults with the real services: a ``chroma run`` server stopped mid-debrief and started
again; the SQLite chat database (which also holds the debrief state) locked by another
program, or replaced by a directory, and then restored; and a PostgreSQL server holding
every store stopped mid-debrief and started again.

Throughout, the clinician is told when a message was not saved, a crisis is answered in
full, and once the service is back the next message works and nothing the clinician was
told was saved is missing (from the chat database or the debrief state)."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit.data as chainlit_data
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import coach.sqlite
from coach import database
from coach.app import wording
from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.handlers import DebriefChat
from coach.app.schema import ensure_schema
from coach.graph import NO_SOURCES_NOTICE, NOT_SAVED_NOTICE, SUPPORT_NOT_SAVED_NOTICE
from coach.responders.fakes import FixedResponder
from coach.sessions import SessionStore, SqliteSessionStore, SqlSessionStore
from coach.testing import fake_coach, fake_guard
from guardrails.escalation import Action
from guardrails.events import SqlEventLog
from knowledge.base import KnowledgeBase
from knowledge.embedder import HashingEmbedder
from knowledge.store import ChromaStore, StoreUnavailable
from tests.chroma_support import ChromaServer
from tests.postgres_support import (
    INSTALL_HINT,
    SERVER_SETTINGS,
    PostgresCluster,
    _as_owner,
    create_database,
    find_bin_dir,
)
from tests.test_faults import (
    CITING,
    CRISIS,
    FEELINGS,
    TO_FEELINGS,
    USER,
    healthy_crisis_reply,
    notices,
    say,
    shown,
)

pytestmark = pytest.mark.integration

SID = "session-services-0001"
REPLY = "Go on, I'm listening."
BEFORE = "A hard night on the ward, before anything broke."
DURING = "This one is sent while the database is down."
AFTER = "And this one after it came back."


# --- the vector store: a chroma server stopped and started again -----------------------------


def test_chroma_server_stopped_mid_debrief_then_started_again(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    settings = chroma_server.settings(tmp_path / "data", chroma_retry_after_seconds=1)
    knowledge = KnowledgeBase(
        ChromaStore.from_settings(settings), HashingEmbedder(), revision_check_seconds=0
    )
    store = SqliteSessionStore(tmp_path / "coach.db")
    coach = fake_coach(store=store, responder=FixedResponder([CITING]), retriever=knowledge)
    coach.start(SID)
    for message in TO_FEELINGS:
        coach.turn(SID, message)
    grounded = coach.turn(SID, FEELINGS)
    assert [s.id for s in grounded.sources] == ["S1"], "sources while the server is up"

    chroma_server.stop()
    try:
        down = coach.turn(SID, "Guilty, mostly. I keep going over it.")
        assert down.sources == ()
        assert notices(down) == [NO_SOURCES_NOTICE]
        assert down.messages[-1].kind == "reply", "the debrief goes on"
        with pytest.raises(StoreUnavailable):
            knowledge.search(FEELINGS, k=1, mode="dense")
        crisis = coach.turn(SID, CRISIS)
        assert crisis.messages[0].text == healthy_crisis_reply().text
    finally:
        chroma_server._launch()  # the same folder and port, as an operator restarts it

    coach.control(SID, _im_safe())
    back = coach.turn(SID, "Thank you. I think I can carry on now, it was about the guilt.")
    assert notices(back) == []
    time.sleep(1.5)  # a failed store is left alone for chroma_retry_after_seconds
    assert knowledge.search(FEELINGS, k=1, mode="dense"), "the server's sources are back"
    state = store.load(SID)
    assert state is not None
    texts = [t.text for t in state.turns if t.role == "clinician"]
    assert "Guilty, mostly. I keep going over it." in texts and FEELINGS in texts


def _im_safe() -> Any:
    from coach.types import Control

    return Control.IM_SAFE


# --- the chat database and the debrief state on SQLite -----------------------------------


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def user_messages(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT output FROM steps WHERE type = 'user_message' ORDER BY \"createdAt\"")
        )
        found = [str(r[0]) for r in rows.fetchall()]
    await engine.dispose()
    return found


def clinician_texts(store: SessionStore, session_id: str) -> list[str]:
    state = store.load(session_id)
    assert state is not None
    return [t.text for t in state.turns if t.role == "clinician"]


async def debrief_through_an_outage(
    layer: DeidentifyingDataLayer,
    store: SessionStore,
    outage: Callable[[], None],
    restore: Callable[[], None],
    *,
    chat_database_down: bool,
) -> str:
    """One message before, a message and a crisis during, one message after; checks
    what the clinician saw. Returns the chat's session id."""
    emitter = chat_session(USER)
    coach = fake_coach(store=store, responder=FixedResponder([REPLY]), with_knowledge=False)
    chat = DebriefChat(coach, data_layer=lambda: layer)
    await say(chat, BEFORE)
    assert shown(emitter)[-1] == REPLY

    outage()
    try:
        await say(chat, DURING)
        assert shown(emitter)[-1] == NOT_SAVED_NOTICE
        await say(chat, CRISIS)
        support = [m for m in emitter.messages() if m.get("name") == wording.SUPPORT_AUTHOR]
        assert support and support[-1]["output"] == healthy_crisis_reply().text
        assert wording.SUPPORT_LABELS[Action.SHOW_RESOURCES] in emitter.labels()
        if chat_database_down:
            assert shown(emitter)[-1] == SUPPORT_NOT_SAVED_NOTICE
        assert not any("Error" in s or "Traceback" in s for s in shown(emitter))
    finally:
        restore()

    await say(chat, AFTER)
    assert shown(emitter)[-1] not in (NOT_SAVED_NOTICE, wording.SOMETHING_WENT_WRONG)
    return chat.session_id()


@pytest.fixture
def sqlite_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """The app's embedded default: the chat tables and the debrief state in one SQLite
    file. Busy timeouts are short so a lock held elsewhere fails in a fraction of a
    second (the app waits 5 and 10 s)."""
    path = tmp_path / "coach.db"
    url = f"sqlite+aiosqlite:///{path}?timeout=0.3"
    monkeypatch.setattr(coach.sqlite, "BUSY_TIMEOUT_S", 0.3)
    yield path, url


@pytest.mark.parametrize("how", ["locked", "replaced by a directory"])
def test_sqlite_database_unavailable_mid_debrief_then_restored(
    sqlite_chat: tuple[Path, str], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, url = sqlite_chat
    store = SqliteSessionStore(path)
    run(ensure_schema(url))
    layer = DeidentifyingDataLayer(url)
    monkeypatch.setattr(chainlit_data, "_data_layer", layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    aside = path.parent / "aside"
    holder: list[sqlite3.Connection] = []

    def outage() -> None:
        if how == "locked":  # another program holds the write lock
            locker = sqlite3.connect(path, timeout=0, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            holder.append(locker)
        else:
            aside.mkdir()
            for file in path.parent.glob("coach.db*"):
                file.rename(aside / file.name)
            path.mkdir()

    def restore() -> None:
        if how == "locked":
            holder.pop().execute("ROLLBACK")
        else:
            path.rmdir()
            for file in aside.iterdir():
                file.rename(path.parent / file.name)

    async def go() -> str:
        session = await debrief_through_an_outage(
            layer, store, outage, restore, chat_database_down=how == "locked"
        )
        await layer.engine.dispose()
        return session

    session = run(go())
    told_saved = [BEFORE, AFTER]
    assert clinician_texts(store, session) == told_saved
    kept = run(user_messages(url))
    assert [m for m in kept if m != DURING and m != CRISIS] == told_saved


# --- every store on PostgreSQL, the server stopped and started again --------------------------


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this module's own, since these tests stop and start it."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    cluster = PostgresCluster.start(bin_dir)
    try:
        yield cluster
    finally:
        database.dispose_engines()
        cluster.stop()


def pg_ctl(cluster: PostgresCluster, *args: str) -> None:
    options = " ".join(
        [
            "-c listen_addresses=127.0.0.1",
            f"-p {cluster.port}",
            f"-k {cluster.root / 'socket'}",
            *(f"-c {s}" for s in SERVER_SETTINGS),
        ]
    )
    command = [str(cluster.bin_dir / "pg_ctl"), "--pgdata", str(cluster.data), "--wait"]
    if args[0] == "start":
        command += ["--log", str(cluster.root / "server.log"), "--options", options]
    done = subprocess.run(
        _as_owner([*command, *args]), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr + cluster.log_tail()


@pytest.mark.postgres
def postgres_chat(
    cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, SqlSessionStore, DeidentifyingDataLayer]:
    """A fresh database on ``cluster`` with the chat tables, its session store, and its
    chat data layer installed as Chainlit's: (url, chat url, store, layer)."""
    url = create_database(cluster.url)
    chat_url = database.async_url(url)
    run(ensure_schema(chat_url))
    layer = DeidentifyingDataLayer(chat_url)
    monkeypatch.setattr(chainlit_data, "_data_layer", layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    return url, chat_url, SqlSessionStore(url), layer


def test_postgres_stopped_mid_debrief_then_started_again(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, chat_url, store, layer = postgres_chat(postgres_cluster, monkeypatch)
    events = SqlEventLog(url)

    async def go() -> str:
        emitter = chat_session(USER)
        coach = fake_coach(
            store=store,
            guard=fake_guard(events=events),
            responder=FixedResponder([REPLY]),
            with_knowledge=False,
        )
        chat = DebriefChat(coach, data_layer=lambda: layer)
        await say(chat, BEFORE)
        assert shown(emitter)[-1] == REPLY

        pg_ctl(postgres_cluster, "stop", "--mode", "fast")
        try:
            await say(chat, DURING)
            assert shown(emitter)[-1] == NOT_SAVED_NOTICE
            await say(chat, CRISIS)
            assert healthy_crisis_reply().text in shown(emitter)
            assert shown(emitter)[-1] == SUPPORT_NOT_SAVED_NOTICE
            await chat.show_summary()
            assert shown(emitter)[-1] == wording.STORE_UNAVAILABLE
        finally:
            pg_ctl(postgres_cluster, "start")

        await say(chat, AFTER)
        assert shown(emitter)[-1] == REPLY, "the first message after the restart works"
        await layer.engine.dispose()
        return chat.session_id()

    session = run(go())
    told_saved = [BEFORE, AFTER]
    assert clinician_texts(store, session) == told_saved
    assert run(user_messages(chat_url)) == told_saved
    database.dispose_engines()


@pytest.mark.postgres
def test_the_first_message_after_a_quiet_postgres_restart_is_saved(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart between two messages (nothing sent while it was down): the pooled
    connections are stale, and the next message must still be saved at once."""
    _, chat_url, store, layer = postgres_chat(postgres_cluster, monkeypatch)

    async def go() -> str:
        emitter = chat_session(USER)
        coach = fake_coach(store=store, responder=FixedResponder([REPLY]), with_knowledge=False)
        chat = DebriefChat(coach, data_layer=lambda: layer)
        await say(chat, BEFORE)
        pg_ctl(postgres_cluster, "stop", "--mode", "fast")
        pg_ctl(postgres_cluster, "start")
        await say(chat, AFTER)
        assert shown(emitter)[-1] == REPLY
        await layer.engine.dispose()
        return chat.session_id()

    session = run(go())
    assert clinician_texts(store, session) == [BEFORE, AFTER]
    assert run(user_messages(chat_url)) == [BEFORE, AFTER]
    database.dispose_engines()


@pytest.mark.postgres
def test_nul_and_lone_surrogates_are_saved_in_postgres(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL text and JSON refuse NUL, and no driver encodes a lone surrogate: such a
    message would be refused on every resend. It is stored with U+FFFD in their place."""
    _, chat_url, store, layer = postgres_chat(postgres_cluster, monkeypatch)
    words = "Pasted from the notes: \x00 and \ud800 here."
    kept = "Pasted from the notes: \ufffd and \ufffd here."

    async def go() -> str:
        emitter = chat_session(USER)
        coach = fake_coach(store=store, responder=FixedResponder([REPLY]), with_knowledge=False)
        chat = DebriefChat(coach, data_layer=lambda: layer)
        await say(chat, words)
        assert shown(emitter)[-1] == REPLY
        await layer.engine.dispose()
        return chat.session_id()

    session = run(go())
    assert clinician_texts(store, session) == [kept]
    assert run(user_messages(chat_url)) == [kept]
    database.dispose_engines()
