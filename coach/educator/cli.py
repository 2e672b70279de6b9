"""``coach educator``: the anonymised themes from the command line.

    coach educator themes [--json] [--period P] [--by week|month|quarter] [--role R]
    coach educator report --out DIR      # index.html, themes.csv, themes.json
    coach educator sweep                 # record debriefs abandoned for a day
    coach educator opt-out NAME | opt-in NAME

``themes`` and ``report`` sweep first (``--no-sweep`` to skip), so what they show is
current. Suppression (``COACH_EDUCATOR_K``, default 5) applies to everything printed, and
both record what they print in the release ledger (``coach.educator.releases``), against
which every later report is settled.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coach.settings import Settings

if TYPE_CHECKING:
    from coach.educator.recorder import SweepResult, ThemeRecorder
    from coach.educator.report import ThemeReport

app = typer.Typer(
    help="Anonymised debrief themes for educators (k-anonymous aggregates only).",
    no_args_is_help=True,
)

PeriodOpt = Annotated[
    str, typer.Option("--period", help="'all', a quarter (2026-Q1), month (2026-01) or week.")
]
ByOpt = Annotated[str, typer.Option("--by", help="Columns over time: week, month or quarter.")]
RoleOpt = Annotated[str, typer.Option("--role", help="'all' or a role category (nurse, ...).")]
TodayOpt = Annotated[
    str | None,
    typer.Option("--today", help="Report as of this date (YYYY-MM-DD); default today."),
]
NoSweepOpt = Annotated[
    bool, typer.Option("--no-sweep", help="Do not record abandoned debriefs first.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _recorder(settings: Settings) -> ThemeRecorder:
    from coach.educator.recorder import ThemeRecorder
    from coach.educator.store import ThemeStoreError
    from coach.educator.tokens import TokenKeyError

    try:
        return ThemeRecorder.from_settings(settings)
    except (ThemeStoreError, TokenKeyError) as exc:
        raise _fail(str(exc)) from exc


def _sweep(recorder: ThemeRecorder, settings: Settings) -> SweepResult:
    from coach.educator.store import ThemeStoreError
    from coach.sessions import SessionStoreError
    from coach.storage_backends import sweep_source

    try:
        return recorder.sweep_from(sweep_source(settings))
    except (ThemeStoreError, SessionStoreError) as exc:
        raise _fail(str(exc)) from exc


def _report(
    settings: Settings, period: str, by: str, role: str, today: str | None, no_sweep: bool
) -> ThemeReport:
    """The report, settled against the release ledger and recorded in it."""
    from coach.educator.report import Query, ViewError, publish
    from coach.educator.store import ThemeStoreError

    recorder = _recorder(settings)
    if not no_sweep:
        _sweep(recorder, settings)
    try:
        query = Query(period=period, by=by, role=role)  # type: ignore[arg-type]
    except ValueError:
        raise _fail(f"--by must be week, month or quarter (got {by!r})") from None
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise _fail(f"--today must be a date such as 2026-03-01 (got {today!r})") from None
    store = recorder.store
    try:
        return publish(store.records, settings.educator_k, query, today=day, ledger=store)
    except (ViewError, ThemeStoreError) as exc:
        raise _fail(str(exc)) from exc


@app.command("themes")
def themes(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the aggregates as JSON.")] = False,
    period: PeriodOpt = "all",
    by: ByOpt = "month",
    role: RoleOpt = "all",
    today: TodayOpt = None,
    no_sweep: NoSweepOpt = False,
) -> None:
    """Print the theme aggregates, with small cells suppressed (null)."""
    from coach.educator.report import period_label, role_label

    report = _report(ctx.obj, period, by, role, today, no_sweep)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
        return
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    hidden = f"<{report.k}"
    typer.echo(
        f"Debrief themes: {period_label(report.query.period)}, {role_label(report.query.role)} "
        f"(k = {report.k}; '{hidden}' = suppressed)"
    )
    typer.echo(
        f"  debriefs: {report.total.debriefs if report.total.debriefs is not None else hidden}"
    )
    for table in report.families:
        if not table.rows:
            continue
        typer.echo(f"{table.label}:")
        for row in table.rows:
            value = row.debriefs if row.debriefs is not None else hidden
            typer.echo(f"  {row.label}: {value}")


@app.command("report")
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    period: PeriodOpt = "all",
    by: ByOpt = "month",
    role: RoleOpt = "all",
    today: TodayOpt = None,
    no_sweep: NoSweepOpt = False,
) -> None:
    """Write the dashboard as a static report: index.html, themes.csv and themes.json."""
    from coach.educator.page import render_page
    from coach.educator.report import to_csv

    made = _report(ctx.obj, period, by, role, today, no_sweep)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(render_page(made, base=None), encoding="utf-8")
        (out / "themes.csv").write_text(to_csv(made), encoding="utf-8")
        (out / "themes.json").write_text(
            json.dumps(made.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        raise _fail(f"cannot write the report to {out} ({exc})") from exc
    typer.echo(f"Wrote {out / 'index.html'}, themes.csv and themes.json (k = {made.k})")
    for note in made.notes:
        typer.echo(f"note: {note}", err=True)


@app.command("sweep")
def sweep(
    ctx: typer.Context,
    idle_hours: Annotated[
        float, typer.Option("--idle-hours", min=1.0, help="Idle time that counts as abandoned.")
    ] = 24.0,
) -> None:
    """Record the themes of debriefs that ended, or were abandoned, and are not yet in."""
    from datetime import timedelta

    settings: Settings = ctx.obj
    recorder = _recorder(settings)
    if not recorder.enabled:
        typer.echo("Theme collection is off (COACH_THEMES=false); nothing recorded.")
        return
    recorder.idle = timedelta(hours=idle_hours)
    result = _sweep(recorder, settings)
    typer.echo(f"Recorded {result.recorded} debriefs ({result.checked} checked).")


@app.command("opt-out")
def opt_out(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Stop collecting a clinician's themes and delete those kept."""
    removed = _recorder(ctx.obj).opt_out(name.strip().lower())
    typer.echo(f"{name.strip().lower()} opted out; {removed} theme records deleted.")


@app.command("opt-in")
def opt_in(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Collect a clinician's themes again (from their next debrief)."""
    _recorder(ctx.obj).opt_in(name.strip().lower())
    typer.echo(f"{name.strip().lower()} opted back in.")
