"""k-anonymity across reports made on different days: the release ledger.

Reports include closed weeks only, so the month, quarter and 'all' containing the latest
week grow by exactly that week when it closes: someone who kept last week's report can
subtract. These tests play that attacker over every report published so far (solving
every line with one unknown, within each report and between any two of them), show that
the attack works without the ledger and fails with it, and check the ledger itself: it
survives a restart (SQLite and PostgreSQL), serialises reports made at once, and holds
nothing but cell keys, cutoffs and the numbers shown."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from coach.app.testing import chat_session  # noqa: F401 (sets CHAINLIT_APP_ROOT first)

from coach import database
from coach.cli import app as coach_cli
from coach.educator.records import ThemeRecord, month_quarter, week_monday, week_month
from coach.educator.releases import Release, canonical_cutoff, last_week, running
from coach.educator.report import Query, ViewError, build_report, publish, releases_of
from coach.educator.store import SqlThemeStore, ThemeStorage, ThemeStore
from coach.educator.suppression import ALL, FIXED, HIDDEN, TOTAL, UNKNOWN, Cube
from coach.educator.vocabulary import FAMILIES, SINGLE_VALUED
from tests.test_educator_routes import _as, client, seeded  # noqa: F401 (fixtures)
from tests.educator_support import rec, token

Cell = tuple[str, str, str, str, str]  # family, key, period, role, canonical cutoff


def day_after(week: str) -> date:
    """A day on which ``week`` is the last closed week (its Sunday plus three days)."""
    return week_monday(week) + timedelta(days=9)


# --- the attacker, written apart from the cube -----------------------------------------


def _weeks(first: str, last: str) -> list[str]:
    from coach.educator.records import iso_week

    day, end, out = week_monday(first), week_monday(last), []
    while day <= end:
        out.append(iso_week(day))
        day += timedelta(days=7)
    return out


def _in(period: str, week: str) -> bool:
    if period in (ALL, week):
        return True
    month = week_month(week)
    return period in (month, month_quarter(month))


@dataclass
class Truth:
    """The true number and clinicians of any cell at any cutoff, from the records."""

    records: list[ThemeRecord]

    def members(self, cell: Cell) -> list[ThemeRecord]:
        family, key, period, role, cutoff = cell
        end = week_monday(cutoff)
        return [
            r
            for r in self.records
            if week_monday(r.week) <= end
            and _in(period, r.week)
            and role in (ALL, r.role)
            and ((family, key) == TOTAL or key in r.keys(family))  # type: ignore[arg-type]
        ]

    def value(self, cell: Cell) -> int:
        return len(self.members(cell))

    def clinicians(self, cell: Cell) -> int:
        return len({r.clinician for r in self.members(cell)})


def _themes(records: list[ThemeRecord]) -> list[tuple[str, str]]:
    seen = {(f, key) for r in records for f in FAMILIES for key in r.keys(f)}
    return [TOTAL, *sorted(seen)]


def attacker_lines(records: list[ThemeRecord], cutoffs: list[str]) -> list[tuple[Cell, ...]]:
    """Every line ``(parent, *children)`` an attacker holding one report per cutoff can
    use: inside each report (periods, roles, themes) and, between any two reports, the
    same cell at both cutoffs with the weeks in between. A report lists only the themes
    and roles with a number to show, so the attacker cannot tell a theme with no debrief
    yet from a hidden one: every line has every theme and role of the records."""
    lines: list[tuple[Cell, ...]] = []
    records = [r for r in records if week_monday(r.week) <= max(map(week_monday, cutoffs))]
    first = min((r.week for r in records), key=week_monday)
    themes = _themes(records)
    roles = sorted({r.role for r in records})

    def cell(family: str, key: str, period: str, role: str, cutoff: str) -> Cell:
        return (family, key, period, role, canonical_cutoff(period, cutoff))

    def periods_at(cutoff: str) -> dict[str, list[str]]:
        weeks = _weeks(first, cutoff)
        months = list(dict.fromkeys(week_month(w) for w in weeks))
        quarters = list(dict.fromkeys(month_quarter(m) for m in months))
        tree = {ALL: quarters}
        tree |= {q: [m for m in months if month_quarter(m) == q] for q in quarters}
        tree |= {m: [w for w in weeks if week_month(w) == m] for m in months}
        return tree

    for cutoff in cutoffs:
        tree = periods_at(cutoff)
        every = [*tree, *(w for kids in tree.values() for w in kids if "-W" in w)]
        for family, key in themes:
            for role in (*roles, ALL):
                for parent, kids in tree.items():
                    lines.append(
                        (
                            cell(family, key, parent, role, cutoff),
                            *(cell(family, key, k, role, cutoff) for k in kids),
                        )
                    )
            for period in every:
                lines.append(
                    (
                        cell(family, key, period, ALL, cutoff),
                        *(cell(family, key, period, r, cutoff) for r in roles),
                    )
                )
        # a family's keys add up to the total only when each debrief has exactly one
        for family in SINGLE_VALUED:
            keys = [k for f, k in themes if f == family]
            if not keys:
                continue
            for period in every:
                for role in (*roles, ALL):
                    lines.append(
                        (
                            cell(*TOTAL, period, role, cutoff),
                            *(cell(family, k, period, role, cutoff) for k in keys),
                        )
                    )
    ordered = sorted(set(cutoffs), key=week_monday)
    for i, early in enumerate(ordered):
        begun = _weeks(first, early)
        for late in ordered[i + 1 :]:
            between = _weeks(early, late)[1:]
            for period in periods_at(late):
                if canonical_cutoff(period, early) == canonical_cutoff(period, late):
                    continue  # the same cell in both reports
                inside = [w for w in between if _in(period, w)]
                then = any(_in(period, w) for w in begun)  # else it had not begun: zero
                for family, key in themes:
                    for role in (*roles, ALL):
                        lines.append(
                            (
                                cell(family, key, period, role, late),
                                *([cell(family, key, period, role, early)] if then else []),
                                *(cell(family, key, w, role, w) for w in inside),
                            )
                        )
    return lines


def solve(
    truth: Truth, lines: list[tuple[Cell, ...]], published: dict[Cell, int], k: int
) -> tuple[dict[Cell, int], list[Cell]]:
    """Solve every line with one unknown, again and again: every cell worked out, and
    those with fewer than k clinicians.

    Zeros are not counted: a theme's cells before its first debrief were given away by
    the reports made back then (their totals matched the themes they showed). Every other
    zero is suppressed like any small cell, which ``assert_lines_safe`` checks."""
    known = dict(published)
    leaked: list[Cell] = []
    changed = True
    while changed:
        changed = False
        for line in lines:
            unknown = [c for c in line if c not in known]
            if len(unknown) != 1:
                continue
            (only,) = unknown
            rest = sum(known[c] for c in line[1:] if c != only)
            known[only] = rest if only == line[0] else known[line[0]] - rest
            assert known[only] == truth.value(only), only  # the lines are true
            changed = True
            if 0 < truth.clinicians(only) < k:
                leaked.append(only)
    return known, leaked


def attack(
    truth: Truth, lines: list[tuple[Cell, ...]], published: dict[Cell, int], k: int
) -> list[Cell]:
    return solve(truth, lines, published, k)[1]


def cutoffs_of(releases: Iterable[Release]) -> list[str]:
    """The cutoffs of the reports that showed a running period (month, quarter or 'all'
    not yet ended), and the latest: a report showing only ended periods adds no cell of
    its own cutoff (its cells are the same at any later one), and a sum over weeks up to
    some week is not a number any report showed."""
    found = list(releases)
    used = {r.cutoff for r in found if running(r.period, r.cutoff)}
    used |= {max((r.cutoff for r in found), key=week_monday)} if found else set()
    return sorted(used, key=week_monday)


def shown(releases: Iterable[Release]) -> dict[Cell, int]:
    return {(r.family, r.key, r.period, r.role, r.cutoff): r.debriefs for r in releases}


# --- reports as an educator makes them ---------------------------------------------------

VIEWS = [
    Query(),
    Query(by="week"),
    Query(by="quarter"),
    Query(by="week", role="nurse"),
    Query(by="month", role="doctor"),
]


def report_at(
    records: list[ThemeRecord], k: int, cutoff: str, ledger: list[Release], views: list[Query]
) -> tuple[Cube, list[Release]]:
    """The cube at ``cutoff`` settled against ``ledger``, and what ``views`` of it show
    (the views that exist: a role too small to show is not offered)."""
    cube = Cube(records, k, cutoff=cutoff, released=ledger)
    out: list[Release] = []
    for view in views:
        try:
            report = build_report(cube, view, today=day_after(cutoff))
        except ViewError:
            continue
        out += releases_of(report, cube)
    return cube, out


def everything_at(cube: Cube) -> list[Release]:
    """Every number the cube would publish today, in any view (an upper bound on what an
    educator could ever look at)."""
    assert cube.cutoff is not None
    out = []
    for family, key in cube.themes():
        for period in cube.periods.all():
            for role in (*cube.roles, ALL):
                value = cube.published((family, key, period, role))
                if value is not None:
                    cutoff = canonical_cutoff(period, cube.cutoff)
                    out.append(Release(family, key, period, role, cutoff, value))
    return out


def assert_lines_safe(cube: Cube) -> None:
    """The standard of one report, over the whole cube across cutoffs: no line has exactly
    one cell an attacker cannot know, and the hidden or unknown children of a known parent
    hold at least k clinicians together."""
    assert cube.unprotected == []
    for line in cube.lines():
        cells = (line.parent, *line.children)
        open_ = [c for c in cells if cube.status[c] in (HIDDEN, UNKNOWN)]
        if all(cube.status[c] == FIXED for c in cells if c not in open_) and (
            not cube.adds_up(line) or not any(cube.cell(c).debriefs for c in open_)
        ):
            continue  # settled by earlier reports, and gives nothing away (zeros, or a
            # family whose keys need not add up to the total)
        assert len(open_) != 1, line
        if open_ and cube.status[line.parent] not in (HIDDEN, UNKNOWN):
            together = set().union(*(cube.cell(c).clinicians for c in open_))
            assert len(together) >= cube.k, line


# --- the attack ---------------------------------------------------------------------------


def _small_new_week() -> list[ThemeRecord]:
    """July 2025: six nurses in each of W27 and W28, two in W29."""
    records = [rec(n, "2025-W27") for n in range(6)]
    records += [rec(10 + n, "2025-W28") for n in range(6)]
    records += [rec(20, "2025-W29"), rec(21, "2025-W29", incident="aggression")]
    return records


def test_subtracting_last_weeks_report_reveals_a_small_week_unless_the_ledger_is_used() -> None:
    records = _small_new_week()
    truth = Truth(records)
    cutoffs = ["2025-W28", "2025-W29"]
    lines = attacker_lines(records, cutoffs)
    new_week = (*TOTAL, "2025-W29", ALL, "2025-W29")
    assert truth.clinicians(new_week) == 2

    # without the ledger each report is safe on its own...
    alone = [report_at(records, 5, c, [], VIEWS)[1] for c in cutoffs]
    for cutoff, published in zip(cutoffs, alone, strict=True):
        assert attack(truth, attacker_lines(records, [cutoff]), shown(published), 5) == []
    assert (*TOTAL, "2025-W29", ALL, "2025-W29") not in shown(alone[1])
    # ...but 'all' this week minus 'all' last week is the new week
    both = shown(alone[0]) | shown(alone[1])
    this_week, last_week_ = (
        both[(*TOTAL, ALL, ALL, "2025-W29")],
        both[(*TOTAL, ALL, ALL, "2025-W28")],
    )
    assert this_week - last_week_ == truth.value(new_week) == 2
    assert new_week in attack(truth, lines, both, 5)

    # with the ledger the second report is settled against the first: nothing leaks
    ledger: list[Release] = []
    for cutoff in cutoffs:
        cube, published = report_at(records, 5, cutoff, ledger, VIEWS)
        assert_lines_safe(cube)
        ledger += published
    assert attack(truth, lines, shown(ledger), 5) == []
    assert (*TOTAL, ALL, ALL, "2025-W29") not in shown(ledger)
    # the weeks that were safe stay shown
    assert shown(ledger)[(*TOTAL, "2025-W27", ALL, "2025-W27")] == 6
    assert shown(ledger)[(*TOTAL, "2025-W28", ALL, "2025-W28")] == 6


def test_two_small_weeks_in_a_row_are_not_given_away_together() -> None:
    """'All' is hidden in the week after a small week; a second small week must not make
    it safe again (this week minus the last report that showed it = two small weeks)."""
    records = _small_new_week()
    records += [rec(30, "2025-W30"), rec(31, "2025-W30")]
    truth = Truth(records)
    cutoffs = ["2025-W28", "2025-W29", "2025-W30"]
    ledger: list[Release] = []
    for cutoff in cutoffs:
        cube, published = report_at(records, 5, cutoff, ledger, VIEWS)
        assert_lines_safe(cube)
        ledger += published
    assert (
        truth.clinicians((*TOTAL, ALL, ALL, "2025-W30"))
        - truth.clinicians((*TOTAL, ALL, ALL, "2025-W28"))
        == 4
    )
    assert (*TOTAL, ALL, ALL, "2025-W30") not in shown(ledger)
    assert attack(truth, attacker_lines(records, cutoffs), shown(ledger), 5) == []
    # once enough new clinicians have come in, 'all' is shown again
    records += [rec(40 + n, "2025-W31") for n in range(6)]
    cube, published = report_at(records, 5, "2025-W31", ledger, VIEWS)
    assert cube.published((*TOTAL, ALL, ALL)) == len(records)
    ledger += published
    cutoffs.append("2025-W31")
    assert attack(Truth(records), attacker_lines(records, cutoffs), shown(ledger), 5) == []


def test_the_same_data_and_ledger_give_the_same_report() -> None:
    records = _small_new_week() + [rec(40 + n, "2025-W31", role="doctor") for n in range(7)]
    ledger = report_at(records, 5, "2025-W28", [], VIEWS)[1]
    first = Cube(records, 5, cutoff="2025-W31", released=ledger)
    again = Cube(list(reversed(records)), 5, cutoff="2025-W31", released=list(reversed(ledger)))
    assert first.status == again.status
    # recording what today showed does not change today's answer
    today = everything_at(first)
    settled = Cube(records, 5, cutoff="2025-W31", released=[*ledger, *today])
    assert everything_at(settled) == today


# --- the property ------------------------------------------------------------------------

WEEKS = ["2025-W25", "2025-W26", "2025-W27", "2025-W28", "2025-W30", "2025-W31", "2025-W32"]

records_strategy = st.lists(
    st.builds(
        rec,
        st.integers(0, 12),
        st.sampled_from(WEEKS),
        role=st.sampled_from(["nurse", "doctor", "midwife"]),
        incident=st.sampled_from(["patient_death", "aggression", "near_miss"]),
        emotions=st.sampled_from([(), ("guilt",), ("guilt", "sadness")]),
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    records_strategy,
    st.integers(2, 5),
    st.lists(st.sampled_from(WEEKS), min_size=2, max_size=4, unique=True),
    st.lists(st.sets(st.sampled_from(range(len(VIEWS))), min_size=1), min_size=4, max_size=4),
    st.booleans(),
)
def test_no_sequence_of_reports_gives_away_a_suppressed_cell(
    records: list[ThemeRecord],
    k: int,
    cutoffs: list[str],
    views: list[set[int]],
    everything: bool,
) -> None:
    cutoffs = sorted(cutoffs, key=week_monday)
    truth = Truth(records)
    ledger: list[Release] = []
    cube = None
    for cutoff, chosen in zip(cutoffs, views, strict=False):
        if not any(week_monday(r.week) <= week_monday(cutoff) for r in records):
            continue
        cube, published = report_at(records, k, cutoff, ledger, [VIEWS[i] for i in sorted(chosen)])
        if everything:
            published = everything_at(cube)
        assert_lines_safe(cube)
        assert cube.exposed == set()
        for r in published:  # every number shown is true and has k clinicians
            cell = (r.family, r.key, r.period, r.role, r.cutoff)
            assert r.debriefs == truth.value(cell) and truth.clinicians(cell) >= k, r
        ledger += published
    used = cutoffs_of(ledger)
    if cube is None or not used:
        return
    known = shown(ledger)
    lines = attacker_lines(records, used)
    leaked = attack(truth, lines, known, k)
    assert leaked == [], leaked
    # and nothing the last report hides can be worked out from all of them together
    assert cube.cutoff is not None
    for family, key, period, role, cutoff in _solved(truth, lines, known):
        node = cube.node(period)
        if node is not None and cutoff == canonical_cutoff(period, cube.cutoff):
            assert cube.status[(family, key, node, role)] != HIDDEN, (family, key, period, role)


def _solved(truth: Truth, lines: list[tuple[Cell, ...]], published: dict[Cell, int]) -> set[Cell]:
    """The cells ``attack`` works out (with any number of clinicians)."""
    return set(solve(truth, lines, published, 0)[0]) - set(published)


# --- the ledger in the store ---------------------------------------------------------------


@pytest.fixture
def stores(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], ThemeStorage]:
    """New theme store objects on one database: the same themes.db, or the same
    PostgreSQL database (as after a restart, or as several instances)."""
    if backend == "sqlite":
        return lambda: ThemeStore(tmp_path / "themes.db")
    url = request.getfixturevalue("postgres_url")
    return lambda: SqlThemeStore(url)


def test_the_ledger_survives_a_restart_and_protects_the_next_report(
    stores: Callable[[], ThemeStorage],
) -> None:
    records = _small_new_week()
    first = stores()
    first.add_many(records)
    week28 = publish(first.records, 5, Query(by="week"), today=day_after("2025-W28"), ledger=first)
    assert week28.total.debriefs == 12
    released = first.releases()
    assert released and all(r.cutoff in ("2025-W27", "2025-W28") for r in released)
    assert Release("all", "total", "all", "all", "2025-W28", 12) in released

    restarted = stores()  # a new store object on the same file or database
    assert restarted.releases() == released
    week29 = publish(
        restarted.records, 5, Query(by="week"), today=day_after("2025-W29"), ledger=restarted
    )
    assert week29.total.debriefs is None  # 'all' minus last week's would be the small week
    assert week29.total.over_time[:2] == [6, 6]
    # the same request again gives the same report, and adds nothing new
    again = publish(
        restarted.records, 5, Query(by="week"), today=day_after("2025-W29"), ledger=restarted
    )
    assert again == week29
    assert len(stores().releases()) == len(restarted.releases())
    truth = Truth(records)
    lines = attacker_lines(records, ["2025-W28", "2025-W29"])
    assert attack(truth, lines, shown(stores().releases()), 5) == []


def test_reports_made_at_once_are_settled_one_after_the_other(
    stores: Callable[[], ThemeStorage],
) -> None:
    """Two instances making a report at the same moment: the second reads the ledger only
    once the first has recorded what it showed (else each would miss the other)."""
    store = stores()
    store.add_many(_small_new_week())
    first_in, times = threading.Event(), {}

    def slow() -> None:
        with stores().publishing() as session:
            first_in.set()
            time.sleep(0.4)
            session.release([Release("all", "total", "all", "all", "2025-W28", 12)])
            times["first out"] = time.monotonic()

    def second() -> None:
        first_in.wait(5)
        with stores().publishing() as session:
            times["second in"] = time.monotonic()
            times["seen"] = len(session.released())

    threads = [threading.Thread(target=slow), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert times["second in"] >= times["first out"]
    assert times["seen"] == 1


def test_concurrent_reports_on_different_days_leave_a_safe_ledger(
    stores: Callable[[], ThemeStorage],
) -> None:
    records = _small_new_week() + [rec(40 + n, "2025-W30", role="doctor") for n in range(3)]
    records += [rec(50 + n, "2025-W31") for n in range(7)]
    stores().add_many(records)
    cutoffs = ["2025-W28", "2025-W29", "2025-W30", "2025-W31"]
    errors: list[BaseException] = []

    def make(cutoff: str, view: Query) -> None:
        try:
            store = stores()
            publish(store.records, 5, view, today=day_after(cutoff), ledger=store)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    jobs = [
        threading.Thread(target=make, args=(c, v))
        for c in cutoffs
        for v in (Query(), Query(by="week"), Query(by="quarter"))
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
    assert errors == []
    released = stores().releases()
    assert released and len(released) == len(set(released))
    lines = attacker_lines(records, cutoffs_of(released))
    assert attack(Truth(records), lines, shown(released), 5) == []


def test_the_ledger_holds_no_tokens_and_nothing_but_cells(tmp_path: Path) -> None:
    store = ThemeStore(tmp_path / "themes.db")
    records = _small_new_week()
    store.add_many(records)
    publish(store.records, 5, Query(by="week"), today=day_after("2025-W29"), ledger=store)
    with sqlite3.connect(tmp_path / "themes.db") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(releases)")]
        rows = db.execute("SELECT * FROM releases").fetchall()
    assert columns == ["family", "key", "period", "role", "cutoff", "debriefs"]
    assert rows
    raw = repr(rows)
    for r in records:
        assert r.clinician not in raw


@pytest.mark.postgres
def test_the_postgres_ledger_holds_no_tokens_and_nothing_but_cells(postgres_url: str) -> None:
    store = SqlThemeStore(postgres_url)
    records = _small_new_week()
    store.add_many(records)
    publish(store.records, 5, Query(by="week"), today=day_after("2025-W29"), ledger=store)
    with database.engine(postgres_url).connect() as db:
        columns = [
            row[0]
            for row in db.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'theme_releases' ORDER BY ordinal_position"
                )
            )
        ]
        raw = repr(db.execute(text("SELECT * FROM theme_releases")).all())
    assert columns == ["family", "key", "period", "role", "cutoff", "debriefs"]
    for r in records:
        assert r.clinician not in raw


# --- deletion: the limit -------------------------------------------------------------------


def test_after_an_opt_out_earlier_numbers_stay_fixed_and_the_report_says_what_it_cannot_hide(
    tmp_path: Path,
) -> None:
    """Deleting records changes cells already published: the difference is the deleted
    clinician's contribution. That cannot be prevented while honouring the deletion; the
    report shows the current numbers and says so."""
    store = ThemeStore(tmp_path / "themes.db")
    records = [rec(n, "2025-W27") for n in range(5)] + [rec(n + 10, "2025-W28") for n in range(7)]
    store.add_many(records)
    before = publish(store.records, 5, Query(by="week"), today=day_after("2025-W28"), ledger=store)
    assert before.total.over_time == [5, 7] and before.notes == []
    store.opt_out(token(0))  # one of the five in W27
    after = publish(store.records, 5, Query(by="week"), today=day_after("2025-W28"), ledger=store)
    weeks = dict(zip(after.columns, after.total.over_time, strict=True))
    assert weeks.get("2025-W27") is None  # four clinicians now: never shown under k
    assert weeks["2025-W28"] == 7
    assert after.notes and "deleted" in after.notes[0]


# --- the calendar helpers --------------------------------------------------------------------


def test_cutoffs_are_stored_once_a_period_has_ended() -> None:
    assert last_week("2025-07") == "2025-W31"  # Thursday 31 July
    assert last_week("2025-Q3") == "2025-W39"
    assert last_week("2025-W30") == "2025-W30" and last_week(ALL) is None
    assert canonical_cutoff("2025-07", "2025-W35") == "2025-W31"
    assert canonical_cutoff("2025-07", "2025-W29") == "2025-W29"
    assert canonical_cutoff(ALL, "2025-W35") == "2025-W35"
    assert running("2025-07", "2025-W29") and not running("2025-07", "2025-W31")


def test_a_report_never_goes_back_behind_a_published_cutoff() -> None:
    """A report asked for an earlier day than one already published covers the later
    weeks too: an older cutoff would make new differences with what was shown."""
    records = _small_new_week() + [rec(40 + n, "2025-W31") for n in range(6)]
    ledger = report_at(records, 5, "2025-W31", [], VIEWS)[1]
    earlier = Cube(records, 5, cutoff="2025-W28", released=ledger)
    assert earlier.cutoff == "2025-W31"
    assert earlier.published((*TOTAL, "2025-W31", ALL)) == 6
    assert Cube(records, 5, cutoff="2025-W28").published((*TOTAL, "2025-W31", ALL)) is None


# --- where reports are made: the dashboard and the command line --------------------------


def test_the_dashboard_records_exactly_what_it_shows(client: Any) -> None:  # noqa: F811
    http, _, recorder = client
    body = http.get("/educator/themes.json?by=week&role=nurse", headers=_as("edu.one")).json()
    released = shown(recorder.store.releases())
    numbers = {
        (row["family"], row["key"], period, "nurse"): value
        for table in [{"rows": [body["total"]]}, *body["families"]]
        for row in table["rows"]
        for period, value in [
            (body["query"]["period"], row["debriefs"]),
            *zip(body["columns"], row["over_time"], strict=True),
        ]
        if value is not None
    }
    assert len(numbers) > 20
    assert {cell[:4]: value for cell, value in released.items()} == numbers
    again = http.get("/educator/themes.csv?by=week&role=nurse", headers=_as("edu.one"))
    assert again.status_code == 200
    assert shown(recorder.store.releases()) == released  # the same cells: nothing new


def test_the_command_line_records_what_it_prints_and_hides_a_small_new_week(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    store = ThemeStore(tmp_path / "themes.db")
    records = _small_new_week()
    store.add_many(records)

    def themes(week: str) -> dict[str, Any]:
        args = ["educator", "themes", "--json", "--today", day_after(week).isoformat()]
        result = CliRunner().invoke(coach_cli, [*args, "--no-sweep"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    assert themes("2025-W28")["total"]["debriefs"] == 12
    assert Release("all", "total", "all", "all", "2025-W28", 12) in store.releases()
    assert themes("2025-W29")["total"]["debriefs"] is None
    out = tmp_path / "report"
    result = CliRunner().invoke(
        coach_cli,
        ["educator", "report", "--out", str(out), "--today", day_after("2025-W29").isoformat()],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "themes.json").read_text())["total"]["debriefs"] is None
    lines = attacker_lines(records, cutoffs_of(store.releases()))
    assert attack(Truth(records), lines, shown(store.releases()), 5) == []
