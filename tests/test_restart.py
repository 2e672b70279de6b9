"""A crash mid-debrief: `coach run` is killed with SIGKILL (its whole process group) while
two clinicians talk to it over the chat socket, then started again on the same data
folder and port. Every message the server acknowledged must be in the saved chat, each
debrief must resume at the stage it had reached, the acknowledged message the coach never
took in must be answered on resume (once: not again when the chat is opened again), and
the next message must get a reply.

At the crash, one clinician's message has just been acknowledged (its turn has not run
yet) and the other's reply is streaming. The app is the real one (hashing embedder and
rules-only risk screen, to start fast), driven through ``coach.app.client`` as the web
page drives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from coach.app.client import ChatSession, CoachClient, Reply, ShownMessage, resumed_stage
from coach.app.localserver import FAST_ENV, LocalServer, ServerError
from coach.app.users import UsersFile
from coach.sessions import SqliteSessionStore
from coach.settings import Settings
from coach.state import DebriefState

pytestmark = pytest.mark.integration

PASSWORD = "a restart test password"
ACKED, STREAMING = "nurse.acked", "nurse.streaming"  # where each one's last message stood
TIMEOUT_S = 30.0
RESUME_WAIT_S = 1.0  # past the welcome back (the app posts it 0.5 s after the replay)

FIRST = (
    "A man arrested on the ward last night and we couldn't get him back after forty minutes.",
    "I was the one who found him, and I keep replaying walking into the bay.",
    "I feel sad and guilty, like I must have missed something.",
)
AT_THE_CRASH = "We were two nurses short that night and his observations had been fine at ten."
AFTER = "I think I'll ask my ward manager for a team debrief next week."


@dataclass(frozen=True)
class Crashed:
    server: LocalServer
    chats: dict[str, str]  # clinician -> chat id
    acknowledged: list[str]  # each clinician's acknowledged messages, in order
    at_the_crash: dict[str, DebriefState]  # each debrief as the coach had saved it


def answered(reply: Reply) -> None:
    assert reply.acknowledged and reply.complete
    assert reply.text.strip() and not reply.errors, reply
    assert "End debrief" in reply.labels


def stored(server: LocalServer, thread_id: str) -> DebriefState:
    """The debrief as the coach saved it."""
    state = SqliteSessionStore(Settings(data_dir=server.data_dir).sqlite_path).load(thread_id)
    assert state is not None, f"the coach saved nothing for chat {thread_id}"
    return state


async def talk_then_crash(server: LocalServer) -> dict[str, str]:
    """Both clinicians three messages in; one more from each, then `kill -9` as soon as
    the second is acknowledged and the first's reply is streaming."""
    clients = {who: CoachClient(server.url, timeout=TIMEOUT_S) for who in (ACKED, STREAMING)}
    try:
        chats: dict[str, ChatSession] = {}
        for who, client in clients.items():
            await client.sign_in(who, PASSWORD)
            chats[who] = await client.open()
            for text in FIRST:
                answered(await chats[who].send(text))
        ids = {who: await chat.wait_thread_id() for who, chat in chats.items()}
        streaming = await chats[STREAMING].send(AT_THE_CRASH, until="streaming")
        acked = await chats[ACKED].send(AT_THE_CRASH, until="acknowledged")
        server.kill()
        assert acked.acknowledged and not acked.complete
        assert streaming.acknowledged
        return ids
    finally:
        for client in clients.values():
            await client.aclose()


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crashed]:
    data = tmp_path_factory.mktemp("coach-restart")
    users = UsersFile(data / "users.yaml")
    for who in (ACKED, STREAMING):
        users.add(who, PASSWORD, "clinician")
    server = LocalServer(data, env=FAST_ENV)
    try:
        server.start()
        chats = asyncio.run(talk_then_crash(server))
        at_the_crash = {who: stored(server, chat) for who, chat in chats.items()}
        server.start()  # the same folder and port
        yield Crashed(server, chats, [*FIRST, AT_THE_CRASH], at_the_crash)
    except ServerError as exc:
        pytest.fail(str(exc))
    finally:
        server.stop()


