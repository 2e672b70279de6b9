"""A clinician's side of the chat app, spoken over its own protocol without a browser:
password sign-in at ``/login``, then Chainlit's socket.io connection at ``/ws/socket.io``
the way the web page opens it. The load benchmark (``benchmarks/load.py``) and the
end-to-end tests use it.

- A message is a ``client_message`` that the server acknowledges (the coach's app only
  acknowledges it once it is saved, see ``coach.app.handlers.on_client_message``), then
  the coach's messages, then ``task_end``.
- A button is a POST to ``/project/action``; its answer comes back over the socket.
- What the page would show is kept per message id, so a streamed reply ends as its final
  text, and buttons disappear when the server removes them.

Usage::

    async with CoachClient("http://127.0.0.1:8000") as client:
        await client.sign_in("sam", "a long password")
        chat = await client.open()
        reply = await chat.send("A patient died on my shift last night.")
        summary = await chat.press("End debrief")
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
import socketio  # type: ignore[import-untyped]

SOCKET_PATH = "/ws/socket.io"
AUTH_COOKIE = "access_token"
DEFAULT_TIMEOUT_S = 30.0
ERROR_AUTHOR = "Error"  # Chainlit's message when a hook raised

# How long `send` waits: the complete answer, the server's acknowledgement only, or the
# first piece of the answer on screen (an answer in flight).
Until = Literal["reply", "acknowledged", "streaming"]


class CoachClientError(RuntimeError):
    """The chat app refused something, or did not answer as the page expects."""


class ReplyTimeout(CoachClientError):
    """No complete answer within the timeout."""


@dataclass(frozen=True)
class ShownMessage:
    """A message as the page shows it now (the latest version of its id)."""

    id: str
    author: str
    type: str
    text: str
    is_error: bool = False


@dataclass(frozen=True)
class ShownAction:
    """A button on screen; ``raw`` is what the page posts back when it is pressed."""

    id: str
    name: str
    label: str
    for_id: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Reply:
    """The coach's answer to one message or button press.

    ``text`` joins the coach's messages that arrived or changed during the turn;
    ``acknowledged`` says the server acknowledged the message (a pressed button counts as
    acknowledged when the server accepted it); ``complete`` says the answer finished
    (``False`` when ``send`` returned earlier on purpose); ``latency_s`` runs from sending
    to the moment ``send`` returned.
    """

    text: str
    messages: tuple[ShownMessage, ...]
    actions: tuple[ShownAction, ...]
    acknowledged: bool
    complete: bool
    latency_s: float
    message_id: str | None = None  # the clinician's message, when one was sent

    @property
    def errors(self) -> tuple[ShownMessage, ...]:
        return tuple(m for m in self.messages if m.is_error)

    @property
    def labels(self) -> list[str]:
        return [a.label for a in self.actions]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def resumed_stage(text: str) -> str | None:
    """The stage named in the coach's welcome back (``coach/data/ui_messages.yaml``) as a
    stage id such as ``sense-making``; ``None`` when ``text`` is not a welcome back."""
    from coach.engine import ui_messages  # the wording's one source, loaded when needed

    template = " ".join(ui_messages().resumed.split())
    before, _, after = template.partition("{stage}")
    pattern = re.escape(before) + r"(?P<stage>.+?)" + re.escape(after)
    found = re.fullmatch(pattern, " ".join(text.split()))
    return found["stage"].replace(" ", "-") if found else None


class CoachClient:
    """One signed-in clinician (a browser profile): the sign-in token and its chats."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.identifier: str | None = None
        self._token: str | None = None
        self._http: aiohttp.ClientSession | None = None
        self._chats: set[ChatSession] = set()

    async def __aenter__(self) -> CoachClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close its chats' connections and its HTTP session."""
        for chat in list(self._chats):
            await chat.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),  # the token is sent explicitly
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        return self._http

    @property
    def token(self) -> str:
        if self._token is None:
            raise CoachClientError("not signed in: call sign_in(username, password) first")
        return self._token

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def sign_in(self, username: str, password: str) -> None:
        """Password sign-in (Chainlit's ``/login`` form); keeps the token it sets."""
        form = {"username": username, "password": password}
        async with self._session().post(f"{self.base_url}/login", data=form) as response:
            if response.status == 401:
                raise CoachClientError(
                    f"sign-in refused for {username!r}: check the account with "
                    "`coach users list` and its password with `coach users passwd`"
                )
            if response.status != 200:
                raise CoachClientError(f"/login answered HTTP {response.status}")
            cookie = response.cookies.get(AUTH_COOKIE)
        if cookie is None or not cookie.value:
            raise CoachClientError("/login set no sign-in cookie (is COACH_AUTH=password?)")
        self._token = cookie.value
        self.identifier = username.strip().lower()

    async def open(
        self, thread_id: str | None = None, *, timeout: float | None = None
    ) -> ChatSession:
        """A chat on a new connection: a new debrief, or the saved chat ``thread_id``
        resumed as when it is picked from the history."""
        chat = ChatSession(self, thread_id)
        self._chats.add(chat)
        try:
            await chat.connect(timeout or self.timeout)
        except BaseException:
            await chat.close()
            raise
        return chat

    def forget(self, chat: ChatSession) -> None:
        self._chats.discard(chat)

    async def thread(self, thread_id: str) -> dict[str, Any]:
        """The saved chat as the history shows it (``GET /project/thread/{id}``)."""
        url = f"{self.base_url}/project/thread/{thread_id}"
        async with self._session().get(url, headers=self._auth_headers()) as response:
            if response.status != 200:
                raise CoachClientError(f"{url} answered HTTP {response.status}")
            data = await response.json()
        if not isinstance(data, dict):
            raise CoachClientError(f"{url}: no such chat")
        return data

    async def call_action(self, session_id: str, action: dict[str, Any]) -> None:
        """Press a button (``POST /project/action``); returns once its callback is done."""
        url = f"{self.base_url}/project/action"
        body = {"sessionId": session_id, "action": action}
        async with self._session().post(url, json=body, headers=self._auth_headers()) as response:
            if response.status != 200:
                detail = (await response.text())[:200]
                label = action.get("label")
                raise CoachClientError(f"pressing {label!r}: HTTP {response.status} {detail}")


