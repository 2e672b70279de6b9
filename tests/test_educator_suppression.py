"""k-anonymity on the theme cube: distinct clinicians per cell, primary suppression, and
complementary suppression so that no hidden cell can be worked out by subtraction along
themes, periods or roles."""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.educator.records import ThemeRecord
from coach.educator.report import Query, build_report, to_csv
from coach.educator.suppression import ALL, TOTAL, Cube
from tests.educator_support import rec

TODAY = date(2026, 1, 1)


def test_a_cell_needs_k_distinct_clinicians_not_k_debriefs() -> None:
    one_person = [rec(1) for _ in range(9)] + [rec(n) for n in range(2, 6)]
    cube = Cube(one_person, k=5)
    assert cube.published(("incident", "patient_death", "2025-W30", "nurse")) == 13
    busy = [rec(1) for _ in range(9)] + [rec(n) for n in range(2, 5)]  # 4 clinicians
    assert Cube(busy, k=5).published(("incident", "patient_death", "2025-W30", "nurse")) is None
    assert Cube(busy, k=4).published(("incident", "patient_death", "2025-W30", "nurse")) == 12


def test_one_small_theme_cell_hides_a_second_so_the_total_cannot_give_it_away() -> None:
    records = [rec(n) for n in range(10)]  # patient death: 10 clinicians
    records += [rec(n, incident="aggression") for n in range(10, 17)]  # 7 clinicians
    records += [rec(n, incident="medication_error") for n in range(17, 25)]  # 8 clinicians
    records += [rec(n, incident="near_miss") for n in range(25, 27)]  # 2: primary
    cube = Cube(records, k=5)
    cell = ("incident", "near_miss", "2025-W30", "nurse")
    assert cell in cube.primary and cube.published(cell) is None
    total = cube.published((*TOTAL, "2025-W30", "nurse"))
    assert total == 27
    shown = [
        cube.published(("incident", key, "2025-W30", "nurse"))
        for key in ("patient_death", "aggression", "medication_error")
    ]
    # the smallest other cell went too: total minus what is shown is 9, not the 2 hidden
    assert shown.count(None) == 1
    assert cube.published(("incident", "aggression", "2025-W30", "nurse")) is None
    assert total - sum(v for v in shown if v is not None) == 9


def test_a_small_role_is_protected_against_all_roles_minus_the_others() -> None:
    records = [rec(n) for n in range(12)]
    records += [rec(n, role="midwife") for n in range(20, 22)]  # 2 midwives
    cube = Cube(records, k=5)
    week_all = cube.published(("incident", "patient_death", "2025-W30", ALL))
    week_nurse = cube.published(("incident", "patient_death", "2025-W30", "nurse"))
    # with one role hidden, the only other role (or the 'all' cell) must be hidden too
    assert cube.published(("incident", "patient_death", "2025-W30", "midwife")) is None
    assert week_all is None or week_nurse is None


def test_a_small_week_is_protected_against_the_month_minus_the_other_weeks() -> None:
    records = [rec(n, week="2025-W28") for n in range(8)]
    records += [rec(n, week="2025-W29") for n in range(8, 16)]
    records += [rec(n, week="2025-W30") for n in range(16, 24)]
    records += [rec(24, week="2025-W31")]  # one clinician in the month's last week
    cube = Cube(records, k=5)
    month = cube.published((*TOTAL, "2025-07", ALL))
    weeks = [cube.published((*TOTAL, w, ALL)) for w in ("2025-W28", "2025-W29", "2025-W30")]
    assert cube.published((*TOTAL, "2025-W31", ALL)) is None
    assert month is not None
    assert weeks.count(None) >= 1  # otherwise month - weeks = the lone clinician's debrief


def _lines_are_safe(cube: Cube) -> None:
    for line in cube.lines():
        hidden = [c for c in line.children if c in cube.suppressed]
        count = len(hidden) + (line.parent in cube.suppressed)
        assert count != 1, line
        if count and line.parent not in cube.suppressed:
            together = set().union(*(cube.cell(c).clinicians for c in hidden))
            assert len(together) >= cube.k, line


