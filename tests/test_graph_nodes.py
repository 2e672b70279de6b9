"""Each node of the debrief graph on its own, with fakes."""

from __future__ import annotations

import pytest

from coach.emotions.base import LexiconEmotionRecognizer
from coach.graph import DebriefGraph, GraphDeps, OutMessage, TurnState
from coach.responders.fakes import FixedResponder
from coach.sessions import MemorySessionStore
from coach.state import DebriefState, Turn
from coach.testing import card_knowledge, fake_guard
from coach.types import Passage, Reply
from guardrails.escalation import Action
from guardrails.events import MemoryEventLog
from guardrails.reply_check import SAFE_FALLBACK_REPLY
from guardrails.types import Level

SID = "session-node-0001"


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def events() -> MemoryEventLog:
    return MemoryEventLog()


@pytest.fixture
def graph(store: MemorySessionStore, events: MemoryEventLog) -> DebriefGraph:
    deps = GraphDeps(
        guard=fake_guard(events=events),
        responder=FixedResponder(["Thank you for telling me. What stays with you most? [S1]"]),
        store=store,
        emotions=LexiconEmotionRecognizer(),
        retriever=card_knowledge(),
        max_message_chars=300,
    )
    return DebriefGraph(deps)


def _state(**updates: object) -> DebriefState:
    return DebriefState(session_id=SID, **updates)  # type: ignore[arg-type]


# --- guard ---------------------------------------------------------------------------


def test_guard_routes_ordinary_talk_to_the_debrief(graph: DebriefGraph) -> None:
    out = graph.guard(TurnState(debrief=_state(), text="We lost a patient on the ward."))
    assert out["route"] == "debrief"
    assert out["screening"].level is Level.NONE


def test_guard_routes_crisis_and_records_an_event_without_text(
    graph: DebriefGraph, events: MemoryEventLog
) -> None:
    out = graph.guard(TurnState(debrief=_state(), text="I want to end my life."))
    assert out["route"] == "crisis"
    [event] = events.recent(5)
    assert "end my life" not in event.model_dump_json()


def test_guard_keeps_support_mode_whatever_the_level(graph: DebriefGraph) -> None:
    state = _state()
    state.support = state.support.model_copy(update={"active": True})
    out = graph.guard(TurnState(debrief=state, text="The sandwich was nice."))
    assert out["route"] == "support_mode"


def test_guard_offers_support_once_per_window(graph: DebriefGraph) -> None:
    text = "I just feel like I cannot cope with any of this anymore."
    assert graph.guard(TurnState(debrief=_state(), text=text))["route"] == "support"
    offered = _state(support_offered_at=0)
    assert graph.guard(TurnState(debrief=offered, text=text))["route"] == "debrief"


def test_guard_refuses_oversized_and_empty_messages_and_ended_sessions(
    graph: DebriefGraph,
) -> None:
    assert graph.guard(TurnState(debrief=_state(), text="x " * 400))["route"] == "refused"
    assert graph.guard(TurnState(debrief=_state(), text=" \t"))["route"] == "empty"
    assert graph.guard(TurnState(debrief=_state(ended=True), text="hi"))["route"] == "ended"
    assert graph.guard(TurnState(debrief=_state(), text="", skip=True))["route"] == "debrief"


# --- deidentify ----------------------------------------------------------------------


def test_deidentify_stores_only_redacted_text_before_any_reply(
    graph: DebriefGraph, store: MemorySessionStore
) -> None:
    text = "Mr Jones died on 3 March and I feel guilty."
    guarded = graph.guard(TurnState(debrief=_state(), text=text))
    state = TurnState(debrief=_state(), text=text, **guarded)
    out = graph.deidentify(state)
    assert out["text"] == "" and "Jones" not in out["redacted"]
    saved = store.load(SID)
    assert saved is not None and saved.turns[-1].text == out["redacted"]
    assert "guilty" in saved.emotions and saved.stage_turns == 1


# --- stage_policy --------------------------------------------------------------------


