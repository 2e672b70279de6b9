"""Starting while a service is down, with the real services: a ``chroma run`` server not
started yet, a PostgreSQL server holding every store stopped, and the SQLite database
(which holds the debrief state and the chat) unusable. "Escalation replies and resources
must never depend on the LLM, the vector store or the database being up."

Throughout: the coach starts (wired from settings, as ``coach run`` wires it); a crisis
message gets the full crisis reply with the locale's support lines; an ordinary message
gets the usual notice (no sources, or not saved: send it again); and once the service is
up, the next message works and is saved, without a restart. One case (the vector store)
runs through ``coach run`` and the chat socket, as a browser would.
"""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit.data as chainlit_data

from coach import database
from coach.app.client import CoachClient
from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.handlers import DebriefChat
from coach.app.localserver import FAST_ENV, LocalServer, ServerError
from coach.app.users import UsersFile
from coach.app.wording import SUPPORT_LABELS
from coach.educator.recorder import ThemeRecorder
from coach.engine import Coach, TurnResult
from coach.graph import (
    NO_SOURCES_NOTICE,
    NOT_SAVED_NOTICE,
    STORE_UNAVAILABLE_NOTICE,
    SUPPORT_NOT_SAVED_NOTICE,
    OutMessage,
)
from coach.responders.fakes import FixedResponder
from coach.settings import Settings
from coach.testing import fake_coach, fake_guard
from guardrails.escalation import Action
from tests.chroma_support import ChromaServer, _free_port
from tests.conftest import SHARED_SECRETS
from tests.postgres_support import PostgresCluster, create_database
from tests.test_faults import CITING, CRISIS, FEELINGS, TO_FEELINGS, notices, say, shown
from tests.test_faults_services import pg_ctl, postgres_cluster  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration

SID = "session-start-down-0001"
CRISIS_SID = "session-start-down-0002"
USER = "nurse.one"
FAST: dict[str, Any] = {"embedder": "hashing", "risk_classifier": "rules"}
AFTER = "It's back now; I think what stays with me is the guilt."


def expected_crisis(locale: str) -> OutMessage:
    """The crisis reply a coach with every part up gives to ``CRISIS`` in ``locale``."""
    coach = fake_coach(guard=fake_guard(locale=locale))
    coach.start(SID)
    [reply] = [m for m in coach.turn(SID, CRISIS).messages if m.kind == "escalation"]
    return reply


def assert_full_crisis_reply(result: TurnResult, locale: str) -> None:
    [reply] = [m for m in result.messages if m.kind == "escalation"]
    healthy = expected_crisis(locale)
    assert (reply.text, reply.resources, reply.actions) == (
        healthy.text,
        healthy.resources,
        healthy.actions,
    )
    assert reply.resources, "the locale's support lines"
    assert result.support_active


def clinician_texts(coach: Coach) -> list[str]:
    state = coach.load(SID, user_id=USER)
    assert state is not None
    return [t.text for t in state.turns if t.role == "clinician"]


# --- the vector store: a chroma server not running when the coach starts ---------------------


@pytest.fixture
def chroma_later(tmp_path: Path) -> Iterator[ChromaServer]:
    """A Chroma server's folder and port, not started: the test starts it."""
    server = ChromaServer(tmp_path / "chroma-server", _free_port())
    try:
        yield server
    finally:
        server.stop()


