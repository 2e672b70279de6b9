"""`coach knowledge ...`: ingest documents and search the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from coach.settings import Settings
from knowledge.cards import CardError
from knowledge.embedder import EmbedderUnavailable
from knowledge.ingest import Progress
from knowledge.retriever import QueryError
from knowledge.store import StoreUnavailable

app = typer.Typer(
    help="The knowledge base: cards, your documents, and search.", no_args_is_help=True
)

PROGRESS_MIN_FILES = 5


class RichProgress(Progress):
    """A progress bar on stderr for runs long enough to need one."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._files: Any = None
        self._embed: Any = None

    def start(self, files: int) -> None:
        if files >= PROGRESS_MIN_FILES:
            self._bar.start()
            self._files = self._bar.add_task("reading files", total=files)

    def file_done(self, name: str) -> None:
        if self._files is not None:
            self._bar.advance(self._files)

    def embedding(self, done: int, total: int) -> None:
        if self._files is None:
            return
        if self._embed is None:
            self._embed = self._bar.add_task("embedding chunks", total=total)
        self._bar.update(self._embed, completed=done)

    def stop(self) -> None:
        self._bar.stop()


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _knowledge_base(settings: Settings) -> Any:
    from knowledge.base import KnowledgeBase

    try:
        return KnowledgeBase.from_settings(settings)
    except (StoreUnavailable, EmbedderUnavailable) as exc:
        raise _fail(str(exc)) from exc


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.md .txt .html .pdf).")],
    prune: Annotated[bool, typer.Option(help="Drop the chunks of files that are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Add or refresh documents; unchanged files are skipped, changed ones replaced."""
    settings: Settings = ctx.obj
    kb = _knowledge_base(settings)
    progress = RichProgress()
    try:
        report = kb.ingest(paths, prune=prune, progress=progress)
    except (StoreUnavailable, EmbedderUnavailable, CardError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        progress.stop()
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        typer.echo(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, pruned {len(report.pruned)}, "
            f"skipped {len(report.skipped)}, failed {len(report.failed)} "
            f"({report.chunks_written} chunks written)"
        )
    for error in report.failed:
        typer.echo(f"error: {error}", err=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages.")] = 5,
    stage: Annotated[str | None, typer.Option(help="Only passages for this debrief stage.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this card kind.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Search the knowledge base (hybrid BM25 + dense, fused by RRF)."""
    settings: Settings = ctx.obj
    kb = _knowledge_base(settings)
    try:
        results = kb.search(query, k, stage=stage, kind=kind, mode=mode)
    except (QueryError, StoreUnavailable, EmbedderUnavailable, CardError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in results], indent=2, ensure_ascii=False))
        return
    if not results:
        typer.echo("No passages matched.")
    for i, r in enumerate(results, 1):
        typer.echo(
            f"{i}. {r.title} — {r.heading} [{r.card_id or r.source_key}] score={r.score:.4f}"
        )
        typer.echo(f"   {r.text[:300]}{'…' if len(r.text) > 300 else ''}")
        typer.echo(f"   source: {r.source}")


@app.command()
def cards(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the built-in knowledge cards."""
    from knowledge.cards import load_builtin_cards

    loaded = load_builtin_cards()
    if as_json:
        typer.echo(json.dumps([c.meta.model_dump() for c in loaded], indent=2))
        return
    for card in loaded:
        typer.echo(f"{card.meta.id:40} {card.meta.kind:10} {', '.join(card.meta.stages)}")
    typer.echo(f"{len(loaded)} cards", err=True)


@app.command()
def evaluate(
    ctx: typer.Context,
    queries: Annotated[
        Path, typer.Option(help="Labelled query set (YAML).", exists=True, dir_okay=False)
    ] = Path("tests/data/retrieval_queries.yaml"),
    k: Annotated[int, typer.Option("--k", min=1, max=20)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recall@k and MRR of dense-only, lexical-only and hybrid retrieval."""
    from knowledge.evaluation import MODES, evaluate, load_queries

    settings: Settings = ctx.obj
    kb = _knowledge_base(settings)
    labelled = load_queries(queries)
    scores = [evaluate(kb, labelled, mode, k) for mode in MODES]
    if as_json:
        typer.echo(json.dumps([s.as_json() for s in scores], indent=2))
        return
    typer.echo(f"{len(labelled)} queries, embedder {kb.embedder.name}")
    typer.echo(f"| retrieval | recall@{k} | hit@{k} | MRR |\n|---|---|---|---|")
    for s in scores:
        typer.echo(f"| {s.mode} | {s.recall_at_k:.3f} | {s.hit_at_k:.3f} | {s.mrr:.3f} |")