@dataclass
class _Screen:
    """What the page has received, in order."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)  # message id -> event number
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: int = 0
    streamed: int = 0  # stream_start and stream_token events
    task_starts: int = 0
    task_ends: int = 0

    @property
    def idle(self) -> bool:
        """No task running (the page shows its composer again). The server opens with a
        ``task_end`` of its own before any ``task_start``; every task after it (the chat's
        start, a resumed chat, each message) is a ``task_start`` ... ``task_end`` pair."""
        return self.task_ends >= 1 and self.task_starts - (self.task_ends - 1) <= 0


class ChatSession:
    """One chat over one socket.io connection (a browser tab)."""

    def __init__(self, client: CoachClient, thread_id: str | None) -> None:
        self.client = client
        self.session_id = str(uuid.uuid4())
        self.resuming = thread_id
        self.thread_id: str | None = thread_id
        self.resumed: dict[str, Any] | None = None  # the saved chat the server replayed
        self.resume_error: str | None = None
        self.screen = _Screen()
        self._changed = asyncio.Condition()
        self._sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self._sio.on("*", self._on_event)

    # --- what arrives ----------------------------------------------------------------

    async def _on_event(self, event: str, data: Any = None) -> None:
        screen = self.screen
        screen.events += 1
        item = data if isinstance(data, dict) else {}
        key = str(item.get("id", ""))
        if event in ("new_message", "update_message", "stream_start") and key:
            screen.messages[key] = {**screen.messages.get(key, {}), **item}
            screen.changed_at[key] = screen.events
            if event == "stream_start":
                screen.streamed += 1
        elif event == "stream_token" and key:
            message = screen.messages.setdefault(key, {"id": key, "output": ""})
            token = str(item.get("token", ""))
            message["output"] = (
                token if item.get("isSequence") else f"{message.get('output') or ''}{token}"
            )
            screen.changed_at[key] = screen.events
            screen.streamed += 1
        elif event == "delete_message" and key:
            screen.messages.pop(key, None)
            screen.changed_at.pop(key, None)
        elif event == "action" and key:
            screen.actions[key] = item
        elif event == "remove_action" and key:
            screen.actions.pop(key, None)
        elif event == "task_start":
            screen.task_starts += 1
        elif event == "task_end":
            screen.task_ends += 1
        elif event == "first_interaction" and item.get("thread_id"):
            self.thread_id = str(item["thread_id"])
        elif event == "resume_thread":
            self.resumed = item
        elif event == "resume_thread_error":
            self.resume_error = str(data)
        async with self._changed:
            self._changed.notify_all()

    async def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(done)

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError as exc:
            raise ReplyTimeout(f"no {what} within {timeout:.0f} s") from exc

    # --- connection --------------------------------------------------------------------

    async def connect(self, timeout: float) -> None:
        """Connect as the page does, and wait until the chat is ready for a message."""
        auth = {
            "clientType": "webapp",
            "sessionId": self.session_id,
            "threadId": self.resuming or "",
            "userEnv": "{}",
            "chatProfile": "",
        }
        cookie = f"{AUTH_COOKIE}={self.client.token}; X-Chainlit-Session-id={self.session_id}"
        try:
            await self._sio.connect(
                self.client.base_url,
                headers={"Cookie": cookie},
                auth=auth,
                transports=["websocket"],
                socketio_path=SOCKET_PATH,
                wait_timeout=timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            raise CoachClientError(f"the chat socket refused the connection: {exc}") from exc
        await self._sio.emit("connection_successful")
        screen = self.screen
        if self.resuming:
            await self._wait(
                lambda: (self.resumed is not None and screen.idle) or self.resume_error is not None,
                timeout,
                "resumed chat",
            )
            if self.resume_error is not None:
                raise CoachClientError(f"chat {self.resuming}: {self.resume_error}")
        else:
            await self._wait(lambda: screen.task_starts >= 1 and screen.idle, timeout, "new chat")

    async def close(self, *, clear: bool = True) -> None:
        """Leave the chat as the page's *New debrief* does (``clear_session`` first)."""
        self.client.forget(self)
        if self._sio.connected:
            try:
                if clear:
                    await self._sio.emit("clear_session")
                await self._sio.disconnect()
            except (socketio.exceptions.SocketIOError, OSError):
                pass  # the server is gone already
        await self._sio.shutdown()
        http = getattr(self._sio.eio, "http", None)  # left open when the server vanished
        if isinstance(http, aiohttp.ClientSession) and not http.closed:
            await http.close()

    async def barrier(self, timeout: float) -> None:
        """Wait until everything the server sent before now has arrived: an acknowledged
        round trip on the same socket, which keeps its order."""
        try:
            await self._sio.call("fetch_favorites", timeout=timeout)
        except socketio.exceptions.TimeoutError as exc:
            raise ReplyTimeout(f"the chat socket did not answer within {timeout:.0f} s") from exc

    async def wait_thread_id(self, timeout: float | None = None) -> str:
        """The chat's id, which the server announces after the first message or button."""
        limit = timeout or self.client.timeout
        await self._wait(lambda: self.thread_id is not None, limit, "chat id")
        assert self.thread_id is not None
        return self.thread_id

    # --- what the page shows ----------------------------------------------------------

    @staticmethod
    def _shown(data: dict[str, Any]) -> ShownMessage:
        return ShownMessage(
            id=str(data["id"]),
            author=str(data.get("name") or ""),
            type=str(data.get("type") or ""),
            text=str(data.get("output") or ""),
            is_error=bool(data.get("isError")) or data.get("name") == ERROR_AUTHOR,
        )

    def messages(self) -> list[ShownMessage]:
        """Every message on screen (clinician's and coach's) in the order they arrived."""
        return [self._shown(m) for m in self.screen.messages.values() if m.get("type") != "run"]

    def actions(self) -> list[ShownAction]:
        """The buttons on screen now."""
        return [
            ShownAction(
                id=str(a["id"]),
                name=str(a.get("name") or ""),
                label=str(a.get("label") or ""),
                for_id=a.get("forId"),
                raw=a,
            )
            for a in self.screen.actions.values()
        ]

    async def wait_for_message(
        self, match: Callable[[ShownMessage], bool], timeout: float | None = None
    ) -> ShownMessage:
        """The first message on screen that ``match`` accepts, waiting for it."""

        def found() -> ShownMessage | None:
            return next((m for m in self.messages() if match(m)), None)

        await self._wait(lambda: found() is not None, timeout or self.client.timeout, "message")
        message = found()
        assert message is not None
        return message

    async def resumed_at(self, timeout: float | None = None) -> str:
        """The stage a reopened debrief stands at, as the coach's welcome back names it
        (the only place the page shows a stage)."""
        welcome = await self.wait_for_message(lambda m: resumed_stage(m.text) is not None, timeout)
        stage = resumed_stage(welcome.text)
        assert stage is not None
        return stage

    def _reply(
        self,
        mark: int,
        started: float,
        *,
        acknowledged: bool,
        complete: bool,
        message_id: str | None,
    ) -> Reply:
        screen = self.screen
        messages = tuple(
            self._shown(m)
            for key, m in screen.messages.items()
            if screen.changed_at.get(key, 0) > mark and m.get("type") not in ("run", "user_message")
        )
        return Reply(
            text="\n\n".join(m.text for m in messages if m.text),
            messages=messages,
            actions=tuple(self.actions()),
            acknowledged=acknowledged,
            complete=complete,
            latency_s=time.perf_counter() - started,
            message_id=message_id,
        )

    # --- what the clinician does -------------------------------------------------------

    def _step(self, text: str, command: str | None = None) -> dict[str, Any]:
        """The clinician's message as the page sends it (the server fills in the chat)."""
        step = {
            "threadId": "",
            "id": str(uuid.uuid4()),
            "name": self.client.identifier or "User",
            "type": "user_message",
            "output": text,
            "createdAt": _now(),
            "metadata": {},
        }
        if command is not None:  # chosen in the composer's command menu
            step["command"] = command
        return step

    async def send(
        self,
        text: str,
        *,
        command: str | None = None,
        until: Until = "reply",
        timeout: float | None = None,
    ) -> Reply:
        """Send a message (with a composer ``command`` such as ``"End"``, if given); return
        when the coach's answer is complete (``task_end``), or earlier with
        ``until="acknowledged"`` or ``until="streaming"``.

        The message counts as acknowledged when the server's socket.io acknowledgement
        arrived and did not say ``False`` (not saved)."""
        limit = timeout or self.client.timeout
        screen = self.screen
        mark, starts, streamed = screen.events, screen.task_starts, screen.streamed
        step = self._step(text, command)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def on_ack(*args: Any) -> None:
            if not answer.done():
                answer.set_result(not (args and args[0] is False))

        started = time.perf_counter()
        await self._sio.emit(
            "client_message", {"message": step, "fileReferences": None}, callback=on_ack
        )
        if until == "acknowledged":
            try:
                acknowledged = await asyncio.wait_for(answer, limit)
            except TimeoutError as exc:
                raise ReplyTimeout(
                    f"the message was not acknowledged within {limit:.0f} s"
                ) from exc
            return self._reply(
                mark, started, acknowledged=acknowledged, complete=False, message_id=step["id"]
            )

        def finished() -> bool:
            return screen.task_starts > starts and screen.idle

        if until == "streaming":
            await self._wait(lambda: screen.streamed > streamed or finished(), limit, "answer")
        else:
            await self._wait(finished, limit, "answer")
        complete = finished()
        if complete and not answer.done():  # sent before task_end; allow for stragglers
            await asyncio.wait({answer}, timeout=min(limit, 5.0))
        acknowledged = answer.done() and answer.result()
        return self._reply(
            mark, started, acknowledged=acknowledged, complete=complete, message_id=step["id"]
        )

    async def press(self, label: str, *, timeout: float | None = None) -> Reply:
        """Press the last button on screen labelled ``label`` and wait for the answer."""
        limit = timeout or self.client.timeout
        matching = [a for a in self.actions() if a.label == label]
        if not matching:
            shown = ", ".join(repr(a.label) for a in self.actions()) or "none"
            raise CoachClientError(f"no {label!r} button on screen (buttons: {shown})")
        mark = self.screen.events
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                self.client.call_action(self.session_id, matching[-1].raw), limit
            )
        except TimeoutError as exc:
            raise ReplyTimeout(f"pressing {label!r}: no answer within {limit:.0f} s") from exc
        await self.barrier(limit)
        return self._reply(mark, started, acknowledged=True, complete=True, message_id=None)
