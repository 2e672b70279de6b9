"""The SQL database behind ``COACH_DATABASE_URL``: its URL forms, one engine per URL, and
each store's tables created on first use.

One setting names the database, in any of the forms people write (``postgresql://``,
``postgres://``, ``postgresql+asyncpg://``, ``postgresql+psycopg://``). Chainlit's data
layer gets the async form (asyncpg, :func:`async_url`); the session, event, theme and
account stores get the sync form (psycopg 3, :func:`sync_url`) through :func:`engine`.

Tables are created with ``CREATE ... IF NOT EXISTS`` inside a transaction holding a
PostgreSQL advisory lock, because two instances starting at once would otherwise race on
the catalogue (``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent twin).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

SETTING = "COACH_DATABASE_URL"
SYNC_DRIVER = "postgresql+psycopg"
ASYNC_DRIVER = "postgresql+asyncpg"
# Any fixed 64-bit number: held while a store creates its tables.
SCHEMA_LOCK = 0x636F6163685F6462  # "coach_db"
CONNECT_TIMEOUT_S = 10

_ENGINES: dict[str, Engine] = {}
_READY: set[tuple[str, str]] = set()
_GUARD = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or refused a statement (the message names the
    setting and never the password)."""


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"{SETTING} is not a database URL ({exc})") from None
    name = parsed.drivername
    if name == "postgres" or name.startswith("postgres+"):  # Heroku-style spelling
        parsed = parsed.set(drivername="postgresql" + name[len("postgres") :])
    return parsed


def is_postgres(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL database (any driver, any spelling)."""
    if not url:
        return False
    try:
        return _parse(url).get_backend_name() == "postgresql"
    except ValueError:
        return False


def async_url(url: str) -> str:
    """The async driver form of a SQLite or PostgreSQL URL, for Chainlit's data layer
    (``postgres://`` → ``postgresql+asyncpg://``, ``sqlite://`` → ``sqlite+aiosqlite://``)."""
    parsed = _parse(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "postgresql" and driver != "asyncpg":
        parsed = parsed.set(drivername=ASYNC_DRIVER)
    elif backend == "sqlite" and driver != "aiosqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend not in ("postgresql", "sqlite"):
        raise ValueError(f"{SETTING} must name a SQLite or PostgreSQL database, not {backend!r}")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The psycopg 3 form of a PostgreSQL URL, for the sync stores."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(
            f"{SETTING} must name a PostgreSQL database for the shared stores, "
            f"not {parsed.get_backend_name()!r}"
        )
    return parsed.set(drivername=SYNC_DRIVER).render_as_string(hide_password=False)


def shown(url: str) -> str:
    """``url`` for messages and logs: the password hidden."""
    try:
        return _parse(url).render_as_string(hide_password=True)
    except ValueError:
        return "(not a URL)"


def engine(url: str) -> Engine:
    """The process's one engine (and connection pool) for ``url``, made on first use."""
    key = sync_url(url)
    with _GUARD:
        found = _ENGINES.get(key)
        if found is None:
            found = create_engine(
                key,
                pool_pre_ping=True,  # a restarted server or a dropped connection is retried
                pool_size=5,
                max_overflow=10,
                connect_args={
                    "connect_timeout": CONNECT_TIMEOUT_S,
                    "application_name": "debrief-coach",
                },
            )
            _ENGINES[key] = found
        return found


def dispose_engines() -> None:
    """Close every pooled connection (tests, before dropping a database)."""
    with _GUARD:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
        _READY.clear()
    for each in engines:
        each.dispose()


@contextmanager
def transaction(db: Engine, error: type[Exception] = DatabaseUnavailable) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back if it raises. A
    database that cannot be reached, or refuses a statement, raises ``error`` with a
    message naming the setting (and the URL without its password)."""
    try:
        with db.begin() as conn:
            yield conn
    except OperationalError as exc:
        raise error(
            f"cannot use the database at {db.url.render_as_string(hide_password=True)} "
            f"({_first_line(exc)}); check {SETTING} and that the server is running"
        ) from exc
    except DBAPIError as exc:
        raise error(f"the database refused a statement ({_first_line(exc)})") from exc


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


def ensure_tables(
    db: Engine,
    owner: str,
    statements: Sequence[str],
    error: type[Exception] = DatabaseUnavailable,
) -> None:
    """Run ``owner``'s ``CREATE ... IF NOT EXISTS`` statements once per process, under
    the schema advisory lock, so instances starting together do not collide."""
    key = (db.url.render_as_string(hide_password=False), owner)
    if key in _READY:
        return
    with transaction(db, error) as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        for statement in statements:
            conn.execute(text(statement))
    with _GUARD:
        _READY.add(key)


def lock_key(conn: Connection, key: str) -> None:
    """Hold a transaction-scoped advisory lock named ``key`` until the transaction ends
    (serialises writers of the same thing across every instance)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