def coach_words(chat: ChatSession) -> list[str]:
    """The coach's messages shown since the chat was opened, the welcome back aside."""
    return [m.text for m in chat.messages() if is_coach_words(m)]


def is_coach_words(message: ShownMessage) -> bool:
    return (
        message.type == "assistant_message"
        and resumed_stage(message.text) is None
        and bool(message.text.strip())
    )


async def resume(
    server: LocalServer, who: str, thread_id: str, *, unanswered: bool
) -> tuple[str, Reply, list[str], list[str]]:
    """Reopen the chat from the history: the stage the welcome back names (after which
    the coach answers a message it never took in, when ``unanswered``), the reply to the
    next message, then the saved chat's clinician messages and the coach's messages
    after the last one before the crash."""
    async with CoachClient(server.url, timeout=TIMEOUT_S) as client:
        await client.sign_in(who, PASSWORD)
        chat = await client.open(thread_id)
        stage = await chat.resumed_at()
        if unanswered:
            await chat.wait_for_message(is_coach_words)
        reply = await chat.send(AFTER)
        thread = await client.thread(thread_id)
        steps = [s for s in thread["steps"] if "message" in str(s["type"])]
        said = [str(s["output"]) for s in steps if s["type"] == "user_message"]
        crash = max(i for i, s in enumerate(steps) if s["output"] == AT_THE_CRASH)
        after = max(i for i, s in enumerate(steps) if s["output"] == AFTER)
        answers = [
            str(s["output"])
            for s in steps[crash + 1 : after]
            if s["type"] == "assistant_message" and resumed_stage(str(s["output"])) is None
        ]
        return stage, reply, said, answers


async def reopen(server: LocalServer, who: str, thread_id: str) -> list[str]:
    """Open the chat once more and wait past the welcome back: what the coach said."""
    async with CoachClient(server.url, timeout=TIMEOUT_S) as client:
        await client.sign_in(who, PASSWORD)
        chat = await client.open(thread_id)
        await chat.resumed_at()
        await asyncio.sleep(RESUME_WAIT_S)
        await chat.barrier(TIMEOUT_S)
        return coach_words(chat)


def check_resumed(crashed: Crashed, who: str) -> None:
    thread_id = crashed.chats[who]
    at_the_crash = crashed.at_the_crash[who]
    assert at_the_crash.stage != "check-in", "three messages in, the debrief is past its start"
    took_in = AT_THE_CRASH in [t.text for t in at_the_crash.turns if t.role == "clinician"]

    stage, reply, said, answers = asyncio.run(
        resume(crashed.server, who, thread_id, unanswered=not took_in)
    )

    assert said == [*crashed.acknowledged, AFTER], "an acknowledged message was lost"
    assert stage == at_the_crash.stage, "the debrief resumes where it stood, not at check-in"
    answered(reply)
    after = stored(crashed.server, thread_id)
    clinician = [t.text for t in after.turns if t.role == "clinician"]
    assert clinician == [*crashed.acknowledged, AFTER], "each message taken in once, in order"
    assert after.stage != "check-in"
    if not took_in:  # answered on resume, before the next message
        assert answers, "the message acknowledged before the crash has its answer"

    # Opened again: nothing more to answer, and nothing answered twice.
    assert asyncio.run(reopen(crashed.server, who, thread_id)) == []
    again = stored(crashed.server, thread_id)
    assert [t.text for t in again.turns if t.role == "clinician"] == clinician


def test_a_message_acknowledged_just_before_a_crash_is_kept(crashed: Crashed) -> None:
    check_resumed(crashed, ACKED)


def test_a_reply_in_flight_at_a_crash_loses_nothing_and_the_debrief_goes_on(
    crashed: Crashed,
) -> None:
    # The coach had the message too: it is written before its reply streams.
    said = [t.text for t in crashed.at_the_crash[STREAMING].turns if t.role == "clinician"]
    assert said == crashed.acknowledged
    check_resumed(crashed, STREAMING)
