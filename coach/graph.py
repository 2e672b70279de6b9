"""The debrief as a LangGraph graph. One turn runs:

    guard → deidentify → stage_policy → retrieve → respond → reply_check → persist
                 └─(crisis, support offer, support mode)→ escalate → persist

``guard`` screens the clinician's raw words for risk (in memory only);
``deidentify`` replaces identifiers and writes the message to the session store before
any reply is generated; nothing later in the graph sees the raw text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict, Field

from coach import stages
from coach.emotions.base import EmotionRecognizer
from coach.responders.base import Responder
from coach.sessions import SessionStore
from coach.state import DebriefState, InsightNote, Turn
from coach.summary import build_summary
from coach.types import EmotionScore, Passage, Reply, ResponseRequest, Stage, TokenSink
from guardrails.escalation import Action, EscalationReply, SupportMode, SupportModeTurn
from guardrails.guard import Guard, Screening
from guardrails.reply_check import SAFE_FALLBACK_REPLY
from guardrails.resources import Resource
from guardrails.types import Level
from knowledge.types import SearchResult

log = logging.getLogger(__name__)

Route = Literal[
    "debrief", "crisis", "support", "support_mode", "empty", "refused", "ended", "unsaved"
]
OutKind = Literal["reply", "escalation", "support", "summary", "notice"]

# Stages where a grounded insight or practice can help; others skip retrieval.
RETRIEVAL_STAGES: frozenset[Stage] = frozenset(
    {"feelings", "sense-making", "self-compassion", "next-step"}
)
STAGE_QUERIES: dict[Stage, str] = {
    "feelings": "normal emotional reactions of clinicians after a difficult event",
    "sense-making": "system factors and learning without blame after an adverse event",
    "self-compassion": "short self-compassion practice and reconnecting with values",
    "next-step": "peer support and asking for help after a difficult shift",
}
NAMED_EMOTION_SCORE = 0.7  # below this an emotion is the classifier's guess, not named
SUPPORT_REOFFER_AFTER = 6  # clinician messages before a support offer is repeated
EMPTY_REPLY = "Take your time. Whenever you're ready, I'm here to listen."
ENDED_NOTICE = (
    "This debrief has ended, and your summary is above. Start a new chat for a new debrief."
)
# When a part of the coach is down (the session store, the chat database, the vector
# store): what the clinician is told, so nothing is dropped silently.
NOT_SAVED_NOTICE = (
    "I couldn't save that message to your debrief just now, so I haven't replied to it. "
    "Please send it again in a minute or two; everything saved before it is safe."
)
SUPPORT_NOT_SAVED_NOTICE = (
    "I couldn't save this part of our conversation just now. The people and numbers above "
    "don't depend on this app: please reach out to them now if you need to."
)
REPLY_NOT_SAVED_NOTICE = (
    "I couldn't save this step of your debrief just now, so it may be missing when you come "
    "back. If the debrief seems out of step, please try again in a minute or two."
)
STORE_UNAVAILABLE_NOTICE = (
    "I can't reach your saved debrief just now, so nothing has changed. Please try again "
    "in a minute or two; everything saved before is safe."
)
NO_SOURCES_NOTICE = (
    "The coach's library of sources isn't reachable right now, so this reply has none. "
    "The debrief carries on as usual."
)


class Retriever(Protocol):
    def search(self, query: str, k: int = 5, *, stage: str | None = None) -> list[SearchResult]: ...


@dataclass(frozen=True)
class OutMessage:
    """One message the coach shows for this turn."""

    kind: OutKind
    text: str
    actions: tuple[Action, ...] = ()
    resources: tuple[Resource, ...] = ()
    sources: tuple[Passage, ...] = ()
    level: Level = Level.NONE


class TurnState(BaseModel):
    """The graph's working state for one turn (held in memory, never stored whole)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    debrief: DebriefState
    text: str = ""  # the clinician's raw message: used by the guard, then dropped
    skip: bool = False
    end: bool = False
    nudge: bool = False  # reply without a new message (opening, "continue")
    screening: Screening | None = None
    redacted: str = ""
    route: Route = "debrief"
    stage_changed: bool = False
    emotions: list[EmotionScore] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    reply: Reply | None = None
    outputs: list[OutMessage] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    # Faults. ``store_ok``: the debrief state was loaded (when not, nothing is written:
    # a blank state must never replace the stored one). ``chat_saved``: the chat app
    # wrote the message to its chat database. ``unsaved``: some of this turn was not
    # saved, and the clinician is told so.
    store_ok: bool = True
    chat_saved: bool = True
    unsaved: bool = False


