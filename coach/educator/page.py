"""The educator dashboard as one HTML page (served at ``/educator`` and written by
``coach educator report``): filters, SVG charts and the tables behind them.

Everything shown comes from a :class:`coach.educator.report.ThemeReport`, so suppressed
cells are blank here exactly as in the JSON and CSV. Tables carry ``data-*`` attributes
naming each cell, for tests and for anyone scraping the page.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from coach.educator.charts import Bar, Series, bar_chart, line_chart
from coach.educator.report import (
    FamilyTable,
    Row,
    ThemeReport,
    family_rows,
    period_label,
    role_label,
)

TOP_INCIDENTS = 5

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2733;
background:#f7f8fa;line-height:1.45}
header{background:#24455e;color:#fff;padding:1rem 2rem}
header h1{margin:0;font-size:1.4rem} header p{margin:.3rem 0 0;opacity:.9}
main{padding:1rem 2rem;max-width:1200px}
section{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:1rem 1.2rem;
margin:1rem 0}
h2{font-size:1.15rem;margin:.2rem 0 .6rem}
form.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end}
form.filters label{display:flex;flex-direction:column;font-size:.9rem}
select,button{font:inherit;padding:.3rem .5rem}
.note{font-size:.9rem;color:#4a5868}
table{border-collapse:collapse;font-size:.85rem;margin-top:.6rem}
th,td{border:1px solid #dde3ea;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
td.suppressed{color:#8a96a3}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
svg.chart{max-width:100%;height:auto;background:#fff}
svg .axis{stroke:#8a96a3} svg .axis-label,svg .legend,svg .value{font-size:11px;fill:#1d2733}
svg .suppressed{font-size:11px;fill:#8a96a3;font-style:italic}
.table-scroll{overflow-x:auto}
"""


def _cell(value: int | None, *, family: str, key: str, period: str, role: str, k: int) -> str:
    attrs = (
        f'data-family="{escape(family)}" data-key="{escape(key)}" '
        f'data-period="{escape(period)}" data-role="{escape(role)}"'
    )
    if value is None:
        return (
            f'<td class="suppressed" {attrs} data-suppressed="true" '
            f'title="fewer than {k} clinicians, or derivable from other numbers">&lt;{k}</td>'
        )
    return f'<td {attrs} data-debriefs="{value}">{value}</td>'


def _table(report: ThemeReport, table: FamilyTable, caption: str) -> str:
    q = report.query
    columns = [c for c in report.columns if c != q.period]
    head = "".join(f'<th scope="col">{escape(period_label(c))}</th>' for c in columns)
    lines = [
        '<div class="table-scroll"><table>',
        f"<caption>{escape(caption)}</caption>",
        f'<thead><tr><th scope="col">{escape(table.label)}</th>'
        f'<th scope="col">{escape(period_label(q.period))}</th>{head}</tr></thead><tbody>',
    ]
    for row in table.rows:
        cells = [
            _cell(
                row.debriefs,
                family=row.family,
                key=row.key,
                period=q.period,
                role=q.role,
                k=report.k,
            ),
        ]
        for period, value in zip(report.columns, row.over_time, strict=True):
            if period == q.period:
                continue
            cells.append(
                _cell(value, family=row.family, key=row.key, period=period, role=q.role, k=report.k)
            )
        lines.append(f'<tr><th scope="row">{escape(row.label)}</th>{"".join(cells)}</tr>')
    if not table.rows:
        span = 2 + len(columns)
        lines.append(f'<tr><td colspan="{span}">Nothing here can be shown yet.</td></tr>')
    lines.append("</tbody></table></div>")
    return "".join(lines)


def _bars(report: ThemeReport, family: str, title: str) -> str:
    rows = family_rows(report, family)  # type: ignore[arg-type]
    return bar_chart(
        f"{title}, {period_label(report.query.period)}, {role_label(report.query.role)}",
        [Bar(r.key, r.label, r.debriefs) for r in rows],
        family=family,
        period=report.query.period,
        role=report.query.role,
        k=report.k,
    )


def _over_time(report: ThemeReport) -> str:
    incidents = family_rows(report, "incident")
    ranked = sorted(incidents, key=lambda r: -(r.debriefs or 0))[:TOP_INCIDENTS]
    series = [Series("total", "all debriefs", report.total.over_time)]
    series += [Series(r.key, r.label, r.over_time) for r in ranked]
    return line_chart(
        f"Debriefs and incident types over time ({role_label(report.query.role)})",
        report.columns,
        [period_label(c) for c in report.columns],
        series,
        family="incident",
        role=report.query.role,
        k=report.k,
    )


def _escalation_over_time(report: ThemeReport) -> str:
    rows = [r for r in family_rows(report, "escalation") if r.key != "none"]
    return line_chart(
        f"Escalations over time ({role_label(report.query.role)})",
        report.columns,
        [period_label(c) for c in report.columns],
        [Series(r.key, r.label, r.over_time) for r in rows],
        family="escalation",
        role=report.query.role,
        k=report.k,
    )


