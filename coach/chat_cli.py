"""`coach chat`: the debrief in a terminal, interactive or from a script of messages."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from coach.app.wording import STORE_UNAVAILABLE
from coach.engine import Coach, SessionAccessError, TurnResult
from coach.llm.models import ConfigError
from coach.settings import Settings
from coach.types import Control
from guardrails.resources import ResourceConfigError

COMMANDS: dict[str, Control] = {
    "/skip": Control.SKIP_STAGE,
    "/listen": Control.LISTEN_ON,
    "/guide": Control.LISTEN_OFF,
    "/quick": Control.QUICK,
    "/full": Control.FULL,
    "/end": Control.END,
    "/safe": Control.IM_SAFE,
    "/continue": Control.CONTINUE,
}
HELP = (
    "Commands: /skip (next part), /listen (just listen), /guide (guide again), "
    "/quick or /full, /end (finish with a summary), /safe, /continue, /summary, /quit"
)


log = logging.getLogger(__name__)


class ScriptError(ValueError):
    pass


def read_script(path: Path) -> list[str]:
    """A JSON list of clinician messages (strings; "/end" style commands allowed)."""
    try:
        raw = path.read_bytes() if str(path) != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScriptError(f"{path} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise ScriptError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, list):
        raise ScriptError(f"{path} must hold a JSON list of messages, not {type(data).__name__}")
    bad = [i for i, item in enumerate(data) if not isinstance(item, str)]
    if bad:
        raise ScriptError(f"{path}: items {bad[:5]} are not strings; each message is a string")
    return list(data)


def run_script(coach: Coach, messages: list[str], session_id: str) -> list[dict[str, object]]:
    turns = [coach.start(session_id).as_json(None)]
    for message in messages:
        command = message.strip().lower()
        result: TurnResult
        if command in COMMANDS:
            result = coach.control(session_id, COMMANDS[command])
        else:
            result = coach.turn(session_id, message)
        turns.append(result.as_json(message))
        if result.ended:
            break
    return turns


def _print_result(result: TurnResult, streamed: bool) -> None:
    for message in result.messages:
        if message.kind == "reply" and streamed:
            continue
        typer.echo(f"\n[{message.kind}] {message.text}" if message.kind != "reply" else "")
        if message.kind == "reply":
            typer.echo(f"coach> {message.text}")
    for source in result.sources:
        typer.echo(f"  [{source.id}] {source.title}: {source.citation}")


def interactive(coach: Coach, session_id: str) -> None:
    typer.echo(f"Debrief Coach (session {session_id}). {HELP}\n")
    streamed = False

    def sink(piece: str) -> None:
        nonlocal streamed
        if not streamed:
            typer.echo("coach> ", nl=False)
        streamed = True
        typer.echo(piece, nl=False)

    result = coach.start(session_id, on_token=sink)
    if not result.messages:
        typer.echo(_read(lambda: coach.resume_message(session_id)))
    if streamed:
        typer.echo("")
    _print_result(result, streamed)
    while not result.ended:
        try:
            text = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo(
                f"\nYour debrief is saved; run `coach chat --session {session_id}` to carry on."
            )
            return
        command = text.strip().lower()
        if command == "/quit":
            return
        if command == "/summary":
            typer.echo(_read(lambda: coach.summary(session_id)))
            continue
        streamed = False
        if command in COMMANDS:
            result = coach.control(session_id, COMMANDS[command], on_token=sink)
        else:
            result = coach.turn(session_id, text, on_token=sink)
        if streamed:
            typer.echo("")
        _print_result(result, streamed)


def _read(ask: Callable[[], str]) -> str:
    """What ``ask`` reads from the debrief store, or the notice that it is down."""
    try:
        return ask()
    except SessionAccessError:
        raise
    except Exception as exc:  # the store is down: say so, as the chat app does
        log.warning("the session store cannot be read (%s)", exc)
        return STORE_UNAVAILABLE


def _build(settings: Settings) -> Coach:
    """The coach ``settings`` describe; a setting that names no usable chat model or
    organisation file is a one-line error naming it (exit 2)."""
    try:
        return Coach.from_settings(settings)
    except (ConfigError, ResourceConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def chat(
    ctx: typer.Context,
    script: Annotated[
        Path | None,
        typer.Option("--script", help="JSON list of clinician messages; prints the turns as JSON."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Resume or name a session (8+ characters).")
    ] = None,
) -> None:
    """Debrief in the terminal (or run a scripted conversation with --script)."""
    settings: Settings = ctx.obj
    session_id = session or uuid.uuid4().hex
    messages: list[str] = []
    if script is not None:
        try:
            messages = read_script(script)
        except ScriptError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    coach = _build(settings)
    if script is not None:
        typer.echo(json.dumps(run_script(coach, messages, session_id), indent=2))
        return
    interactive(coach, session_id)
