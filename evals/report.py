"""``results.json`` and ``report.html`` (self-contained: inline SVG charts, no scripts,
nothing fetched when it is opened)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evals.judge import Agreement
from evals.metrics import METRIC_HELP
from evals.records import ConversationRecord, TurnRecord
from evals.thresholds import Bound, Failure
from evals.tone import SCORERS

__all__ = ["RunResults", "render_html", "worst_turns", "write_results"]


class RunResults(BaseModel):
    version: int = 1
    run: dict[str, Any]  # responder, suite, profile, versions, timing
    metrics: dict[str, float]
    bounds: dict[str, Bound]
    failures: list[Failure]
    judge: list[Agreement] = []
    conversations: list[ConversationRecord]

    @property
    def passed(self) -> bool:
        return not self.failures


def worst_turns(records: Sequence[ConversationRecord], n: int = 10) -> list[tuple[str, TurnRecord]]:
    scored = [(r.scenario_id, t) for r in records for t in r.scored if t.overall is not None]
    scored.sort(key=lambda item: (item[1].overall or 0.0, item[0], item[1].index))
    return scored[:n]


def _conversation_json(record: ConversationRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    data["outcome"] = record.timing.outcome
    data["rq_ratio"] = record.rq_ratio
    data["mean_overall"] = record.mean("overall")
    return data


def write_results(results: RunResults, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = results.model_dump(mode="json", exclude={"conversations"})
    data["passed"] = results.passed
    data["worst_turns"] = [
        {
            "scenario": sid,
            "turn": t.index,
            "overall": t.overall,
            "clinician": t.clinician,
            "reply": t.reply,
            "notes": t.notes,
        }
        for sid, t in worst_turns(results.conversations)
    ]
    data["conversations"] = [_conversation_json(r) for r in results.conversations]
    json_path = out / "results.json"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(results), "utf-8")
    return json_path, html_path


# ----------------------------------------------------------------------------- charts


def svg_bars(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    vmax: float = 1.0,
    bound: Bound | None = None,
) -> str:
    """A horizontal bar chart, one bar per item, with the threshold as a red line."""
    label_w, bar_w, row_h, top = 300, 380, 16, 28
    height = top + row_h * len(items) + 24
    vmax = max(vmax, *(v for _, v in items)) if items else vmax
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = 0 if vmax <= 0 else bar_w * max(0.0, value) / vmax
        ok = bound is None or (
            (bound.min is None or value >= bound.min) and (bound.max is None or value <= bound.max)
        )
        colour = "#4a7ebb" if ok else "#c0504d"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 11}" font-size="11" text-anchor="end">'
            f"{escape(label[:48])}</text>"
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 4}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" font-size="10">{value:.2f}</text>'
        )
    if bound is not None:
        for limit in (bound.min, bound.max):
            if limit is not None and vmax > 0:
                x = label_w + bar_w * limit / vmax
                parts.append(
                    f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                    f'y2="{top + row_h * len(items)}" stroke="#c00" stroke-dasharray="4 2"/>'
                    f'<text x="{x:.1f}" y="{height - 6}" font-size="10" fill="#c00" '
                    f'text-anchor="middle">threshold {limit:g}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- page

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;font-size:13px}th{background:#f2f2f2}.fail{color:#b00;font-weight:bold}
.pass{color:#070}blockquote{border-left:4px solid #ccc;margin:.5em 0;padding:.2em .8em;
white-space:pre-wrap}.charts{display:flex;flex-wrap:wrap;gap:1.5em}details{margin:.3em 0}
.small{font-size:12px;color:#555}
"""


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _metrics_table(results: RunResults) -> str:
    failed = {f.metric for f in results.failures}
    rows = []
    for name, value in sorted(results.metrics.items()):
        bound = results.bounds.get(name)
        shown = ""
        if bound is not None:
            shown = " and ".join(
                s
                for s in (
                    f">= {bound.min:g}" if bound.min is not None else "",
                    f"<= {bound.max:g}" if bound.max is not None else "",
                )
                if s
            )
        status = (
            '<span class="fail">FAIL</span>'
            if name in failed
            else '<span class="pass">pass</span>'
            if bound is not None
            else ""
        )
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{value:.3f}</td><td>{escape(shown)}</td>"
            f"<td>{status}</td><td class=small>{escape(METRIC_HELP.get(name, ''))}</td></tr>"
        )
    return (
        "<table><tr><th>metric</th><th>value</th><th>threshold</th><th></th>"
        "<th>meaning</th></tr>" + "".join(rows) + "</table>"
    )


