"""Where each kind of state is kept: the one place that chooses.

With ``COACH_DATABASE_URL`` unset (or SQLite), the embedded defaults under the data
directory: ``coach.db`` (debrief sessions), ``events/escalations.jsonl``, ``themes.db``,
``users.yaml``, and the generated ``auth-secret`` and ``theme-secret``.

With a PostgreSQL URL, every instance shares one database: sessions, escalation events,
theme records and accounts are tables there (each created on first use), and the two
secrets every instance must agree on come from the environment (``COACH_AUTH_SECRET``,
``COACH_THEME_KEY``); starting without them is an error naming the variable, never a
secret generated on one instance only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from coach import database

if TYPE_CHECKING:
    from coach.app.users import Accounts
    from coach.educator.store import ThemeStorage
    from coach.sessions import DueSessions, SqliteSessionStore, SqlSessionStore
    from coach.settings import Settings
    from guardrails.events import EventLog


class SharedSecretMissing(ValueError):
    """A secret every instance must share is not set (the message names the variable)."""


def uses_postgres(settings: Settings) -> bool:
    """Whether the state is shared in PostgreSQL (``COACH_DATABASE_URL``)."""
    return database.is_postgres(settings.database_url)


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


def session_store(settings: Settings) -> SqliteSessionStore | SqlSessionStore:
    from coach.sessions import SqliteSessionStore, SqlSessionStore

    if uses_postgres(settings):
        return SqlSessionStore(_url(settings))
    return SqliteSessionStore(settings.sqlite_path)


def sweep_source(settings: Settings) -> Path | DueSessions:
    """What the theme sweep reads: the SQLite session file (opened read-only, never
    created by a sweep) or the shared PostgreSQL session store."""
    if uses_postgres(settings):
        return session_store(settings)
    return settings.sqlite_path


def event_log(settings: Settings) -> EventLog:
    from guardrails.events import JsonlEventLog, SqlEventLog

    if uses_postgres(settings):
        return SqlEventLog(_url(settings))
    return JsonlEventLog(settings.events_path)


def theme_store(settings: Settings) -> ThemeStorage:
    from coach.educator.store import SqlThemeStore, ThemeStore, themes_path

    if uses_postgres(settings):
        return SqlThemeStore(_url(settings))
    return ThemeStore(themes_path(settings.data_dir))


def accounts(settings: Settings) -> Accounts:
    from coach.app.users import SqlAccounts, UsersFile, default_users_path

    if uses_postgres(settings):
        return SqlAccounts(_url(settings))
    return UsersFile(default_users_path(settings.data_dir, settings.users_file))


THEME_KEY_VARIABLE = "COACH_THEME_KEY"
AUTH_SECRET_VARIABLE = "COACH_AUTH_SECRET"


def theme_key(settings: Settings) -> bytes:
    """The key of the clinician tokens in theme records: ``COACH_THEME_KEY``; else, on the
    embedded default, the one generated once into ``<data_dir>/theme-secret``."""
    from coach.educator.tokens import TokenKeyError, load_or_create_secret

    if settings.theme_key is not None:
        return settings.theme_key.get_secret_value().encode("utf-8")
    if uses_postgres(settings):
        raise TokenKeyError(_missing(THEME_KEY_VARIABLE, "the clinician tokens in theme records"))
    return load_or_create_secret(settings.data_dir)


def check_shared_secrets(settings: Settings, environ: Mapping[str, str]) -> None:
    """With PostgreSQL, refuse to start unless the secrets every instance must share are
    set (a per-instance secret would sign a clinician out, or count them twice, whenever
    the load balancer sends them to another instance)."""
    if not uses_postgres(settings):
        return
    if settings.auth_secret is None and not environ.get("CHAINLIT_AUTH_SECRET"):
        raise SharedSecretMissing(_missing(AUTH_SECRET_VARIABLE, "sign-in tokens"))
    if settings.theme_key is None:
        raise SharedSecretMissing(
            _missing(THEME_KEY_VARIABLE, "the clinician tokens in theme records")
        )


def _missing(variable: str, what: str) -> str:
    return (
        f"{variable} is not set: with COACH_DATABASE_URL on PostgreSQL, every instance "
        f"must use the same key for {what}. Set {variable} to the same random value of at "
        "least 32 characters on every instance (for example the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
    )
