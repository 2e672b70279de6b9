"""`coach evals ...`: score tone line by line, run the scenarios, calibrate the scorers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from coach.settings import Settings

app = typer.Typer(help="Evals: tone and safety of the coach's replies.", no_args_is_help=True)


def _read_lines(path: Path) -> list[str]:
    if str(path) == "-":
        return sys.stdin.read().splitlines()
    if not path.is_file():
        typer.echo(f"error: {path} is not a file; pass --jsonl FILE or --jsonl -", err=True)
        raise typer.Exit(2)
    try:
        return path.read_text("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        typer.echo(f"error: {path} is not UTF-8 text", err=True)
        raise typer.Exit(2) from exc


@app.command("score-tone")
def score_tone(
    jsonl: Annotated[
        Path,
        typer.Option(
            "--jsonl",
            help='JSON lines: {"context": ..., "response": ...} (optional "stage"); "-" '
            "reads stdin.",
            allow_dash=True,
        ),
    ],
) -> None:
    """Score each response's tone: per line, `scores` (scorer -> 0..1) and `overall`."""
    from evals.tone import ToneScorer, TurnInput

    scorer = ToneScorer()
    failed = 0
    for number, line in enumerate(_read_lines(jsonl), start=1):
        if not line.strip():
            continue
        out: dict[str, Any] = {"line": number}
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            response = item.get("response")
            context = item.get("context", "")
            stage = item.get("stage")
            if not isinstance(response, str) or not response.strip():
                raise ValueError('"response" must be a non-empty string')
            if not isinstance(context, str) or not (stage is None or isinstance(stage, str)):
                raise ValueError('"context" and "stage" must be strings')
            out.update(scorer.score(TurnInput(context, response, stage=stage)).as_json())
        except (json.JSONDecodeError, ValueError) as exc:
            failed += 1
            typer.echo(f"{jsonl}:{number}: {exc}", err=True)
            out["error"] = str(exc)
        typer.echo(json.dumps(out, ensure_ascii=False))
    if failed:
        typer.echo(f"{failed} line(s) could not be scored; see the errors above", err=True)
        raise typer.Exit(1)


