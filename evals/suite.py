"""One eval run end to end: build the coach from settings (in its own data directory, so
the figures never depend on documents a user ingested), run the scenarios, score, judge,
gate."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from coach.engine import Coach
from coach.settings import Settings
from evals.judge import LlmJudge, agreement
from evals.lexicon import load_lexicon
from evals.metrics import compute_metrics
from evals.records import ConversationRecord
from evals.report import RunResults
from evals.runner import Progress, run_scenarios
from evals.scenarios import SCENARIOS_VERSION, Scenario, load_scenarios
from evals.thresholds import Profile, check, load_thresholds
from evals.tone import ToneScorer

__all__ = ["SUITES", "EvalConfigError", "eval_settings", "judge_turns", "run_suite"]

Suite = Literal["tone", "safety", "all"]
Responder = Literal["scripted", "llm"]
SUITES: Final[dict[str, tuple[str, ...]]] = {
    "tone": ("tone",),
    "safety": ("crisis", "trap"),
    "all": ("tone", "crisis", "trap"),
}


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


def judge_turns(
    judge: LlmJudge, records: list[ConversationRecord], max_turns: int
) -> list[tuple[dict[str, float], dict[str, float]]]:
    """The judge's scores for up to ``max_turns`` debrief replies (spread over the
    scenarios), written into the records; returns (offline, judge) pairs."""
    turns = [t for r in records for t in r.scored]
    step = max(1, len(turns) // max_turns) if max_turns else len(turns) + 1
    pairs = []
    for turn in turns[::step][:max_turns]:
        verdict = judge.score(turn.clinician, turn.reply)
        if verdict is not None:
            turn.judge = verdict
            pairs.append((turn.scores, verdict))
    return pairs


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
) -> RunResults:
    chosen = scenarios if scenarios is not None else load_scenarios(kinds=SUITES[suite], fast=fast)
    if not chosen:
        raise EvalConfigError(f"no scenarios for suite {suite!r}{' (fast subset)' if fast else ''}")
    if on_start is not None:
        on_start(chosen)
    scorer = ToneScorer()
    started = time.perf_counter()
    records = run_scenarios(coach, chosen, scorer=scorer, progress=progress)
    metrics = compute_metrics(records)
    agreements = []
    if judge is not None:
        pairs = judge_turns(judge, records, judge_max_turns)
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
        "judge": "on" if judge is not None else "off",
        "judge_failures": judge.failures if judge is not None else 0,
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
