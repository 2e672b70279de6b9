"""The time axis of the theme cube, across every report published so far.

Every count covers a run of whole ISO weeks, so a time cell is a *span*: the indices of its
first and last week in the weeks of the cube. Two periods that cover the same weeks (a
quarter with one month of data and that month, say) are one span and so one cell.

**Boundaries.** Each cutoff at which a report showed a running period (a month, quarter or
``all`` not yet ended), plus today's cutoff. At a boundary ``b`` a period ``P`` covers its
weeks up to ``b``: the *prefix* ``P@b``. Today's prefixes are the cells the report shows;
earlier ones are what earlier reports showed (or could have).

**Segments.** The weeks of ``P`` after one boundary up to the next: ``P@b2 - P@b1``. A
segment is never shown, but it is what subtracting two reports gives, so it is a cell too
(a suppressed one when it has fewer than k clinicians).

**Lines** (parent = sum of children), for every boundary and segment:

- *hierarchy*: ``P@b`` with its child periods at ``b`` (a quarter with its months ...);
- *tiling*: a segment of ``P`` with the segments of its child periods (down to weeks);
- *chains*: ``P@b2`` with ``P@b1`` and the segment between them, for consecutive
  boundaries.

The cube adds one more kind as it settles (:meth:`chain` gives the prefixes of a period):
``P@b2`` with ``P@b1`` and each week between them, for every two prefixes of the same cell
that an attacker knows with none known in between (so today is checked against the last
report that showed each cell, however many reports hid it in between).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coach.educator.records import month_quarter, week_month

ALL = "all"
Span = tuple[int, int]  # first and last week index, inclusive
TimeLine = tuple[Span, tuple[Span, ...]]  # parent, children


class Timeline:
    def __init__(self, weeks: Sequence[str], boundaries: Iterable[int] = ()) -> None:
        self.weeks = tuple(weeks)
        self.now = len(self.weeks) - 1
        self.index = {w: i for i, w in enumerate(self.weeks)}
        self.boundaries = tuple(sorted({b for b in boundaries if 0 <= b < self.now} | {self.now}))
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.kids: dict[str, tuple[str, ...]] = {}
        months: dict[str, list[str]] = {}
        for i, week in enumerate(self.weeks):
            self.first[week] = self.last[week] = i
            self.kids[week] = ()
            months.setdefault(week_month(week), []).append(week)
        quarters: dict[str, list[str]] = {}
        for month, its_weeks in months.items():
            self.first[month], self.last[month] = self.first[its_weeks[0]], self.last[its_weeks[-1]]
            self.kids[month] = tuple(its_weeks)
            quarters.setdefault(month_quarter(month), []).append(month)
        for quarter, its_months in quarters.items():
            self.first[quarter] = self.first[its_months[0]]
            self.last[quarter] = self.last[its_months[-1]]
            self.kids[quarter] = tuple(its_months)
        self.first[ALL], self.last[ALL], self.kids[ALL] = 0, self.now, tuple(quarters)
        self.parents = (ALL, *quarters, *months) if self.weeks else ()
        self.periods = (*self.weeks, *months, *quarters, ALL) if self.weeks else ()
        self.today: dict[str, Span] = {}
        for period in self.periods:
            span = self.span(period, self.now)
            if span is not None:
                self.today[period] = span
        self.lines = self._lines()
        today = set(self.today.values())
        past = {
            span
            for b in self.boundaries[:-1]
            for period in self.parents
            if (span := self.span(period, b)) is not None and span not in today
        }
        self.past = frozenset(past)
        self.today_spans = frozenset(today)
        every = set(today) | past
        for parent, children in self.lines:
            every.add(parent)
            every.update(children)
        self.spans = tuple(sorted(every))
        self.virtual = frozenset(every - today)

    # --- spans ---------------------------------------------------------------------------

    def span(self, period: str, boundary: int) -> Span | None:
        """``period`` as it stood at ``boundary`` (``None`` before it began)."""
        first = self.first[period]
        return None if first > boundary else (first, min(self.last[period], boundary))

    def segment(self, period: str, after: int, upto: int) -> Span | None:
        """The weeks of ``period`` after boundary ``after`` up to boundary ``upto``."""
        first, last = max(self.first[period], after + 1), min(self.last[period], upto)
        return (first, last) if first <= last else None

    def name(self, span: Span) -> str:
        first, last = span
        if first == last:
            return self.weeks[first]
        return f"{self.weeks[first]}..{self.weeks[last]}"

    def cutoff(self, week: str) -> int | None:
        return self.index.get(week)

    # --- lines ---------------------------------------------------------------------------

    def _lines(self) -> list[TimeLine]:
        found: dict[TimeLine, None] = {}

        def add(parent: Span | None, children: Iterable[Span | None]) -> None:
            kept = tuple(dict.fromkeys(c for c in children if c is not None))
            if parent is not None and kept and kept != (parent,):
                found.setdefault((parent, kept))

        for b in self.boundaries:
            for period in self.parents:
                add(self.span(period, b), (self.span(c, b) for c in self.kids[period]))
        slabs = zip(self.boundaries, self.boundaries[1:], strict=False)
        for after, upto in slabs:
            for period in self.parents:
                add(
                    self.segment(period, after, upto),
                    (self.segment(c, after, upto) for c in self.kids[period]),
                )
                before, now = self.span(period, after), self.span(period, upto)
                if before is not None and now is not None and before != now:
                    add(now, (before, self.segment(period, after, upto)))
        return list(found)

    def chain(self, period: str) -> list[Span]:
        """``period`` at each boundary, oldest first (each span once: an ended period is
        the same span at every later boundary)."""
        spans = (self.span(period, b) for b in self.boundaries)
        return list(dict.fromkeys(s for s in spans if s is not None))
