"""The published view of the themes: one filter (period, granularity, role) over the
suppressed cube, as a pydantic model (the JSON), CSV rows, or the HTML page
(:mod:`coach.educator.page`).

Every number in a view is a cell of :class:`coach.educator.suppression.Cube`, read
through ``Cube.published``, which returns ``None`` for suppressed cells: nothing here sums,
subtracts or re-derives a count, so suppression holds on every view and export.

:func:`publish` is how the dashboard and ``coach educator`` make a report: it settles the
cube against the release ledger (every cell an earlier report showed) and records the
cells this one shows, in one step that no other report can interleave with.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.educator.records import ThemeRecord, month_quarter, week_monday, week_month
from coach.educator.releases import Release, ReleaseLedger, canonical_cutoff, latest
from coach.educator.suppression import ALL, TOTAL, Cube
from coach.educator.vocabulary import (
    FAMILIES,
    FAMILY_LABELS,
    ROLE_CATEGORIES,
    SINGLE_VALUED,
    Family,
    labels,
)

log = logging.getLogger(__name__)

Granularity = Literal["week", "month", "quarter"]
REPORT_DELAY_DAYS = 2  # a week enters the reports two days after it ends
SUPPRESSED_NOTE = (
    "suppressed: fewer than k distinct clinicians, or it could be worked out from other "
    "numbers by subtraction"
)
EXPOSED_NOTE = (
    "Some numbers that earlier reports showed now stand for fewer than k clinicians, "
    "because records were deleted since (an opt-out or 'Delete my data'); they are not "
    "shown here, but copies of those earlier reports still hold them."
)
UNPROTECTED_NOTE = (
    "Records were deleted after some of these numbers had been published (an opt-out or "
    "'Delete my data'): comparing this report with an earlier one can show what the "
    "deleted records held."
)


class ViewError(ValueError):
    """A filter that does not name a period, granularity or role of the data."""


class Query(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    period: str = Field(default=ALL, description="'all', a quarter, a month or a week")
    by: Granularity = "month"
    role: str = ALL


class Row(BaseModel):
    family: str
    key: str
    label: str
    debriefs: int | None = Field(description="in the selected period; null when suppressed")
    over_time: list[int | None] = Field(description="per column period; null when suppressed")


class FamilyTable(BaseModel):
    family: str
    label: str
    multi_valued: bool
    rows: list[Row]


class ThemeReport(BaseModel):
    """What an educator sees (``coach educator themes --json``)."""

    k: int
    generated_on: date
    through_week: str | None = Field(description="the last week that has closed")
    query: Query
    columns: list[str] = Field(description="the periods of over_time, oldest first")
    periods: list[str] = Field(description="every period the filter can choose")
    roles: list[str] = Field(description="role categories present (and 'all')")
    total: Row
    families: list[FamilyTable]
    note: str = SUPPRESSED_NOTE
    notes: list[str] = Field(
        default_factory=list, description="what this report could not fully protect, if any"
    )

    @property
    def empty(self) -> bool:
        return self.total.debriefs is None and all(v is None for v in self.total.over_time)


def reportable(records: list[ThemeRecord], today: date) -> list[ThemeRecord]:
    """The records of weeks that ended at least ``REPORT_DELAY_DAYS`` ago (so a report
    does not change while a week is still filling up, and abandoned debriefs are in)."""
    cutoff = today - timedelta(days=REPORT_DELAY_DAYS)
    return [r for r in records if week_monday(r.week) + timedelta(days=6) < cutoff]


def report_cube(
    records: list[ThemeRecord], k: int, *, today: date, released: Iterable[Release] = ()
) -> Cube:
    """The cube of the closed weeks as of ``today``, settled against ``released``. Its
    cutoff is the last closed week with a record (or the latest cutoff already released,
    if that is later: a report never goes back behind one already published)."""
    cutoff = latest(r.week for r in reportable(records, today))
    return Cube(records, k, cutoff=cutoff, released=released)


def _level(period: str) -> str:
    if period == ALL:
        return "all"
    if "-W" in period:
        return "week"
    if "-Q" in period:
        return "quarter"
    return "month"


_RANK = {"week": 0, "month": 1, "quarter": 2, "all": 3}


def columns(cube: Cube, period: str, by: Granularity) -> list[str]:
    """The periods at granularity ``by`` inside ``period`` (or ``period`` itself when it
    is no coarser than ``by``)."""
    level = _level(period)
    if _RANK[level] <= _RANK[by]:
        return [period]
    periods = cube.periods

    def inside(candidate: str) -> bool:
        if period == ALL:
            return True
        month = week_month(candidate) if by == "week" else candidate
        return month == period if level == "month" else month_quarter(month) == period

    pool = {"week": periods.weeks, "month": periods.months, "quarter": periods.quarters}[by]
    return [p for p in pool if inside(p)]


def visible_roles(cube: Cube) -> list[str]:
    """Role categories offered as filters: those whose all-time total is published (a
    role too small to show is not even named; its debriefs still count in 'all')."""
    shown = [r for r in cube.roles if cube.published((*TOTAL, ALL, r)) is not None]
    return [*shown, ALL]


def visible_periods(cube: Cube) -> list[str]:
    """The periods offered, oldest first: the weeks from the first to the last week whose
    total is published, with their months and quarters, and 'all' (so the range does not
    give away a lone debrief at either end)."""
    weeks = cube.periods.weeks
    shown = [i for i, w in enumerate(weeks) if cube.published((*TOTAL, w, ALL)) is not None]
    inner = weeks[shown[0] : shown[-1] + 1] if shown else ()
    months = list(dict.fromkeys(week_month(w) for w in inner))
    quarters = list(dict.fromkeys(month_quarter(m) for m in months))
    return [*inner, *months, *quarters, ALL]


def _visible(cube: Cube, family: str, key: str) -> bool:
    """A theme gets a row only if some cell of it is published anywhere in the cube
    (whether it appears at all then says nothing the published numbers do not)."""
    return any(
        cube.published((family, key, period, role)) is not None
        for period in cube.periods.all()
        for role in (*cube.roles, ALL)
    )


def build_report(
    cube: Cube, query: Query | None = None, *, today: date | None = None
) -> ThemeReport:
    query = query or Query()
    roles = visible_roles(cube)
    if query.role not in roles:
        raise ViewError(
            f"role {query.role!r} has no debriefs to show; choose one of {', '.join(roles)}"
        )
    periods = visible_periods(cube)
    if query.period not in periods:
        raise ViewError(
            f"period {query.period!r} is not in the data; use 'all', a quarter (2026-Q1), "
            "a month (2026-01) or a week (2026-W03) that has debriefs"
        )
    cols = [c for c in columns(cube, query.period, query.by) if c in periods]

    def row(family: str, key: str, label: str) -> Row:
        return Row(
            family=family,
            key=key,
            label=label,
            debriefs=cube.published((family, key, query.period, query.role)),
            over_time=[cube.published((family, key, c, query.role)) for c in cols],
        )

    tables = []
    for family in FAMILIES:
        names = labels(family)
        rows = [row(family, key, names[key]) for key in cube.keys[family]]
        tables.append(
            FamilyTable(
                family=family,
                label=FAMILY_LABELS[family],
                multi_valued=family not in SINGLE_VALUED,
                rows=[r for r in rows if _visible(cube, family, r.key)],
            )
        )
    weeks = [p for p in periods if _level(p) == "week"]
    notes = [EXPOSED_NOTE] if cube.exposed else []
    notes += [UNPROTECTED_NOTE] if cube.unprotected else []
    return ThemeReport(
        notes=notes,
        k=cube.k,
        generated_on=today or datetime.now(UTC).date(),
        through_week=weeks[-1] if weeks else None,
        query=query,
        columns=cols,
        periods=periods[::-1],
        roles=roles,
        total=row(*TOTAL, "debriefs"),
        families=tables,
    )


def make_report(
    records: list[ThemeRecord],
    k: int,
    query: Query | None = None,
    *,
    today: date | None = None,
    released: Iterable[Release] = (),
) -> ThemeReport:
    """The report of ``records`` (the closed weeks only) for ``query``, settled against
    the cells earlier reports ``released`` (nothing is recorded: see :func:`publish`)."""
    today = today or datetime.now(UTC).date()
    return build_report(report_cube(records, k, today=today, released=released), query, today=today)


def releases_of(report: ThemeReport, cube: Cube) -> list[Release]:
    """Every cell ``report`` shows a number for, as ledger rows at the cube's cutoff."""
    if cube.cutoff is None:
        return []
    role = report.query.role
    found: set[Release] = set()
    for row in [report.total, *(r for table in report.families for r in table.rows)]:
        cells = [
            (report.query.period, row.debriefs),
            *zip(report.columns, row.over_time, strict=True),
        ]
        for period, value in cells:
            if value is not None:
                cutoff = canonical_cutoff(period, cube.cutoff)
                found.add(Release(row.family, row.key, period, role, cutoff, value))
    return sorted(found)


