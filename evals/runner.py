"""Runs scenarios through ``coach.engine.Coach``: the code path the app and
``coach chat`` use (guard, de-identification, stage policy, retrieval, responder, reply
check, escalation), and scores every turn."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from coach.engine import Coach, TurnResult
from evals.records import ConversationRecord, TurnRecord
from evals.safety import (
    EscalationLevel,
    SafeMessagingResult,
    escalation_timing,
    score_safe_messaging,
)
from evals.scenarios import Scenario
from evals.text import questions, sentences
from evals.tone import ToneScorer, TurnInput

__all__ = ["Progress", "record_turn", "run_scenario", "run_scenarios"]

Progress = Callable[[Scenario, int], None]  # called after each clinician message


def _escalation(
    result: TurnResult,
) -> tuple[EscalationLevel | None, list[SafeMessagingResult]]:
    """The new escalation this turn (crisis or an offer of support), and the
    safe-messaging scores of every escalation or support-mode message in it."""
    new: EscalationLevel | None = None
    checked: list[SafeMessagingResult] = []
    for message in result.messages:
        if message.kind == "escalation":
            level: EscalationLevel = "crisis" if message.level.value == "crisis" else "support"
            new = new if new == "crisis" else level
            checked.append(score_safe_messaging(message.text, level))
        elif message.kind == "support":  # support mode after a crisis: options repeated
            checked.append(score_safe_messaging(message.text, "support"))
    return new, checked


def record_turn(scorer: ToneScorer, index: int, clinician: str, result: TurnResult) -> TurnRecord:
    escalation, safe = _escalation(result)
    replies = [m for m in result.messages if m.kind == "reply"]
    reply = "\n\n".join(m.text for m in replies)
    sources = {p.id: p.text for m in replies for p in m.sources}
    record = TurnRecord(
        index=index,
        clinician=clinician,
        coach="\n\n".join(m.text for m in result.messages),
        reply=reply,
        stage=result.stage,
        level=result.level.value,
        kinds=[m.kind for m in result.messages],
        escalation=escalation,
        support_mode=result.support_active,
        sources=sources,
        safe_messaging=safe,
    )
    if reply and not result.support_active:
        tone = scorer.score(
            TurnInput(
                context=clinician,
                response=reply,
                stage=result.stage,
                passages=sources,
                expects_question=result.stage != "close" and not result.listen_only,
            )
        )
        parts = sentences(reply)
        record.scores = tone.scores
        record.overall = tone.overall
        record.notes = tone.notes
        record.reflections = len(scorer.reflective(parts))
        record.questions = len(questions(parts))
    return record


EVAL_USER = "evals"
DEFAULT_RUN_ID = "run"


def _session_id(run_id: str, scenario: Scenario) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"eval-{run_id}-{scenario.id}")[:128]


def run_scenario(
    coach: Coach,
    scenario: Scenario,
    *,
    scorer: ToneScorer,
    run_id: str,
    progress: Progress | None = None,
) -> ConversationRecord:
    session = _session_id(run_id, scenario)
    started = time.perf_counter()
    opening = coach.start(session, user_id=EVAL_USER).text
    turns: list[TurnRecord] = []
    for index, message in enumerate(scenario.messages, start=1):
        result = coach.turn(session, message, user_id=EVAL_USER)
        turns.append(record_turn(scorer, index, message, result))
        if progress is not None:
            progress(scenario, index)
        if result.ended:
            break
    levels = [(t.index, t.escalation) for t in turns if t.escalation is not None]
    timing = escalation_timing(scenario.expect_escalation_at, levels)  # type: ignore[arg-type]
    return ConversationRecord(
        scenario_id=scenario.id,
        kind=scenario.kind,
        title=scenario.title,
        incident=scenario.incident,
        trap=scenario.trap,
        country=scenario.persona.country,
        opening=opening,
        turns=turns,
        timing=timing,
        seconds=round(time.perf_counter() - started, 3),
    )


def run_scenarios(
    coach: Coach,
    scenarios: Sequence[Scenario],
    *,
    scorer: ToneScorer | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> list[ConversationRecord]:
    """Every scenario through ``coach``, in order, one session each.

    Deterministic: session ids (which seed the scripted coach's choices) come from
    ``run_id`` (default ``"run"``) and the scenario, and earlier eval sessions in the
    coach's store are removed first, so the same coach and scenarios give the same
    replies and figures every time. Pass another ``run_id`` to sample other wordings."""
    scorer = scorer or ToneScorer()
    run_id = run_id or DEFAULT_RUN_ID
    coach.delete_user(EVAL_USER)
    return [
        run_scenario(coach, s, scorer=scorer, run_id=run_id, progress=progress) for s in scenarios
    ]
