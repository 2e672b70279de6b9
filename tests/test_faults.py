"""Faults, with doubles that fail until they are switched back: the vector store, the
session store (debrief state) and the chat database going down mid-debrief.

What must hold while a part is down: the clinician gets a clear message (never a stack
trace, never a silent drop); a message the coach could not save is said to be unsaved,
with what to do; a crisis message still gets the full crisis reply with the locale's
support lines; and once the part is back, the next message works and nothing the
clinician was told was saved is missing.
"""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import ask_answer, chat_session  # sets CHAINLIT_APP_ROOT first

import aiosqlite
import chainlit as cl
import chainlit.data as chainlit_data
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import NullPool

from coach.app import wording
from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.handlers import DebriefChat
from coach.app.schema import ensure_schema
from coach.engine import TurnResult
from coach.graph import (
    NO_SOURCES_NOTICE,
    NOT_SAVED_NOTICE,
    REPLY_NOT_SAVED_NOTICE,
    STORE_UNAVAILABLE_NOTICE,
    SUPPORT_NOT_SAVED_NOTICE,
    OutMessage,
)
from coach.responders.fakes import FixedResponder
from coach.sessions import MemorySessionStore
from coach.state import DebriefState
from coach.testing import fake_coach, fake_guard
from coach.types import Control
from guardrails.events import EscalationEvent, MemoryEventLog
from guardrails.types import Level
from knowledge.base import KnowledgeBase
from knowledge.embedder import HashingEmbedder, Vectors
from knowledge.store import DenseHit, Filters, InMemoryStore
from knowledge.types import Chunk

SID = "session-faults-0001"
USER = "nurse.one"
CRISIS = "I've been thinking everyone would be better off without me"
# Messages that walk a full debrief to the feelings stage (where replies are grounded).
TO_FEELINGS = (
    "Tired but okay, thanks for asking.",
    "A man in his sixties arrested on the ward and we ran the resus for forty minutes.",
    "We couldn't get him back and his wife arrived just after we stopped.",
)
FEELINGS = "I feel sad, and honestly a bit guilty."
CITING = "That sounds heavy; many clinicians feel this after a death (S1)."


# --- doubles ---------------------------------------------------------------------------


