"""The debrief graph end to end with fakes: stages, guards, persistence and controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.engine import Coach, SessionAccessError, ui_messages
from coach.responders.fakes import FixedResponder
from coach.sessions import MemorySessionStore, SqliteSessionStore
from coach.testing import fake_coach, fake_guard
from coach.types import Control, Reply, ResponseRequest, TokenSink
from guardrails.escalation import Action
from guardrails.events import MemoryEventLog
from guardrails.reply_check import SAFE_FALLBACK_REPLY
from guardrails.types import Level
from knowledge.cards import load_builtin_cards

SID = "session-test-0001"
STORY = [
    "Tired but okay, thanks for asking.",
    "A man in his sixties arrested on the ward and we ran the resus for forty minutes.",
    "We couldn't get him back and his wife arrived just after we stopped.",
    "I feel sad, and honestly a bit guilty.",
    "That's it.",
    "The team was brilliant, that helped. Being short-staffed made it harder.",
    "The registrar came straight away.",
    "I came into nursing to look after people like him.",
    "I'd tell a colleague they did everything they could.",
    "I'll talk to my ward manager on Monday.",
]


class RecordingResponder:
    """Replies with the stage, and records each request (and what the store held then)."""

    name = "recording"

    def __init__(self, coach_store: MemorySessionStore) -> None:
        self.store = coach_store
        self.requests: list[ResponseRequest] = []
        self.stored_at_reply: list[list[str]] = []

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        self.requests.append(request)
        state = self.store.load(request.session_id)
        self.stored_at_reply.append([t.text for t in state.turns] if state else [])
        cited = tuple(p.id for p in request.passages[:1])
        text = f"Thank you. Let's stay with the {request.stage} part for a moment."
        if on_token is not None:
            for piece in text.split(" "):
                on_token(piece + " ")
        qid = f"{request.stage}-{len(request.asked)}"
        return Reply(text=text, cited=cited, question_id=qid, responder=self.name)


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def responder(store: MemorySessionStore) -> RecordingResponder:
    return RecordingResponder(store)


@pytest.fixture
def coach(store: MemorySessionStore, responder: RecordingResponder) -> Coach:
    return fake_coach(responder=responder, store=store)


def test_start_greets_and_persists_then_resumes_without_a_new_message(coach: Coach) -> None:
    first = coach.start(SID, user_id="amy")
    assert first.stage == "check-in"
    assert [m.kind for m in first.messages] == ["reply"]
    again = coach.start(SID, user_id="amy")
    assert again.messages == ()
    assert "check in" in coach.resume_message(SID, user_id="amy")


def test_the_message_is_stored_de_identified_before_the_reply(
    coach: Coach, responder: RecordingResponder, store: MemorySessionStore
) -> None:
    coach.start(SID, user_id="amy")
    coach.turn(SID, "Mrs Patel in bed 4 died on 3 March, NHS number 943 476 5919.", user_id="amy")
    stored_then = responder.stored_at_reply[-1]
    assert stored_then[-1].startswith("[NAME] in bed 4 died on [DATE]")
    assert responder.requests[-1].text == stored_then[-1]
    state = store.load(SID)
    assert state is not None
    dump = state.model_dump_json()
    for identifier in ("Patel", "3 March", "943 476 5919"):
        assert identifier not in dump


def test_a_full_debrief_walks_every_stage_and_ends_with_a_summary(
    coach: Coach, responder: RecordingResponder
) -> None:
    coach.start(SID, user_id="amy")
    seen = []
    result = None
    for message in STORY:
        result = coach.turn(SID, message, user_id="amy")
        seen.append(result.stage)
        if result.ended:
            break
    assert result is not None and result.ended
    assert seen[0] == "story"
    for stage in ("feelings", "sense-making", "self-compassion", "next-step", "close"):
        assert stage in seen
    assert seen.index("feelings") < seen.index("sense-making") < seen.index("close")
    summary = result.summary
    for heading in (
        "## Description",
        "## Feelings",
        "## Evaluation",
        "## Analysis",
        "## Action plan",
        "## Support and resources",
    ):
        assert heading in summary
    assert "ward manager on Monday" in summary
    assert "sad" in summary and "guilty" in summary
    assert "The team was brilliant, that helped." in summary.split("**What helped:**")[1]
    assert "short-staffed" in summary.split("**What hindered:**")[1]
    # questions are never repeated and sources are only asked for in grounding stages
    ids = [r.question_id for r in (coach.load(SID) or pytest.fail()).turns if r.question_id]
    assert len(ids) == len(set(ids))
    assert all(not r.passages for r in responder.requests if r.stage in ("check-in", "story"))
    assert any(r.passages for r in responder.requests if r.stage == "self-compassion")
    after = coach.turn(SID, "one more thing", user_id="amy")
    assert after.messages[0].kind == "notice" and "ended" in after.messages[0].text


def test_passages_are_stage_filtered_and_cited_sources_come_back(
    coach: Coach, responder: RecordingResponder
) -> None:
    coach.start(SID)
    for message in STORY[:4]:
        result = coach.turn(SID, message)
    request = responder.requests[-1]
    assert request.stage == "feelings"
    assert request.passages, "feelings should be grounded"
    card_stages = {c.meta.id: c.meta.stages for c in load_builtin_cards()}
    assert all("feelings" in card_stages[p.card_id or ""] for p in request.passages)
    assert [s.id for s in result.sources] == ["S1"]
    assert len({p.card_id for p in request.passages}) == len(request.passages)


def test_history_excludes_the_current_message(coach: Coach, responder: RecordingResponder) -> None:
    coach.start(SID)
    coach.turn(SID, "First message.")
    coach.turn(SID, "Second message.")
    request = responder.requests[-1]
    assert request.text == "Second message."
    assert [t.text for t in request.history if t.role == "clinician"] == ["First message."]
    assert request.turn_index == 1


def test_tokens_stream_to_the_sink(coach: Coach) -> None:
    pieces: list[str] = []
    coach.start(SID, on_token=pieces.append)
    assert len(pieces) > 3


def test_crisis_leaves_the_debrief_and_support_mode_survives_a_restart(
    store: MemorySessionStore, responder: RecordingResponder
) -> None:
    events = MemoryEventLog()
    coach = fake_coach(responder=responder, store=store, guard=fake_guard(events=events))
    coach.start(SID)
    coach.turn(SID, "A patient died on my shift.")
    calls = len(responder.requests)
    crisis = coach.turn(SID, "Honestly everyone would be better off without me.")
    assert crisis.level is Level.CRISIS
    assert crisis.messages[0].kind == "escalation"
    assert Action.IM_SAFE in crisis.messages[0].actions
    assert "116 123" in crisis.text  # the UK crisis line from resources.yaml
    assert len(responder.requests) == calls, "no debrief reply during a crisis"
    assert len(events.recent(10)) == 1
    restarted = fake_coach(responder=responder, store=store)
    still = restarted.turn(SID, "I don't know.")
    assert still.support_active and still.messages[0].kind == "support"
    assert len(responder.requests) == calls
    safe = restarted.control(SID, Control.IM_SAFE)
    assert not safe.support_active
    assert Action.CONTINUE_DEBRIEF in safe.messages[0].actions
    resumed = restarted.control(SID, Control.CONTINUE)
    assert resumed.messages[-1].kind == "reply"
    assert len(responder.requests) == calls + 1
    summary = restarted.summary(SID)
    assert "better off without me" not in summary


def test_a_patients_suicide_is_not_treated_as_the_clinicians_risk(coach: Coach) -> None:
    coach.start(SID)
    result = coach.turn(SID, "My patient died by suicide last night and I keep going over it.")
    assert result.level is Level.NONE
    assert [m.kind for m in result.messages] == ["reply"]


def test_support_is_offered_once_then_the_debrief_continues(
    coach: Coach, responder: RecordingResponder
) -> None:
    coach.start(SID)
    offer = coach.turn(SID, "I just feel like I cannot cope with any of this anymore.")
    assert offer.messages[0].kind == "escalation" and offer.level is Level.SUPPORT
    assert Action.CONTINUE_DEBRIEF in offer.messages[0].actions
    again = coach.turn(SID, "I cannot cope with any of it, really.")
    assert [m.kind for m in again.messages] == ["reply"]


def test_controls_listen_skip_quick_and_end(coach: Coach, responder: RecordingResponder) -> None:
    coach.start(SID)
    coach.turn(SID, "Not great.")
    listen = coach.control(SID, Control.LISTEN_ON)
    assert listen.listen_only and listen.text == ui_messages().listen_on
    coach.turn(SID, "He was only young.")
    coach.turn(SID, "And then the family came in.")
    coach.turn(SID, "And I had to tell them.")
    assert responder.requests[-1].listen_only
    assert responder.requests[-1].stage == "story", "listening holds the stage"
    coach.control(SID, Control.LISTEN_OFF)
    skipped = coach.control(SID, Control.SKIP_STAGE)
    assert skipped.stage == "feelings"
    quick = coach.control(SID, Control.QUICK)
    assert quick.mode == "quick"
    assert coach.control(SID, Control.QUICK).text == ui_messages().already_quick
    coach.turn(SID, "Sad, mostly.")
    after_quick = responder.requests[-1]  # a new name: mypy would keep "story" narrowed
    assert after_quick.stage == "self-compassion", "quick skips sense-making"
    end = coach.control(SID, Control.END)
    assert end.ended and end.stage == "close" and end.summary


def test_a_responder_failure_falls_back_and_loses_nothing(store: MemorySessionStore) -> None:
    coach = fake_coach(responder=FixedResponder(fail_on=[1]), store=store)
    coach.start(SID)
    result = coach.turn(SID, "We lost a patient today.")
    assert result.messages[0].kind == "notice"
    assert result.messages[-1].text == SAFE_FALLBACK_REPLY
    state = store.load(SID)
    assert state is not None
    assert "We lost a patient today." in [t.text for t in state.turns]


def test_a_reply_failing_the_check_is_never_shown(store: MemorySessionStore) -> None:
    coach = fake_coach(responder=FixedResponder(["It sounds like you have PTSD."]), store=store)
    result = coach.start(SID)
    assert result.messages[-1].text == SAFE_FALLBACK_REPLY
    state = store.load(SID)
    assert state is not None and "PTSD" not in state.model_dump_json()


def test_empty_and_oversized_messages_are_not_stored(
    store: MemorySessionStore, responder: RecordingResponder
) -> None:
    coach = fake_coach(responder=responder, store=store, max_message_chars=200)
    coach.start(SID)
    before = len((store.load(SID) or pytest.fail()).turns)
    empty = coach.turn(SID, "   \n ")
    assert empty.messages[0].kind == "notice"
    huge = coach.turn(SID, "word " * 100)
    assert huge.messages[0].kind == "notice" and "500 characters" in huge.messages[0].text
    assert len((store.load(SID) or pytest.fail()).turns) == before


def test_an_oversized_crisis_message_still_escalates(store: MemorySessionStore) -> None:
    coach = fake_coach(store=store, max_message_chars=200)
    coach.start(SID)
    text = "word " * 60 + "I want to kill myself."
    assert coach.turn(SID, text).level is Level.CRISIS


def test_sessions_are_scoped_to_their_account(coach: Coach) -> None:
    coach.start(SID, user_id="amy")
    with pytest.raises(SessionAccessError):
        coach.turn(SID, "hello", user_id="ben")
    with pytest.raises(SessionAccessError):
        coach.summary(SID, user_id="ben")


def test_retrieval_failure_does_not_stop_the_debrief(
    store: MemorySessionStore, responder: RecordingResponder
) -> None:
    class Broken:
        def search(self, query: str, k: int = 5, *, stage: str | None = None) -> list[object]:
            raise ConnectionError("vector store down")

    coach = fake_coach(responder=responder, store=store, retriever=Broken())  # type: ignore[arg-type]
    coach.start(SID)
    for message in STORY[:4]:
        result = coach.turn(SID, message)
    assert result.messages[-1].kind == "reply"
    assert responder.requests[-1].passages == ()


def test_state_survives_a_restart_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    first = fake_coach(store=SqliteSessionStore(path))
    first.start(SID, user_id="amy")
    for message in STORY[:4]:
        first.turn(SID, message, user_id="amy")
    stage = (first.load(SID) or pytest.fail()).stage
    second = fake_coach(store=SqliteSessionStore(path))
    state = second.load(SID, user_id="amy")
    assert state is not None and state.stage == stage == "feelings"
    assert second.start(SID, user_id="amy").messages == ()
    assert second.turn(SID, "Still sad.", user_id="amy").stage in ("feelings", "sense-making")


def test_delete_my_data_removes_only_that_accounts_sessions(coach: Coach) -> None:
    coach.start("session-amy-0001", user_id="amy")
    coach.start("session-amy-0002", user_id="amy")
    coach.start("session-ben-0001", user_id="ben")
    assert coach.delete_user("amy") == 2
    assert coach.sessions_for("amy") == []
    assert coach.sessions_for("ben") == ["session-ben-0001"]


def test_as_json_has_the_script_fields(coach: Coach) -> None:
    coach.start(SID)
    row = coach.turn(SID, "We lost a child today.").as_json("We lost a child today.")
    for key in ("user", "coach", "stage", "escalation", "sources"):
        assert key in row
    assert row["escalation"] == "none"
