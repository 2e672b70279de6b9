"""The theme cube and its k-anonymity: which counts may be published, today and against
every earlier report.

**Cells.** Every count an educator can see is a cell ``(family, key, period, role)``:

- ``family, key``: a theme such as ``("emotion", "guilt")``, or ``("all", "total")``,
  the number of debriefs (shared by every family, so it is suppressed consistently);
- ``period``: an ISO week (``2026-W03``), a month (``2026-01``, the month of the week's
  Thursday, so every week lies in exactly one month), a quarter (``2026-Q1``) or ``all``;
- ``role``: a role category or ``all``.

A cell holds its number of debriefs (what is shown) and the clinicians in it.

Inside the cube a period is a span of weeks (:mod:`coach.educator.timeline`): today's
periods, the running periods as earlier reports showed them (their cutoffs come from the
release ledger, :mod:`coach.educator.releases`), and the segments between cutoffs.

**Primary suppression.** A cell is published only if at least ``k`` distinct clinicians
are in it. Zero cells are suppressed too (a zero next to a small total says who is not in
a cell as surely as a count says who is).

**Complementary suppression.** Cells add up along lines: periods (a quarter with its
months, a month with its weeks, and across cutoffs: today's ``all`` with last week's and
the new week), role categories into ``all``, and the keys of a family into the total
(exactly for single-valued families such as the incident type; for emotions, factors and
needs a debrief may count under several keys, and the same rule is applied anyway, which
can only suppress more). Each cell is, for an attacker holding every report so far:

- *published*: shown today, or in an earlier report (the ledger; such a cell is fixed, it
  cannot be taken back), or worked out from those alone;
- *hidden*: suppressed, and must stay impossible to work out;
- *unknown*: never shown but harmless to work out (an earlier period or a segment with at
  least k clinicians); once a line gives it away it counts as published.

A line is safe when none of its cells is hidden or unknown, or when

- at least two are (one would be the parent minus the rest; one unknown cell is simply
  worked out), and
- if the parent is known, the hidden and unknown children together hold at least ``k``
  distinct clinicians (so what the subtraction yields is itself a ``k``-anonymous count).

Unsafe lines are repaired by also hiding the shown child with the fewest clinicians (else
the parent; else, when everything left was published earlier, a worked-out cell is hidden
so that the line that gave it away gets repaired), and every line touched is checked again
until all are safe. The whole cube is settled at once, so every filter, chart, export and
earlier report is held to the same lines (the check is line by line: see the README). A
line that cannot be repaired because all its cells were already published (only after
records were deleted) is listed in ``unprotected``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from coach.educator.records import ThemeRecord, month_quarter, week_monday, week_month
from coach.educator.releases import Release, latest, running
from coach.educator.timeline import Timeline
from coach.educator.vocabulary import FAMILIES, SINGLE_VALUED, Family, labels

ALL = "all"
TOTAL = ("all", "total")
CellKey = tuple[str, str, str, str]  # family, key, period, role

# What an attacker holding every report so far knows of a cell.
FIXED = 0  # published earlier (the ledger), or worked out from earlier reports alone
SHOWN = 1  # published today
DERIVED = 2  # an unknown cell that the published ones give away
HIDDEN = 3  # suppressed: must not be worked out
UNKNOWN = 4  # never shown (an earlier period, a segment), harmless to work out
_OPEN = (HIDDEN, UNKNOWN)  # what an attacker does not know: ``status >= HIDDEN``


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass
class Cell:
    debriefs: int = 0
    mask: int = 0  # the clinicians in it, one bit each (``Cube.tokens``)
    tokens: tuple[str, ...] = field(default=(), repr=False)

    @property
    def size(self) -> int:
        """Distinct clinicians."""
        return self.mask.bit_count()

    @property
    def clinicians(self) -> frozenset[str]:
        return frozenset(self.tokens[i] for i in _bits(self.mask))


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
    """Today's period hierarchy: weeks, months, quarters, ``all``."""

    weeks: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(week_month(w) for w in self.weeks))

    @property
    def quarters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(month_quarter(m) for m in self.months))

    def all(self) -> tuple[str, ...]:
        return (*self.weeks, *self.months, *self.quarters, ALL)


