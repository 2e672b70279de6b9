"""The one place that chooses where state lives (``coach.storage_backends``), the URL forms
``COACH_DATABASE_URL`` accepts (``coach.database``), the secrets every instance must
share, and table creation by instances starting at the same moment."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from coach import database, storage_backends
from coach.app.schema import chat_database_url
from coach.app.users import SqlAccounts, UsersFile
from coach.educator.store import SqlThemeStore, ThemeStore
from coach.educator.tokens import TokenKeyError
from coach.sessions import SqliteSessionStore, SqlSessionStore
from coach.settings import Settings
from guardrails.events import JsonlEventLog, SqlEventLog
from tests.postgres_support import libpq_url

SPELLINGS = (
    "postgresql://coach:pw@db.example.org:5432/coach",
    "postgres://coach:pw@db.example.org:5432/coach",
    "postgresql+asyncpg://coach:pw@db.example.org:5432/coach",
    "postgresql+psycopg://coach:pw@db.example.org:5432/coach",
)
THEME_KEY, AUTH_SECRET = SecretStr("t" * 40), SecretStr("a" * 40)


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_postgres_spelling_gives_both_driver_forms(url: str) -> None:
    assert database.is_postgres(url)
    assert database.sync_url(url) == "postgresql+psycopg://coach:pw@db.example.org:5432/coach"
    assert database.async_url(url) == "postgresql+asyncpg://coach:pw@db.example.org:5432/coach"
    assert chat_database_url(url) == database.async_url(url)  # Chainlit's layer agrees
    assert "pw" not in database.shown(url) and "db.example.org" in database.shown(url)


def test_sqlite_and_other_urls() -> None:
    for url in (None, "", "sqlite:///x.db", "sqlite+aiosqlite:///x.db", "not a url"):
        assert not database.is_postgres(url)
    assert database.async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    with pytest.raises(ValueError, match="COACH_DATABASE_URL"):
        database.async_url("mysql://u@h/db")
    with pytest.raises(ValueError, match="COACH_DATABASE_URL"):
        database.sync_url("sqlite:///x.db")


@pytest.mark.parametrize("url", SPELLINGS)
def test_a_postgres_url_puts_every_store_in_postgres_and_nothing_on_disk(
    url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=url, theme_key=THEME_KEY, auth_secret=AUTH_SECRET
    )
    assert storage_backends.uses_postgres(settings)
    assert isinstance(storage_backends.session_store(settings), SqlSessionStore)
    assert isinstance(storage_backends.event_log(settings), SqlEventLog)
    assert isinstance(storage_backends.theme_store(settings), SqlThemeStore)
    assert isinstance(storage_backends.accounts(settings), SqlAccounts)
    assert isinstance(storage_backends.sweep_source(settings), SqlSessionStore)
    assert storage_backends.theme_key(settings) == b"t" * 40
    assert not (tmp_path / "data").exists()  # nothing built so far touched the disk


@pytest.mark.parametrize("url", [None, "sqlite+aiosqlite:////tmp/elsewhere/chat.db"])
def test_the_embedded_defaults_stay_when_there_is_no_postgres(
    url: str | None, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=url)
    assert not storage_backends.uses_postgres(settings)
    sessions = storage_backends.session_store(settings)
    assert isinstance(sessions, SqliteSessionStore) and sessions.path == tmp_path / "coach.db"
    events = storage_backends.event_log(settings)
    assert isinstance(events, JsonlEventLog) and events.path == settings.events_path.absolute()
    themes = storage_backends.theme_store(settings)
    assert isinstance(themes, ThemeStore) and themes.path == tmp_path / "themes.db"
    users = storage_backends.accounts(settings)
    assert isinstance(users, UsersFile) and users.path == tmp_path / "users.yaml"
    assert storage_backends.sweep_source(settings) == tmp_path / "coach.db"
    key = storage_backends.theme_key(settings)  # generated once into the data folder
    assert (tmp_path / "theme-secret").is_file() and storage_backends.theme_key(settings) == key
    storage_backends.check_shared_secrets(settings, {})  # nothing is required


def test_postgres_needs_the_shared_secrets_from_the_environment(tmp_path: Path) -> None:
    url = SPELLINGS[0]
    bare = Settings(data_dir=tmp_path, database_url=url)
    with pytest.raises(storage_backends.SharedSecretMissing, match="COACH_AUTH_SECRET"):
        storage_backends.check_shared_secrets(bare, {})
    signed = Settings(data_dir=tmp_path, database_url=url, auth_secret=AUTH_SECRET)
    with pytest.raises(storage_backends.SharedSecretMissing, match="COACH_THEME_KEY"):
        storage_backends.check_shared_secrets(signed, {})
    with pytest.raises(TokenKeyError, match="COACH_THEME_KEY"):
        storage_backends.theme_key(signed)
    chainlit = Settings(data_dir=tmp_path, database_url=url, theme_key=THEME_KEY)
    storage_backends.check_shared_secrets(chainlit, {"CHAINLIT_AUTH_SECRET": "c" * 40})
    storage_backends.check_shared_secrets(
        Settings(data_dir=tmp_path, database_url=url, theme_key=THEME_KEY, auth_secret=AUTH_SECRET),
        {},
    )
    assert list(tmp_path.iterdir()) == []  # no secret was generated on this instance


@pytest.mark.postgres
def test_instances_starting_together_create_the_tables_once(postgres_url: str) -> None:
    """Eight instances make their first call at the same moment on an empty database;
    every one succeeds (``CREATE TABLE IF NOT EXISTS`` alone would collide)."""
    starts = 8
    barrier = threading.Barrier(starts)
    errors: list[BaseException] = []

    def start() -> None:
        store = SqlSessionStore(postgres_url)
        events = SqlEventLog(postgres_url)
        themes = SqlThemeStore(postgres_url)
        accounts = SqlAccounts(postgres_url)
        barrier.wait()
        try:
            store.sessions_for("nobody")
            events.recent()
            themes.count()
            accounts.load()
        except BaseException as exc:
            errors.append(exc)

    database.dispose_engines()  # nobody has created anything in this process yet
    workers = [threading.Thread(target=start) for _ in range(starts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with database.engine(postgres_url).connect() as db:
        tables = set(
            db.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    assert tables == {
        "debrief_sessions",
        "escalation_events",
        "theme_records",
        "theme_processed",
        "theme_opt_outs",
        "coach_accounts",
    }


@pytest.mark.postgres
def test_a_restarted_database_server_is_reconnected(postgres_url: str) -> None:
    """Pooled connections that the server dropped (a restart, a failover) are replaced
    on the next call instead of failing it."""
    store = SqlSessionStore(postgres_url)
    assert store.sessions_for("amy") == []
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'debrief-coach'"
        ).fetchone()
    assert ended is not None and ended[0] >= 1  # the pool's connection is gone
    assert store.sessions_for("amy") == []
