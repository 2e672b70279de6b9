"""The theme cube and its k-anonymity: which counts may be published.

**Cells.** Every count an educator can see is a cell ``(family, key, period, role)``:

- ``family, key``: a theme such as ``("emotion", "guilt")``, or ``("all", "total")``,
  the number of debriefs (shared by every family, so it is suppressed consistently);
- ``period``: an ISO week (``2026-W03``), a month (``2026-01``, the month of the week's
  Thursday, so every week lies in exactly one month), a quarter (``2026-Q1``) or ``all``;
- ``role``: a role category or ``all``.

A cell holds its number of debriefs (what is shown) and the set of clinician tokens in it.

**Primary suppression.** A cell is published only if at least ``k`` distinct clinicians
are in it. Zero cells are suppressed too (a zero next to a small total says who is not in
a cell as surely as a count says who is).

**Complementary suppression.** Cells add up along three hierarchies: weeks into months
into quarters into ``all``; role categories into ``all``; the keys of a family into the
total (exactly for single-valued families such as the incident type; for emotions,
factors and needs a debrief may count under several keys, and the same rule is applied
anyway, which can only suppress more). Each parent with its children is a *line*. In a
line, a published parent minus the published children gives the sum of the suppressed
children, so a line is safe only when either nothing in it is suppressed, or

- at least two of its cells are suppressed (one hidden cell is the parent minus the rest),
  and
- if the parent is published, the suppressed children together hold at least ``k``
  distinct clinicians (so what the subtraction yields is itself a ``k``-anonymous count).

Unsafe lines are repaired by also suppressing the published child with the fewest
clinicians (else the parent), and every line touched is checked again until all are safe.
Because the whole cube (every period level, every role, every family and the shared
totals) is settled at once, and every number on any view, chart or export is a cell of
it, no filter or export can be combined with another to subtract a suppressed cell.

Not covered: differences between reports made on different days (a week's records only
enter once the week has closed; see ``report.REPORT_DELAY_DAYS``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from coach.educator.records import ThemeRecord, month_quarter, week_monday, week_month
from coach.educator.vocabulary import FAMILIES, Family, labels

ALL = "all"
TOTAL = ("all", "total")
CellKey = tuple[str, str, str, str]  # family, key, period, role


@dataclass
class Cell:
    debriefs: int = 0
    clinicians: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Line:
    parent: CellKey
    children: tuple[CellKey, ...]


def _weeks_between(first: str, last: str) -> list[str]:
    from datetime import timedelta

    from coach.educator.records import iso_week

    day, end = week_monday(first), week_monday(last)
    weeks = []
    while day <= end:
        weeks.append(iso_week(day))
        day += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Periods:
    """The period hierarchy covering the records: weeks, months, quarters, ``all``."""

    weeks: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(week_month(w) for w in self.weeks))

    @property
    def quarters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(month_quarter(m) for m in self.months))

    def children(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each parent period with its child periods."""
        out: list[tuple[str, tuple[str, ...]]] = [(ALL, self.quarters)]
        for quarter in self.quarters:
            out.append((quarter, tuple(m for m in self.months if month_quarter(m) == quarter)))
        for month in self.months:
            out.append((month, tuple(w for w in self.weeks if week_month(w) == month)))
        return out

    def all(self) -> tuple[str, ...]:
        return (*self.weeks, *self.months, *self.quarters, ALL)