records_strategy = st.lists(
    st.builds(
        rec,
        st.integers(0, 14),
        incident=st.sampled_from(["patient_death", "aggression", "near_miss", "bad_news"]),
        week=st.sampled_from(["2025-W27", "2025-W28", "2025-W31", "2025-W32", "2025-W40"]),
        role=st.sampled_from(["nurse", "doctor", "midwife"]),
        emotions=st.sampled_from([(), ("guilt",), ("guilt", "sadness"), ("anger",)]),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(records_strategy, st.integers(2, 6))
def test_every_small_cell_is_hidden_and_every_line_is_safe(
    records: list[ThemeRecord], k: int
) -> None:
    cube = Cube(records, k)
    for key in cube.all_keys():
        if len(cube.cell(key).clinicians) < k:
            assert cube.published(key) is None, key
    _lines_are_safe(cube)
    # every number any view shows is a published cell
    report = build_report(cube, Query(period=ALL, by="week"), today=TODAY)
    for table in report.families:
        for row in table.rows:
            for period, value in zip(report.columns, row.over_time, strict=True):
                assert value == cube.published((row.family, row.key, period, ALL))


def _attack(cube: Cube, hidden: set[tuple[str, str, str, str]]) -> list[tuple[str, ...]]:
    """Solve every line with one unknown, again and again; the small cells worked out."""
    known = {key: (None if key in hidden else cube.cell(key).debriefs) for key in cube.all_keys()}
    leaked: list[tuple[str, ...]] = []
    changed = True
    while changed:
        changed = False
        for line in cube.lines():
            unknown = [c for c in (line.parent, *line.children) if known[c] is None]
            if len(unknown) != 1:
                continue
            (only,) = unknown
            rest = sum(known[c] or 0 for c in line.children if c != only)
            parent = known[line.parent]
            known[only] = rest if only == line.parent else (parent or 0) - rest
            changed = True
            if len(cube.cell(only).clinicians) < cube.k:
                leaked.append(only)
    return leaked


def test_no_combination_of_views_works_out_a_small_cell_by_subtraction() -> None:
    weeks = itertools.cycle(["2025-W28", "2025-W29"])
    records = [rec(n, week=next(weeks)) for n in range(30)]
    records += [rec(40 + n, incident="aggression", week="2025-W29") for n in range(3)]
    records += [rec(50, incident="near_miss", week="2025-W28", role="doctor")]
    cube = Cube(records, k=5)
    # primary suppression alone leaks (the attack works)...
    assert _attack(cube, set(cube.primary))
    # ...complementary suppression stops it
    assert _attack(cube, set(cube.suppressed)) == []
    assert cube.suppressed > cube.primary


def test_csv_rows_never_carry_a_suppressed_number() -> None:
    records = [rec(n) for n in range(6)] + [rec(9, incident="near_miss")]
    report = build_report(Cube(records, k=5), Query(by="week"), today=TODAY)
    lines = to_csv(report).splitlines()
    assert lines[0] == "family,key,label,period,role,debriefs,note"
    # near miss (1 clinician) is hidden, so patient death (total minus near miss) is too:
    # neither has a published cell anywhere, so neither gets a row at all
    assert not [line for line in lines if ",near_miss," in line or ",patient_death," in line]
    assert "all,total,debriefs,all,all,7," in lines


def test_the_page_shows_what_a_report_could_not_protect() -> None:
    from coach.educator.page import render_page
    from coach.educator.report import make_report

    records = [rec(n, week="2025-W30") for n in range(6)]
    report = make_report(records, 5, today=date(2025, 9, 1))
    assert "could not" not in render_page(report)
    warned = report.model_copy(
        update={"notes": ["A cell could not be protected <after> an opt-out."]}
    )
    page = render_page(warned)
    assert (
        '<p class="note" role="status">A cell could not be protected &lt;after&gt; an opt-out.</p>'
        in page
    )
