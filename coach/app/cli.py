"""`coach run` (the chat app in the browser) and `coach users` (password sign-in accounts)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from coach.app.approot import auth_secret, prepare_app_root
from coach.app.schema import chat_database_url
from coach.app.users import (
    ROLES,
    Accounts,
    UsersFileError,
    ensure_first_account,
    parse_role,
)
from coach.educator.vocabulary import ROLE_CATEGORIES
from coach.settings import Settings
from coach.storage_backends import accounts, check_shared_secrets, uses_postgres
from guardrails.resources import ResourceConfigError, load_resources
from guardrails.webhook import WebhookConfigError, resolve_secret

users_app = typer.Typer(
    help="Accounts for password sign-in to the chat app (salted scrypt hashes).",
    no_args_is_help=True,
)


def _users(settings: Settings) -> Accounts:
    return accounts(settings)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Username (letters, digits, . _ @ + -).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")] = "clinician",
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="Role category for the anonymised themes educators see: "
            f"{', '.join(ROLE_CATEGORIES)}.",
        ),
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add an account; asks for its password (at least 12 characters)."""
    settings: Settings = ctx.obj
    try:
        parsed = parse_role(role)
    except UsersFileError as exc:
        raise _fail(f"--role: {exc}") from exc
    if category and category not in ROLE_CATEGORIES:
        raise _fail(f"--category {category!r} is not one of {', '.join(ROLE_CATEGORIES)}")
    users = _users(settings)
    try:
        record = users.add(name, _read_password(password_stdin), parsed, category)
    except UsersFileError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Added {record.username} ({record.role}) to {users.location}")


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Username.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password for an account."""
    users = _users(ctx.obj)
    try:
        users.set_password(name, _read_password(password_stdin))
    except UsersFileError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Password changed for {name.strip().lower()}")


@users_app.command("remove")
def users_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Username.")]
) -> None:
    """Remove an account (its debriefs stay until deleted in the app)."""
    users = _users(ctx.obj)
    try:
        users.remove(name)
    except UsersFileError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Removed {name.strip().lower()}")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List accounts and roles (never passwords)."""
    users = _users(ctx.obj)
    try:
        records = users.load()
    except UsersFileError as exc:
        raise _fail(str(exc)) from exc
    if not records:
        typer.echo(f"No accounts in {users.location}; add one with `coach users add NAME`.")
    for record in records.values():
        typer.echo(f"{record.username}\t{record.role}\t{record.category or '-'}")


def app_file() -> Path:
    """The Chainlit app module (served by path)."""
    return Path(__file__).with_name("main.py")


def chainlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "chainlit", "run", str(app_file()),
        "--headless", "--host", host, "--port", str(port),
    ]  # fmt: skip


def _check_configuration(settings: Settings, env: dict[str, str]) -> None:
    """Fail before starting the server, with the setting to fix, rather than in its log."""
    try:
        chat_database_url(settings.async_database_url)
        check_shared_secrets(settings, env)
        directory = load_resources(settings.org_config)
        if directory.webhook is not None:
            resolve_secret(directory.webhook, env)
        if settings.risk_second_opinion:  # needs the chat model COACH_LLM names
            from guardrails.guard import second_opinion_model

            second_opinion_model(settings)
    except (ValueError, ResourceConfigError, WebhookConfigError) as exc:
        raise _fail(str(exc)) from exc
    if uses_postgres(settings) and settings.chroma_host is None:
        typer.echo(
            "note: the debrief state is in PostgreSQL but the knowledge base is embedded in "
            "this instance's data folder; set COACH_CHROMA_HOST to a Chroma server so every "
            "instance searches the same documents."
        )


def run(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default COACH_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default COACH_PORT).")
    ] = None,
) -> None:
    """Start the chat app (Chainlit) at http://localhost:8000 by default."""
    settings: Settings = ctx.obj
    host = host or settings.host
    port = port or settings.port
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    _check_configuration(settings, env)
    if settings.auth == "password":
        users = _users(settings)
        try:
            first = ensure_first_account(users)
        except UsersFileError as exc:
            if not uses_postgres(settings):
                raise _fail(str(exc)) from exc
            # The database is down: start anyway (crisis replies need none of it); the
            # first account is made by the first instance to start once it is back.
            typer.echo(f"warning: could not check for a first account: {exc}", err=True)
            first = None
        if first is not None:
            username, password = first
            typer.echo(
                "\nA first account was created (shown once; the password is stored hashed):\n"
                f"  username: {username}\n  password: {password}\n"
                f"Add more with `coach users add NAME`; accounts live in {users.location}.\n"
            )
    else:
        typer.echo(
            f"Sign-in trusts the {settings.auth_header} header (COACH_AUTH=header): run this "
            "only behind a proxy that authenticates people and sets that header itself."
        )
    configured = settings.auth_secret.get_secret_value() if settings.auth_secret else None
    env["CHAINLIT_AUTH_SECRET"] = auth_secret(settings.data_dir, configured, env)
    origins = settings.model_copy(update={"host": host, "port": port}).app_origins
    env["CHAINLIT_APP_ROOT"] = str(prepare_app_root(settings.data_dir, origins))
    # Chainlit would load a .env file from the working directory: settings and secrets come
    # from the environment only.
    env["CHAINLIT_ENV_FILE"] = os.devnull
    env["COACH_DATA_DIR"] = str(settings.data_dir.resolve())
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    typer.echo(
        f"Starting Debrief Coach at http://{shown}:{port} (Ctrl+C stops it). It loads its "
        "models first: allow about a minute on the first start, while the knowledge cards "
        "are indexed."
    )
    command = chainlit_command(host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)
