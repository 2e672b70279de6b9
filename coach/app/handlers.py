"""What happens in the chat: one ``DebriefChat`` per server, called by Chainlit's hooks in
``coach.app.main``.

The Chainlit thread id is the debrief's session id and the signed-in identifier its user
id. Engine calls are synchronous, so they run in a worker thread; the reply's pieces are
handed to the event loop in order and streamed into one message, whose content is then
set to the final reply (the reply may be regenerated after streaming).

On resume, a clinician message the chat saved but the coach never answered (a crash
between the message's acknowledgement and the coach taking it in) is answered then,
once: the check and the turn hold the debrief's turn lock together
(``Coach.answer_unanswered``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import chainlit as cl
from chainlit.types import CommandDict, MessagePayload, ThreadDict

from coach.app import render, wording
from coach.app.datalayer import DeidentifyingDataLayer
from coach.educator.recorder import ThemeRecorder
from coach.engine import Coach, SessionAccessError, TurnResult, took_in, ui_messages
from coach.graph import OutMessage
from coach.types import Control, TokenSink
from guardrails.escalation import Action as SupportAction
from guardrails.events import EscalationEvent
from guardrails.types import Level
from guardrails.webhook import MESSAGES as PEER_MESSAGES
from guardrails.webhook import Notifier, check_callback_contact

log = logging.getLogger(__name__)

DELETED_KEY = "data_deleted"
ASK_TIMEOUT_SECONDS = 300
RESUME_DELAY_SECONDS = 0.5


class TokenBridge:
    """Receives reply pieces on the engine's thread and streams them, in order, into one
    Chainlit message on the event loop."""

    def __init__(self, message: cl.Message, loop: asyncio.AbstractEventLoop) -> None:
        self.message = message
        self.started = False
        self._loop = loop
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task = loop.create_task(self._pump())

    def sink(self, piece: str) -> None:
        """The engine's ``on_token`` (called from the worker thread)."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, piece)

    async def _pump(self) -> None:
        while (piece := await self._queue.get()) is not None:
            if piece:
                self.started = True
                await self.message.stream_token(piece)

    async def close(self) -> None:
        self._queue.put_nowait(None)
        await self._task


@dataclass
class _Shown:
    """The buttons on screen in one browser session (cleared when new ones arrive)."""

    actions: list[cl.Action] = field(default_factory=list)


def _repeat_of(thread: ThreadDict, text: str) -> str | None:
    """The id of the thread's last message when it is already this coach message."""
    messages = [s for s in thread.get("steps") or [] if "message" in str(s.get("type"))]
    last = messages[-1] if messages else None
    if last and last.get("type") == "assistant_message" and last.get("output") == text:
        return str(last["id"])
    return None


@dataclass(frozen=True)
class Unanswered:
    """A clinician message in the saved chat with no coach message after it."""

    text: str  # as the chat database keeps it (de-identified)
    since: datetime  # when the chat wrote it


@cache
def _welcome_back() -> re.Pattern[str]:
    before, _, after = " ".join(ui_messages().resumed.split()).partition("{stage}")
    return re.compile(re.escape(before) + ".+?" + re.escape(after), re.DOTALL)


def is_welcome_back(text: str) -> bool:
    """Whether ``text`` is the coach's welcome back (``ui_messages.yaml``: resumed)."""
    return _welcome_back().fullmatch(" ".join(text.split())) is not None