def _select(name: str, label: str, options: list[tuple[str, str]], chosen: str) -> str:
    items = "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(t)}</option>'
        for v, t in options
    )
    return (
        f'<label>{escape(label)}<select name="{name}" id="filter-{name}">{items}</select></label>'
    )


def _filters(report: ThemeReport, base: str) -> str:
    q = report.query
    periods = [(p, period_label(p)) for p in report.periods]
    by = [("week", "week"), ("month", "month"), ("quarter", "quarter")]
    roles = [(r, role_label(r)) for r in report.roles]
    params = urlencode({"period": q.period, "by": q.by, "role": q.role})
    return (
        f'<form class="filters" method="get" action="{escape(base)}" aria-label="Filters">'
        + _select("period", "Period", periods, q.period)
        + _select("by", "Over time by", by, q.by)
        + _select("role", "Role", roles, q.role)
        + '<button type="submit">Show</button>'
        + f'<a href="{escape(base)}/themes.csv?{escape(params)}" download="themes.csv" '
        f'id="csv-export">Download CSV</a>'
        + f'<a href="{escape(base)}/themes.json?{escape(params)}" id="json-export">JSON</a>'
        + "</form>"
    )


def render_page(report: ThemeReport, *, base: str | None = "/educator") -> str:
    """The dashboard (``base`` set: with filters and export links) or the static report."""
    q = report.query
    scope = f"{period_label(q.period)} · {role_label(q.role)} · over time by {q.by}"
    intro = (
        f"Anonymised themes from ended and abandoned debriefs. A number is shown only when "
        f"at least {report.k} different clinicians are behind it, and numbers that would let "
        f"a hidden one be worked out by subtraction are hidden too (shown as &lt;{report.k}). "
        "No transcript, name or free text is kept for this page."
    )
    body = [
        "<header><h1>Debrief themes for educators</h1>",
        f"<p>{escape(scope)}; weeks up to {escape(report.through_week or 'none yet')}, "
        f"made {report.generated_on.isoformat()}.</p></header><main>",
        f'<p class="note">{intro}</p>',
        *(f'<p class="note" role="status">{escape(note)}</p>' for note in report.notes),
    ]
    if base is not None:
        body.append(f"<section>{_filters(report, base)}</section>")
    if report.empty:
        body.append(
            '<section id="no-data"><h2>Not enough debriefs yet</h2><p>Nothing can be shown '
            f"without risking identifying someone: every number would come from fewer than "
            f"{report.k} clinicians.</p></section>"
        )
    body += [
        '<section id="over-time"><h2>Themes over time</h2>',
        _over_time(report),
        _table(report, _as_table(report.total), "Debriefs"),
        _table(report, _family(report, "incident"), "Incident types"),
        "</section>",
        '<section id="emotions"><h2>Emotions</h2><p class="note">A debrief can name several.</p>',
        _bars(report, "emotion", "Emotions"),
        _table(report, _family(report, "emotion"), "Emotions"),
        "</section>",
        '<section id="factors"><h2>System factors</h2>',
        _bars(report, "factor", "System factors"),
        _table(report, _family(report, "factor"), "System factors"),
        "</section>",
        '<section id="escalations"><h2>Escalations</h2><p class="note">The highest level '
        "a debrief reached: a support offer, or the crisis reply.</p>",
        '<div class="charts">',
        _bars(report, "escalation", "Escalations"),
        _escalation_over_time(report),
        "</div>",
        _table(report, _family(report, "escalation"), "Escalations"),
        "</section>",
        '<section id="more"><h2>Support needs, stages and durations</h2>',
        _table(report, _family(report, "need"), "Support needs"),
        _table(report, _family(report, "stage"), "Stage reached"),
        _table(report, _family(report, "outcome"), "Outcome"),
        _table(report, _family(report, "duration"), "Duration"),
        "</section></main>",
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Debrief themes · Debrief Coach</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def _family(report: ThemeReport, family: str) -> FamilyTable:
    return next(t for t in report.families if t.family == family)


def _as_table(total: Row) -> FamilyTable:
    return FamilyTable(family="all", label="All", multi_valued=False, rows=[total])


def refusal_page(status: int, message: str) -> str:
    """The page for someone who may not see the dashboard (or is not signed in)."""
    link = (
        '<p><a href="/login">Sign in</a></p>'
        if status == 401
        else '<p><a href="/">Back to the chat</a></p>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Not available · Debrief Coach</title>"
        f"<style>{_CSS}</style></head><body><header><h1>Debrief themes for educators</h1>"
        f'</header><main><section id="refused" role="alert"><h2>{escape(message)}</h2>'
        f"{link}</section></main></body></html>"
    )