class Cube:
    """Every cell of the records, with the k rule and complementary suppression applied."""

    def __init__(self, records: Sequence[ThemeRecord], k: int) -> None:
        if k < 2:
            raise ValueError("k must be at least 2 (COACH_EDUCATOR_K)")
        self.k = k
        self.records = len(records)
        weeks = sorted({r.week for r in records}, key=week_monday)
        self.periods = Periods(tuple(_weeks_between(weeks[0], weeks[-1])) if weeks else ())
        self.roles: tuple[str, ...] = tuple(sorted({r.role for r in records}))
        self.keys: dict[Family, tuple[str, ...]] = {}
        for family in FAMILIES:
            seen = {key for r in records for key in r.keys(family)}
            self.keys[family] = tuple(key for key in labels(family) if key in seen)
        self.cells: dict[CellKey, Cell] = defaultdict(Cell)
        for record in records:
            month = week_month(record.week)
            periods = (record.week, month, month_quarter(month), ALL)
            themes = [TOTAL, *((f, key) for f in FAMILIES for key in record.keys(f))]
            for theme, key in themes:
                for period in periods:
                    for role in (record.role, ALL):
                        cell = self.cells[(theme, key, period, role)]
                        cell.debriefs += 1
                        cell.clinicians.add(record.clinician)
        self.suppressed: set[CellKey] = set()
        self.primary: set[CellKey] = set()
        self._settle()

    # --- the cells ---------------------------------------------------------------------

    def themes(self) -> list[tuple[str, str]]:
        return [TOTAL, *((f, key) for f in FAMILIES for key in self.keys[f])]

    def all_keys(self) -> Iterable[CellKey]:
        for family, key in self.themes():
            for period in self.periods.all():
                for role in (*self.roles, ALL):
                    yield (family, key, period, role)

    def cell(self, key: CellKey) -> Cell:
        return self.cells.get(key) or Cell()

    def published(self, key: CellKey) -> int | None:
        """The number of debriefs in a cell, or ``None`` when it is suppressed."""
        if (
            key in self.suppressed
            or (key[0], key[1]) not in self._themes
            or key[2] not in self._period_set
            or key[3] not in self._roles
        ):
            return None
        return self.cell(key).debriefs

    # --- lines -------------------------------------------------------------------------

    def lines(self) -> list[Line]:
        roles = (*self.roles, ALL)
        lines: list[Line] = []
        for family, key in self.themes():
            for parent, children in self.periods.children():
                for role in roles:
                    lines.append(
                        Line(
                            (family, key, parent, role),
                            tuple((family, key, c, role) for c in children),
                        )
                    )
            for period in self.periods.all():
                lines.append(
                    Line(
                        (family, key, period, ALL),
                        tuple((family, key, period, r) for r in self.roles),
                    )
                )
        for family in FAMILIES:
            if not self.keys[family]:
                continue
            for period in self.periods.all():
                for role in roles:
                    lines.append(
                        Line(
                            (*TOTAL, period, role),
                            tuple((family, key, period, role) for key in self.keys[family]),
                        )
                    )
        return [line for line in lines if line.children]

    def line_safe(self, line: Line) -> bool:
        hidden = [c for c in line.children if c in self.suppressed]
        parent_hidden = line.parent in self.suppressed
        count = len(hidden) + int(parent_hidden)
        if count == 0:
            return True
        if count == 1:
            return False
        if parent_hidden:
            return True
        together: set[str] = set()
        for child in hidden:
            together |= self.cell(child).clinicians
        return len(together) >= self.k

    def _settle(self) -> None:
        self._themes = frozenset(self.themes())
        self._period_set = frozenset(self.periods.all())
        self._roles = frozenset((*self.roles, ALL))
        for key in self.all_keys():
            if len(self.cell(key).clinicians) < self.k:
                self.suppressed.add(key)
        self.primary = set(self.suppressed)
        lines = self.lines()
        by_cell: dict[CellKey, list[int]] = defaultdict(list)
        for index, line in enumerate(lines):
            by_cell[line.parent].append(index)
            for child in line.children:
                by_cell[child].append(index)
        pending = list(range(len(lines)))
        queued = set(pending)
        while pending:
            index = pending.pop()
            queued.discard(index)
            line = lines[index]
            if self.line_safe(line):
                continue
            chosen = self._next_to_hide(line)
            self.suppressed.add(chosen)
            for again in (*by_cell[chosen], index):
                if again not in queued:
                    queued.add(again)
                    pending.append(again)

    def _next_to_hide(self, line: Line) -> CellKey:
        shown = [c for c in line.children if c not in self.suppressed]
        if not shown:
            return line.parent
        return min(shown, key=lambda c: (len(self.cell(c).clinicians), self.cell(c).debriefs, c))