@app.command("run")
def run(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html and results.json.")],
    responder: Annotated[
        str, typer.Option("--responder", help="scripted (default) or llm (needs COACH_LLM).")
    ] = "scripted",
    suite: Annotated[str, typer.Option("--suite", help="tone, safety or all.")] = "all",
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="The fast subset on the test wiring (hashing embedder, rules-only risk "
            "screen), gated by the `fast` thresholds, as `make test` runs it.",
        ),
    ] = False,
    judge: Annotated[
        bool | None,
        typer.Option(
            "--judge/--no-judge",
            help="Grade replies with the LLM judge too (default: when COACH_LLM names a model).",
        ),
    ] = None,
    judge_max_turns: Annotated[int, typer.Option(min=1, help="Turns the judge grades.")] = 60,
    scenarios: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            help="Only these scenarios (comma-separated ids from evals/scenarios/*.yaml), "
            "in this order; for a slow model.",
        ),
    ] = None,
    clinician: Annotated[
        str,
        typer.Option(
            "--clinician",
            help="scripted (default: the scenarios' written messages) or simulated (a chat "
            "model plays the clinician from the persona; needs COACH_LLM).",
        ),
    ] = "scripted",
    clinician_turns: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Turn limit of the simulated clinician (default: the scenario's length).",
        ),
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option("--thresholds", help="Another thresholds YAML.")
    ] = None,
) -> None:
    """Run the scenarios through the coach; write the report; exit 1 below a threshold."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from coach.engine import Coach
    from coach.llm.models import ConfigError
    from evals.clinician import Clinician, ScriptedClinician, SimulatedClinician
    from evals.judge import JudgeError
    from evals.report import write_results
    from evals.scenarios import Scenario
    from evals.suite import (
        CLINICIAN_TOKENS,
        SUITES,
        EvalConfigError,
        chat_model_for,
        eval_settings,
        judge_for,
        pick_scenarios,
        run_suite,
    )
    from evals.thresholds import ThresholdError

    if responder not in ("scripted", "llm"):
        typer.echo(f"error: --responder must be scripted or llm, not {responder!r}", err=True)
        raise typer.Exit(2)
    if suite not in SUITES:
        typer.echo(f"error: --suite must be one of {', '.join(SUITES)}, not {suite!r}", err=True)
        raise typer.Exit(2)
    if clinician not in ("scripted", "simulated"):
        typer.echo(f"error: --clinician must be scripted or simulated, not {clinician!r}", err=True)
        raise typer.Exit(2)
    base: Settings = ctx.obj
    try:
        chosen = (
            pick_scenarios(suite, scenarios.split(","), fast=fast)  # type: ignore[arg-type]
            if scenarios is not None
            else None
        )
        settings = eval_settings(base, out, responder, fast=fast)  # type: ignore[arg-type]
        chat_model = chat_model_for(base, CLINICIAN_TOKENS)
        llm_judge = judge_for(base) if judge or (judge is None and chat_model) else None
    except (EvalConfigError, ConfigError, JudgeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if judge and llm_judge is None:
        typer.echo("error: --judge needs a chat model: set COACH_LLM", err=True)
        raise typer.Exit(2)
    speaker: Clinician = ScriptedClinician()
    if clinician == "simulated":
        if chat_model is None:
            typer.echo(
                "error: --clinician simulated needs a chat model: set COACH_LLM (for example "
                "COACH_LLM=local-tiny), or use --clinician scripted",
                err=True,
            )
            raise typer.Exit(2)
        speaker = SimulatedClinician(chat_model, max_turns=clinician_turns)

    typer.echo(
        f"building the coach ({settings.embedder}, {settings.risk_classifier}, "
        f"{settings.llm}) in {settings.data_dir}",
        err=True,
    )
    coach = Coach.from_settings(settings)
    coach.warm_up()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=False,
        console=None,
    ) as bar:
        task = bar.add_task("evals", total=None)

        def on_start(picked: tuple[Scenario, ...]) -> None:
            limit = getattr(speaker, "turn_limit", lambda s: len(s.messages))
            bar.update(task, total=sum(limit(s) for s in picked))

        def progress(scenario: Scenario, index: int) -> None:
            bar.update(task, advance=1, description=f"{scenario.id[:40]:40}")

        judged = bar.add_task(f"{'judge':40}", total=None, visible=False)

        def judge_progress(done: int, total: int) -> None:
            bar.update(judged, completed=done, total=total, visible=True)

        try:
            results = run_suite(
                coach,
                suite=suite,  # type: ignore[arg-type]
                profile="fast" if fast else "full",
                fast=fast,
                scenarios=chosen,
                clinician=speaker,
                progress=progress,
                on_start=on_start,
                judge=llm_judge,
                judge_max_turns=judge_max_turns,
                judge_progress=judge_progress,
                thresholds_path=thresholds,
                run_info={
                    "responder": responder,
                    "llm": settings.llm,
                    "chat_model": base.llm if chat_model is not None else None,
                    "embedder": settings.embedder,
                    "risk_classifier": settings.risk_classifier,
                },
            )
        except (EvalConfigError, ThresholdError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    json_path, html_path = write_results(results, out)
    for name, value in sorted(results.metrics.items()):
        typer.echo(f"{name:42} {value:.3f}")
    typer.echo(f"wrote {html_path} and {json_path}")
    if not results.passed:
        for failure in results.failures:
            typer.echo(f"below threshold: {failure.message()}", err=True)
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate(
    data: Annotated[
        Path,
        typer.Option("--data", help="The tone data folder (pair, mi_welivita_pu_2023, esconv)."),
    ],
    doc: Annotated[
        Path | None,
        typer.Option(
            "--doc",
            help="Where to write the figures as Markdown "
            "(default: evals/CALIBRATION.md in this checkout).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here.")
    ] = None,
) -> None:
    """Validate the offline tone scorers on externally labelled data; write the figures."""
    from evals.calibrate import CalibrationError, calibrate_all, default_doc, render_markdown

    try:
        report = calibrate_all(data)
    except CalibrationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    target = doc or default_doc()
    target.write_text(render_markdown(report, data), "utf-8")
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    typer.echo(json.dumps(report["summary"], indent=2))
    typer.echo(f"wrote {target}")
