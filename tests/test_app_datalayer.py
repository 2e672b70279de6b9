"""The chat database: Chainlit's tables created for SQLite and PostgreSQL (``postgres``
marker), only de-identified text written (read back from the database itself), threads
per account, and "Delete my data"."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit as cl
from chainlit.step import StepDict
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User

from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.schema import chat_database_url, ensure_schema, statements

IDENTIFIERS = ("Okafor", "1234567", "3 March", "07700 900123", "okafor@example.com")
RAW = (
    "Mrs Okafor in bed 4 (MRN 1234567) died on 3 March; her son rang from 07700 900123 "
    "and emailed okafor@example.com"
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


TABLES = ("feedbacks", "elements", "steps", "threads", "users")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh chat database: a SQLite file, or an emptied PostgreSQL database (the
    tests' throwaway cluster, or COACH_TEST_POSTGRES_URL) in its asyncpg form."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    return chat_database_url(request.getfixturevalue("postgres_url"))


def dump(url: str) -> str:
    """Every value in every chat table, as stored."""

    async def read() -> str:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = [
                repr(tuple(row))
                for table in TABLES
                for row in (await conn.execute(text(f"SELECT * FROM {table}"))).fetchall()
            ]
        await engine.dispose()
        return "\n".join(rows)

    return str(run(read()))


def count(url: str, table: str) -> int:
    async def read() -> int:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            value = (await conn.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
        await engine.dispose()
        return int(value)

    return int(run(read()))


async def _layer(url: str) -> DeidentifyingDataLayer:
    await ensure_schema(url)
    return DeidentifyingDataLayer(url)


async def _thread(layer: DeidentifyingDataLayer, identifier: str) -> tuple[str, str]:
    user = await layer.create_user(User(identifier=identifier, metadata={"role": "clinician"}))
    assert user is not None
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name=RAW[:60], user_id=user.id)
    return thread_id, user.id


def _step(thread_id: str, kind: str, text: str, **extra: Any) -> Any:
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "type": kind,
        "name": "nurse.one",
        "output": text,
        "streaming": False,
        "metadata": {},
        "createdAt": "2026-01-01T00:00:00Z",
        **extra,
    }


def test_schema_is_created_once_for_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "chat" / "coach.db"
    run(ensure_schema(f"sqlite+aiosqlite:///{db}"))
    run(ensure_schema(f"sqlite+aiosqlite:///{db}"))  # idempotent
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "threads", "steps", "elements", "feedbacks"} <= tables
    assert all("UUID" not in s and "JSONB" not in s for s in statements("sqlite"))
    assert any('"tags" TEXT[]' in s for s in statements("postgresql"))
    with pytest.raises(ValueError, match="COACH_DATABASE_URL"):
        statements("mysql")


def test_database_urls_get_async_drivers() -> None:
    assert chat_database_url("postgresql://u:p@db/coach").startswith("postgresql+asyncpg://")
    assert chat_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        chat_database_url("mysql://u@h/db")


def test_no_identifier_reaches_the_database(db: str) -> None:

    async def go() -> None:
        chat_session()
        layer = await _layer(db)
        thread_id, _ = await _thread(layer, "nurse.one")
        user_step = _step(thread_id, "user_message", RAW, modes={"m": "x"}, tags=["t"])
        await layer.create_step(user_step)
        await layer.update_step(cast(StepDict, {**user_step, "output": RAW + " (edited)"}))
        await layer.create_step(_step(thread_id, "run", "", input=RAW, name="on_message"))
        await layer.update_thread(thread_id, metadata={"name": RAW})
        await layer.upsert_feedback(
            Feedback(forId=user_step["id"], value=1, threadId=thread_id, comment=RAW)
        )
        thread = await layer.get_thread(thread_id)
        assert thread is not None
        assert thread["name"] is not None and "[NAME]" in thread["name"]
        outputs = [s["output"] for s in thread["steps"]]
        assert any("[NAME]" in o and "[ID]" in o for o in outputs)

    run(go())
    stored = dump(db)
    for identifier in IDENTIFIERS:
        assert identifier not in stored, identifier
    assert "[NAME]" in stored and "[DATE]" in stored


def test_coach_replies_keep_support_numbers(db: str) -> None:
    reply = "If you are in danger, call 999 now, or Samaritans on 116 123."

    async def go() -> None:
        chat_session()
        layer = await _layer(db)
        thread_id, _ = await _thread(layer, "nurse.one")
        await layer.create_step(_step(thread_id, "assistant_message", reply, name="Support"))

    run(go())
    assert reply in dump(db)


def test_threads_belong_to_their_author(db: str) -> None:

    async def go() -> None:
        chat_session()
        layer = await _layer(db)
        mine, my_id = await _thread(layer, "nurse.one")
        theirs, _ = await _thread(layer, "nurse.two")
        for thread_id in (mine, theirs):
            await layer.create_step(_step(thread_id, "user_message", "A long night."))
        assert await layer.get_thread_author(mine) == "nurse.one"
        assert await layer.get_thread_author(theirs) == "nurse.two"
        page = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=my_id))
        assert [t["id"] for t in page.data] == [mine]

    run(go())


def test_elements_are_kept_inline_and_read_back(db: str) -> None:

    async def go() -> None:
        chat_session()
        layer = await _layer(db)
        thread_id, _ = await _thread(layer, "nurse.one")
        step = _step(thread_id, "assistant_message", "Your summary.")
        await layer.create_step(step)
        summary = cl.File(name="debrief-summary.md", content=b"# Debrief", mime="text/markdown")
        summary.thread_id, summary.for_id = thread_id, step["id"]
        options = cl.CustomElement(name="SupportOptions", props={"resources": []})
        options.thread_id, options.for_id = thread_id, step["id"]
        await layer.create_element(summary)
        await layer.create_element(options)
        thread = await layer.get_thread(thread_id)
        assert thread is not None and thread["elements"] is not None
        by_name = {e["name"]: e for e in thread["elements"]}
        assert str(by_name["debrief-summary.md"]["url"]).startswith("data:text/markdown;base64,")
        assert by_name["SupportOptions"]["props"] == {"resources": []}
        # one by one, as Chainlit's element route reads them (a file has no props)
        file = await layer.get_element(thread_id, summary.id)
        assert file is not None and file["props"] == {} and file["name"] == "debrief-summary.md"
        assert str(file["url"]).startswith("data:text/markdown;base64,")
        custom = await layer.get_element(thread_id, options.id)
        assert custom is not None and custom["props"] == {"resources": []}
        other, _ = await _thread(layer, "nurse.two")
        assert await layer.get_element(other, summary.id) is None  # not in that chat
        assert await layer.get_element(thread_id, str(uuid.uuid4())) is None
        assert await layer.get_element(thread_id, "not-an-id") is None
        assert await layer.get_element("not-an-id", summary.id) is None

    run(go())


def test_delete_user_data_removes_every_chat_and_nothing_else(db: str) -> None:

    async def go() -> None:
        chat_session()
        layer = await _layer(db)
        mine, _ = await _thread(layer, "nurse.one")
        theirs, _ = await _thread(layer, "nurse.two")
        for thread_id in (mine, theirs):
            step = _step(thread_id, "assistant_message", "A reply.")
            await layer.create_step(step)
            await layer.upsert_feedback(Feedback(forId=step["id"], value=0, threadId=thread_id))
        assert await layer.delete_user_data("nurse.one") == 1
        assert await layer.get_thread(mine) is None
        assert await layer.get_thread(theirs) is not None
        # Late writes for a deleted chat (queued by Chainlit) do not bring it back.
        await layer.create_step(_step(mine, "user_message", "Late."))
        await layer.update_thread(mine, name="Late")
        assert await layer.get_thread(mine) is None

    run(go())
    assert count(db, "feedbacks") == 1
    assert count(db, "steps") == 1


def test_keep_step_answers_not_stored_for_an_id_the_database_cannot_hold(db: str) -> None:
    """``keep_step`` reads the step back by id: on PostgreSQL (UUID ids) an id that is
    not a UUID is simply not stored, never a database error; a real one is."""

    async def go() -> list[bool]:
        chat_session()
        layer = await _layer(db)
        thread_id, _ = await _thread(layer, "nurse.one")
        kept = [
            await layer.keep_step(_step(thread_id, "user_message", "A long night.", id=garbage))
            for garbage in ("not-a-uuid", f"urn:uuid:{uuid.uuid4()}")
        ]
        kept.append(await layer.keep_step(_step(thread_id, "user_message", "A long night.")))
        await layer.engine.dispose()
        return kept

    sqlite = db.startswith("sqlite")
    assert run(go()) == [sqlite, sqlite, True]  # SQLite's ids are any text


def test_a_chat_deleted_on_one_instance_takes_no_writes_on_another(db: str) -> None:
    """ "Delete my data" is kept in the chat database (``deleted_threads``), not only in
    the memory of the instance that did it: another instance on the same database
    refuses late writes to the deleted chats, and its chat says the data was deleted
    instead of starting the debrief afresh."""
    from coach.app.handlers import DebriefChat
    from coach.app.wording import AFTER_DELETE
    from coach.testing import fake_coach

    async def go() -> None:
        first = await _layer(db)
        second = DeidentifyingDataLayer(db)  # another instance: its own memory
        chat_session()
        mine, _ = await _thread(first, "nurse.one")
        await first.create_step(_step(mine, "user_message", "A long night."))
        assert not await second.forgotten(mine)

        assert await first.delete_user_data("nurse.one") == 1
        assert await second.forgotten(mine)
        await second.create_step(_step(mine, "user_message", "Late, on another instance."))
        await second.update_thread(mine, name="Late, on another instance")
        assert await second.keep_step(_step(mine, "user_message", "Kept?")) is True
        assert await second.get_thread(mine) is None

        # The chat open at the time (possibly not saved yet) is recorded too.
        current = str(uuid.uuid4())
        await first.forget(current)
        third = DeidentifyingDataLayer(db)
        await third.update_thread(current, name="A new start")
        assert await third.get_thread(current) is None

        # The chat itself, reopened on the other instance.
        emitter = chat_session("nurse.one", thread_id=mine)
        coach = fake_coach(with_knowledge=False)
        chat = DebriefChat(coach, data_layer=lambda: second)
        await chat.on_message(cl.Message(content="Still there?", type="user_message"))
        assert emitter.messages()[-1]["output"] == AFTER_DELETE
        assert coach.sessions_for("nurse.one") == []
        for layer in (first, second, third):
            await layer.engine.dispose()

    run(go())
    assert count(db, "steps") == 0 and count(db, "threads") == 0


def test_a_chat_database_the_chat_layer_creates_is_in_wal_mode(tmp_path: Path) -> None:
    """When the chat layer is the first to open ``coach.db`` (the file was missing and is
    back), it puts it in WAL mode at once, as the session store does, so the session store
    never needs the exclusive lock that switching modes takes while the chat layer has the
    file open (that wait timed out as "database is locked" under load)."""
    path = tmp_path / "coach.db"
    layer = DeidentifyingDataLayer(f"sqlite:///{path}")

    async def go() -> None:
        assert await layer.ensure_tables()
        await layer.engine.dispose()

    asyncio.run(go())
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
