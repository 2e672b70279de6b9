"""The `coach` command: one sub-command group per noun."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from coach.app.cli import run as run_app
from coach.app.cli import users_app
from coach.chat_cli import chat
from coach.educator.cli import app as educator_app
from coach.settings import Settings
from evals.cli import app as evals_app
from guardrails.cli import app as guard_app
from knowledge.cli import app as knowledge_app

app = typer.Typer(
    help="Debrief Coach: a reflective-practice coach for clinicians.", no_args_is_help=True
)
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(guard_app, name="guard")
app.add_typer(evals_app, name="evals")
app.command("chat")(chat)
app.command("run")(run_app)
app.add_typer(users_app, name="users")
app.add_typer(educator_app, name="educator")


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Build the settings once and hand them to the sub-command."""
    try:
        ctx.obj = Settings()
    except ValidationError as exc:
        typer.echo(
            f"error: invalid configuration (COACH_* environment variables):\n{exc}", err=True
        )
        raise typer.Exit(2) from exc


def main() -> None:
    app()
