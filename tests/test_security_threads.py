"""Security, point 2: a clinician's debriefs are theirs alone. Another clinician who knows a
thread's id (or one of its elements' ids) cannot read, list, rename, delete, share, resume,
download, change or remove it through any of Chainlit's routes that take such an id (REST
and the socket's resume path), and a caller who is not signed in gets 401.

Feedback on another clinician's replies is refused by the tests in
``tests/test_app_feedback.py``; the debrief engine's own check (a session belongs to its
account) by ``tests/test_app_handlers.py::test_another_accounts_session_is_refused``."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit as cl
from chainlit.user import User

from coach.app import wording
from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.feedback import guard_feedback_routes
from coach.app.handlers import DebriefChat
from coach.app.ownership import guard_thread_routes
from coach.app.schema import ensure_schema
from coach.engine import Coach
from coach.responders.fakes import FixedResponder
from coach.settings import Settings
from coach.testing import fake_coach
from tests.test_app_feedback import Chats, _chats, _headers

ME, THEM = "nurse.one", "nurse.two"
SUMMARY = b"# Debrief summary\n\nA night on the ward that nurse.two wants to keep."


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@dataclass
class Scene:
    """Chainlit's app with our data layer and guards; two clinicians with a chat each (a
    coach reply and its summary file)."""

    http: Any
    chats: Chats
    element: dict[str, str]  # identifier -> id of the summary file in their chat

    @property
    def layer(self) -> DeidentifyingDataLayer:
        return self.chats.layer

    def thread(self, identifier: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = run(self.layer.get_thread(self.chats.thread[identifier]))
        return found


async def _with_summaries(tmp_path: Path) -> tuple[Chats, dict[str, str]]:
    chats = await _chats(tmp_path)
    elements: dict[str, str] = {}
    for identifier in (ME, THEM):
        summary = cl.File(name="debrief-summary.md", content=SUMMARY, mime="text/markdown")
        summary.thread_id = chats.thread[identifier]
        summary.for_id = chats.reply[identifier]
        await chats.layer.create_element(summary)
        elements[identifier] = summary.id
    return chats, elements


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    """The routes as ``coach.app.main`` installs them, over a fresh chat database."""
    import chainlit.data as chainlit_data
    from chainlit.config import config
    from chainlit.server import app
    from fastapi.testclient import TestClient

    chats, elements = run(_with_summaries(tmp_path))
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "x" * 48)
    monkeypatch.setattr(config.code, "password_auth_callback", lambda *_: None)
    monkeypatch.setattr(chainlit_data, "_data_layer", chats.layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
    routes = list(app.router.routes)
    guard_feedback_routes(app, lambda: chats.layer)
    guard_thread_routes(app, lambda: chats.layer)
    try:
        yield Scene(TestClient(app), chats, elements)
    finally:
        app.router.routes[:] = routes


def _requests(scene: Scene, thread_id: str, element_id: str) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every Chainlit route that names a thread or element."""
    chats = scene.chats
    element = _custom_element(element_id, thread_id, chats.reply[THEM])
    return [
        ("GET", f"/project/thread/{thread_id}", None),
        ("GET", f"/project/thread/{thread_id}/element/{element_id}", None),
        ("GET", f"/project/share/{thread_id}", None),
        ("POST", "/project/threads", {"pagination": {"first": 20}, "filter": {}}),
        ("PUT", "/project/thread", {"threadId": thread_id, "name": "renamed"}),
        ("PUT", "/project/thread/share", {"threadId": thread_id, "isShared": True}),
        ("DELETE", "/project/thread", {"threadId": thread_id}),
        ("PUT", "/project/element", {"sessionId": "s", "element": element}),
        ("DELETE", "/project/element", {"sessionId": "s", "element": element}),
        (
            "PUT",
            "/feedback",
            {"feedback": {"forId": chats.reply[THEM], "value": 1}, "sessionId": "s"},
        ),
        ("DELETE", "/feedback", {"feedbackId": str(uuid.uuid4())}),
    ]


def _custom_element(element_id: str, thread_id: str, for_id: str) -> dict[str, Any]:
    return {
        "id": element_id,
        "type": "custom",
        "threadId": thread_id,
        "forId": for_id,
        "name": "SupportOptions",
        "display": "inline",
        "props": {"intro": "changed by someone else"},
    }


