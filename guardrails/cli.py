"""`coach guard ...`: screen messages for risk and redact identifiers, line by line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from coach.settings import Settings
from guardrails.jsonl import GuardInput, LineError, read_jsonl

app = typer.Typer(help="Guardrails: risk screening and de-identification.", no_args_is_help=True)

JsonlOption = Annotated[
    Path,
    typer.Option(
        "--jsonl",
        help='JSON lines: {"text": ..., "history": [earlier messages]}; "-" reads stdin.',
        allow_dash=True,
    ),
]


@contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    if not path.is_file():
        typer.echo(f"error: {path} is not a file; pass --jsonl FILE or --jsonl -", err=True)
        raise typer.Exit(2)
    with path.open("rb") as stream:
        yield stream


def _run(path: Path, handle: Callable[[GuardInput], dict[str, object]], *, max_chars: int) -> None:
    failed = 0
    with _open(path) as stream:
        for item in read_jsonl(stream, max_chars=max_chars):
            if isinstance(item, LineError):
                failed += 1
                typer.echo(f"{path}:{item.line}: {item.error}", err=True)
                out = item.as_json()
            else:
                out = {"line": item.line, **handle(item)}
            typer.echo(json.dumps(out, ensure_ascii=False))
    if failed:
        typer.echo(f"{failed} line(s) could not be read; see the errors above", err=True)
        raise typer.Exit(1)


@app.command()
def check(ctx: typer.Context, jsonl: JsonlOption) -> None:
    """Classify each message: escalation none | support | crisis, categories, reasons."""
    from guardrails.guard import build_classifier

    settings: Settings = ctx.obj
    classifier = build_classifier(settings)

    def handle(item: GuardInput) -> dict[str, object]:
        return {"text": item.text, **classifier.assess(item.text, item.history).as_json()}

    _run(jsonl, handle, max_chars=settings.max_message_chars)


@app.command()
def redact(ctx: typer.Context, jsonl: JsonlOption) -> None:
    """Replace patient and third-party identifiers with typed placeholders."""
    from guardrails.deid import Deidentifier

    settings: Settings = ctx.obj
    deid = Deidentifier()

    def handle(item: GuardInput) -> dict[str, object]:
        result = deid.redact(item.text)
        return {
            "text": item.text,
            "redacted": result.redacted,
            "entities": [e.as_json() for e in result.entities],
        }

    _run(jsonl, handle, max_chars=settings.max_message_chars)


DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SHARED_RISK = Path(__file__).resolve().parents[2] / "shared" / "data" / "risk"


def _pct(value: float) -> str:
    return f"{value:.3f}"


@app.command()
def evaluate(
    ctx: typer.Context,
    messages: Annotated[Path, typer.Option(help="Labelled clinician messages (YAML).")] = DATA
    / "risk_messages.yaml",
    conversations: Annotated[
        Path, typer.Option(help="Labelled multi-turn conversations (YAML).")
    ] = DATA / "risk_conversations.yaml",
    shared: Annotated[
        Path, typer.Option(help="Folder of the external risk sets (../shared/data/risk).")
    ] = SHARED_RISK,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Figures for guardrails/README.md: the written sets, and the external sets if present."""
    from guardrails.evaluation import (
        latency_ms,
        load_conversations,
        load_messages,
        score_conversations,
        score_messages,
        score_moderation_self_harm,
        score_xstest,
    )
    from guardrails.guard import build_classifier

    settings: Settings = ctx.obj
    classifier = build_classifier(settings)
    labelled = load_messages(messages)
    report: dict[str, object] = {
        "classifier": settings.risk_classifier,
        "messages": score_messages(classifier, labelled).as_json(),
        "conversations": score_conversations(
            classifier, load_conversations(conversations)
        ).as_json(),
        "latency": latency_ms(classifier.assess, [m.text for m in labelled]),
    }
    moderation = shared / "openai_moderation_eval" / "data" / "samples-1680.jsonl.gz"
    if moderation.is_file():
        report["openai_moderation_self_harm"] = [
            s.as_json() for s in score_moderation_self_harm(classifier, moderation)
        ]
    xstest = shared / "xstest" / "xstest_prompts.csv"
    if xstest.is_file():
        report["xstest"] = score_xstest(classifier, xstest)
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    m = report["messages"]
    assert isinstance(m, dict)
    typer.echo(f"classifier: {settings.risk_classifier}, {m['total']} messages")
    for key in (
        "crisis_recall",
        "crisis_precision",
        "support_or_crisis_recall",
        "false_crisis_clinical",
        "false_alarm_clinical",
        "crisis_or_asked_directly",
        "asked_directly_clinical",
        "accuracy",
    ):
        typer.echo(f"  {key}: {_pct(float(m[key]))}")
    typer.echo(f"  per group: {m['per_group']}")
    typer.echo(f"conversations: {report['conversations']}")
    typer.echo(f"latency: {report['latency']}")
    for key in ("openai_moderation_self_harm", "xstest"):
        if key in report:
            typer.echo(f"{key}: {report[key]}")
