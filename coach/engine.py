"""The coach's front door: start a debrief, take a message or a control, end it.

The Chainlit app, ``coach chat`` and the eval suite all go through ``Coach``, so they run
the same graph with the same guards. ``Coach.from_settings`` wires the real parts;
tests pass fakes through ``GraphDeps``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources as pkg_resources
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict

from coach.graph import (
    STORE_UNAVAILABLE_NOTICE,
    DebriefGraph,
    GraphDeps,
    OutMessage,
    TurnState,
)
from coach.state import DebriefState, Turn
from coach.summary import build_summary
from coach.turn_lock import ProcessTurnLock, TurnLock
from coach.types import Control, Mode, Passage, Stage, TokenSink
from guardrails.escalation import SupportMode
from guardrails.types import Level

if TYPE_CHECKING:
    from coach.settings import Settings

log = logging.getLogger(__name__)

# A clinician message the debrief state recorded at most this long before the chat says
# the message was written still counts as that message (clocks of two instances differ).
CLOCK_TOLERANCE = timedelta(seconds=1)


class SessionAccessError(PermissionError):
    """A session was asked for by an account that does not own it."""


class UiMessages(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    listen_on: str
    listen_off: str
    quick: str
    full: str
    already_quick: str
    already_full: str
    not_in_support: str
    resumed: str


@cache
def ui_messages() -> UiMessages:
    raw = pkg_resources.files("coach").joinpath("data/ui_messages.yaml").read_text("utf-8")
    return UiMessages.model_validate(yaml.safe_load(raw))


@dataclass(frozen=True)
class TurnResult:
    """What one turn produced, in display order."""

    session_id: str
    stage: Stage
    messages: tuple[OutMessage, ...]
    ended: bool
    mode: Mode
    listen_only: bool
    support_active: bool

    @property
    def level(self) -> Level:
        return Level.highest(*(m.level for m in self.messages)) if self.messages else Level.NONE

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.messages)

    @property
    def sources(self) -> tuple[Passage, ...]:
        return tuple(p for m in self.messages for p in m.sources)

    @property
    def summary(self) -> str:
        return next((m.text for m in self.messages if m.kind == "summary"), "")

    def as_json(self, user: str | None) -> dict[str, object]:
        """The shape ``coach chat --script`` prints, one object per turn."""
        return {
            "user": user,
            "coach": "\n\n".join(m.text for m in self.messages if m.kind != "summary"),
            "stage": self.stage,
            "escalation": self.level.value,
            "actions": sorted({a.value for m in self.messages for a in m.actions}),
            "sources": [
                {"id": p.id, "title": p.title, "card_id": p.card_id, "citation": p.citation}
                for p in self.sources
            ],
            "summary": self.summary or None,
            "notices": [m.text for m in self.messages if m.kind == "notice"],
            "ended": self.ended,
        }


def took_in(state: DebriefState | None, text: str, since: datetime) -> bool:
    """Whether ``state`` took in the clinician message ``text`` that the chat wrote at
    ``since``, or moved on past it: it recorded a clinician message at or after ``since``,
    or this very text up to ``CLOCK_TOLERANCE`` before it (another instance's clock)."""
    if state is None:
        return False
    return any(
        t.role == "clinician"
        and (t.at >= since or (t.text == text and t.at >= since - CLOCK_TOLERANCE))
        for t in state.turns
    )


class Coach:
    def __init__(
        self,
        deps: GraphDeps,
        *,
        default_mode: Mode = "full",
        turn_lock: TurnLock | None = None,
    ) -> None:
        self.deps = deps
        self.graph = DebriefGraph(deps)
        self.default_mode: Mode = default_mode
        # One turn of a debrief at a time: in this process, or (PostgreSQL) everywhere.
        self.turn_lock: TurnLock = turn_lock if turn_lock is not None else ProcessTurnLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Coach:
        from coach.storage_backends import turn_lock
        from coach.wiring import build_deps

        return cls(
            build_deps(settings),
            default_mode=settings.debrief_mode,
            turn_lock=turn_lock(settings),
        )

    def warm_up(self) -> None:
        """Load models and index the built-in cards now, so the first clinician does not
        wait for it. Safe to call more than once."""
        ensure_cards = getattr(self.deps.retriever, "ensure_cards", None)
        if callable(ensure_cards):
            try:
                ensure_cards()
            except Exception as exc:  # the debrief works without grounding
                log.warning("knowledge base not ready (%s); replies will have no sources", exc)
        primary = getattr(self.deps.responder, "primary", self.deps.responder)
        warm_model = getattr(getattr(primary, "model", None), "warm_up", None)
        if callable(warm_model):  # a local chat model loads its weights now
            try:
                warm_model()
            except Exception as exc:  # replies fall back to the scripted coach
                log.warning("chat model not ready (%s); the scripted coach will reply", exc)
        self.deps.guard.classifier.assess("Warming up before the first debrief.", ())
        self.deps.emotions.recognise("Warming up before the first debrief.")

    # --- sessions --------------------------------------------------------------------

    def load(self, session_id: str, *, user_id: str | None = None) -> DebriefState | None:
        state = self.deps.store.load(session_id)
        if state is not None and user_id is not None and state.user_id != user_id:
            raise SessionAccessError(f"session {session_id} belongs to another account")
        return state

    def stored(
        self, session_id: str, *, user_id: str | None = None
    ) -> tuple[DebriefState | None, bool]:
        """The stored state (``None`` if there is none) and whether the store could be
        read at all; unlike ``load``, a store that is down does not raise."""
        return self._try_load(session_id, user_id)

    def _try_load(self, session_id: str, user_id: str | None) -> tuple[DebriefState | None, bool]:
        """The stored state (``None`` if there is none) and whether the store could be
        read at all."""
        try:
            return self.load(session_id, user_id=user_id), True
        except SessionAccessError:
            raise
        except Exception as exc:  # the store is down: the caller says so, and saves nothing
            log.warning("the session store cannot be read (%s)", exc)
            return None, False

    def _open(self, session_id: str, user_id: str | None) -> tuple[DebriefState, bool]:
        """The session's state (a new one if there is none) and whether the store could
        be read. When it cannot, the state is a blank stand-in that must not be saved."""
        state, store_ok = self._try_load(session_id, user_id)
        if state is None:
            state = DebriefState(
                session_id=session_id, user_id=user_id or "", mode=self.default_mode
            )
        return state, store_ok

    def _unavailable(self, state: DebriefState) -> TurnResult:
        return self._result(state, [OutMessage("notice", STORE_UNAVAILABLE_NOTICE)])

    def _save(self, state: DebriefState, messages: list[OutMessage]) -> TurnResult:
        """Save a control's change and show ``messages``; if the store refuses the write,
        say that nothing changed instead."""
        try:
            self.deps.store.save(state)
        except Exception as exc:
            log.warning("the session store refused a write (%s)", exc)
            return self._unavailable(state)
        return self._result(state, messages)

    def _result(self, state: DebriefState, messages: list[OutMessage]) -> TurnResult:
        return TurnResult(
            session_id=state.session_id,
            stage=state.stage,
            messages=tuple(messages),
            ended=state.ended,
            mode=state.mode,
            listen_only=state.listen_only,
            support_active=state.support.active,
        )

    def _run(self, state: TurnState, on_token: TokenSink | None) -> TurnResult:
        out = self.graph.run(state, on_token=on_token)
        return self._result(out.debrief, out.outputs)

    def start(
        self,
        session_id: str,
        *,
        user_id: str | None = None,
        mode: Mode | None = None,
        on_token: TokenSink | None = None,
    ) -> TurnResult:
        """Open a debrief with the coach's greeting; an existing session is resumed
        instead (no new message, only where it stands)."""
        with self.turn_lock.hold(session_id):
            existing, store_ok = self._try_load(session_id, user_id)
            if existing is not None:
                return self._result(existing, [])
            if not store_ok:
                return self._unavailable(self._new(session_id, user_id, mode))
            return self._greet(session_id, user_id, mode, on_token)

    def _new(self, session_id: str, user_id: str | None, mode: Mode | None) -> DebriefState:
        return DebriefState(
            session_id=session_id, user_id=user_id or "", mode=mode or self.default_mode
        )

    def _greet(
        self, session_id: str, user_id: str | None, mode: Mode | None, on_token: TokenSink | None
    ) -> TurnResult:
        """Open a new debrief with the greeting (the turn lock is held)."""
        state = self._new(session_id, user_id, mode)
        state.stages_visited = ["check-in"]
        return self._run(TurnState(debrief=state, nudge=True), on_token)

    def resume_message(self, session_id: str, *, user_id: str | None = None) -> str:
        state = self.load(session_id, user_id=user_id)
        if state is None or state.ended:
            return ""
        return ui_messages().resumed.format(stage=state.stage.replace("-", " "))

    def turn(
        self,
        session_id: str,
        text: str,
        *,
        user_id: str | None = None,
        on_token: TokenSink | None = None,
        chat_saved: bool = True,
    ) -> TurnResult:
        """One clinician message. It is written (de-identified) before the reply.

        ``chat_saved=False``: the chat app could not write the message to its chat
        database. Like a session store that is down, the message is then not taken and
        the clinician is asked to send it again, but a disclosure of risk is always
        answered in full."""
        with self.turn_lock.hold(session_id):
            state, store_ok = self._open(session_id, user_id)
            turn = TurnState(debrief=state, text=text, store_ok=store_ok, chat_saved=chat_saved)
            return self._run(turn, on_token)

    def answer_unanswered(
        self,
        session_id: str,
        text: str,
        *,
        since: datetime,
        user_id: str | None = None,
        on_token: TokenSink | None = None,
    ) -> TurnResult | None:
        """Answer a clinician message the chat saved (at ``since``) but the coach never
        took in, as after a crash between the two. ``None``, with nothing done, when the
        debrief already took in that message or a later one, has ended, or cannot be read
        now. The check and the turn hold the debrief's turn lock together, so a second
        resume, in this instance or another, never answers the message twice."""
        with self.turn_lock.hold(session_id):
            state, store_ok = self._try_load(session_id, user_id)
            if not store_ok or took_in(state, text, since) or (state is not None and state.ended):
                return None
            if state is None:  # lost before its first message was taken in
                self._greet(session_id, user_id, None, None)
                state, store_ok = self._try_load(session_id, user_id)
                if state is None or not store_ok:
                    return None
            log.info("answering a message saved in the chat but not taken in (%s)", session_id)
            return self._run(TurnState(debrief=state, text=text), on_token)

    def control(
        self,
        session_id: str,
        control: Control,
        *,
        user_id: str | None = None,
        on_token: TokenSink | None = None,
    ) -> TurnResult:
        with self.turn_lock.hold(session_id):
            state, store_ok = self._open(session_id, user_id)
            if not store_ok:
                return self._unavailable(state)
            m = ui_messages()
            if control is Control.SKIP_STAGE:
                return self._run(TurnState(debrief=state, skip=True), on_token)
            if control is Control.END:
                return self._run(TurnState(debrief=state, end=True), on_token)
            if control is Control.CONTINUE:
                if state.support.active:
                    return self._support_reminder(state)
                return self._run(TurnState(debrief=state, nudge=True), on_token)
            if control is Control.IM_SAFE:
                return self._confirm_safe(state)
            text = ""
            if control is Control.LISTEN_ON:
                state.listen_only, text = True, m.listen_on
            elif control is Control.LISTEN_OFF:
                state.listen_only, text = False, m.listen_off
            elif control is Control.QUICK:
                text = m.already_quick if state.mode == "quick" else m.quick
                state.mode = "quick"
            elif control is Control.FULL:
                text = m.already_full if state.mode == "full" else m.full
                state.mode = "full"
            return self._acknowledge(state, text, control)

    def _acknowledge(self, state: DebriefState, text: str, control: Control) -> TurnResult:
        state.add(Turn(role="coach", text=text, stage=state.stage, kind="control"))
        log.debug("control %s on %s", control.value, state.session_id)
        return self._save(state, [OutMessage("reply", text)])

    def _support_mode(self, state: DebriefState) -> SupportMode:
        guard = self.deps.guard
        return SupportMode.from_state(
            state.support, guard.resources, peer_contact_available=guard.peer_contact_available
        )

    def _confirm_safe(self, state: DebriefState) -> TurnResult:
        mode = self._support_mode(state)
        if not mode.active:
            return self._acknowledge(state, ui_messages().not_in_support, Control.IM_SAFE)
        turn = mode.confirm_safe()
        state.support = mode.to_state()
        state.add(Turn(role="coach", text=turn.text, stage=state.stage, kind="support"))
        return self._save(state, [OutMessage("reply", turn.text, turn.actions, turn.resources)])

    def _support_reminder(self, state: DebriefState) -> TurnResult:
        """ "Continue" while support mode is on: stay with the clinician, repeat options."""
        mode = self._support_mode(state)
        turn = mode.on_message("")
        state.support = mode.to_state()
        state.add(Turn(role="coach", text=turn.text, stage=state.stage, kind="support"))
        message = OutMessage("support", turn.text, turn.actions, turn.resources, level=Level.CRISIS)
        return self._save(state, [message])

    def summary(self, session_id: str, *, user_id: str | None = None) -> str:
        """The summary markdown: the stored one once ended, else built from where it is."""
        state = self.load(session_id, user_id=user_id)
        if state is None:
            return ""
        if state.summary_markdown:
            return state.summary_markdown
        summary = build_summary(state, self.deps.guard.resources)
        return summary.to_markdown(date=state.created_at.strftime("%d %B %Y"))

    def sessions_for(self, user_id: str) -> list[str]:
        return self.deps.store.sessions_for(user_id)

    def delete_user(self, user_id: str) -> int:
        return self.deps.store.delete_user(user_id)