def _charts(results: RunResults) -> str:
    tone = [r for r in results.conversations if r.kind == "tone"]
    charts = []
    for name in ("overall", *SCORERS):
        items = [(r.scenario_id, v) for r in tone if (v := r.mean(name)) is not None]
        if items:
            charts.append(
                svg_bars(
                    f"turn.{name} (mean per scenario)",
                    items,
                    bound=results.bounds.get(f"turn.{name}"),
                )
            )
    rq = [(r.scenario_id, v) for r in tone if (v := r.rq_ratio) is not None]
    if rq:
        charts.append(
            svg_bars(
                "conversation.rq_ratio (per scenario)",
                rq,
                vmax=2.0,
                bound=results.bounds.get("conversation.rq_ratio"),
            )
        )
    safety = [r for r in results.conversations if r.kind in ("crisis", "trap")]
    if safety:
        items = [
            (
                f"{r.scenario_id} ({r.timing.outcome})",
                1.0 if r.timing.outcome in ("on_time", "correct_none") else 0.0,
            )
            for r in safety
        ]
        charts.append(svg_bars("escalation correct (1) or not (0), per scenario", items))
        sm = [
            (r.scenario_id, sum(s.score for t in r.turns for s in t.safe_messaging) / n)
            for r in results.conversations
            if (n := sum(len(t.safe_messaging) for t in r.turns))
        ]
        if sm:
            charts.append(
                svg_bars(
                    "conversation.safe_messaging (per scenario)",
                    sm,
                    bound=results.bounds.get("conversation.safe_messaging"),
                )
            )
    return '<div class="charts">' + "".join(f"<div>{c}</div>" for c in charts) + "</div>"


