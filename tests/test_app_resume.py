"""Resuming a chat whose last clinician message the coach never took in: a crash between
the message's acknowledgement (it is saved in the chat) and the coach recording it. On
resume the coach answers it, once: not again on a second resume, not twice when two tabs
resume at the same moment, and not when the debrief already took it in (only its reply
was lost) or has moved on past it."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit as cl
from chainlit.types import ThreadDict

from coach.app import wording
from coach.app.handlers import DebriefChat, is_welcome_back, unanswered
from coach.engine import Coach
from coach.responders.fakes import FixedResponder
from coach.sessions import MemorySessionStore
from coach.testing import fake_coach

THREAD = "resume-unanswered-0001"
USER = "nurse.one"
FIRST = "A medication error on my shift last night."
LOST = "I keep going over the drug chart in my head."
REPLY = "Go on, I'm listening."


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def step(kind: str, text: str, at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "output": text,
        "createdAt": at.isoformat().replace("+00:00", "Z"),
    }


def thread(*steps: dict[str, Any]) -> Any:
    return {"id": THREAD, "steps": list(steps)}


async def say(chat: DebriefChat, text: str) -> None:
    await chat.on_message(cl.Message(content=text, type="user_message", author=USER))


async def resumed(chat: DebriefChat, saved: Any) -> list[str]:
    """Reopen the chat from ``saved`` in a new browser session; what it was shown."""
    emitter = chat_session(USER, thread_id=THREAD)
    await chat.on_chat_resume(saved)
    while chat._tasks:  # the welcome back and any answer run after Chainlit's replay
        await asyncio.gather(*list(chat._tasks))
    return [str(m.get("output", "")) for m in emitter.messages()]


def clinician(store: MemorySessionStore) -> list[str]:
    state = store.load(THREAD)
    assert state is not None
    return [t.text for t in state.turns if t.role == "clinician"]


def coach_on(store: MemorySessionStore) -> Coach:
    return fake_coach(store=store, responder=FixedResponder([REPLY]), with_knowledge=False)


async def crashed(chat: DebriefChat) -> Any:
    """The first message answered; the second saved in the chat (acknowledged) just
    before a crash, so the coach never took it in."""
    chat_session(USER, thread_id=THREAD)
    now = datetime.now(UTC)
    await say(chat, FIRST)
    await asyncio.sleep(0.01)
    return thread(
        step("user_message", FIRST, now - timedelta(seconds=30)),
        step("assistant_message", REPLY, now - timedelta(seconds=29)),
        step("user_message", LOST, datetime.now(UTC)),
    )


def test_the_unanswered_message_is_answered_on_resume_once() -> None:
    store = MemorySessionStore()
    chat = DebriefChat(coach_on(store))

    async def go() -> None:
        saved = await crashed(chat)
        shown = await resumed(chat, saved)
        assert is_welcome_back(shown[0]), "the welcome back first, at the stage it stood"
        assert shown[1:] == [REPLY], "then the answer to the lost message"
        assert clinician(store) == [FIRST, LOST]
        state = store.load(THREAD)
        assert state is not None and state.turns[-1].role == "coach"

        # Opened again (from the same saved chat, as another tab holds it): answered once.
        again = await resumed(chat, saved)
        assert [text for text in again if not is_welcome_back(text)] == []
        assert clinician(store) == [FIRST, LOST]

    run(go())


def test_two_tabs_resuming_at_once_answer_it_once() -> None:
    store = MemorySessionStore()
    chat = DebriefChat(coach_on(store))

    async def go() -> None:
        saved = await crashed(chat)
        tabs = await asyncio.gather(
            asyncio.create_task(resumed(chat, saved)), asyncio.create_task(resumed(chat, saved))
        )
        answers = [text for shown in tabs for text in shown if not is_welcome_back(text)]
        assert answers == [REPLY]
        assert clinician(store) == [FIRST, LOST]

    run(go())


def test_the_first_message_of_a_chat_lost_before_the_coach_began_is_answered() -> None:
    store = MemorySessionStore()
    chat = DebriefChat(coach_on(store))

    async def go() -> None:
        shown = await resumed(chat, thread(step("user_message", FIRST, datetime.now(UTC))))
        assert shown == [REPLY], "no welcome back to a debrief that had not begun"
        assert clinician(store) == [FIRST]

    run(go())


def test_a_message_the_debrief_took_in_is_not_answered_again() -> None:
    """Only the reply was lost (it was streaming at the crash): the message is in the
    debrief state, so the debrief goes on from the welcome back."""
    store = MemorySessionStore()
    chat = DebriefChat(coach_on(store))

    async def go() -> None:
        chat_session(USER, thread_id=THREAD)
        at = datetime.now(UTC)
        await say(chat, FIRST)
        shown = await resumed(chat, thread(step("user_message", FIRST, at)))
        assert len(shown) == 1 and is_welcome_back(shown[0])
        assert clinician(store) == [FIRST]

    run(go())


def test_a_message_the_debrief_moved_past_is_not_answered_out_of_order() -> None:
    store = MemorySessionStore()
    chat = DebriefChat(coach_on(store))

    async def go() -> None:
        saved = await crashed(chat)
        chat_session(USER, thread_id=THREAD)
        await say(chat, "A later message, sent from another tab.")
        shown = await resumed(chat, saved)
        assert [text for text in shown if not is_welcome_back(text)] == []
        assert LOST not in clinician(store)

    run(go())


def test_what_counts_as_unanswered() -> None:
    now = datetime.now(UTC)
    welcome = wording_welcome_back()
    found = unanswered(
        thread(step("user_message", LOST, now), step("assistant_message", welcome, now))
    )
    assert found is not None and found.text == LOST, "a welcome back answers nothing"
    assert (
        unanswered(thread(step("user_message", LOST, now), step("assistant_message", REPLY, now)))
        is None
    )
    assert unanswered(thread()) is None
    assert unanswered(cast(ThreadDict, {"id": THREAD})) is None  # a thread with no steps key
    notice = wording.STORE_UNAVAILABLE  # a notice is an answer: the clinician was told
    assert (
        unanswered(thread(step("user_message", LOST, now), step("assistant_message", notice, now)))
        is None
    )


def wording_welcome_back() -> str:
    from coach.engine import ui_messages

    return ui_messages().resumed.format(stage="feelings")