class Outage:
    """A switch: while ``down``, every call to the part behind it raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.down = False
        self.refused = 0  # calls refused while down

    def check(self) -> None:
        if self.down:
            self.refused += 1
            raise self.error


class FlakySessionStore(MemorySessionStore):
    """The in-memory session store, unreachable while its outage is on."""

    def __init__(self) -> None:
        super().__init__()
        self.outage = Outage(ConnectionError("session database unreachable"))

    def load(self, session_id: str) -> DebriefState | None:
        self.outage.check()
        return super().load(session_id)

    def save(self, state: DebriefState) -> None:
        self.outage.check()
        super().save(state)

    def sessions_for(self, user_id: str) -> list[str]:
        self.outage.check()
        return super().sessions_for(user_id)

    def delete_user(self, user_id: str) -> int:
        self.outage.check()
        return super().delete_user(user_id)


class FlakyVectorStore(InMemoryStore):
    """The in-memory vector store, unreachable while its outage is on."""

    def __init__(self) -> None:
        super().__init__()
        self.outage = Outage(ConnectionError("vector store unreachable"))

    def upsert(self, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        self.outage.check()
        super().upsert(chunks, embeddings)

    def replace_source(self, source: str, chunks: Sequence[Chunk], embeddings: Vectors) -> None:
        self.outage.check()
        super().replace_source(source, chunks, embeddings)

    def delete_sources(self, sources: Iterable[str]) -> int:
        self.outage.check()
        return super().delete_sources(sources)

    def source_hashes(self) -> dict[str, str]:
        self.outage.check()
        return super().source_hashes()

    def all_chunks(self) -> list[Chunk]:
        self.outage.check()
        return super().all_chunks()

    def query(self, embedding: Vectors, k: int, filters: Filters) -> list[DenseHit]:
        self.outage.check()
        return super().query(embedding, k, filters)

    def count(self) -> int:
        self.outage.check()
        return super().count()

    def revision(self) -> str:
        self.outage.check()
        return super().revision()


class FlakyChatDatabase:
    """The chat app's real data layer on a SQLite file, whose connections are refused
    while the outage is on (as a database server that has gone away refuses them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite+aiosqlite:///{path}"
        self.outage = Outage(sqlite3.OperationalError("unable to open database file"))
        self.layer = DeidentifyingDataLayer(self.url)

    async def open(self) -> None:
        await ensure_schema(self.url)

        async def connect() -> Any:
            self.outage.check()
            return await aiosqlite.connect(self.path)

        engine: AsyncEngine = create_async_engine(
            "sqlite+aiosqlite://", async_creator=connect, poolclass=NullPool
        )
        self.layer.engine = engine
        self.layer.async_session = sessionmaker(  # type: ignore[call-overload]
            bind=engine, expire_on_commit=False, class_=AsyncSession
        )

    async def rows(self, query: str) -> list[tuple[Any, ...]]:
        engine = create_async_engine(self.url)
        async with engine.connect() as conn:
            found = [tuple(r) for r in (await conn.execute(text(query))).fetchall()]
        await engine.dispose()
        return found

    async def user_messages(self) -> list[str]:
        rows = await self.rows(
            "SELECT output FROM steps WHERE type = 'user_message' ORDER BY \"createdAt\""
        )
        return [str(r[0]) for r in rows]


def knowledge_on(store: FlakyVectorStore) -> KnowledgeBase:
    return KnowledgeBase(store, HashingEmbedder())


def notices(result: TurnResult) -> list[str]:
    return [m.text for m in result.messages if m.kind == "notice"]


def escalation(result: TurnResult) -> OutMessage:
    [message] = [m for m in result.messages if m.kind == "escalation"]
    return message


def clinician_texts(store: MemorySessionStore, session_id: str = SID) -> list[str]:
    state = MemorySessionStore.load(store, session_id)
    assert state is not None
    return [t.text for t in state.turns if t.role == "clinician"]


def healthy_crisis_reply() -> OutMessage:
    """The crisis reply a coach with every part up gives to ``CRISIS``."""
    coach = fake_coach()
    coach.start(SID)
    return escalation(coach.turn(SID, CRISIS))


# --- the vector store ------------------------------------------------------------------


def test_vector_store_down_reply_without_sources_with_a_notice_then_sources_return() -> None:
    vectors = FlakyVectorStore()
    store = MemorySessionStore()
    coach = fake_coach(
        responder=FixedResponder([CITING]), store=store, retriever=knowledge_on(vectors)
    )
    coach.start(SID)
    for message in TO_FEELINGS:
        coach.turn(SID, message)

    vectors.outage.down = True
    down = coach.turn(SID, FEELINGS)
    assert down.stage == "feelings"
    assert vectors.outage.refused > 0, "the turn asked the vector store"
    assert down.sources == ()
    assert notices(down) == [NO_SOURCES_NOTICE]
    assert down.messages[-1].kind == "reply" and down.messages[-1].text == CITING
    assert FEELINGS in clinician_texts(store), "the debrief went on and kept the message"

    vectors.outage.down = False
    back = coach.turn(SID, "Mostly sad, I think.")
    assert [s.id for s in back.sources] == ["S1"]
    assert notices(back) == []


# --- the session store -----------------------------------------------------------------


def test_session_store_down_a_message_is_refused_as_unsaved_then_the_next_one_works() -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    coach.start(SID, user_id=USER)
    coach.turn(SID, TO_FEELINGS[0], user_id=USER)
    before = clinician_texts(store)

    store.outage.down = True
    down = coach.turn(SID, TO_FEELINGS[1], user_id=USER)
    assert [m.kind for m in down.messages] == ["notice"]
    assert down.messages[0].text == NOT_SAVED_NOTICE
    assert "send it again" in NOT_SAVED_NOTICE

    store.outage.down = False
    assert clinician_texts(store) == before, "nothing half-written"
    again = coach.turn(SID, TO_FEELINGS[1], user_id=USER)
    assert again.messages[-1].kind == "reply" and notices(again) == []
    assert clinician_texts(store) == [*before, TO_FEELINGS[1]]


def test_session_store_failing_on_write_only_is_reported_the_same_way() -> None:
    """Reads work but writes fail (a full disk, a lock held elsewhere)."""

    class ReadOnly(MemorySessionStore):
        writable = False

        def save(self, state: DebriefState) -> None:
            if not self.writable:
                raise sqlite3.OperationalError("database is locked")
            super().save(state)

    store = ReadOnly()
    store.writable = True
    coach = fake_coach(store=store)
    coach.start(SID)
    store.writable = False
    down = coach.turn(SID, TO_FEELINGS[0])
    assert [m.text for m in down.messages] == [NOT_SAVED_NOTICE]
    store.writable = True
    assert coach.turn(SID, TO_FEELINGS[0]).messages[-1].kind == "reply"
    assert clinician_texts(store) == [TO_FEELINGS[0]]


def test_a_reply_that_cannot_be_saved_is_shown_with_a_notice() -> None:
    """The message is written, then the store stops taking writes before the reply is."""

    class FailsOnReplies(MemorySessionStore):
        def save(self, state: DebriefState) -> None:
            if state.turns and state.turns[-1].role == "coach" and state.message_count > 1:
                raise sqlite3.OperationalError("disk I/O error")
            super().save(state)

    store = FailsOnReplies()
    coach = fake_coach(store=store, responder=FixedResponder(["Go on."]))
    coach.start(SID)
    coach.turn(SID, TO_FEELINGS[0])
    result = coach.turn(SID, TO_FEELINGS[1])
    assert [m.kind for m in result.messages] == ["reply", "notice"]
    assert result.messages[0].text == "Go on."
    assert result.messages[1].text == REPLY_NOT_SAVED_NOTICE
    assert clinician_texts(store) == list(TO_FEELINGS[:2]), "the message itself was kept"


def test_a_control_that_cannot_be_saved_says_nothing_changed() -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    coach.start(SID)
    original_save = store.save

    def failing_save(state: DebriefState) -> None:
        raise ConnectionError("session database unreachable")

    store.save = failing_save  # type: ignore[method-assign]
    result = coach.control(SID, Control.LISTEN_ON)
    assert [m.text for m in result.messages] == [STORE_UNAVAILABLE_NOTICE]
    store.save = original_save  # type: ignore[method-assign]
    state = store.load(SID)
    assert state is not None and not state.listen_only


def test_a_crisis_while_the_session_store_is_down_gets_the_full_crisis_reply() -> None:
    store = FlakySessionStore()
    events = MemoryEventLog()
    coach = fake_coach(store=store, guard=fake_guard(events=events))
    coach.start(SID)
    coach.turn(SID, TO_FEELINGS[0])

    store.outage.down = True
    result = coach.turn(SID, CRISIS)
    assert result.level is Level.CRISIS
    healthy = healthy_crisis_reply()
    reply = escalation(result)
    assert (reply.text, reply.resources, reply.actions) == (
        healthy.text,
        healthy.resources,
        healthy.actions,
    )
    assert reply.resources, "the locale's support lines are offered"
    assert notices(result) == [SUPPORT_NOT_SAVED_NOTICE]
    assert events.recent(1)[0].level is Level.CRISIS

    store.outage.down = False
    after = coach.turn(SID, "Sorry, I'm okay now. Where were we?")
    assert after.messages, "the coach answers once the store is back"
    assert TO_FEELINGS[0] in clinician_texts(store)


def test_a_crisis_is_answered_when_the_state_loads_but_cannot_be_saved() -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    coach.start(SID)
    coach.turn(SID, TO_FEELINGS[0])
    saved = MemorySessionStore.load(store, SID)

    original_save = store.save

    def failing_save(state: DebriefState) -> None:
        raise ConnectionError("session database unreachable")

    store.save = failing_save  # type: ignore[method-assign]
    result = coach.turn(SID, CRISIS)
    assert escalation(result).text == healthy_crisis_reply().text
    assert notices(result) == [SUPPORT_NOT_SAVED_NOTICE]
    store.save = original_save  # type: ignore[method-assign]
    assert MemorySessionStore.load(store, SID) == saved, "nothing half-written"


def test_controls_while_the_session_store_is_down_say_so_and_change_nothing() -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    coach.start(SID)
    coach.turn(SID, TO_FEELINGS[0])
    saved = MemorySessionStore.load(store, SID)
    store.outage.down = True
    for control in (Control.LISTEN_ON, Control.QUICK, Control.SKIP_STAGE, Control.END):
        result = coach.control(SID, control)
        assert [m.kind for m in result.messages] == ["notice"], control
        assert "try again" in result.messages[0].text
    store.outage.down = False
    assert MemorySessionStore.load(store, SID) == saved
    assert coach.control(SID, Control.LISTEN_ON).listen_only


def test_opening_a_debrief_while_the_session_store_is_down_says_so() -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    store.outage.down = True
    opened = coach.start(SID)
    assert [m.kind for m in opened.messages] == ["notice"]
    assert "try again" in opened.messages[0].text
    store.outage.down = False
    assert coach.start(SID).messages[-1].kind == "reply"


def test_the_debrief_is_never_overwritten_by_a_blank_one_when_the_store_flickers() -> None:
    """Loading fails, then the store answers again before the turn writes: the turn
    must not save the blank state it had to start from."""
    store = FlakySessionStore()
    coach = fake_coach(store=store)
    coach.start(SID)
    for message in TO_FEELINGS:
        coach.turn(SID, message)
    saved = MemorySessionStore.load(store, SID)
    assert saved is not None

    real_load = store.load

    def load_fails_once(session_id: str) -> DebriefState | None:
        store.load = real_load  # type: ignore[method-assign]
        raise ConnectionError("session database unreachable")

    store.load = load_fails_once  # type: ignore[method-assign]
    coach.turn(SID, CRISIS)
    after = MemorySessionStore.load(store, SID)
    assert after is not None
    assert after.turns[: len(saved.turns)] == saved.turns


# --- the event log ---------------------------------------------------------------------


def test_a_crisis_is_answered_when_the_escalation_log_cannot_be_written() -> None:
    class DownLog(MemoryEventLog):
        def record(self, event: EscalationEvent) -> None:
            raise ConnectionError("event database unreachable")

    coach = fake_coach(guard=fake_guard(events=DownLog()))
    coach.start(SID)
    result = coach.turn(SID, CRISIS)
    assert escalation(result).text == healthy_crisis_reply().text


# --- the chat app: the chat database and the session store ---------------------------------


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def settle() -> None:
    """Let Chainlit's fire-and-forget writes finish."""
    for _ in range(3):
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


async def say(chat: DebriefChat, words: str) -> None:
    """What Chainlit does with a message typed in the browser: write it (in a task, as
    Chainlit does), then call the app's ``on_message``."""
    message = cl.Message(content=words, type="user_message", author=USER)
    await message._create()  # type: ignore[no-untyped-call]  # Chainlit leaves it unannotated
    await chat.on_message(message)
    await settle()


@pytest.fixture
def chat_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FlakyChatDatabase:
    database = FlakyChatDatabase(tmp_path / "coach.db")
    run(database.open())
    monkeypatch.setattr(chainlit_data, "_data_layer", database.layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    return database


def shown(emitter: Any) -> list[str]:
    return [str(m.get("output", "")) for m in emitter.messages()]


def test_chat_database_down_the_clinician_is_told_and_nothing_told_saved_is_lost(
    chat_db: FlakyChatDatabase,
) -> None:
    store = MemorySessionStore()
    coach = fake_coach(store=store, responder=FixedResponder(["Go on, I'm listening."]))

    async def go() -> None:
        emitter = chat_session(USER)
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        await say(chat, "First message, before anything broke.")
        assert shown(emitter)[-1] == "Go on, I'm listening."

        chat_db.outage.down = True
        await say(chat, "Second message, while the chat database is down.")
        assert shown(emitter)[-1] == NOT_SAVED_NOTICE
        assert chat_db.outage.refused > 0

        chat_db.outage.down = False
        await say(chat, "Third message, after it came back.")
        assert shown(emitter)[-1] == "Go on, I'm listening."
        assert all("Traceback" not in s and "OperationalError" not in s for s in shown(emitter))

        told_saved = ["First message, before anything broke.", "Third message, after it came back."]
        assert await chat_db.user_messages() == told_saved
        session = store.load(chat.session_id())
        assert session is not None
        assert [t.text for t in session.turns if t.role == "clinician"] == told_saved

    run(go())


def test_a_crisis_while_the_chat_database_is_down_gets_the_full_support_message(
    chat_db: FlakyChatDatabase,
) -> None:
    store = MemorySessionStore()
    coach = fake_coach(store=store)

    async def go() -> None:
        emitter = chat_session(USER)
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        await say(chat, "A hard night on the ward.")
        chat_db.outage.down = True
        await say(chat, CRISIS)
        support = [m for m in emitter.messages() if m.get("name") == wording.SUPPORT_AUTHOR]
        assert support and support[-1]["output"] == healthy_crisis_reply().text
        assert wording.SUPPORT_LABELS[_show_resources()] in emitter.labels()
        assert shown(emitter)[-1] == SUPPORT_NOT_SAVED_NOTICE
        session = store.load(chat.session_id())
        assert session is not None and session.support.active, "support mode is kept"

        chat_db.outage.down = False
        await say(chat, "I'm still here.")
        assert await chat_db.user_messages() == ["A hard night on the ward.", "I'm still here."]

    run(go())


def _show_resources() -> Any:
    from guardrails.escalation import Action

    return Action.SHOW_RESOURCES


def test_session_store_down_in_the_chat_app_the_clinician_is_told(
    chat_db: FlakyChatDatabase,
) -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store, responder=FixedResponder(["Go on, I'm listening."]))

    async def go() -> None:
        emitter = chat_session(USER)
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        await say(chat, "First message.")
        store.outage.down = True
        await say(chat, "Second message, while the debrief store is down.")
        assert shown(emitter)[-1] == NOT_SAVED_NOTICE
        await say(chat, CRISIS)
        assert healthy_crisis_reply().text in shown(emitter)
        assert shown(emitter)[-1] == SUPPORT_NOT_SAVED_NOTICE

        await chat.show_summary()
        assert shown(emitter)[-1] == wording.STORE_UNAVAILABLE

        store.outage.down = False
        await say(chat, "Third message.")
        assert shown(emitter)[-1] == "Go on, I'm listening."
        session = store.load(chat.session_id())
        assert session is not None
        texts = [t.text for t in session.turns if t.role == "clinician"]
        assert texts == ["First message.", "Third message."]

    run(go())


def test_delete_my_data_while_the_session_store_is_down_says_it_did_not_finish(
    chat_db: FlakyChatDatabase,
) -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store, with_knowledge=False)

    async def go() -> None:
        emitter = chat_session(USER, answers=[ask_answer("delete")])
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        await say(chat, "A hard night on the ward.")
        store.outage.down = True
        await chat.delete_my_data()
        assert shown(emitter)[-1] == wording.DELETE_UNFINISHED
        store.outage.down = False
        assert store.sessions_for(USER), "nothing was claimed deleted"

    run(go())


