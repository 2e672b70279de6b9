"""The release ledger: which cells earlier reports published, and at which cutoff.

A report covers the closed weeks up to its *cutoff*. The month, the quarter and ``all``
that contain the cutoff are still running: next week they grow by exactly that week's
debriefs, so two reports made a week apart would give the new week away by subtraction,
even where its own cell is suppressed. The ledger remembers every cell a report showed,
so the next report can be settled against them (:class:`coach.educator.suppression.Cube`).

A row is a cell key (family, key, period, role), the cutoff and the number shown, which
is public anyway: no clinician token, no record, nothing else. The cutoff is stored in its
canonical form: a period that had ended by the report's cutoff is the same cell at every
later cutoff, so it is stored once, at its last week.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from coach.educator.records import iso_week, week_monday

ALL = "all"


@dataclass(frozen=True, order=True)
class Release:
    """One published cell: ``family, key, period, role`` as in the cube, the cutoff week
    of the report that showed it (canonical: see :func:`canonical_cutoff`), and the number
    it showed."""

    family: str
    key: str
    period: str
    role: str
    cutoff: str
    debriefs: int


class ReleaseSession(Protocol):
    """The ledger while a report is being made: nobody else publishes meanwhile."""

    def released(self) -> list[Release]: ...

    def release(self, cells: Iterable[Release]) -> int:
        """Record ``cells`` (each only once: insert if absent); returns how many were new."""
        ...


class ReleaseLedger(Protocol):
    def releases(self) -> list[Release]: ...

    def publishing(self) -> AbstractContextManager[ReleaseSession]:
        """Hold the ledger for one report: read what was released, settle the report
        against it and record what it shows, with no other report in between (across
        every instance)."""
        ...


def _month_last_week(year: int, month: int) -> str:
    last = date(year, month, calendar.monthrange(year, month)[1])
    thursday = last - timedelta(days=(last.weekday() - 3) % 7)
    return iso_week(thursday)


def last_week(period: str) -> str | None:
    """The calendar's last week of ``period`` (a week is its own), ``None`` for ``all``."""
    if period == ALL:
        return None
    if "-W" in period:
        return period
    year, rest = period.split("-")
    if rest.startswith("Q"):
        return _month_last_week(int(year), int(rest[1:]) * 3)
    return _month_last_week(int(year), int(rest))


def _before(week: str, other: str) -> bool:
    return week_monday(week) < week_monday(other)


def canonical_cutoff(period: str, cutoff: str) -> str:
    """The cutoff a cell of ``period`` shown at ``cutoff`` is stored under: the period's
    last week once it has ended (it no longer changes), else ``cutoff``."""
    end = last_week(period)
    return end if end is not None and not _before(cutoff, end) else cutoff


def running(period: str, cutoff: str) -> bool:
    """Whether ``period`` was still running at ``cutoff`` (its cell was a prefix)."""
    end = last_week(period)
    return end is None or _before(cutoff, end)


def latest(weeks: Iterable[str]) -> str | None:
    found = list(weeks)
    return max(found, key=week_monday) if found else None


def rows(releases: Iterable[Release]) -> Iterator[tuple[str, str, str, str, str, int]]:
    """``releases`` as plain rows for the database, in a fixed order."""
    for r in sorted(set(releases)):
        yield (r.family, r.key, r.period, r.role, r.cutoff, r.debriefs)