@dataclass
class GraphDeps:
    guard: Guard
    responder: Responder
    store: SessionStore
    emotions: EmotionRecognizer
    retriever: Retriever | None
    passages_per_turn: int = 3
    max_message_chars: int = 8000
    on_saved: Callable[[DebriefState], None] | None = field(default=None)


def _sink(config: RunnableConfig | None) -> TokenSink | None:
    configurable = (config or {}).get("configurable", {})
    sink = configurable.get("on_token")
    return sink if callable(sink) else None


class DebriefGraph:
    """Builds and runs the compiled graph over ``GraphDeps``."""

    def __init__(self, deps: GraphDeps) -> None:
        self.deps = deps
        graph = StateGraph(TurnState)
        graph.add_node("guard", self.guard)
        graph.add_node("deidentify", self.deidentify)
        graph.add_node("stage_policy", self.stage_policy)
        graph.add_node("retrieve", self.retrieve)
        graph.add_node("respond", self.respond)
        graph.add_node("reply_check", self.reply_check)
        graph.add_node("escalate", self.escalate)
        graph.add_node("persist", self.persist)
        graph.add_edge(START, "guard")
        graph.add_conditional_edges(
            "guard",
            self._after_guard,
            {"deidentify": "deidentify", "stage_policy": "stage_policy", "end": END},
        )
        graph.add_conditional_edges(
            "deidentify",
            self._after_deidentify,
            {"escalate": "escalate", "stage_policy": "stage_policy", "end": END},
        )
        graph.add_edge("stage_policy", "retrieve")
        graph.add_edge("retrieve", "respond")
        graph.add_edge("respond", "reply_check")
        graph.add_edge("reply_check", "persist")
        graph.add_edge("escalate", "persist")
        graph.add_edge("persist", END)
        self.compiled = graph.compile()

    def run(self, state: TurnState, on_token: TokenSink | None = None) -> TurnState:
        config: RunnableConfig = {"configurable": {"on_token": on_token}}
        result: dict[str, Any] = self.compiled.invoke(state, config=config)
        return TurnState.model_validate(result)

    # --- routing -------------------------------------------------------------------

    @staticmethod
    def _after_guard(state: TurnState) -> str:
        if state.route in ("empty", "refused", "ended"):
            return "end"
        if not state.text:  # a control (skip, end) with no message: nothing to record
            return "stage_policy"
        return "deidentify"

    @staticmethod
    def _after_deidentify(state: TurnState) -> str:
        if state.route == "unsaved":
            return "end"
        return (
            "escalate" if state.route in ("crisis", "support", "support_mode") else "stage_policy"
        )

    # --- nodes ---------------------------------------------------------------------

    def guard(self, state: TurnState) -> dict[str, Any]:
        """Screen the raw message for risk (with the conversation as context)."""
        d = state.debrief
        if d.ended:
            return {"route": "ended", "outputs": [OutMessage("notice", ENDED_NOTICE)]}
        text = state.text
        if not text.strip():
            if state.skip or state.end or state.nudge:
                return {"text": "", "route": "debrief"}
            return {"text": "", "route": "empty", "outputs": [OutMessage("notice", EMPTY_REPLY)]}
        screening = self.deps.guard.screen(
            text,
            d.clinician_texts(),
            session=d.session_id,
            answers_direct_question=d.asked_directly_at == d.message_count,
        )
        level = screening.level
        too_long = len(text) > self.deps.max_message_chars
        if too_long and level is not Level.CRISIS:
            notice = (
                f"That message is {len(text):,} characters, more than the "
                f"{self.deps.max_message_chars:,} I can take in one go (the limit set by "
                "COACH_MAX_MESSAGE_CHARS). Nothing has been saved; could you send it in "
                "shorter parts?"
            )
            return {"route": "refused", "outputs": [OutMessage("notice", notice)]}
        route: Route = "debrief"
        if d.support.active:
            route = "support_mode"
        elif level is Level.CRISIS:
            route = "crisis"
        elif level is Level.SUPPORT and (
            _due(d.support_offered_at, d.message_count)
            or (screening.assessment.ask_directly and _due(d.asked_directly_at, d.message_count))
        ):
            route = "support"
        return {"screening": screening, "route": route}

    def deidentify(self, state: TurnState) -> dict[str, Any]:
        """Keep only the de-identified text, and write it before any reply exists. A
        message that cannot be saved gets no reply (the clinician is asked to send it
        again), except a disclosure of risk, which is always answered."""
        assert state.screening is not None
        d = state.debrief.model_copy(deep=True)
        redacted = state.screening.redaction.redacted
        emotions = self.deps.emotions.recognise(redacted) if state.route == "debrief" else []
        level = state.screening.level
        d.add(
            Turn(
                role="clinician",
                text=redacted,
                stage=d.stage,
                kind="message" if state.route == "debrief" else "disclosure",
                level=level.value,
                emotions=tuple(e.phrase for e in emotions),
            )
        )
        for emotion in emotions:
            if emotion.score >= NAMED_EMOTION_SCORE and emotion.phrase not in d.emotions:
                d.emotions = [*d.emotions, emotion.phrase]
        if Level(d.peak_level).rank < level.rank:
            d.peak_level = level.value
        if state.route == "debrief":
            d.stage_turns += 1
        # A disclosure is kept in the debrief state even when the chat database is down,
        # so support mode carries on.
        may_save = state.store_ok and (state.chat_saved or state.route != "debrief")
        saved = may_save and self._try_save(d)
        if not saved and state.route == "debrief":
            return {
                "route": "unsaved",
                "text": "",
                "outputs": [OutMessage("notice", NOT_SAVED_NOTICE)],
            }
        unsaved = not saved or not state.chat_saved
        return {
            "debrief": d,
            "text": "",
            "redacted": redacted,
            "emotions": emotions,
            "unsaved": unsaved,
        }

    def stage_policy(self, state: TurnState) -> dict[str, Any]:
        d = state.debrief.model_copy(deep=True)
        if state.end:
            decision = stages.StageDecision("close", d.stage != "close", "end")
        else:
            decision = stages.decide(
                d.stage,
                d.stage_turns,
                d.mode,
                text=state.redacted,
                listen_only=d.listen_only,
                skip=state.skip,
            )
        if decision.changed:
            d.stage = decision.stage
            d.stage_turns = 0
            if decision.stage not in d.stages_visited:
                d.stages_visited = [*d.stages_visited, decision.stage]
        return {"debrief": d, "stage_changed": decision.changed}

    def retrieve(self, state: TurnState) -> dict[str, Any]:
        d = state.debrief
        if (
            self.deps.retriever is None
            or self.deps.passages_per_turn == 0
            or d.stage not in RETRIEVAL_STAGES
        ):
            return {"passages": []}
        query = state.redacted.strip()[:500] or STAGE_QUERIES[d.stage]
        try:
            results = self.deps.retriever.search(
                query, self.deps.passages_per_turn * 3, stage=d.stage
            )
        except Exception as exc:  # the debrief goes on without grounding, and says so
            log.warning("retrieval failed (%s); replying without passages", exc)
            return {"passages": [], "notices": [*state.notices, NO_SOURCES_NOTICE]}
        chosen: list[SearchResult] = []
        seen: set[str] = set()
        for result in results:
            key = result.card_id or result.chunk_id
            if key in seen:
                continue
            seen.add(key)
            chosen.append(result)
            if len(chosen) == self.deps.passages_per_turn:
                break
        passages = [Passage.from_result(f"S{i}", r) for i, r in enumerate(chosen, start=1)]
        return {"passages": passages}

    def respond(self, state: TurnState, config: RunnableConfig) -> dict[str, Any]:
        d = state.debrief
        request = ResponseRequest(
            session_id=d.session_id,
            text=state.redacted,
            stage=d.stage,
            stage_changed=state.stage_changed,
            mode=d.mode,
            listen_only=d.listen_only,
            history=d.history()[:-1] if state.redacted else d.history(),
            passages=tuple(state.passages),
            emotions=tuple(state.emotions),
            asked=tuple(d.asked),
            insights_used=tuple(d.insights_used),
            turn_index=max(0, d.message_count - (1 if state.redacted else 0)),
        )
        try:
            reply = self.deps.responder.respond(request, on_token=_sink(config))
        except Exception as exc:  # a responder must never take the conversation down
            log.exception("responder failed")
            reply = Reply(
                text=SAFE_FALLBACK_REPLY,
                responder="fallback",
                notice="Something went wrong writing that reply, so I've kept it simple. "
                f"Nothing you wrote has been lost. ({type(exc).__name__})",
            )
        return {"reply": reply}

    def reply_check(self, state: TurnState) -> dict[str, Any]:
        """The last word on what the clinician sees: a reply failing the check is never
        shown (the responder should already have regenerated or fallen back)."""
        assert state.reply is not None
        verdict = self.deps.guard.check_reply(state.reply.text)
        if verdict.passed:
            return {}
        log.warning("reply failed the final check: %s", ", ".join(verdict.reasons))
        return {"reply": replace(state.reply, text=SAFE_FALLBACK_REPLY, cited=(), responder="safe")}

    def escalate(self, state: TurnState) -> dict[str, Any]:
        """Crisis, an offer of support, or a turn of support mode: fixed wording."""
        assert state.screening is not None
        d = state.debrief.model_copy(deep=True)
        guard = self.deps.guard
        mode = SupportMode.from_state(
            d.support, guard.resources, peer_contact_available=guard.peer_contact_available
        )
        assessment = state.screening.assessment
        out: OutMessage
        if state.route == "support_mode":
            turn: SupportModeTurn = mode.on_message(state.redacted, assessment)
            kind: OutKind = "support" if turn.active else "reply"
            level = Level.CRISIS if turn.active else Level.NONE
            out = OutMessage(kind, turn.text, turn.actions, turn.resources, level=level)
        else:
            escalation = state.screening.escalation
            assert escalation is not None
            if escalation.level is Level.CRISIS:
                mode.enter(assessment)
            else:
                d.support_offered_at = d.message_count
                if escalation.asks_directly:
                    d.asked_directly_at = d.message_count
            out = _escalation_message(escalation)
        d.support = mode.to_state()
        return {"debrief": d, "outputs": [*state.outputs, out]}

    def persist(self, state: TurnState) -> dict[str, Any]:
        d = state.debrief.model_copy(deep=True)
        outputs = list(state.outputs)
        outputs.extend(OutMessage("notice", text) for text in state.notices)
        if state.reply is not None:
            reply = state.reply
            by_id = {p.id: p for p in state.passages}
            cited = [by_id[c] for c in reply.cited if c in by_id]
            d.add(
                Turn(
                    role="coach",
                    text=reply.text,
                    stage=d.stage,
                    kind="reply",
                    sources=tuple(p.chunk_id for p in cited),
                    question_id=reply.question_id,
                    responder=reply.responder,
                )
            )
            if reply.question_id and reply.question_id not in d.asked:
                d.asked = [*d.asked, reply.question_id]
            d.cited = [*d.cited, *(p.chunk_id for p in cited)]
            for p in cited:
                key = p.card_id or p.chunk_id
                if key not in d.insights_used:
                    d.insights_used = [*d.insights_used, key]
                    d.insights = [
                        *d.insights,
                        InsightNote(key=key, title=p.title, citation=p.citation),
                    ]
            if reply.insight_id and reply.insight_id not in d.insights_used:
                d.insights_used = [*d.insights_used, reply.insight_id]
            if reply.notice:
                outputs.append(OutMessage("notice", reply.notice))
            outputs.append(OutMessage("reply", reply.text, sources=tuple(cited)))
            if d.stage == "close" and not d.ended:
                summary = build_summary(d, self.deps.guard.resources)
                d.summary_markdown = summary.to_markdown(date=d.created_at.strftime("%d %B %Y"))
                d.ended = True
                d.ended_at = d.updated_at
                d.add(Turn(role="coach", text=d.summary_markdown, stage="close", kind="summary"))
                outputs.append(OutMessage("summary", d.summary_markdown))
        else:
            for out in state.outputs:
                d.add(
                    Turn(
                        role="coach",
                        text=out.text,
                        stage=d.stage,
                        kind="escalation" if out.kind == "escalation" else "support",
                        level=out.level.value,
                    )
                )
        saved = state.store_ok and self._try_save(d)
        if state.reply is None and (state.unsaved or not saved):
            outputs.append(OutMessage("notice", SUPPORT_NOT_SAVED_NOTICE))
        elif not saved:
            outputs.append(OutMessage("notice", REPLY_NOT_SAVED_NOTICE))
        return {"debrief": d, "outputs": outputs}

    def _try_save(self, state: DebriefState) -> bool:
        """Write the state; ``False`` (logged) when the session store refuses it."""
        try:
            self.deps.store.save(state)
        except Exception as exc:  # the clinician is told; the conversation goes on
            log.warning("the session store refused a write (%s)", exc)
            return False
        if self.deps.on_saved is not None:
            self.deps.on_saved(state)
        return True


def _due(last: int | None, message_count: int) -> bool:
    """Whether an offer last made after message ``last`` may be made again now."""
    return last is None or message_count - last >= SUPPORT_REOFFER_AFTER


def _escalation_message(escalation: EscalationReply) -> OutMessage:
    return OutMessage(
        "escalation",
        escalation.text,
        escalation.actions,
        escalation.resources,
        level=escalation.level,
    )
