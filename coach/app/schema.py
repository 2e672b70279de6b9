"""The tables Chainlit's ``SQLAlchemyDataLayer`` reads and writes (users, threads, steps,
elements, feedbacks), and the coach's ``deleted_threads``, created when absent, for SQLite
and PostgreSQL.

The PostgreSQL form follows Chainlit's documented schema (data-layers/sqlalchemy) plus
every column a 2.12 ``StepDict`` can carry; SQLite stores ids, JSON and lists as TEXT.
Existing tables are left as they are.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from coach import database

_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS users (
    "id" UUID PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "metadata" JSONB NOT NULL,
    "createdAt" TEXT
)""",
    """CREATE TABLE IF NOT EXISTS threads (
    "id" UUID PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" UUID,
    "userIdentifier" TEXT,
    "tags" TEXT[],
    "metadata" JSONB,
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE
)""",
    """CREATE TABLE IF NOT EXISTS steps (
    "id" UUID PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" UUID NOT NULL,
    "parentId" UUID,
    "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN,
    "metadata" JSONB,
    "tags" TEXT[],
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    "command" TEXT,
    "modes" JSONB,
    "start" TEXT,
    "end" TEXT,
    "generation" JSONB,
    "showInput" TEXT,
    "language" TEXT,
    "indent" INT,
    "defaultOpen" BOOLEAN,
    "autoCollapse" BOOLEAN,
    "icon" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)""",
    """CREATE TABLE IF NOT EXISTS elements (
    "id" UUID PRIMARY KEY,
    "threadId" UUID,
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INT,
    "language" TEXT,
    "forId" UUID,
    "mime" TEXT,
    "props" JSONB,
    "autoPlay" BOOLEAN,
    "playerConfig" JSONB,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)""",
    """CREATE TABLE IF NOT EXISTS feedbacks (
    "id" UUID PRIMARY KEY,
    "forId" UUID NOT NULL,
    "threadId" UUID NOT NULL,
    "value" INT NOT NULL,
    "comment" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)""",
    # The coach's own: chats whose data was deleted ("Delete my data"), so that every
    # instance refuses late writes to them. Ids as text: any id a request names fits.
    """CREATE TABLE IF NOT EXISTS deleted_threads (
    "id" TEXT PRIMARY KEY,
    "deletedAt" TEXT NOT NULL
)""",
    'CREATE INDEX IF NOT EXISTS threads_user_identifier ON threads ("userIdentifier")',
    'CREATE INDEX IF NOT EXISTS steps_thread ON steps ("threadId")',
    'CREATE INDEX IF NOT EXISTS elements_thread ON elements ("threadId")',
)


def _sqlite_form(statement: str) -> str:
    """SQLite keeps ids, JSON and arrays as TEXT."""
    for pg, lite in (("UUID", "TEXT"), ("JSONB", "TEXT"), ("TEXT[]", "TEXT")):
        statement = statement.replace(f" {pg},", f" {lite},").replace(f" {pg} ", f" {lite} ")
        statement = statement.replace(f" {pg}\n", f" {lite}\n")
    return statement


def chat_database_url(url: str) -> str:
    """The async driver form of a SQLite or PostgreSQL URL (``postgresql://`` or
    ``postgres://`` → ``postgresql+asyncpg://``, ``sqlite://`` → ``sqlite+aiosqlite://``)."""
    return database.async_url(url)


def statements(dialect: str) -> tuple[str, ...]:
    """The DDL for ``dialect`` ('sqlite' or 'postgresql')."""
    if dialect == "sqlite":
        return tuple(_sqlite_form(s) for s in _POSTGRES)
    if dialect == "postgresql":
        return _POSTGRES
    raise ValueError(
        f"the chat database must be SQLite or PostgreSQL, not {dialect!r}; "
        "set COACH_DATABASE_URL to sqlite+aiosqlite:///... or postgresql+asyncpg://..."
    )


async def ensure_schema(url: str) -> None:
    """Create the chat tables if they are absent (the SQLite file's folder too)."""
    engine = create_async_engine(url)
    try:
        await create_tables(engine)
    finally:
        await engine.dispose()


async def create_tables(engine: AsyncEngine) -> None:
    """Create the chat tables through ``engine`` if they are absent (the SQLite file's
    folder too); errors go to the caller."""
    parsed = engine.url
    dialect = parsed.get_backend_name()
    ddl = statements(dialect)
    if dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    async with engine.begin() as conn:
        for statement in ddl:
            await conn.execute(text(statement))