def test_a_caller_who_is_not_signed_in_gets_401_everywhere(scene: Scene) -> None:
    theirs = scene.chats.thread[THEM]
    for method, path, body in _requests(scene, theirs, scene.element[THEM]):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            answer = scene.http.request(method, path, json=body, headers=headers)
            assert answer.status_code == 401, (method, path, answer.text)
            assert "heavy shift" not in answer.text
    assert scene.thread(THEM) is not None


def test_another_clinician_cannot_read_list_rename_or_delete_a_thread(scene: Scene) -> None:
    http, me = scene.http, _headers(ME)
    theirs, their_element = scene.chats.thread[THEM], scene.element[THEM]
    read = http.get(f"/project/thread/{theirs}", headers=me)
    assert read.status_code == 401 and "heavy shift" not in read.text
    # the same requests do work for the chat's author, so the refusals above are real
    assert "heavy shift" in http.get(f"/project/thread/{theirs}", headers=_headers(THEM)).text

    listed = http.post(
        "/project/threads",
        json={"pagination": {"first": 50}, "filter": {"userId": "anyone"}},
        headers=me,
    )
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["data"]] == [scene.chats.thread[ME]]

    rename = {"threadId": theirs, "name": "read by nurse.one"}
    assert http.put("/project/thread", json=rename, headers=me).status_code == 401
    deleted = http.request("DELETE", "/project/thread", json={"threadId": theirs}, headers=me)
    assert deleted.status_code == 401
    kept = scene.thread(THEM)
    assert kept is not None and kept["name"] == "A hard night"
    assert [e["id"] for e in kept["elements"] or []] == [their_element]


def test_another_clinicians_elements_cannot_be_downloaded(scene: Scene) -> None:
    http, me = scene.http, _headers(ME)
    theirs, their_element = scene.chats.thread[THEM], scene.element[THEM]
    direct = http.get(f"/project/thread/{theirs}/element/{their_element}", headers=me)
    assert direct.status_code == 401 and "base64" not in direct.text
    # through my own thread's id: the element is looked up within that thread only
    mine = scene.chats.thread[ME]
    sideways = http.get(f"/project/thread/{mine}/element/{their_element}", headers=me)
    assert sideways.status_code == 200 and sideways.json() is None
    # the author does get it, with the thread and on its own
    own = http.get(f"/project/thread/{theirs}", headers=_headers(THEM)).json()
    assert [e["url"][:19] for e in own["elements"]] == ["data:text/markdown;"]
    assert _downloaded(http, theirs, their_element, THEM) == SUMMARY


def _downloaded(http: Any, thread_id: str, element_id: str, identifier: str) -> bytes:
    """The file ``GET /project/thread/{id}/element/{eid}`` gives ``identifier``, decoded
    from the ``data:`` URL the browser downloads."""
    path = f"/project/thread/{thread_id}/element/{element_id}"
    answer = http.get(path, headers=_headers(identifier))
    assert answer.status_code == 200, answer.text
    element = answer.json()
    assert element["name"] == "debrief-summary.md" and element["props"] == {}
    head, _, payload = str(element["url"]).partition(",")
    assert head == "data:text/markdown;base64"
    return base64.b64decode(payload)


def test_the_author_downloads_their_own_summary_file(scene: Scene) -> None:
    """The file the coach attaches at End debrief (no ``props``): Chainlit's element
    route reads it for its author, and only for them."""
    for identifier in (ME, THEM):
        thread_id, element_id = scene.chats.thread[identifier], scene.element[identifier]
        assert _downloaded(scene.http, thread_id, element_id, identifier) == SUMMARY
    mine, theirs = scene.chats.thread[ME], scene.chats.thread[THEM]
    refused = scene.http.get(f"/project/thread/{theirs}/element/{scene.element[THEM]}")
    assert refused.status_code == 401 and "base64" not in refused.text
    unknown = scene.http.get(f"/project/thread/{mine}/element/{uuid.uuid4()}", headers=_headers(ME))
    assert unknown.status_code == 200 and unknown.json() is None