def publish(
    records: Callable[[], list[ThemeRecord]],
    k: int,
    query: Query | None = None,
    *,
    today: date | None = None,
    ledger: ReleaseLedger | None,
) -> ThemeReport:
    """Make the report an educator sees (dashboard, export, ``coach educator``): settled
    against every cell earlier reports showed, and recorded in the ledger so later ones are
    settled against it. The ledger is held from reading to recording, so two reports made
    at once (on any instance) cannot each miss the other. Without a ledger: as
    :func:`make_report`."""
    today = today or datetime.now(UTC).date()
    if ledger is None:
        return make_report(records(), k, query, today=today)
    with ledger.publishing() as session:
        cube = report_cube(records(), k, today=today, released=session.released())
        report = build_report(cube, query, today=today)
        session.release(releases_of(report, cube))
    if cube.exposed or cube.unprotected:
        log.warning(
            "themes: %d published cells are now under k and %d lines cannot be protected "
            "against earlier reports (records were deleted after they were published)",
            len(cube.exposed),
            len(cube.unprotected),
        )
    return report


def role_label(role: str) -> str:
    return "all roles" if role == ALL else ROLE_CATEGORIES.get(role, role)


def period_label(period: str) -> str:
    level = _level(period)
    if level == "all":
        return "all weeks on record"
    if level == "month":
        return date.fromisoformat(period + "-01").strftime("%b %Y")
    if level == "week":
        return f"{period[:4]} week {int(period[6:])}"
    return period.replace("-", " ")


CSV_FIELDS = ("family", "key", "label", "period", "role", "debriefs", "note")


def to_csv(report: ThemeReport) -> str:
    """Every number of the view, one per line; suppressed ones have no number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    role = report.query.role
    tables = [FamilyTable(family="all", label="All", multi_valued=False, rows=[report.total])]
    for table in [*tables, *report.families]:
        for r in table.rows:
            cells = [
                (report.query.period, r.debriefs),
                *zip(report.columns, r.over_time, strict=True),
            ]
            seen: set[str] = set()
            for period, value in cells:
                if period in seen:
                    continue
                seen.add(period)
                note = "" if value is not None else SUPPRESSED_NOTE
                writer.writerow(
                    [r.family, r.key, r.label, period, role, "" if value is None else value, note]
                )
    return out.getvalue()


def family_rows(report: ThemeReport, family: Family) -> list[Row]:
    return next(t.rows for t in report.families if t.family == family)