def test_the_coach_starts_while_the_chroma_server_is_down(
    chroma_later: ChromaServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = chroma_later.settings(tmp_path / "data", chroma_retry_after_seconds=2, **FAST)
    with caplog.at_level(logging.WARNING, logger="knowledge.store"):
        coach = Coach.from_settings(settings)
    assert "COACH_CHROMA_HOST" in caplog.text, "the log names the setting to check"
    coach.deps.responder = FixedResponder([CITING])  # cites its first passage, if any

    coach.start(SID, user_id=USER)
    for message in TO_FEELINGS:
        coach.turn(SID, message, user_id=USER)
    down = coach.turn(SID, FEELINGS, user_id=USER)
    assert down.stage == "feelings" and down.messages[-1].kind == "reply"
    assert down.sources == () and notices(down) == [NO_SOURCES_NOTICE]
    coach.start(CRISIS_SID, user_id=USER)  # another clinician's debrief, in crisis
    assert_full_crisis_reply(coach.turn(CRISIS_SID, CRISIS, user_id=USER), settings.locale)

    chroma_later._launch()  # the operator starts it; the coach is not restarted
    time.sleep(2)  # a failed store is left alone for chroma_retry_after_seconds
    back = coach.turn(SID, "Mostly sad, I think.", user_id=USER)
    assert notices(back) == []
    assert [s.id for s in back.sources] == ["S1"], "the cards were indexed on first use"
    assert FEELINGS in clinician_texts(coach)


# --- PostgreSQL (every store) stopped before the coach starts ------------------------------


@pytest.mark.postgres
def test_the_coach_starts_while_postgres_is_down(
    postgres_cluster: PostgresCluster,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = create_database(postgres_cluster.url)
    settings = Settings(data_dir=tmp_path / "data", database_url=url, **FAST, **SHARED_SECRETS)  # type: ignore[arg-type]
    chat_url = database.async_url(url)
    database.dispose_engines()
    pg_ctl(postgres_cluster, "stop", "--mode", "fast")
    try:
        coach = Coach.from_settings(settings)
        themes = ThemeRecorder.from_settings(settings)
        coach.deps.on_saved = themes.on_saved
        opened = coach.start(SID, user_id=USER)
        assert [m.text for m in opened.messages] == [STORE_UNAVAILABLE_NOTICE]
        down = coach.turn(SID, TO_FEELINGS[0], user_id=USER)
        assert [m.text for m in down.messages] == [NOT_SAVED_NOTICE]
        crisis = coach.turn(SID, CRISIS, user_id=USER)
        assert_full_crisis_reply(crisis, settings.locale)
        assert notices(crisis) == [SUPPORT_NOT_SAVED_NOTICE]

        # The chat app on the same database, started while it is down.
        layer = DeidentifyingDataLayer(chat_url)
        monkeypatch.setattr(chainlit_data, "_data_layer", layer)
        monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
        app_coach = Coach.from_settings(settings)
        app_coach.deps.responder = FixedResponder(["Go on, I'm listening."])
        chat = DebriefChat(app_coach, data_layer=lambda: layer)

        async def during() -> str:
            assert not await layer.ensure_tables()  # the app's start-up: a warning
            emitter = chat_session(USER)
            await say(chat, TO_FEELINGS[0])
            assert shown(emitter)[-1] == NOT_SAVED_NOTICE
            await say(chat, CRISIS)
            assert expected_crisis(settings.locale).text in shown(emitter)
            assert SUPPORT_LABELS[Action.SHOW_RESOURCES] in emitter.labels()
            await layer.engine.dispose()
            return chat.session_id()

        thread_id = asyncio.run(during())
    finally:
        pg_ctl(postgres_cluster, "start")

    # Back, without a restart: the engine and the chat app save again.
    assert coach.start(SID, user_id=USER).messages[-1].kind == "reply"
    after = coach.turn(SID, TO_FEELINGS[0], user_id=USER)
    assert after.messages[-1].kind == "reply" and notices(after) == []
    assert clinician_texts(coach) == [TO_FEELINGS[0]]

    async def back() -> None:
        emitter = chat_session(USER, thread_id=thread_id)  # the same chat, still open
        await say(chat, AFTER)
        assert shown(emitter)[-1] == "Go on, I'm listening."
        thread = await layer.get_thread(chat.session_id())
        assert thread is not None
        said = [s["output"] for s in thread["steps"] if s["type"] == "user_message"]
        assert said == [AFTER]
        await layer.engine.dispose()

    asyncio.run(back())
    database.dispose_engines()


# --- the SQLite database unusable when the coach starts ---------------------------------------


def test_the_coach_starts_while_the_sqlite_database_is_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``coach.db`` (the debrief state and the chat) is a directory when the coach
    starts, as when a volume is mounted wrongly; it is put right while the coach runs."""
    settings = Settings(data_dir=tmp_path / "data", **FAST)
    settings.sqlite_path.mkdir(parents=True)
    with caplog.at_level(logging.WARNING):
        coach = Coach.from_settings(settings)
    assert "COACH_DATA_DIR" in caplog.text, "the log names the setting to check"
    layer = DeidentifyingDataLayer(settings.async_database_url)
    monkeypatch.setattr(chainlit_data, "_data_layer", layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    coach.deps.responder = FixedResponder(["Go on, I'm listening."])
    chat = DebriefChat(coach, data_layer=lambda: layer)

    async def go() -> str:
        with caplog.at_level(logging.WARNING):
            assert not await layer.ensure_tables()  # the app's start-up: a warning
        assert "COACH_DATABASE_URL" in caplog.text
        emitter = chat_session(USER)
        await say(chat, TO_FEELINGS[1])
        assert shown(emitter)[-1] == NOT_SAVED_NOTICE
        await say(chat, CRISIS)
        assert expected_crisis(settings.locale).text in shown(emitter)
        assert shown(emitter)[-1] == SUPPORT_NOT_SAVED_NOTICE

        settings.sqlite_path.rmdir()  # put right; the coach is not restarted
        await say(chat, AFTER)
        assert shown(emitter)[-1] == "Go on, I'm listening."
        thread = await layer.get_thread(chat.session_id())
        assert thread is not None
        said = [s["output"] for s in thread["steps"] if s["type"] == "user_message"]
        assert said == [AFTER]
        await layer.engine.dispose()
        return chat.session_id()

    session = asyncio.run(go())
    state = coach.load(session)
    assert state is not None
    assert [t.text for t in state.turns if t.role == "clinician"] == [AFTER]


# --- through `coach run` and the chat socket: the chroma server down at start ----------------

PASSWORD = "a start-up test password"
TIMEOUT_S = 30.0


async def debrief_over_the_socket(server: LocalServer, chroma: ChromaServer) -> None:
    async with CoachClient(server.url, timeout=TIMEOUT_S) as client:
        await client.sign_in(USER, PASSWORD)
        chat = await client.open()
        for message in TO_FEELINGS:
            reply = await chat.send(message)
            assert reply.acknowledged and reply.text.strip() and not reply.errors
        down = await chat.send(FEELINGS)
        assert NO_SOURCES_NOTICE in down.text, down.text
        assert "End debrief" in down.labels
        other = await client.open()  # a second debrief, in crisis
        crisis = await other.send(CRISIS)
        assert expected_crisis("US").text in crisis.text
        assert crisis.labels == ["See human support options", "I'm safe, continue"]

        await asyncio.to_thread(chroma._launch)  # started while the coach runs
        await asyncio.sleep(2)  # a failed store is left alone for its retry window
        back = await chat.send("Mostly sad, I think, and tired.")
        assert back.text.strip() and not back.errors
        assert NO_SOURCES_NOTICE not in back.text, "the store is used again"
        assert "End debrief" in back.labels


def test_coach_run_starts_and_answers_while_the_chroma_server_is_down(
    chroma_later: ChromaServer, tmp_path: Path
) -> None:
    data = tmp_path / "app"
    UsersFile(data / "users.yaml").add(USER, PASSWORD, "clinician")
    env = {
        **FAST_ENV,
        "COACH_CHROMA_HOST": "127.0.0.1",
        "COACH_CHROMA_PORT": str(chroma_later.port),
        "COACH_COLLECTION": "start-down",
        "COACH_CHROMA_RETRY_AFTER_SECONDS": "2",
    }
    server = LocalServer(data, env=env)
    try:
        server.start()
        asyncio.run(debrief_over_the_socket(server, chroma_later))
        assert "COACH_CHROMA_HOST" in server.log_tail(200_000)
    except ServerError as exc:
        pytest.fail(str(exc))
    finally:
        server.stop()


def test_coach_run_goes_on_when_postgres_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coach run` checks for a first account before serving; with the database down it
    warns (naming the setting) and starts the server anyway, instead of stopping."""
    from typer.testing import CliRunner

    from coach.cli import app

    started: list[list[str]] = []
    monkeypatch.setattr(os, "execve", lambda exe, argv, env: started.append(argv))
    env = {
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_DATABASE_URL": "postgresql://coach:secret-pw@127.0.0.1:9/coach",
        "COACH_AUTH_SECRET": "a" * 48,
        "COACH_THEME_KEY": "t" * 48,
        "COACH_CHROMA_HOST": "127.0.0.1",
    }
    result = CliRunner().invoke(app, ["run", "--port", "8123"], env=env)
    assert result.exit_code == 0, result.output
    assert started and "chainlit" in started[0]
    assert "COACH_DATABASE_URL" in result.stderr and "secret-pw" not in result.output
