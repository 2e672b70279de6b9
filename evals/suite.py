"""One eval run end to end: build the coach from settings (in its own data directory, so
the figures never depend on documents a user ingested), run the scenarios, score, judge,
gate."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from langchain_core.language_models import BaseChatModel

from coach.engine import Coach
from coach.llm.models import build_chat_model
from coach.settings import Settings
from evals.clinician import Clinician, ScriptedClinician, SimulatedClinician
from evals.judge import LlmJudge, agreement
from evals.lexicon import load_lexicon
from evals.metrics import compute_metrics, reply_counts
from evals.records import ConversationRecord
from evals.report import RunResults
from evals.runner import Progress, run_scenarios
from evals.scenarios import SCENARIOS_VERSION, Scenario, load_scenarios
from evals.thresholds import Profile, check, load_thresholds
from evals.tone import ToneScorer

__all__ = [
    "CLINICIAN_TOKENS",
    "JUDGE_TOKENS",
    "SUITES",
    "EvalConfigError",
    "chat_model_for",
    "eval_settings",
    "judge_for",
    "judge_turns",
    "pick_scenarios",
    "run_suite",
]

Suite = Literal["tone", "safety", "all"]
Responder = Literal["scripted", "llm"]
SUITES: Final[dict[str, tuple[str, ...]]] = {
    "tone": ("tone",),
    "safety": ("crisis", "trap"),
    "all": ("tone", "crisis", "trap"),
}


# Reply caps for the judge's and the simulated clinician's model (a slow local model
# must not ramble): a JSON verdict, a yes or no, a few sentences.
JUDGE_TOKENS: Final = 160
JUDGE_TOKENS_PER_CRITERION: Final = 16  # the smallest COACH_LLM_MAX_TOKENS allows
CLINICIAN_TOKENS: Final = 80


class EvalConfigError(ValueError):
    """The run cannot start as configured; the message says how to fix it."""


def eval_settings(base: Settings, out: Path, responder: Responder, *, fast: bool) -> Settings:
    """``base`` with its own data directory under ``out`` (fresh sessions, the built-in
    cards only), the responder asked for and, for ``fast``, the test wiring (hashing
    embedder, rules-only risk screen)."""
    if responder == "llm" and base.llm.strip().lower() == "scripted":
        raise EvalConfigError(
            "--responder llm needs a chat model: set COACH_LLM (for example "
            "COACH_LLM=ollama:llama3.2 or COACH_LLM=local-tiny), or use --responder scripted"
        )
    data_dir = (out / "coach-data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("coach.db", "events"):  # sessions of an earlier run in the same folder
        path = data_dir / stale
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    update: dict[str, object] = {
        "data_dir": data_dir,
        "chroma_path": None,
        "chroma_host": None,
        "database_url": None,
        "org_config": None,
    }
    if responder == "scripted":
        update["llm"] = "scripted"
    if fast:
        update["embedder"] = "hashing"
        update["risk_classifier"] = "rules"
        update["risk_second_opinion"] = False
    return base.model_copy(update=update)


def chat_model_for(base: Settings, max_tokens: int) -> BaseChatModel | None:
    """The chat model ``COACH_LLM`` names (``None`` for scripted), its replies capped at
    ``max_tokens`` (or ``COACH_LLM_MAX_TOKENS`` if lower); ``ConfigError`` if unusable."""
    capped = min(base.llm_max_tokens, max_tokens)
    return build_chat_model(base.model_copy(update={"llm_max_tokens": capped}))


def judge_for(base: Settings) -> LlmJudge | None:
    """The LLM judge on the configured chat model, or ``None`` without one. Very small
    models are asked one criterion at a time (yes or no, a few tokens)."""
    model = chat_model_for(base, JUDGE_TOKENS)
    if model is None:
        return None
    if getattr(model, "prefers_compact_prompt", False):
        model = chat_model_for(base, JUDGE_TOKENS_PER_CRITERION)
        assert model is not None
        return LlmJudge(model, per_criterion=True)
    return LlmJudge(model)


def pick_scenarios(suite: Suite, ids: Sequence[str], *, fast: bool = False) -> tuple[Scenario, ...]:
    """The scenarios named by ``ids`` (in that order) from ``suite``; with ``fast``, from
    its fast subset. ``EvalConfigError`` names any id that is not there."""
    available = {s.id: s for s in load_scenarios(kinds=SUITES[suite], fast=fast)}
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    unknown = [i for i in wanted if i not in available]
    if unknown or not wanted:
        where = f"suite {suite!r}{' (fast subset)' if fast else ''}"
        raise EvalConfigError(
            f"--scenarios: {', '.join(unknown) or 'no ids given'} not in {where}; "
            f"ids are in evals/scenarios/*.yaml, for example {', '.join(list(available)[:3])}"
        )
    return tuple(available[i] for i in wanted)


JudgeProgress = Callable[[int, int], None]  # (graded so far, to grade)


def judge_turns(
    judge: LlmJudge,
    records: list[ConversationRecord],
    max_turns: int,
    progress: JudgeProgress | None = None,
) -> list[tuple[dict[str, float], dict[str, float]]]:
    """The judge's scores for up to ``max_turns`` debrief replies (spread over the
    scenarios), written into the records; returns (offline, judge) pairs, one per graded
    turn, the judge's empty where it gave no usable verdict."""
    turns = [t for r in records for t in r.scored]
    step = max(1, len(turns) // max_turns) if max_turns else len(turns) + 1
    chosen = turns[::step][:max_turns]
    pairs = []
    for turn in chosen:
        verdict = judge.score(turn.clinician, turn.reply) or {}
        turn.judge = verdict
        pairs.append((turn.scores, verdict))
        if progress is not None:
            progress(len(pairs), len(chosen))
    return pairs


def _clinician_info(clinician: Clinician) -> dict[str, object]:
    if not isinstance(clinician, SimulatedClinician):
        return {}
    return {
        "clinician_prompt_version": clinician.prompt.version,
        "clinician_generated": clinician.generated,
        "clinician_fallbacks": clinician.fallbacks,
        "clinician_screened": clinician.screened,
    }


def run_suite(
    coach: Coach,
    *,
    suite: Suite = "all",
    profile: Profile = "full",
    fast: bool = False,
    scenarios: tuple[Scenario, ...] | None = None,
    progress: Progress | None = None,
    judge: LlmJudge | None = None,
    judge_max_turns: int = 60,
    thresholds_path: Path | None = None,
    run_info: dict[str, object] | None = None,
    on_start: Callable[[tuple[Scenario, ...]], None] | None = None,
    clinician: Clinician | None = None,
    judge_progress: JudgeProgress | None = None,
) -> RunResults:
    chosen = scenarios if scenarios is not None else load_scenarios(kinds=SUITES[suite], fast=fast)
    if not chosen:
        raise EvalConfigError(f"no scenarios for suite {suite!r}{' (fast subset)' if fast else ''}")
    if on_start is not None:
        on_start(chosen)
    scorer = ToneScorer()
    started = time.perf_counter()
    clinician = clinician or ScriptedClinician()
    records = run_scenarios(coach, chosen, scorer=scorer, progress=progress, clinician=clinician)
    metrics = compute_metrics(records)
    agreements = []
    if judge is not None:
        pairs = judge_turns(judge, records, judge_max_turns, judge_progress)
        agreements = agreement(pairs, judge.rubric.criteria)
    thresholds = load_thresholds(thresholds_path)
    failures = check(metrics, thresholds, profile)
    info: dict[str, object] = {
        "suite": suite,
        "profile": profile,
        "scenarios": len(chosen),
        "turns": sum(len(r.turns) for r in records),
        "scenarios_version": SCENARIOS_VERSION,
        "lexicon_version": load_lexicon().version,
        "thresholds_version": thresholds.version,
        "judge": "off" if judge is None else "per criterion" if judge.per_criterion else "on",
        "judge_graded": judge.graded if judge is not None else 0,
        "judge_failures": judge.failures if judge is not None else 0,
        "judge_partial": judge.partial if judge is not None else 0,
        "clinician": clinician.name,
        **_clinician_info(clinician),
        "replies": reply_counts(records),
        "seconds": round(time.perf_counter() - started, 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        **(run_info or {}),
    }
    return RunResults(
        run=info,
        metrics=metrics,
        bounds=thresholds.profiles.get(profile, {}),
        failures=failures,
        judge=agreements,
        conversations=records,
    )