def test_resuming_a_chat_while_the_session_store_is_down_says_so(
    chat_db: FlakyChatDatabase,
) -> None:
    store = FlakySessionStore()
    coach = fake_coach(store=store)

    async def go() -> None:
        emitter = chat_session(USER)
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        await say(chat, "A hard night on the ward.")
        store.outage.down = True
        thread: Any = {"id": chat.session_id(), "steps": []}
        await chat.on_chat_resume(thread)
        assert shown(emitter)[-1] == wording.STORE_UNAVAILABLE

    run(go())


def test_vector_store_down_in_the_chat_app_reply_has_no_source_elements(
    chat_db: FlakyChatDatabase,
) -> None:
    vectors = FlakyVectorStore()
    coach = fake_coach(responder=FixedResponder([CITING]), retriever=knowledge_on(vectors))

    async def go() -> None:
        emitter = chat_session(USER)
        chat = DebriefChat(coach, data_layer=lambda: chat_db.layer)
        for words in TO_FEELINGS:
            await say(chat, words)
        vectors.outage.down = True
        before = len(emitter.elements())
        await say(chat, FEELINGS)
        assert NO_SOURCES_NOTICE in shown(emitter)
        assert CITING in shown(emitter), "the reply, with no sources line"
        assert len(emitter.elements()) == before
        vectors.outage.down = False
        await say(chat, "Mostly sad, I think.")
        assert len(emitter.elements()) > before, "sources are attached again"

    run(go())
