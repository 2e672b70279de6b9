"""Runs scenarios through ``coach.engine.Coach``: the code path the app and
``coach chat`` use (guard, de-identification, stage policy, retrieval, responder, reply
check, escalation), and scores every turn. The clinician's side is the scenario's written
messages or a simulated clinician (``evals/clinician.py``); who wrote each reply is noted
(``evals/replies.py``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from coach.engine import Coach, TurnResult
from evals.clinician import Clinician, Exchange, ScriptedClinician
from evals.records import ConversationRecord, TurnRecord
from evals.replies import ReplyLog, ReplySource, watch_replies
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


def _note_reply(record: TurnRecord, noted: list[ReplySource]) -> None:
    """Who wrote ``record``'s reply. A reply the graph's last check replaced after the
    responder returned it shows as the fixed safe reply."""
    if not record.reply or not noted:
        return
    source = noted[-1]
    record.attempts = source.attempts
    record.check_failed = source.check_failed
    record.model_error = source.model_error
    if source.text.strip() == record.reply.strip():
        record.writer, record.fallback = source.writer, source.fallback
    else:
        record.writer, record.fallback = "safe", True


def _shown(result: TurnResult) -> str:
    """What the clinician reads this turn (the end-of-debrief summary left out)."""
    return "\n\n".join(m.text for m in result.messages if m.kind != "summary")


def run_scenario(
    coach: Coach,
    scenario: Scenario,
    *,
    scorer: ToneScorer,
    run_id: str,
    progress: Progress | None = None,
    clinician: Clinician | None = None,
    replies: ReplyLog | None = None,
) -> ConversationRecord:
    clinician = clinician or ScriptedClinician()
    session = _session_id(run_id, scenario)
    started = time.perf_counter()
    opening = coach.start(session, user_id=EVAL_USER).text
    if replies is not None:
        replies.take()
    transcript = [Exchange("coach", opening)]
    turns: list[TurnRecord] = []
    index = 1
    while (said := clinician.message(scenario, index, transcript)) is not None:
        result = coach.turn(session, said.text, user_id=EVAL_USER)
        record = record_turn(scorer, index, said.text, result)
        record.clinician_by = said.source
        if replies is not None:
            _note_reply(record, replies.take())
        turns.append(record)
        transcript += [Exchange("clinician", said.text), Exchange("coach", _shown(result))]
        if progress is not None:
            progress(scenario, index)
        if result.ended:
            break
        index += 1
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
    clinician: Clinician | None = None,
) -> list[ConversationRecord]:
    """Every scenario through ``coach``, in order, one session each, the clinician's
    side written by ``clinician`` (default: the scenario's own messages).

    Deterministic: session ids (which seed the scripted coach's choices) come from
    ``run_id`` (default ``"run"``) and the scenario, and earlier eval sessions in the
    coach's store are removed first, so the same coach and scenarios give the same
    replies and figures every time. Pass another ``run_id`` to sample other wordings."""
    scorer = scorer or ToneScorer()
    run_id = run_id or DEFAULT_RUN_ID
    coach.delete_user(EVAL_USER)
    with watch_replies(coach) as replies:
        return [
            run_scenario(
                coach,
                s,
                scorer=scorer,
                run_id=run_id,
                progress=progress,
                clinician=clinician,
                replies=replies,
            )
            for s in scenarios
        ]