def test_another_clinicians_session_files_cannot_be_downloaded(scene: Scene) -> None:
    """Files Chainlit keeps for a browser session (the summary, before it is stored)."""
    from chainlit.session import WebsocketSession

    session = _socket_session(THEM, scene.chats.thread[THEM])
    try:
        kept = run(session.persist_file(name="s.md", mime="text/markdown", content=SUMMARY))
        path = f"/project/file/{kept['id']}?session_id={session.id}"
        theirs = scene.http.get(path, headers=_headers(ME))
        assert theirs.status_code == 401 and SUMMARY not in theirs.content
        assert scene.http.get(path).status_code == 401
        assert scene.http.get(path, headers=_headers(THEM)).content == SUMMARY
    finally:
        run(WebsocketSession.delete(session))  # type: ignore[no-untyped-call]


def test_sharing_is_off_so_no_one_reads_a_chat_by_a_share_link(scene: Scene) -> None:
    http = scene.http
    mine, theirs = scene.chats.thread[ME], scene.chats.thread[THEM]
    # the author cannot share (the chat's config has allow_thread_sharing = false)...
    share = {"threadId": theirs, "isShared": True}
    refused = http.put("/project/thread/share", json=share, headers=_headers(THEM))
    assert refused.status_code == 403, refused.text
    assert "not shared" in refused.json()["detail"]
    assert "is_shared" not in str((scene.thread(THEM) or {}).get("metadata"))
    # ...and a chat marked shared some other way is still not served to anyone else
    run(scene.layer.update_thread(theirs, metadata={"is_shared": True}))
    for who in (ME, THEM):
        link = http.get(f"/project/share/{theirs}", headers=_headers(who))
        assert link.status_code == 404 and "heavy shift" not in link.text
    assert http.get(f"/project/share/{mine}", headers=_headers(ME)).status_code == 404


def _socket_session(identifier: str, thread_id: str | None = None) -> Any:
    from chainlit.session import WebsocketSession

    async def emit(event: str, data: Any) -> None:
        return None

    async def emit_call(event: str, data: Any, timeout: Any) -> None:
        return None

    session = WebsocketSession(
        id=str(uuid.uuid4()),
        socket_id=str(uuid.uuid4()),
        emit=emit,  # type: ignore[arg-type]
        emit_call=emit_call,
        user_env={},
        client_type="webapp",
        user=User(identifier=identifier, metadata={"role": "clinician"}),
        thread_id=thread_id,
    )
    session.has_first_interaction = True
    return session


def test_another_clinicians_elements_cannot_be_changed_or_removed(scene: Scene) -> None:
    from chainlit.session import WebsocketSession

    http, me = scene.http, _headers(ME)
    theirs, their_element = scene.chats.thread[THEM], scene.element[THEM]
    session = _socket_session(ME, scene.chats.thread[ME])
    try:
        change = _custom_element(their_element, theirs, scene.chats.reply[THEM])
        body = {"sessionId": session.id, "element": change}
        updated = http.put("/project/element", json=body, headers=me)
        assert updated.status_code == 403, updated.text
        removed = http.request("DELETE", "/project/element", json=body, headers=me)
        assert removed.status_code == 403, removed.text
        # named under my own chat, the id still points at their element
        moved = {**change, "threadId": scene.chats.thread[ME], "forId": scene.chats.reply[ME]}
        body = {"sessionId": session.id, "element": moved}
        assert http.put("/project/element", json=body, headers=me).status_code == 403
        assert http.request("DELETE", "/project/element", json=body, headers=me).status_code == 403
        # a new element planted in their chat
        planted = _custom_element(str(uuid.uuid4()), theirs, scene.chats.reply[THEM])
        body = {"sessionId": session.id, "element": planted}
        assert http.put("/project/element", json=body, headers=me).status_code == 403
    finally:
        run(WebsocketSession.delete(session))  # type: ignore[no-untyped-call]
    kept = scene.thread(THEM)
    assert kept is not None
    elements = kept["elements"] or []
    assert [(e["id"], e["name"]) for e in elements] == [(their_element, "debrief-summary.md")]