def _scenario_table(results: RunResults) -> str:
    rows = []
    for r in results.conversations:
        t = r.timing
        rows.append(
            f"<tr><td>{escape(r.scenario_id)}</td><td>{r.kind}{' / ' + r.trap if r.trap else ''}"
            f"</td><td>{escape(r.incident)}</td><td>{r.country}</td><td>{len(r.turns)}</td>"
            f"<td>{_fmt(r.mean('overall'))}</td><td>{_fmt(r.rq_ratio)}</td>"
            f"<td>{t.expected_at or '-'}</td><td>{t.crisis_at or '-'}</td>"
            f"<td>{', '.join(map(str, t.support_at)) or '-'}</td>"
            f"<td class={'fail' if t.outcome in ('missed', 'early', 'false_crisis') else 'pass'}>"
            f"{t.outcome}</td><td>{r.seconds:.1f}</td></tr>"
        )
    return (
        "<table><tr><th>scenario</th><th>kind</th><th>incident</th><th>country</th>"
        "<th>turns</th><th>overall</th><th>R:Q</th><th>escalation expected</th>"
        "<th>crisis at</th><th>support offered at</th><th>outcome</th><th>s</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _transcripts(results: RunResults) -> str:
    blocks = []
    for r in results.conversations:
        turns = []
        for t in r.turns:
            scores = ", ".join(f"{k} {v:.2f}" for k, v in t.scores.items())
            notes = "; ".join(f"{k}: {v}" for k, v in t.notes.items())
            safe = "; ".join(
                f"{s.level} safe messaging {s.score:.2f}"
                + (f" (missing {', '.join(s.failed)})" if s.failed else "")
                for s in t.safe_messaging
            )
            by = "" if t.clinician_by == "scenario" else f"<div class=small>{t.clinician_by}</div>"
            writer = (
                f"<div class=small>by {escape(t.writer)}"
                + (", a draft failed the check" if t.check_failed else "")
                + "</div>"
                if t.writer
                else ""
            )
            turns.append(
                f"<tr><td>{t.index}</td><td>{escape(t.clinician)}{by}</td>"
                f"<td><blockquote>{escape(t.coach)}</blockquote>{writer}</td>"
                f"<td>{escape(t.stage)}<br>{t.level}</td>"
                f"<td>{_fmt(t.overall)}<div class=small>{escape(scores)}</div>"
                f"<div class=small>{escape(notes)}</div><div class=small>{escape(safe)}</div>"
                "</td></tr>"
            )
        blocks.append(
            f"<details><summary>{escape(r.scenario_id)}: {escape(r.title)}</summary>"
            "<table><tr><th>#</th><th>clinician</th><th>coach</th><th>stage / level</th>"
            "<th>overall / scores</th></tr>" + "".join(turns) + "</table></details>"
        )
    return "".join(blocks)


def _worst(results: RunResults) -> str:
    items = []
    for sid, t in worst_turns(results.conversations):
        notes = "; ".join(f"{k}: {v}" for k, v in t.notes.items()) or "no rule fired"
        low = ", ".join(f"{k} {v:.2f}" for k, v in t.scores.items() if v < 0.5)
        items.append(
            f"<li><b>{escape(sid)}</b>, turn {t.index}, overall {_fmt(t.overall)}"
            f"<blockquote>{escape(t.clinician)}</blockquote>"
            f"<blockquote>{escape(t.reply)}</blockquote>"
            f"<div class=small>low: {escape(low) or '-'}. {escape(notes)}</div></li>"
        )
    return "<ol>" + "".join(items) + "</ol>"


def _judge(results: RunResults) -> str:
    run = results.run
    if not results.judge:
        if run.get("chat_model"):
            return "<p>The LLM judge was turned off (--no-judge).</p>"
        return "<p>The LLM judge did not run (no chat model configured: set COACH_LLM).</p>"
    rows = "".join(
        f"<tr><td>{a.criterion}</td><td>{a.n}</td><td>{_fmt(a.agreement)}</td>"
        f"<td>{_fmt(a.kappa)}</td><td>{_fmt(a.offline_yes)}</td><td>{_fmt(a.judge_yes)}</td>"
        f"<td>{a.no_verdict}</td></tr>"
        for a in results.judge
    )
    return (
        f"<p class=small>{run.get('judge_graded', '-')} replies graded with "
        f"{escape(str(run.get('chat_model') or run.get('llm', '')))}: "
        f"{run.get('judge_failures', '-')} with no usable "
        f"verdict, {run.get('judge_partial', '-')} with a verdict on some criteria only. "
        "A turn counts as yes at 0.5 or more; kappa near 0 is chance agreement.</p>"
        "<table><tr><th>criterion</th><th>turns</th><th>agreement</th><th>Cohen's kappa</th>"
        "<th>offline yes</th><th>judge yes</th><th>no verdict</th>"
        f"</tr>{rows}</table>"
    )


_REPLY_ROWS = (
    ("written", "debrief replies written"),
    ("first_draft", "by the configured responder, first draft"),
    ("check_failed", "a draft turned down by the reply check"),
    ("model_error", "the model failed or timed out"),
    ("fallback", "written by the scripted coach or the fixed safe reply instead"),
    ("safe", "the fixed safe reply"),
)


def _replies(results: RunResults) -> str:
    counts = results.run.get("replies")
    if not isinstance(counts, dict) or not counts.get("written"):
        return "<p>No debrief reply was written.</p>"
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{counts.get(key, 0)}</td></tr>"
        for key, label in _REPLY_ROWS
    )
    clinician = str(results.run.get("clinician", "scripted"))
    note = ""
    if clinician == "simulated":
        note = (
            f"<p class=small>Clinician messages by the simulated clinician: "
            f"{results.run.get('clinician_generated', 0)} written by the model, "
            f"{results.run.get('clinician_fallbacks', 0)} unusable and "
            f"{results.run.get('clinician_screened', 0)} held back because the risk screen "
            "read a crisis in them (the scenario's own message was used instead); crisis "
            "disclosures are the scenario's wording.</p>"
        )
    return (
        f"<p class=small>Responder: {escape(str(results.run.get('responder', '')))} "
        f"({escape(str(results.run.get('llm', '')))}); clinician: {escape(clinician)}.</p>"
        f"<table><tr><th>replies</th><th>count</th></tr>{rows}</table>{note}"
    )


def render_html(results: RunResults) -> str:
    run = results.run
    verdict = (
        '<p class="pass">All thresholds met.</p>'
        if results.passed
        else '<p class="fail">Below threshold:</p><ul>'
        + "".join(f"<li>{escape(f.message())}</li>" for f in results.failures)
        + "</ul>"
    )
    info = ", ".join(f"{k}: {escape(str(v))}" for k, v in run.items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Debrief Coach evals</title><style>{_CSS}</style></head><body>"
        f"<h1>Debrief Coach evals</h1><p class=small>{info}</p>{verdict}"
        f"<h2>Metrics</h2>{_metrics_table(results)}"
        f"<h2>Charts</h2>{_charts(results)}"
        f"<h2>Who wrote the replies</h2>{_replies(results)}"
        f"<h2>LLM judge against the offline scorers</h2>{_judge(results)}"
        f"<h2>Scenarios</h2>{_scenario_table(results)}"
        f"<h2>Worst turns</h2>{_worst(results)}"
        f"<h2>Transcripts</h2>{_transcripts(results)}"
        "</body></html>\n"
    )
