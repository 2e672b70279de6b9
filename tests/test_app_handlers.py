"""The chat's behaviour (coach.app.handlers) against the in-memory coach, with a Chainlit
context whose emitter records what the browser would receive."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import ask_answer, chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit as cl

from coach.app import render, wording
from coach.app.handlers import DebriefChat, commands, starters
from coach.educator.recorder import ThemeRecorder
from coach.educator.store import ThemeStore
from coach.engine import Coach
from coach.responders.fakes import FixedResponder
from coach.testing import fake_coach
from coach.types import Control
from guardrails.events import MemoryEventLog
from guardrails.webhook import DeliveryResult, Notifier

CRISIS = "I've been thinking everyone would be better off without me"
CITING = "That sounds heavy. Many clinicians feel this after a death (S1)."


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def coach_with(*replies: str) -> Coach:
    return fake_coach(responder=FixedResponder(replies or ("What stays with you most?",)))


def message(text: str, command: str | None = None) -> cl.Message:
    msg = cl.Message(content=text, type="user_message", author="nurse.one")
    msg.command = command
    return msg


def test_starters_and_commands_cover_the_incidents_and_controls() -> None:
    labels = [s.label for s in starters()]
    assert labels == [
        "A patient died",
        "A medication error",
        "An aggressive relative",
        "Care that felt futile",
        "A child's death",
    ]
    ids = {c["id"] for c in commands()}
    assert {"Skip", "Listen", "Guide", "Quick", "End", "Support", "Delete"} <= ids


def test_first_message_streams_a_reply_with_the_controls() -> None:
    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(coach_with("Thank you for telling me. What stays with you most?"))
        await chat.on_message(message("A patient died after a cardiac arrest."))
        assert "".join(emitter.tokens()).strip().startswith("Thank you for telling me")
        [reply] = emitter.messages()
        assert reply["output"] == "Thank you for telling me. What stays with you most?"
        assert reply["name"] == wording.COACH_AUTHOR
        assert emitter.labels() == ["Skip this part", "Just listen", "Quick debrief", "End debrief"]

    run(go())


def test_final_text_replaces_what_was_streamed() -> None:
    class Regenerating(FixedResponder):
        def respond(self, request: Any, on_token: Any = None) -> Any:
            reply = super().respond(request, on_token)
            return type(reply)(text="The checked reply.", responder="fixed")

    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(fake_coach(responder=Regenerating(("A first draft",))))
        await chat.on_message(message("It was a hard night."))
        assert emitter.tokens()
        assert [m["output"] for m in emitter.messages()] == ["The checked reply."]

    run(go())


def test_sources_are_side_elements_named_in_the_reply() -> None:
    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(coach_with(CITING))
        await chat.on_message(message("Our patient died last night."))
        await chat.control(Control.SKIP_STAGE)  # past check-in and what happened
        await chat.control(Control.SKIP_STAGE)
        await chat.on_message(message("I felt sad on the drive home."))
        texts = [e for e in emitter.elements() if e["type"] == "text"]
        assert texts, "a reply from the feelings stage onward cites a passage"
        name = texts[-1]["name"]
        assert name.startswith("S1 · ")
        assert texts[-1]["display"] == "side"
        last = emitter.messages()[-1]["output"]
        assert f"{wording.SOURCES_LINE}{name}" in last

    run(go())


def test_controls_toggle_and_end_gives_the_summary_file() -> None:
    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(coach_with("Go on."))
        await chat.on_message(message("A relative shouted at me on the ward."))
        await chat.control(Control.LISTEN_ON)
        assert "Guide me" in emitter.labels() and "Just listen" not in emitter.labels()
        await chat.control(Control.QUICK)
        assert "Full debrief" in emitter.labels()
        await chat.on_message(message("End", command="End"))
        summary = emitter.messages()[-1]
        assert summary["output"].startswith("#")
        files = [e for e in emitter.elements() if e["type"] == "file"]
        assert files and files[-1]["name"] == "debrief-summary.md"
        assert emitter.labels() == []  # the debrief has ended: no controls left

    run(go())


def test_crisis_gets_the_support_message_and_im_safe_continues() -> None:
    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(coach_with("Go on."))
        await chat.on_message(message("A patient died on my shift."))
        await chat.on_message(message(CRISIS))
        support = emitter.messages()[-1]
        assert support["name"] == wording.SUPPORT_AUTHOR
        assert emitter.labels() == ["See human support options", "I'm safe, continue"]
        await chat.show_resources()
        options = [e for e in emitter.elements() if e["type"] == "custom"][-1]
        hrefs = [r["href"] for r in options["props"]["resources"]]
        assert any(h.startswith("tel:") for h in hrefs)
        await chat.control(Control.IM_SAFE)
        assert "Continue the debrief" in emitter.labels()
        assert "I'm safe, continue" not in emitter.labels()

    run(go())


class _Transport:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        self.bodies.append(body)
        return DeliveryResult(ok=True, attempts=1, status_code=200)


def _peer_chat(transport: _Transport) -> DebriefChat:
    coach = coach_with("Go on.")
    coach.deps.guard.peer_contact_available = True
    notifier = Notifier("https://peer.example.org/hook", b"x" * 32, transport, log=MemoryEventLog())
    return DebriefChat(coach, notifier=notifier)


def test_peer_supporter_button_only_when_configured() -> None:
    async def go() -> None:
        emitter = chat_session()
        await DebriefChat(coach_with("Go on.")).on_message(message(CRISIS))
        assert "Contact the on-call peer supporter" not in emitter.labels()
        emitter = chat_session()
        await _peer_chat(_Transport()).on_message(message(CRISIS))
        assert "Contact the on-call peer supporter" in emitter.labels()

    run(go())


def test_peer_supporter_is_contacted_only_after_consent() -> None:
    async def go() -> None:
        transport = _Transport()
        chat_session(answers=[ask_answer("no")])
        chat = _peer_chat(transport)
        await chat.on_message(message(CRISIS))
        await chat.contact_peer_supporter()
        assert transport.bodies == []
        emitter = chat_session(answers=[ask_answer("contact"), {"output": "bleep 4417"}])
        await chat.on_message(message(CRISIS))
        await chat.contact_peer_supporter()
        [body] = transport.bodies
        assert b"bleep 4417" in body and b"better off" not in body
        assert "request has been sent" in emitter.messages()[-1]["output"]

    run(go())


def test_delete_my_data_asks_first_then_clears_the_sessions() -> None:
    async def go() -> None:
        coach = coach_with("Go on.")
        chat = DebriefChat(coach)
        emitter = chat_session(answers=[ask_answer("keep")])
        await chat.on_message(message("A child died in our care."))
        await chat.on_message(message("", command="Delete"))
        assert coach.sessions_for("nurse.one")
        assert emitter.messages()[-1]["output"] == wording.DELETE_KEPT
        emitter.answers.append(ask_answer("delete"))
        await chat.run_command("delete")
        assert coach.sessions_for("nurse.one") == []
        assert "have been deleted" in emitter.messages()[-1]["output"]
        await chat.on_message(message("Still there?"))
        assert emitter.messages()[-1]["output"] == wording.AFTER_DELETE
        assert coach.sessions_for("nurse.one") == []

    run(go())


def test_delete_my_data_also_deletes_the_theme_records(tmp_path: Path) -> None:
    """A debrief's anonymous theme record is still linked to its clinician by a keyed
    token, so "Delete my data" removes it too (without opting out of future records)."""

    async def go() -> None:
        coach = coach_with("Go on.")
        recorder = ThemeRecorder(ThemeStore(tmp_path / "themes.db"), b"k" * 32)
        coach.deps.on_saved = recorder.on_saved
        chat = DebriefChat(coach, themes=lambda: recorder)
        emitter = chat_session(answers=[ask_answer("delete")])
        await chat.on_message(message("A child died in our care."))
        await chat.run_command(Control.END)
        assert recorder.store.count() == 1
        other = coach.start("session-other-clinician", user_id="nurse.two")
        assert other is not None
        coach.turn("session-other-clinician", "A long night.", user_id="nurse.two")
        coach.control("session-other-clinician", Control.END, user_id="nurse.two")
        assert recorder.store.count() == 2
        await chat.run_command("delete")
        assert "have been deleted" in emitter.messages()[-1]["output"]
        assert recorder.store.count() == 1  # nurse.two's record stays
        assert not recorder.opted_out("nurse.one")

    run(go())


def test_another_accounts_session_is_refused() -> None:
    async def go() -> None:
        coach = coach_with("Go on.")
        chat = DebriefChat(coach)
        chat_session("nurse.one", thread_id="shared-thread-1")
        await chat.on_message(message("A patient died."))
        emitter = chat_session("nurse.two", thread_id="shared-thread-1")
        await chat.on_message(message("Let me in."))
        assert emitter.messages()[-1]["output"] == wording.NOT_YOURS

    run(go())


def test_resume_posts_welcome_back_with_controls() -> None:
    async def go() -> None:
        coach = coach_with("Go on.")
        chat = DebriefChat(coach)
        emitter = chat_session(thread_id="resumed-thread-1")
        await chat.on_message(message("A medication error on my shift."))
        emitter = chat_session(thread_id="resumed-thread-1")
        await chat.on_chat_resume({"id": "resumed-thread-1"})  # type: ignore[typeddict-item]
        await asyncio.sleep(0.8)
        welcome = emitter.messages()[-1]
        assert welcome["output"].startswith("Welcome back")
        assert "End debrief" in emitter.labels()
        # Opened again without writing: the same welcome back gets its buttons back.
        emitter = chat_session(thread_id="resumed-thread-1")
        step = {"id": welcome["id"], "type": "assistant_message", "output": welcome["output"]}
        await chat.on_chat_resume({"id": "resumed-thread-1", "steps": [step]})  # type: ignore[typeddict-item]
        await asyncio.sleep(0.8)
        assert emitter.messages() == []
        assert {a["forId"] for a in emitter.actions()} == {welcome["id"]}

    run(go())


@pytest.mark.parametrize("view_mode", ["full", "quick"])
def test_control_buttons_follow_the_debrief(view_mode: str) -> None:
    view = render.DebriefView(view_mode, False, False, False)  # type: ignore[arg-type]
    labels = [a.label for a in render.control_actions(view)]
    assert ("Full debrief" in labels) == (view_mode == "quick")
    assert render.control_actions(render.DebriefView("full", False, True, False)) == []


def test_a_failing_turn_says_so_and_keeps_the_chat_up(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        emitter = chat_session()
        coach = coach_with("Go on.")

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("database is locked")

        monkeypatch.setattr(coach, "turn", broken)
        await DebriefChat(coach).on_message(message("A hard shift."))
        assert emitter.messages()[-1]["output"] == wording.SOMETHING_WENT_WRONG
        assert "locked" not in emitter.messages()[-1]["output"]

    run(go())


CONTROLS = ["Skip this part", "Just listen", "Quick debrief", "End debrief"]


def test_a_support_offer_keeps_the_debrief_controls() -> None:
    """A support offer continues the debrief, so it ends with the usual controls after its
    own buttons (the load test found debriefs with no *End debrief* after one); a crisis
    keeps only its own, until the clinician says they are safe."""

    async def go() -> None:
        emitter = chat_session()
        chat = DebriefChat(coach_with("Go on."))
        await chat.on_message(message("A patient died on my shift."))
        await chat.on_message(message("I'm not coping"))
        offer = emitter.messages()[-1]
        assert offer["name"] == wording.SUPPORT_AUTHOR
        assert emitter.labels() == ["See human support options", "Continue the debrief", *CONTROLS]
        assert {a["forId"] for a in emitter.actions()} == {offer["id"]}

        await chat.on_message(message(CRISIS))
        assert emitter.labels() == ["See human support options", "I'm safe, continue"]
        await chat.control(Control.IM_SAFE)
        assert emitter.labels()[-4:] == CONTROLS

    run(go())