class _Chains:
    """Each cell's prefixes over the boundaries (:meth:`Timeline.chain`), so that any two
    an attacker knows, with none known in between, get a line: the later one with the
    earlier and each week between them (their difference, week by week)."""

    def __init__(self, cube: Cube) -> None:
        timeline = cube.timeline
        # per chain: its prefixes and, for each, one past the index of its last week
        self.series: list[tuple[tuple[CellKey, ...], tuple[int, ...], tuple[CellKey, ...]]] = []
        self.where: dict[CellKey, list[tuple[int, int]]] = defaultdict(list)
        chains = [timeline.chain(p) for p in timeline.parents]
        chains = [spans for spans in chains if len(spans) > 1]
        for family, key in cube.themes() if chains else ():
            for role in (*cube.roles, ALL):
                weeks = tuple((family, key, w, role) for w in timeline.weeks)
                for spans in chains:
                    cells = tuple((family, key, timeline.name(s), role) for s in spans)
                    for position, cell in enumerate(cells):
                        self.where[cell].append((len(self.series), position))
                    self.series.append((cells, tuple(s[1] + 1 for s in spans), weeks))

    def line(self, series: int, early: int, late: int) -> tuple[CellKey, ...]:
        cells, ends, weeks = self.series[series]
        return (cells[late], cells[early], *weeks[ends[early] : ends[late]])

    def pairs(self, known: Callable[[CellKey], bool]) -> Iterator[tuple[int, int, int]]:
        """Every two known prefixes with none known in between."""
        for series, (cells, _, _) in enumerate(self.series):
            last = None
            for position, cell in enumerate(cells):
                if known(cell):
                    if last is not None:
                        yield series, last, position
                    last = position

    def around(
        self, cell: CellKey, known: Callable[[CellKey], bool]
    ) -> Iterator[tuple[int, int, int | None, int | None]]:
        """For each chain ``cell`` is in: its position, and the nearest known prefixes
        before and after it."""
        for series, position in self.where.get(cell, ()):
            cells = self.series[series][0]
            before = next((i for i in range(position - 1, -1, -1) if known(cells[i])), None)
            after = next((i for i in range(position + 1, len(cells)) if known(cells[i])), None)
            yield series, position, before, after

    def joined(
        self, cell: CellKey, known: Callable[[CellKey], bool]
    ) -> Iterator[tuple[int, int, int]]:
        """The pairs ``cell`` needs lines for now that it is known: with its known
        neighbours, as ``(series, early, late)``."""
        for series, position, before, after in self.around(cell, known):
            if before is not None:
                yield series, before, position
            if after is not None:
                yield series, position, after

    def bridged(
        self, cell: CellKey, known: Callable[[CellKey], bool]
    ) -> Iterator[tuple[int, int, int]]:
        """The pairs needing a line once ``cell`` is no longer known: its neighbours."""
        for series, _, before, after in self.around(cell, known):
            if before is not None and after is not None:
                yield series, before, after


