"""Where each kind of state is kept: the one place that chooses.

With ``COACH_DATABASE_URL`` unset (or SQLite), the embedded defaults under the data
directory: ``coach.db`` (debrief sessions), ``events/escalations.jsonl``, ``themes.db``,
``users.yaml``, and the generated ``auth-secret`` and ``theme-secret``.

With a PostgreSQL URL, every instance shares one database: sessions, escalation events,
theme records and accounts are tables there (each created on first use), and the two
secrets every instance must agree on come from the environment (``COACH_AUTH_SECRET``,
``COACH_THEME_KEY``); starting without them is an error naming the variable, never a
secret generated on one instance only.

No store here connects when it is built: a database that is down when the coach starts
is a warning naming the setting, and each store tries again at its next use, so the
coach starts, answers (crisis replies from package data, other messages with a "not
saved" notice) and carries on as soon as the database is back, without a restart.

Turns of one debrief are ordered by :func:`turn_lock`: within the process on SQLite (one
instance), and across every instance with a PostgreSQL advisory lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coach import database
from coach.sessions import SessionStoreError, SqliteSessionStore, SqlSessionStore
from coach.turn_lock import PostgresTurnLock, ProcessTurnLock, TurnLock

if TYPE_CHECKING:
    from coach.app.users import Accounts
    from coach.educator.store import ThemeStorage
    from coach.sessions import DueSessions
    from coach.settings import Settings
    from coach.state import DebriefState
    from guardrails.events import EventLog

log = logging.getLogger(__name__)


class SharedSecretMissing(ValueError):
    """A secret every instance must share is not set (the message names the variable)."""


def uses_postgres(settings: Settings) -> bool:
    """Whether the state is shared in PostgreSQL (``COACH_DATABASE_URL``)."""
    return database.is_postgres(settings.database_url)


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


class SqliteSessionStoreOpenedOnUse(SqliteSessionStore):
    """The SQLite session store, whose file is created (or opened) at its first use if it
    could not be when the coach started: a data folder that is not writable yet, or a
    database file another program holds or that is not a database file. Until then each
    use tries again, and raises ``SessionStoreError`` naming ``COACH_DATA_DIR``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened = False
        self._opening = threading.Lock()
        try:
            self._open()
        except SessionStoreError as exc:
            log.warning(
                "%s. The coach starts anyway: messages are answered (a crisis in full) "
                "but not saved until it can be opened, and it is tried again at each use.",
                exc,
            )

    def _open(self) -> None:
        if self._opened:
            return
        with self._opening:
            if not self._opened:
                SqliteSessionStore.__init__(self, self.path)
                self._opened = True

    def load(self, session_id: str) -> DebriefState | None:
        self._open()
        return super().load(session_id)

    def save(self, state: DebriefState) -> None:
        self._open()
        super().save(state)

    def sessions_for(self, user_id: str) -> list[str]:
        self._open()
        return super().sessions_for(user_id)

    def delete_user(self, user_id: str) -> int:
        self._open()
        return super().delete_user(user_id)

    def due_sessions(self, cutoff: datetime) -> list[str]:
        self._open()
        return super().due_sessions(cutoff)


def session_store(settings: Settings) -> SqliteSessionStore | SqlSessionStore:
    """The debrief session store; it never fails to be built (see the module doc)."""
    if uses_postgres(settings):
        return SqlSessionStore(_url(settings))  # connects at its first use
    return SqliteSessionStoreOpenedOnUse(settings.sqlite_path)


def turn_lock(settings: Settings) -> TurnLock:
    """What orders one debrief's turns: across instances with PostgreSQL, within this
    process on the embedded SQLite default (which one instance serves)."""
    if uses_postgres(settings):
        return PostgresTurnLock(_url(settings))
    return ProcessTurnLock()


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