def test_stage_policy_moves_on_after_the_budget(graph: DebriefGraph) -> None:
    out = graph.stage_policy(TurnState(debrief=_state(stage="check-in", stage_turns=1)))
    assert out["debrief"].stage == "story" and out["stage_changed"]
    assert out["debrief"].stage_turns == 0


def test_stage_policy_end_goes_to_close(graph: DebriefGraph) -> None:
    out = graph.stage_policy(TurnState(debrief=_state(stage="feelings"), end=True))
    assert out["debrief"].stage == "close"


# --- retrieve ------------------------------------------------------------------------


def test_retrieve_skips_the_story_and_grounds_self_compassion(graph: DebriefGraph) -> None:
    story = graph.retrieve(TurnState(debrief=_state(stage="story"), redacted="He died."))
    assert story["passages"] == []
    out = graph.retrieve(TurnState(debrief=_state(stage="self-compassion"), redacted=""))
    passages: list[Passage] = out["passages"]
    assert [p.id for p in passages] == ["S1", "S2", "S3"]
    assert len({p.card_id for p in passages}) == 3
    assert all(p.citation for p in passages)


# --- respond -------------------------------------------------------------------------


def test_respond_streams_and_builds_the_request(graph: DebriefGraph) -> None:
    pieces: list[str] = []
    state = TurnState(debrief=_state(stage="feelings"), redacted="I feel sad.")
    out = graph.respond(state, {"configurable": {"on_token": pieces.append}})
    assert out["reply"].text.startswith("Thank you")
    assert "".join(pieces).strip() == out["reply"].text


# --- reply_check ---------------------------------------------------------------------


def test_reply_check_replaces_a_failing_reply(graph: DebriefGraph) -> None:
    bad = TurnState(debrief=_state(), reply=Reply(text="You clearly have burnout syndrome."))
    assert graph.reply_check(bad)["reply"].text == SAFE_FALLBACK_REPLY
    good = TurnState(debrief=_state(), reply=Reply(text="That sounds like a lot to carry."))
    assert graph.reply_check(good) == {}


# --- escalate ------------------------------------------------------------------------


def test_escalate_enters_support_mode_on_crisis(graph: DebriefGraph) -> None:
    text = "I want to end my life."
    guarded = graph.guard(TurnState(debrief=_state(), text=text))
    state = TurnState(debrief=_state(), text=text, **guarded)
    state = state.model_copy(update=graph.deidentify(state))
    out = graph.escalate(state)
    assert out["debrief"].support.active
    [message] = out["outputs"]
    assert message.kind == "escalation" and Action.IM_SAFE in message.actions


# --- persist -------------------------------------------------------------------------


def test_persist_records_the_reply_its_sources_and_the_summary_at_close(
    graph: DebriefGraph, store: MemorySessionStore
) -> None:
    passage = Passage(
        "S1",
        "chunk-1",
        "card-a",
        "A card",
        "A card",
        "text",
        "practice",
        "Neff, K. D. (2003). Self-compassion.",
        1.0,
    )
    debrief = _state(stage="close")
    debrief.add(Turn(role="clinician", text="I'll call my mentor.", stage="next-step"))
    state = TurnState(
        debrief=debrief,
        passages=[passage],
        reply=Reply(text="Go gently [S1].", cited=("S1",), question_id="close-1"),
    )
    out = graph.persist(state)
    d = out["debrief"]
    assert d.ended and d.asked == ["close-1"] and d.insights_used == ["card-a"]
    assert [m.kind for m in out["outputs"]] == ["reply", "summary"]
    assert out["outputs"][0].sources == (passage,)
    assert "I'll call my mentor." in d.summary_markdown
    assert store.load(SID) is not None


def test_persist_records_escalation_messages_as_coach_turns(graph: DebriefGraph) -> None:
    state = TurnState(
        debrief=_state(),
        outputs=[OutMessage("escalation", "Are you safe right now?", level=Level.CRISIS)],
    )
    d = graph.persist(state)["debrief"]
    assert d.turns[-1].kind == "escalation" and d.turns[-1].level == "crisis"
