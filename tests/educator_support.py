"""Helpers for the educator tests: the aggregates the synthetic plan should produce
(worked out here independently of the cube), and every number a page or CSV shows."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser

from coach.educator.records import ThemeRecord, duration_bucket, month_quarter, week_month
from coach.educator.synthetic import PlannedDebrief
from coach.educator.tokens import clinician_token

Key = tuple[str, str, str, str]  # family, key, period, role


@dataclass
class Truth:
    debriefs: int = 0
    users: set[str] = field(default_factory=set)


def planned_cells(planned: list[PlannedDebrief]) -> dict[Key, Truth]:
    cells: dict[Key, Truth] = defaultdict(Truth)
    for p in planned:
        month = week_month(p.week)
        themes = [("all", "total"), ("incident", p.incident), ("escalation", p.escalation)]
        themes += [("emotion", e) for e in p.emotions]
        themes += [("factor", f) for f in p.factors]
        themes += [("need", n) for n in p.needs]
        themes += [("stage", p.stage), ("outcome", p.outcome)]
        themes += [("duration", duration_bucket(p.minutes))]
        for family, key in themes:
            for period in (p.week, month, month_quarter(month), "all"):
                for role in (p.role, "all"):
                    cell = cells[(family, key, period, role)]
                    cell.debriefs += 1
                    cell.users.add(p.user)
    return cells


def shown_in_csv(text: str) -> dict[Key, int | None]:
    shown: dict[Key, int | None] = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["family"], row["key"], row["period"], row["role"])
        shown[key] = int(row["debriefs"]) if row["debriefs"] else None
    return shown


class _Numbers(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[Key, int | None]] = []
        self.chart: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self.chart = a
        if tag == "td" and "data-family" in a:
            key = (a["data-family"], a["data-key"], a["data-period"], a["data-role"])
            value = int(a["data-debriefs"]) if "data-debriefs" in a else None
            self.shown.append((key, value))
        if tag in ("rect", "circle") and "data-value" in a:
            period = a.get("data-period") or self.chart["data-period"]
            key = (self.chart["data-family"], a["data-key"], period, self.chart["data-role"])
            if a["data-key"] == "total":
                key = ("all", "total", period, self.chart["data-role"])
            self.shown.append((key, int(a["data-value"])))


def shown_in_html(page: str) -> list[tuple[Key, int | None]]:
    """Every (cell, number) a page shows in its tables and charts (None: suppressed)."""
    parser = _Numbers()
    parser.feed(page)
    return parser.shown


def check_shown(
    shown: list[tuple[Key, int | None]] | dict[Key, int | None],
    truth: dict[Key, Truth],
    k: int,
) -> int:
    """Every number shown is the true count of a cell with at least ``k`` clinicians.
    Returns how many numbers were shown."""
    items = shown.items() if isinstance(shown, dict) else shown
    numbers = 0
    for key, value in items:
        if value is None:
            continue
        numbers += 1
        cell = truth.get(key, Truth())
        assert len(cell.users) >= k, f"{key} shown ({value}) with {len(cell.users)} clinicians"
        assert value == cell.debriefs, f"{key}: shown {value}, planned {cell.debriefs}"
    return numbers


def token(n: int) -> str:
    """The clinician token of synthetic clinician ``n``."""
    return f"{n:032x}"


def rec(
    clinician: int,
    week: str = "2025-W30",
    *,
    role: str = "nurse",
    incident: str = "patient_death",
    emotions: tuple[str, ...] = (),
) -> ThemeRecord:
    """A completed debrief's theme record by synthetic clinician ``clinician``."""
    return ThemeRecord(
        week=week,
        role=role,
        clinician=token(clinician),
        incident=incident,
        emotions=emotions,
        stage="close",
        outcome="completed",
        duration="10_to_30_min",
    )


# One clinician's debrief, with the themes the rules find in it (and a name to redact).
KEY = b"k" * 48
TOKEN = clinician_token(KEY, "nurse.one")
DEBRIEF = (
    "Mrs Adaeze Okafor died on the ward last night; we were two nurses short and nobody "
    "told me at handover that her obs had changed.",
    "I feel so guilty and sad about it.",
    "The registrar wouldn't listen when I said she looked worse.",
    "I will talk to my colleagues and I need to get some sleep.",
)
