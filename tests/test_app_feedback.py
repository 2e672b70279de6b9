"""Thumbs up or down: only on replies in one's own chats, checked in the data layer and
on Chainlit's real ``/feedback`` routes."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

from chainlit.types import Feedback
from chainlit.user import User

from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.feedback import (
    FeedbackRefused,
    check_feedback_delete,
    checked_feedback,
    guard_feedback_routes,
)
from coach.app.schema import ensure_schema
from coach.settings import Settings


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Chats:
    """Two clinicians, each with one chat holding a coach reply."""

    def __init__(self, layer: DeidentifyingDataLayer) -> None:
        self.layer = layer
        self.thread: dict[str, str] = {}
        self.reply: dict[str, str] = {}

    async def add(self, identifier: str) -> None:
        user = await self.layer.create_user(User(identifier=identifier, metadata={}))
        assert user is not None
        thread_id = str(uuid.uuid4())
        await self.layer.update_thread(thread_id, name="A hard night", user_id=user.id)
        reply_id = str(uuid.uuid4())
        await self.layer.create_step(
            {
                "id": reply_id,
                "threadId": thread_id,
                "type": "assistant_message",
                "name": "Debrief Coach",
                "output": "That sounds like a heavy shift.",
                "streaming": False,
                "metadata": {},
                "createdAt": "2026-01-01T00:00:00Z",
            }
        )
        self.thread[identifier], self.reply[identifier] = thread_id, reply_id


async def _chats(tmp_path: Path) -> Chats:
    return await _chats_at(f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}")


async def _chats_at(url: str) -> Chats:
    chat_session()
    await ensure_schema(url)
    chats = Chats(DeidentifyingDataLayer(url))
    for identifier in ("nurse.one", "nurse.two"):
        await chats.add(identifier)
    return chats


def test_feedback_is_filed_under_the_raters_own_chat(tmp_path: Path) -> None:
    async def go() -> None:
        chats = await _chats(tmp_path)
        me = User(identifier="nurse.one")
        # the request names someone else's chat: the feedback goes to the reply's own chat
        asked = Feedback(
            forId=chats.reply["nurse.one"], value=1, threadId=chats.thread["nurse.two"]
        )
        checked = await checked_feedback(chats.layer, me, asked)
        assert checked.threadId == chats.thread["nurse.one"]
        stored_id = await chats.layer.upsert_feedback(checked)
        assert await chats.layer.feedback_author(stored_id) == (True, "nurse.one")
        await check_feedback_delete(chats.layer, me, stored_id)

    run(go())


def test_feedback_on_another_clinicians_chat_is_refused(tmp_path: Path) -> None:
    async def go() -> None:
        chats = await _chats(tmp_path)
        me, them = User(identifier="nurse.one"), User(identifier="nurse.two")
        theirs = Feedback(forId=chats.reply["nurse.two"], value=0)
        with pytest.raises(FeedbackRefused) as refused:
            await checked_feedback(chats.layer, me, theirs)
        assert refused.value.status == 403
        # their own rating, which I then try to overwrite (by id) or remove
        stored = await chats.layer.upsert_feedback(
            await checked_feedback(chats.layer, them, theirs)
        )
        hijack = Feedback(forId=chats.reply["nurse.one"], value=1, id=stored)
        with pytest.raises(FeedbackRefused):
            await checked_feedback(chats.layer, me, hijack)
        with pytest.raises(FeedbackRefused):
            await check_feedback_delete(chats.layer, me, stored)
        with pytest.raises(FeedbackRefused) as missing:
            await checked_feedback(chats.layer, me, Feedback(forId="no-such-step", value=1))
        assert missing.value.status == 404
        with pytest.raises(FeedbackRefused) as anonymous:
            await checked_feedback(chats.layer, None, theirs)
        assert anonymous.value.status == 401

    run(go())


@pytest.fixture
def signed_in_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Chainlit's own FastAPI app with password sign-in, our data layer and the guard."""
    import chainlit.data as chainlit_data
    from chainlit.config import config
    from chainlit.server import app
    from fastapi.testclient import TestClient

    chats = run(_chats(tmp_path))
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "x" * 48)
    monkeypatch.setattr(config.code, "password_auth_callback", lambda *_: None)
    monkeypatch.setattr(chainlit_data, "_data_layer", chats.layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    routes = list(app.router.routes)
    guard_feedback_routes(app, lambda: chats.layer)
    try:
        yield TestClient(app), chats
    finally:
        app.router.routes[:] = routes


def _headers(identifier: str) -> dict[str, str]:
    from chainlit.auth import create_jwt

    return {"Authorization": f"Bearer {create_jwt(User(identifier=identifier))}"}


def test_the_real_feedback_routes_are_checked(signed_in_app: Any) -> None:
    client, chats = signed_in_app
    theirs = {"feedback": {"forId": chats.reply["nurse.two"], "value": 0}, "sessionId": "s"}
    refused = client.put("/feedback", json=theirs, headers=_headers("nurse.one"))
    assert refused.status_code == 403, refused.text
    assert "own debriefs" in refused.json()["detail"]

    mine = {"feedback": {"forId": chats.reply["nurse.one"], "value": 1}, "sessionId": "s"}
    accepted = client.put("/feedback", json=mine, headers=_headers("nurse.one"))
    assert accepted.status_code == 200, accepted.text
    feedback_id = accepted.json()["feedbackId"]
    assert run(chats.layer.feedback_author(feedback_id)) == (True, "nurse.one")

    body = {"feedbackId": feedback_id}
    other = client.request("DELETE", "/feedback", json=body, headers=_headers("nurse.two"))
    assert other.status_code == 403
    assert run(chats.layer.feedback_author(feedback_id)) == (True, "nurse.one")
    own = client.request("DELETE", "/feedback", json=body, headers=_headers("nurse.one"))
    assert own.status_code == 200
    assert run(chats.layer.feedback_author(feedback_id)) == (False, None)
    assert client.put("/feedback", json=mine).status_code == 401


GARBAGE_IDS = (
    "not-a-uuid",
    "1 OR 1=1",
    "",
    "00000000-0000-0000-0000",
    f"urn:uuid:{uuid.UUID(int=7)}",
    f"{{{uuid.UUID(int=7)}}}",
)


def test_garbage_ids_are_not_found_on_each_backend(backend_settings: Settings) -> None:
    """PostgreSQL's ids are UUIDs: a lookup of anything else is "not found" (on SQLite
    too), never a database error."""

    async def go() -> None:
        chats = await _chats_at(backend_settings.async_database_url)
        layer, me = chats.layer, User(identifier="nurse.one")
        try:
            for garbage in GARBAGE_IDS:
                assert await layer.step_thread(garbage) is None, garbage
                assert await layer.feedback_author(garbage) == (False, None), garbage
                with pytest.raises(FeedbackRefused) as missing:
                    await checked_feedback(layer, me, Feedback(forId=garbage, value=1))
                assert missing.value.status == 404
                with pytest.raises(FeedbackRefused) as gone:
                    await check_feedback_delete(layer, me, garbage)
                assert gone.value.status == 404
            # the real ids still resolve, so the answers above are not a blanket "no"
            found = await layer.step_thread(chats.reply["nurse.one"])
            assert found == (chats.thread["nurse.one"], "nurse.one")
        finally:
            await layer.engine.dispose()

    run(go())


def test_the_feedback_routes_answer_404_for_garbage_ids_on_each_backend(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chainlit's app, called in the same event loop as the database's connections (so
    PostgreSQL's pool is usable): a made-up id is 404, not a 500."""
    import chainlit.data as chainlit_data
    import httpx
    from chainlit.config import config
    from chainlit.server import app

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "x" * 48)
    monkeypatch.setattr(config.code, "password_auth_callback", lambda *_: None)

    async def go() -> list[int]:
        chats = await _chats_at(backend_settings.async_database_url)
        monkeypatch.setattr(chainlit_data, "_data_layer", chats.layer)
        monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = _headers("nurse.one")
        statuses: list[int] = []
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://coach") as http:
                for garbage in GARBAGE_IDS:
                    body = {"feedback": {"forId": garbage, "value": 1}, "sessionId": "s"}
                    put = await http.put("/feedback", json=body, headers=headers)
                    gone = {"feedbackId": garbage}
                    deleted = await http.request("DELETE", "/feedback", json=gone, headers=headers)
                    statuses += [put.status_code, deleted.status_code]
                mine = {
                    "feedback": {"forId": chats.reply["nurse.one"], "value": 1},
                    "sessionId": "s",
                }
                statuses.append(
                    (await http.put("/feedback", json=mine, headers=headers)).status_code
                )
        finally:
            await chats.layer.engine.dispose()
        return statuses

    routes = list(app.router.routes)
    guard_feedback_routes(app, lambda: chainlit_data._data_layer)  # type: ignore[arg-type,return-value]
    try:
        assert run(go()) == [404] * (2 * len(GARBAGE_IDS)) + [200]
    finally:
        app.router.routes[:] = routes