class Cube:
    """Every cell of the records, with the k rule and complementary suppression applied,
    settled against the cells earlier reports released.

    ``cutoff`` is today's last week (default: the last week with a record); records after
    it are left out, unless an earlier report already went further (its cutoff is then
    today's). ``released`` is the ledger (:class:`coach.educator.releases.Release`)."""

    def __init__(
        self,
        records: Sequence[ThemeRecord],
        k: int,
        *,
        cutoff: str | None = None,
        released: Iterable[Release] = (),
    ) -> None:
        if k < 2:
            raise ValueError("k must be at least 2 (COACH_EDUCATOR_K)")
        self.k = k
        ledger = sorted(set(released))
        today = cutoff if cutoff is not None else latest(r.week for r in records)
        now = latest([w for w in (today, *(r.cutoff for r in ledger)) if w is not None])
        end = week_monday(now) if now is not None else None
        kept = [r for r in records if end is not None and week_monday(r.week) <= end]
        self.records = len(kept)
        self.cutoff: str | None = now if kept else None
        start = min((r.week for r in kept), key=week_monday) if kept else None
        weeks = _weeks_between(start, now) if start is not None and now is not None else []
        self.timeline = Timeline(weeks, self._boundaries(weeks, ledger))
        self.periods = Periods(tuple(weeks))
        self.roles: tuple[str, ...] = tuple(sorted({r.role for r in kept}))
        self.keys: dict[Family, tuple[str, ...]] = {}
        for family in FAMILIES:
            seen = {key for r in kept for key in r.keys(family)}
            self.keys[family] = tuple(key for key in labels(family) if key in seen)
        self.tokens = tuple(sorted({r.clinician for r in kept}))
        self.cells: dict[CellKey, Cell] = {}
        self._count(kept)
        self._themes = frozenset(self.themes())
        self._roles = frozenset((*self.roles, ALL))
        self._names = {s: self.timeline.name(s) for s in self.timeline.spans}
        self._today = {p: self._names[s] for p, s in self.timeline.today.items()}
        self._today_names = frozenset(self._today.values())
        self._inexact: set[int] = set()  # lines whose children may not add up to the parent
        self._lines = self._build_lines()
        self.status: dict[CellKey, int] = {}
        self.primary: set[CellKey] = set()
        self.suppressed: set[CellKey] = set()
        self.fixed: set[CellKey] = set()
        # published earlier (or given away by what was), now under k: records were deleted
        self.exposed: set[CellKey] = set()
        self.unprotected: list[Line] = []
        self._settle(self._released_keys(ledger))

    # --- building ---------------------------------------------------------------------

    @staticmethod
    def _boundaries(weeks: list[str], ledger: list[Release]) -> list[int]:
        index = {w: i for i, w in enumerate(weeks)}
        return sorted(
            {index[r.cutoff] for r in ledger if r.cutoff in index and running(r.period, r.cutoff)}
        )

    def _count(self, records: list[ThemeRecord]) -> None:
        """Each span's cells, summed week by week (spans sharing a first week together)."""
        timeline = self.timeline
        bit = {token: 1 << i for i, token in enumerate(self.tokens)}
        weekly: list[dict[tuple[str, str, str], list[int]]] = [{} for _ in timeline.weeks]
        for record in records:
            cells = weekly[timeline.index[record.week]]
            themes = [TOTAL, *((f, key) for f in FAMILIES for key in record.keys(f))]
            for family, key in themes:
                for role in (record.role, ALL):
                    cell = cells.setdefault((family, key, role), [0, 0])
                    cell[0] += 1
                    cell[1] |= bit[record.clinician]
        ends: dict[int, list[int]] = defaultdict(list)
        for first, last in timeline.spans:
            ends[first].append(last)
        for first, lasts in ends.items():
            running_total: dict[tuple[str, str, str], list[int]] = {}
            targets = set(lasts)
            for week in range(first, max(lasts) + 1):
                for series, (debriefs, mask) in weekly[week].items():
                    total = running_total.setdefault(series, [0, 0])
                    total[0] += debriefs
                    total[1] |= mask
                if week in targets:
                    name = timeline.name((first, week))
                    for (family, key, role), (debriefs, mask) in running_total.items():
                        self.cells[(family, key, name, role)] = Cell(debriefs, mask, self.tokens)

    def _build_lines(self) -> list[tuple[CellKey, ...]]:
        """Every line as ``(parent, *children)``."""
        names = self._names
        roles = (*self.roles, ALL)
        time_lines = [
            (names[parent], tuple(names[c] for c in children))
            for parent, children in self.timeline.lines
        ]
        spans = [names[s] for s in self.timeline.spans]
        lines: list[tuple[CellKey, ...]] = []
        for family, key in self.themes():
            for role in roles:
                for parent, children in time_lines:
                    lines.append(
                        ((family, key, parent, role), *((family, key, c, role) for c in children))
                    )
            if self.roles:
                for span in spans:
                    lines.append(
                        ((family, key, span, ALL), *((family, key, span, r) for r in self.roles))
                    )
        for family in FAMILIES:
            if not self.keys[family]:
                continue
            for span in spans:
                for role in roles:
                    if family not in SINGLE_VALUED:  # a debrief may count under several keys
                        self._inexact.add(len(lines))
                    lines.append(
                        (
                            (*TOTAL, span, role),
                            *((family, key, span, role) for key in self.keys[family]),
                        )
                    )
        return lines

    def _released_keys(self, ledger: list[Release]) -> set[CellKey]:
        found: set[CellKey] = set()
        timeline = self.timeline
        for r in ledger:
            at = timeline.cutoff(r.cutoff)
            if (
                at is None
                or r.period not in timeline.first
                or (r.family, r.key) not in self._themes
                or r.role not in self._roles
            ):
                continue
            span = timeline.span(r.period, at)
            if span is not None:
                found.add((r.family, r.key, self._names[span], r.role))
        return found

    # --- the cells ---------------------------------------------------------------------

    def themes(self) -> list[tuple[str, str]]:
        return [TOTAL, *((f, key) for f in FAMILIES for key in self.keys[f])]

    def all_keys(self) -> Iterable[CellKey]:
        """Every cell of the cube: today's periods, earlier ones and segments."""
        for family, key in self.themes():
            for span in self.timeline.spans:
                for role in (*self.roles, ALL):
                    yield (family, key, self._names[span], role)

    def cell(self, key: CellKey) -> Cell:
        family, theme, period, role = key
        found = self.cells.get((family, theme, self._today.get(period, period), role))
        return found or Cell(tokens=self.tokens)

    def node(self, period: str) -> str | None:
        """The cube's name for today's ``period`` (or for one of today's spans)."""
        return self._today.get(period) or (period if period in self._today_names else None)

    def published(self, key: CellKey) -> int | None:
        """The number of debriefs in today's cell, or ``None`` when it is suppressed."""
        family, theme, period, role = key
        node = self.node(period)
        if node is None or (family, theme) not in self._themes or role not in self._roles:
            return None
        cell_key = (family, theme, node, role)
        if self.status.get(cell_key) not in (FIXED, SHOWN):
            return None
        cell = self.cell(cell_key)
        return cell.debriefs if cell.size >= self.k else None

    # --- lines -------------------------------------------------------------------------

    def lines(self) -> list[Line]:
        return [Line(line[0], line[1:]) for line in self._lines]

    def adds_up(self, line: Line) -> bool:
        """Whether the children of ``line`` add up to its parent (not so for the keys of
        emotions, factors and needs, where a debrief may count under several or none)."""
        family = line.children[0][0] if line.children else ""
        return not (line.parent[:2] == TOTAL and family in FAMILIES and family not in SINGLE_VALUED)

    def _judge(self, line: tuple[CellKey, ...]) -> CellKey | None:
        """``None`` when ``line`` is safe; else the cell that makes it unsafe or that it
        gives away (an unknown cell, or the line's parent when a sum is too small)."""
        status = self.status
        open_ = [c for c in line if status[c] >= HIDDEN]  # HIDDEN or UNKNOWN
        if not open_:
            return None
        if len(open_) == 1:
            return open_[0]
        if status[line[0]] >= HIDDEN:
            return None
        together = 0
        cells = self.cells
        for child in open_:
            found = cells.get(child)
            if found is not None:
                together |= found.mask
        return None if together.bit_count() >= self.k else line[0]

    def _settle(self, released: set[CellKey]) -> None:
        status = self.status
        keys = list(self.all_keys())
        by_cell: dict[CellKey, list[int]] = {key: [] for key in keys}
        for index, line in enumerate(self._lines):
            for cell in line:
                by_cell[cell].append(index)
        chains = _Chains(self)
        seen: set[tuple[int, int, int]] = set()

        def add(chain: tuple[int, int, int]) -> int | None:
            """Add the line of two prefixes of a chain; its index, or ``None`` when it was
            there already."""
            if chain in seen:
                return None
            seen.add(chain)
            line = chains.line(*chain)
            self._lines.append(line)
            for cell in line:
                by_cell[cell].append(len(self._lines) - 1)
            return len(self._lines) - 1

        self.fixed = self._published_before(released, by_cell, chains, add)
        empty = Cell()
        for key in keys:
            counts = self.cells.get(key, empty)
            small = counts.mask.bit_count() < self.k
            if key in self.fixed:
                status[key] = FIXED
                # a zero given away is a theme or role that had no debrief yet back then
                if small and (key in released or counts.debriefs > 0):
                    self.exposed.add(key)
            elif small:
                status[key] = HIDDEN
                self.primary.add(key)
            else:
                status[key] = SHOWN if key[2] in self._today_names else UNKNOWN

        def known(cell: CellKey) -> bool:
            return status[cell] not in _OPEN

        for chain in chains.pairs(known):
            add(chain)
        pending = list(range(len(self._lines)))
        queued = set(pending)

        def again(cell: CellKey, *also: int) -> None:
            for index in (*by_cell[cell], *also):
                if index not in queued:
                    queued.add(index)
                    pending.append(index)

        def link(chain: tuple[int, int, int]) -> None:
            index = add(chain)
            if index is not None:
                queued.add(index)
                pending.append(index)

        while pending:
            index = pending.pop()
            queued.discard(index)
            line = self._lines[index]
            culprit = self._judge(line)
            if culprit is None:
                continue
            if status[culprit] == UNKNOWN:  # the only cell of the line not known
                status[culprit] = DERIVED  # worked out, and harmless: it now counts as known
                for joining in chains.joined(culprit, known):
                    link(joining)
                again(culprit)
                continue
            chosen = self._next_to_hide(line)
            if chosen is None:
                revealing = index not in self._inexact and any(
                    self.cell(c).debriefs for c in line if status[c] in _OPEN
                )
                if revealing:
                    self.unprotected.append(Line(line[0], line[1:]))
                continue  # else it gives nothing away: zeros, or a line that need not add up
            status[chosen] = HIDDEN
            for bridge in chains.bridged(chosen, known):
                link(bridge)
            again(chosen, index)
        self.suppressed = {key for key in keys if status[key] == HIDDEN}
        self.unprotected = list(dict.fromkeys(self.unprotected))

    def _published_before(
        self,
        released: set[CellKey],
        by_cell: dict[CellKey, list[int]],
        chains: _Chains,
        add: Callable[[tuple[int, int, int]], int | None],
    ) -> set[CellKey]:
        """The released cells, and every cell they give away on their own: the one cell
        of a line not released, or, when a released parent is matched by its released
        children, the others (they are zero: a theme or role with no debrief back then)."""
        known = set(released)
        pending = sorted({i for cell in known for i in by_cell.get(cell, ())})
        for chain in chains.pairs(known.__contains__):
            index = add(chain)
            if index is not None:
                pending.append(index)
        while pending:
            index = pending.pop()
            if index in self._inexact:
                continue  # its children need not add up to the parent: it gives nothing away
            line = self._lines[index]
            left = [c for c in line if c not in known]
            if not left:
                continue
            zeros = line[0] not in left and not any(self.cell(c).debriefs for c in left)
            if len(left) == 1 or zeros:
                for cell in left:
                    known.add(cell)
                    pending.extend(by_cell[cell])
                    for joining in chains.joined(cell, known.__contains__):
                        added = add(joining)
                        if added is not None:
                            pending.append(added)
        return known

    def _next_to_hide(self, line: tuple[CellKey, ...]) -> CellKey | None:
        """The shown child with the fewest clinicians, else the shown parent, else a cell
        worked out today (hiding it makes the line that gave it away unsafe, so that line
        is repaired); ``None`` when everything in the line was published earlier."""
        status = self.status

        def smallest(cells: list[CellKey]) -> CellKey:
            return min(cells, key=lambda c: (self.cell(c).size, self.cell(c).debriefs, c))

        shown = [c for c in line[1:] if status[c] == SHOWN]
        if shown:
            return smallest(shown)
        if status[line[0]] == SHOWN:
            return line[0]
        derived = [c for c in line if status[c] == DERIVED]
        return smallest(derived) if derived else None