def _written_at(value: object) -> datetime | None:
    """A step's ``createdAt`` (ISO 8601, as Chainlit writes it) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def unanswered(thread: ThreadDict) -> Unanswered | None:
    """The saved chat's last clinician message, when no coach message came after it (a
    welcome back does not count: it answers nothing)."""
    messages = [s for s in thread.get("steps") or [] if "message" in str(s.get("type"))]
    for step in reversed(messages):
        output = str(step.get("output") or "")
        if step.get("type") == "assistant_message":
            if is_welcome_back(output):
                continue
            return None
        if step.get("type") == "user_message":
            since = _written_at(step.get("createdAt"))
            if not output.strip() or since is None:
                return None
            return Unanswered(output, since)
    return None


def commands() -> list[CommandDict]:
    return [
        {
            "id": c.id,
            "description": c.description,
            "icon": c.icon,
            "button": False,
            "persistent": False,
            "selected": False,
        }
        for c in wording.COMMANDS
    ]


def starters() -> list[cl.Starter]:
    return [cl.Starter(label=s.label, message=s.message) for s in wording.STARTERS]


class DebriefChat:
    """The chat's behaviour, independent of how Chainlit registers it."""

    def __init__(
        self,
        coach: Coach,
        *,
        notifier: Notifier | None = None,
        data_layer: Callable[[], DeidentifyingDataLayer | None] = lambda: None,
        themes: Callable[[], ThemeRecorder | None] = lambda: None,
    ) -> None:
        self.coach = coach
        self.notifier = notifier
        self._data_layer = data_layer
        self._themes = themes
        self._shown: dict[str, _Shown] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._saved: dict[str, bool] = {}  # message id -> saved before acknowledged

    # --- who and where ----------------------------------------------------------------

    @staticmethod
    def session_id() -> str:
        return str(cl.context.session.thread_id)

    @staticmethod
    def user_id() -> str:
        user = cl.context.session.user
        if user is None:
            raise PermissionError("no one is signed in; the chat app requires sign-in")
        return str(user.identifier)

    @property
    def peer_contact(self) -> bool:
        return self.notifier is not None and self.coach.deps.guard.peer_contact_available

    def _shown_here(self) -> _Shown:
        return self._shown.setdefault(str(cl.context.session.id), _Shown())

    async def _clear_actions(self) -> None:
        shown = self._shown_here()
        actions, shown.actions = shown.actions, []
        for action in actions:
            await action.remove()  # type: ignore[no-untyped-call]

    async def _deleted(self) -> bool:
        """Whether this chat's data was deleted: in this browser session, or (the chat
        database says) from any instance."""
        if cl.user_session.get(DELETED_KEY):  # type: ignore[no-untyped-call]
            return True
        layer = self._data_layer()
        return layer is not None and await layer.forgotten(self.session_id())

    async def _say(
        self,
        text: str,
        *,
        author: str = wording.COACH_AUTHOR,
        actions: Sequence[cl.Action] = (),
        elements: Sequence[Any] = (),
    ) -> cl.Message:
        message = cl.Message(
            content=text, author=author, actions=list(actions), elements=list(elements)
        )
        await message.send()  # type: ignore[no-untyped-call]
        self._shown_here().actions.extend(actions)
        return message

    # --- Chainlit hooks -----------------------------------------------------------------

    async def on_chat_start(self) -> None:
        """A new chat: the welcome screen shows the starters; the debrief opens with the
        clinician's first message."""
        await cl.context.emitter.set_commands(commands())

    async def on_chat_resume(self, thread: ThreadDict) -> None:
        """Carry on a saved debrief where it stands, and answer the chat's last message if
        the coach never took it in."""
        await cl.context.emitter.set_commands(commands())
        session_id, user_id = str(thread["id"]), self.user_id()
        pending = unanswered(thread)
        try:
            state = await asyncio.to_thread(self.coach.load, session_id, user_id=user_id)
            text = await asyncio.to_thread(self.coach.resume_message, session_id, user_id=user_id)
        except SessionAccessError:
            await self._say(wording.NOT_YOURS)
            return
        except Exception:  # the session store is down; the chat stays up and says so
            log.exception("could not load a debrief to resume")
            await self._say(wording.STORE_UNAVAILABLE)
            return
        if state is not None and state.ended:
            return
        if pending is not None and took_in(state, pending.text, pending.since):
            pending = None  # its reply was lost, not the message: the debrief goes on
        if (state is None or not text) and pending is None:
            return
        view = (
            None
            if state is None
            else render.DebriefView(
                state.mode, state.listen_only, state.ended, state.support.active
            )
        )
        # Chainlit replays the saved thread in the browser after this hook returns, and
        # that replay drops what was sent earlier: post the welcome back just after it.
        task = asyncio.create_task(self._resumed(text, view, _repeat_of(thread, text), pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resumed(
        self,
        text: str,
        view: render.DebriefView | None,
        shown: str | None,
        pending: Unanswered | None,
    ) -> None:
        """After Chainlit's replay: the welcome back, then the answer to a message the
        coach never took in."""
        await asyncio.sleep(RESUME_DELAY_SECONDS)
        if text and view is not None:
            await self._welcome_back(text, view, shown)
        if pending is not None:
            await self._answer(pending)

    async def _answer(self, pending: Unanswered) -> None:
        session_id, user_id = self.session_id(), self.user_id()

        def call(sink: TokenSink) -> TurnResult | None:
            return self.coach.answer_unanswered(
                session_id, pending.text, since=pending.since, user_id=user_id, on_token=sink
            )

        await self._run(call, clear_first=False)

    async def _welcome_back(self, text: str, view: render.DebriefView, shown: str | None) -> None:
        """The welcome back with the buttons that fit; when the chat already ends with the
        same welcome back (opened again without writing), only its buttons come back."""
        author = wording.COACH_AUTHOR
        actions = render.control_actions(view)
        if view.support_active:
            author = wording.SUPPORT_AUTHOR
            actions = render.support_actions(
                [
                    SupportAction.SHOW_RESOURCES,
                    SupportAction.CONTACT_PEER_SUPPORTER,
                    SupportAction.IM_SAFE,
                ],
                peer_contact=self.peer_contact,
            )
        if shown is None:
            await self._say(text, author=author, actions=actions)
            return
        for action in actions:
            await action.send(for_id=shown)
        self._shown_here().actions.extend(actions)

    async def on_client_message(self, sid: str, payload: MessagePayload) -> bool:
        """Chainlit's ``client_message`` socket event, acknowledged only once the message
        is saved: the chat (with its author) and the message are written and read back,
        then the turn runs as Chainlit runs it. The acknowledgement says whether it was
        saved. Chainlit's own handler acknowledges at once and saves in the background,
        so a crash just after the acknowledgement lost the message."""
        from chainlit.context import init_ws_context
        from chainlit.session import WebsocketSession
        from chainlit.socket import process_message
        from chainlit.utils import utc_now

        session = WebsocketSession.require(sid)
        context = init_ws_context(session)
        message = cl.Message.from_dict(payload["message"])
        message.created_at = utc_now()  # type: ignore[no-untyped-call]
        opens_chat = not session.has_first_interaction
        if opens_chat:  # what Chainlit does at a chat's first message, awaited here
            session.has_first_interaction = True
            await context.emitter.init_thread(message.content)
        saved = await self._keep(message, opens_chat=opens_chat)
        self._saved[message.id] = saved
        session.current_task = asyncio.create_task(process_message(session, payload))
        return saved

    async def on_message(self, message: cl.Message) -> None:
        """A clinician's message, possibly with a command chosen in the composer."""
        saved = self._saved.pop(message.id, None)  # by on_client_message
        if await self._deleted():
            await self._say(wording.AFTER_DELETE)
            return
        command = next((c for c in wording.COMMANDS if c.id == message.command), None)
        text = message.content or ""
        if text.strip() or command is None:
            if saved is None:
                saved = await self._keep(message)
            await self.turn(text, chat_saved=saved)
        if command is not None:
            await self.run_command(command.target)

    async def run_command(self, target: wording.CommandTarget) -> None:
        if target == "support":
            await self.show_resources()
        elif target == "summary":
            await self.show_summary()
        elif target == "delete":
            await self.delete_my_data()
        else:
            await self.control(Control(target))

    # --- the debrief ----------------------------------------------------------------------

    async def _keep(self, message: cl.Message, *, opens_chat: bool = False) -> bool:
        """Write the clinician's message to the chat database now and confirm it is
        there (Chainlit's own write runs in the background and drops errors). ``False``
        when the chat database could not take it. With a chat's first message, the chat
        must be saved with its author too, or it could not be reopened after a crash."""
        layer = self._data_layer()
        if layer is None:
            return True
        try:
            if opens_chat:
                author = await layer.thread_author(self.session_id())
                if author != (True, self.user_id()):
                    return False
            return await layer.keep_step(message.to_dict())
        except Exception:
            log.warning("the chat database could not take a message", exc_info=True)
            return False

    async def turn(self, text: str, *, chat_saved: bool = True) -> TurnResult | None:
        session_id, user_id = self.session_id(), self.user_id()

        def call(sink: TokenSink) -> TurnResult:
            stored, store_ok = self.coach.stored(session_id, user_id=user_id)
            if store_ok and stored is None:
                # The welcome screen stands in for the greeting: open the session quietly.
                self.coach.start(session_id, user_id=user_id)
            return self.coach.turn(
                session_id, text, user_id=user_id, on_token=sink, chat_saved=chat_saved
            )

        return await self._run(call)

    async def control(self, control: Control) -> TurnResult | None:
        if await self._deleted():
            await self._say(wording.AFTER_DELETE)
            return None
        session_id, user_id = self.session_id(), self.user_id()

        def call(sink: TokenSink) -> TurnResult:
            return self.coach.control(session_id, control, user_id=user_id, on_token=sink)

        return await self._run(call)

    async def _run(
        self, call: Callable[[TokenSink], TurnResult | None], *, clear_first: bool = True
    ) -> TurnResult | None:
        """Run ``call`` in a worker thread, streaming its reply, and show what it gave.
        ``clear_first``: remove the buttons on screen before it runs (a turn the clinician
        asked for); otherwise only once it gave something to show. A call that gives
        ``None`` had nothing to do, and nothing is shown."""
        if clear_first:
            await self._clear_actions()
        bridge = TokenBridge(
            cl.Message(content="", author=wording.COACH_AUTHOR), asyncio.get_running_loop()
        )
        result: TurnResult | None = None
        problem: str | None = None
        try:
            result = await asyncio.to_thread(call, bridge.sink)
        except SessionAccessError:
            log.warning("a session was asked for by an account that does not own it")
            problem = wording.NOT_YOURS
        except Exception:  # the chat stays up; the log has the details
            log.exception("a debrief turn failed")
            problem = wording.SOMETHING_WENT_WRONG
        finally:
            await bridge.close()
        if result is None:
            if bridge.started:
                await bridge.message.remove()  # type: ignore[no-untyped-call]
            if problem is not None:
                await self._say(problem)
            return None
        if not clear_first:
            await self._clear_actions()
        await self.show(result, bridge.message if bridge.started else None)
        return result

    async def show(self, result: TurnResult, streamed: cl.Message | None = None) -> None:
        """Render a turn's messages in order; the streamed message becomes the reply."""
        view = render.DebriefView(
            result.mode, result.listen_only, result.ended, result.support_active
        )
        planned: list[tuple[cl.Message, list[cl.Action]]] = []
        for out in result.messages:
            message: cl.Message | None = None
            if out.kind == "reply" and streamed is not None:
                message, streamed = streamed, None
            planned.append(self._compose(out, message))
        if streamed is not None:  # streamed but no reply came of it
            await streamed.remove()  # type: ignore[no-untyped-call]
        if planned:  # the debrief's controls end every turn that continues it
            last, own = planned[-1]
            planned[-1] = (last, render.turn_actions(own, view))
        for message, actions in planned:
            message.actions = actions
            await message.send()  # type: ignore[no-untyped-call]
            self._shown_here().actions.extend(actions)

    def _compose(
        self, out: OutMessage, message: cl.Message | None
    ) -> tuple[cl.Message, list[cl.Action]]:
        message = message or cl.Message(content="", author=wording.COACH_AUTHOR)
        actions = render.support_actions(out.actions, peer_contact=self.peer_contact)
        if out.kind in ("escalation", "support"):
            message.author = wording.SUPPORT_AUTHOR
            message.content = out.text
        elif out.kind == "reply":
            message.content = render.with_sources_line(out.text, out.sources)
            message.elements = list(render.source_elements(out.sources))  # type: ignore[arg-type]
        elif out.kind == "summary":
            message.content = out.text
            message.elements = [render.summary_file(out.text)]  # type: ignore[list-item]
        else:
            message.content = out.text
        return message, actions

    # --- support ----------------------------------------------------------------------------

    async def on_support_action(self, action: SupportAction) -> None:
        if action is SupportAction.SHOW_RESOURCES:
            await self.show_resources()
        elif action is SupportAction.CONTACT_PEER_SUPPORTER:
            await self.contact_peer_supporter()
        elif action is SupportAction.IM_SAFE:
            await self.control(Control.IM_SAFE)
        else:
            await self.control(Control.CONTINUE)

    async def show_resources(self, intro: str = wording.RESOURCES_INTRO) -> None:
        resources = self.coach.deps.guard.resources
        await self._say(
            intro,
            author=wording.SUPPORT_AUTHOR,
            elements=[render.support_options(resources)],
        )

    def _escalation_event(self, session_id: str) -> EscalationEvent:
        """The session's latest crisis event from the log (level and categories only)."""
        try:
            for event in self.coach.deps.guard.events.recent(500):
                if event.session == session_id and event.level is Level.CRISIS:
                    return event
        except Exception:  # the log is a convenience here; the request goes out regardless
            log.exception("could not read the escalation events")
        return EscalationEvent(session=session_id, level=Level.CRISIS, source="input_guard")

    async def contact_peer_supporter(self) -> None:
        """Ask for consent first; send the request only if the clinician agrees."""
        notifier = self.notifier
        if notifier is None or not self.coach.deps.guard.peer_contact_available:
            await self.show_resources(wording.PEER_NOT_CONFIGURED)
            return
        answer = await self._ask(
            wording.PEER_CONSENT,
            [
                ("yes", wording.PEER_YES),
                ("contact", wording.PEER_YES_WITH_CONTACT),
                ("no", wording.PEER_NO),
            ],
            author=wording.SUPPORT_AUTHOR,
        )
        if answer not in ("yes", "contact"):
            await self.show_resources(PEER_MESSAGES["declined"])
            return
        contact: str | None = None
        if answer == "contact":
            reply = await cl.AskUserMessage(
                content=wording.PEER_ASK_CONTACT,
                author=wording.SUPPORT_AUTHOR,
                timeout=ASK_TIMEOUT_SECONDS,
            ).send()
            try:
                contact = check_callback_contact(str(reply["output"]) if reply else None)
            except ValueError:
                contact = None
            if contact is None:
                await self.show_resources(wording.PEER_BAD_CONTACT)
                return
        event = self._escalation_event(self.session_id())
        pending = notifier.request(event, callback_contact=contact)
        result = await asyncio.to_thread(notifier.consent, pending.pending_id)
        await self.show_resources(result.message)

    async def _ask(
        self, text: str, options: Sequence[tuple[str, str]], *, author: str
    ) -> str | None:
        """Buttons for a question; the chosen option's key, or ``None`` on timeout."""
        response = await cl.AskActionMessage(
            content=text,
            actions=[
                cl.Action(name="answer", payload={"answer": key}, label=label)
                for key, label in options
            ],
            author=author,
            timeout=ASK_TIMEOUT_SECONDS,
        ).send()
        if not response:
            return None
        answer = response.get("payload", {}).get("answer")
        return str(answer) if answer is not None else None

    # --- summary and privacy ----------------------------------------------------------------

    async def show_summary(self) -> None:
        session_id, user_id = self.session_id(), self.user_id()
        try:
            markdown = await asyncio.to_thread(self.coach.summary, session_id, user_id=user_id)
        except SessionAccessError:
            await self._say(wording.NOT_YOURS)
            return
        except Exception:  # the session store is down; the chat stays up and says so
            log.exception("could not load a debrief's summary")
            await self._say(wording.STORE_UNAVAILABLE)
            return
        if not markdown:
            await self._say(wording.NO_SUMMARY_YET)
            return
        await self._say(markdown, elements=[render.summary_file(markdown)])

    async def delete_my_data(self) -> None:
        """After confirmation: the debrief sessions and every chat, step, element and piece
        of feedback of this account. This chat writes nothing more afterwards."""
        answer = await self._ask(
            wording.DELETE_CONFIRM,
            [("delete", wording.DELETE_YES), ("keep", wording.DELETE_NO)],
            author=wording.COACH_AUTHOR,
        )
        if answer != "delete":
            await self._say(wording.DELETE_KEPT)
            return
        user_id, session_id = self.user_id(), self.session_id()
        await self._clear_actions()
        try:
            sessions = await asyncio.to_thread(self.coach.delete_user, user_id)
            recorder = self._themes()
            if recorder is not None:
                await asyncio.to_thread(recorder.forget, user_id)
            chats = 0
            layer = self._data_layer()
            if layer is not None:
                await layer.forget(session_id)
                chats = await layer.delete_user_data(user_id)
        except Exception:  # a store is down: say so, and ask to finish it later
            log.exception("Delete my data did not finish")
            await self._say(wording.DELETE_UNFINISHED)
            return
        cl.user_session.set(DELETED_KEY, True)  # type: ignore[no-untyped-call]
        await self._say(wording.DELETED.format(sessions=sessions, chats=chats))

    def forget_browser_session(self) -> None:
        """Drop the buttons kept for a browser session that has ended."""
        self._shown.pop(str(cl.context.session.id), None)