def test_a_clinician_still_changes_and_removes_elements_of_their_own_chat(scene: Scene) -> None:
    from chainlit.session import WebsocketSession

    mine, reply = scene.chats.thread[ME], scene.chats.reply[ME]
    session = _socket_session(ME, mine)
    try:
        own = _custom_element(str(uuid.uuid4()), mine, reply)
        body = {"sessionId": session.id, "element": own}
        assert scene.http.put("/project/element", json=body, headers=_headers(ME)).json() == {
            "success": True
        }
        removed = scene.http.request("DELETE", "/project/element", json=body, headers=_headers(ME))
        assert removed.status_code == 200 and removed.json() == {"success": True}
    finally:
        run(WebsocketSession.delete(session))  # type: ignore[no-untyped-call]


def _connect(identifier: str | None, thread_id: str) -> Any:
    from chainlit.auth import create_jwt
    from chainlit.socket import connect

    environ: dict[str, str] = {}
    if identifier is not None:
        environ["HTTP_COOKIE"] = f"access_token={create_jwt(User(identifier=identifier))}"
    auth = {
        "sessionId": str(uuid.uuid4()),
        "threadId": thread_id,
        "clientType": "webapp",
        "userEnv": "{}",
        "chatProfile": None,
    }
    return run(connect(str(uuid.uuid4()), environ, auth))


def test_the_socket_refuses_to_resume_another_clinicians_thread(scene: Scene) -> None:
    from chainlit.session import WebsocketSession
    from chainlit.socket import resume_thread

    theirs = scene.chats.thread[THEM]
    with pytest.raises(ConnectionRefusedError, match="authorization failed"):
        _connect(ME, theirs)
    with pytest.raises(ConnectionRefusedError, match="authentication failed"):
        _connect(None, theirs)
    assert _connect(THEM, theirs) is True  # the author may
    # and the resume step itself hands another clinician's thread to no one
    session = _socket_session(ME, theirs)
    try:
        assert run(resume_thread(session)) is None
    finally:
        run(WebsocketSession.delete(session))  # type: ignore[no-untyped-call]


def test_resuming_another_clinicians_debrief_is_refused_by_the_chat() -> None:
    """Past Chainlit, the chat's resume hook checks the debrief's account too."""

    async def go() -> None:
        coach: Coach = fake_coach(responder=FixedResponder(("Go on.",)))
        chat = DebriefChat(coach)
        chat_session(THEM, thread_id="their-debrief")
        await chat.on_message(cl.Message(content="A patient died.", author=THEM))
        emitter = chat_session(ME, thread_id="my-browser")
        await chat.on_chat_resume({"id": "their-debrief"})  # type: ignore[typeddict-item]
        assert [m["output"] for m in emitter.messages()] == [wording.NOT_YOURS]
        assert emitter.actions() == []

    run(go())


def test_ownership_lookups_on_each_backend(backend_settings: Settings) -> None:
    """The checks' queries on SQLite and PostgreSQL (UUID columns): a made-up id is
    simply not found."""
    url = backend_settings.async_database_url

    async def go() -> list[tuple[bool, str | None]]:
        chat_session()
        await ensure_schema(url)
        layer = DeidentifyingDataLayer(url)
        user = await layer.create_user(User(identifier=THEM, metadata={}))
        assert user is not None
        thread_id, reply_id = str(uuid.uuid4()), str(uuid.uuid4())
        await layer.update_thread(thread_id, name="A hard night", user_id=user.id)
        await layer.create_step(
            {
                "id": reply_id,
                "threadId": thread_id,
                "type": "assistant_message",
                "name": "Coach",
                "output": "That sounds like a heavy shift.",
                "streaming": False,
                "metadata": {},
                "createdAt": "2026-01-01T00:00:00Z",
            }
        )
        summary = cl.File(name="debrief-summary.md", content=SUMMARY, mime="text/markdown")
        summary.thread_id, summary.for_id = thread_id, reply_id
        await layer.create_element(summary)
        found = [
            await layer.thread_author(thread_id),
            await layer.element_author(summary.id),
            await layer.thread_author(str(uuid.uuid4())),
            await layer.element_author(str(uuid.uuid4())),
            await layer.thread_author("not-an-id"),
            await layer.element_author("not-an-id"),
        ]
        await layer.engine.dispose()
        return found

    assert run(go()) == [(True, THEM), (True, THEM)] + [(False, None)] * 4
