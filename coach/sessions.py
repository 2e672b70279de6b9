"""Where debrief state is kept between turns and across restarts.

``SessionStore`` is the seam; ``SqliteSessionStore`` is the embedded default (a table in
the chat database file under the data directory), ``SqlSessionStore`` keeps the same table
in PostgreSQL (``COACH_DATABASE_URL``, shared by every instance of the app) and
``MemorySessionStore`` is the test double. Every write is a whole, validated
``DebriefState`` (de-identified by then), in one transaction, so a crash leaves the
previous good state.

The abandoned-debrief sweep (``coach.educator.recorder``) also asks a store which
sessions are due (:class:`DueSessions`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy import Connection, text

from coach import database
from coach.sqlite import connect, create
from coach.state import DebriefState


class SessionStoreError(RuntimeError):
    pass


class SessionStore(Protocol):
    def load(self, session_id: str) -> DebriefState | None: ...

    def save(self, state: DebriefState) -> None: ...

    def sessions_for(self, user_id: str) -> list[str]: ...

    def delete_user(self, user_id: str) -> int:
        """Remove every session of ``user_id``; returns how many were removed."""
        ...


class DueSessions(Protocol):
    """What the theme sweep needs from a session store."""

    def load(self, session_id: str) -> DebriefState | None: ...

    def due_sessions(self, cutoff: datetime) -> list[str]:
        """Sessions that ended, or were last saved at or before ``cutoff``."""
        ...


def _readable(session_id: str, raw: str) -> DebriefState:
    try:
        return DebriefState.model_validate_json(raw)
    except ValidationError as exc:
        raise SessionStoreError(
            f"stored state of session {session_id} is unreadable: {exc.error_count()} errors"
        ) from exc


class MemorySessionStore:
    def __init__(self) -> None:
        self._rows: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, session_id: str) -> DebriefState | None:
        with self._lock:
            raw = self._rows.get(session_id)
        return None if raw is None else DebriefState.model_validate_json(raw)

    def save(self, state: DebriefState) -> None:
        with self._lock:
            self._rows[state.session_id] = state.model_dump_json()

    def sessions_for(self, user_id: str) -> list[str]:
        with self._lock:
            rows = list(self._rows.items())
        return [sid for sid, raw in rows if json.loads(raw).get("user_id") == user_id]

    def delete_user(self, user_id: str) -> int:
        doomed = self.sessions_for(user_id)
        with self._lock:
            for sid in doomed:
                self._rows.pop(sid, None)
        return len(doomed)

    def due_sessions(self, cutoff: datetime) -> list[str]:
        with self._lock:
            states = [DebriefState.model_validate_json(raw) for raw in self._rows.values()]
        return [s.session_id for s in states if s.ended or s.updated_at <= cutoff]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS debrief_sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    stage      TEXT NOT NULL,
    ended      INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    state      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS debrief_sessions_user ON debrief_sessions (user_id);
"""


class SqliteSessionStore:
    """Debrief state in SQLite (WAL mode, one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            create(path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SessionStoreError(
                f"cannot open the session database at {path} ({exc}); "
                "check COACH_DATA_DIR points at a writable folder"
            ) from exc

    def load(self, session_id: str) -> DebriefState | None:
        with connect(self.path) as db:
            row = db.execute(
                "SELECT state FROM debrief_sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
        return None if row is None else _readable(session_id, row[0])

    def save(self, state: DebriefState) -> None:
        with connect(self.path) as db:
            db.execute(
                "INSERT INTO debrief_sessions"
                " (session_id, user_id, stage, ended, updated_at, state)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET"
                " user_id = excluded.user_id, stage = excluded.stage, ended = excluded.ended,"
                " updated_at = excluded.updated_at, state = excluded.state",
                (
                    state.session_id,
                    state.user_id,
                    state.stage,
                    int(state.ended),
                    state.updated_at.isoformat(),
                    state.model_dump_json(),
                ),
            )

    def sessions_for(self, user_id: str) -> list[str]:
        with connect(self.path) as db:
            rows = db.execute(
                "SELECT session_id FROM debrief_sessions WHERE user_id = ? ORDER BY updated_at",
                (user_id,),
            ).fetchall()
        return [r[0] for r in rows]

    def delete_user(self, user_id: str) -> int:
        with connect(self.path) as db:
            cursor = db.execute("DELETE FROM debrief_sessions WHERE user_id = ?", (user_id,))
            return cursor.rowcount

    def due_sessions(self, cutoff: datetime) -> list[str]:
        with connect(self.path) as db:
            rows = db.execute(
                "SELECT session_id FROM debrief_sessions WHERE ended = 1 OR updated_at <= ?"
                " ORDER BY updated_at",
                (cutoff.isoformat(),),
            ).fetchall()
        return [r[0] for r in rows]


_POSTGRES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS debrief_sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    stage      TEXT NOT NULL,
    ended      BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    state      TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS debrief_sessions_user ON debrief_sessions (user_id)",
    "CREATE INDEX IF NOT EXISTS debrief_sessions_updated ON debrief_sessions (updated_at)",
)


class SqlSessionStore:
    """Debrief state in PostgreSQL (``COACH_DATABASE_URL``): the table of
    ``SqliteSessionStore``, shared by every instance, created on first use. Each save is
    one upsert in its own transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = database.engine(url)

    def _begin(self) -> AbstractContextManager[Connection]:
        database.ensure_tables(self._engine, "sessions", _POSTGRES_SCHEMA, SessionStoreError)
        return database.transaction(self._engine, SessionStoreError)

    def load(self, session_id: str) -> DebriefState | None:
        with self._begin() as db:
            raw = db.execute(
                text("SELECT state FROM debrief_sessions WHERE session_id = :sid"),
                {"sid": session_id},
            ).scalar_one_or_none()
        return None if raw is None else _readable(session_id, raw)

    def save(self, state: DebriefState) -> None:
        with self._begin() as db:
            db.execute(
                text(
                    "INSERT INTO debrief_sessions"
                    " (session_id, user_id, stage, ended, updated_at, state)"
                    " VALUES (:sid, :user, :stage, :ended, :updated, :state)"
                    " ON CONFLICT (session_id) DO UPDATE SET"
                    " user_id = excluded.user_id, stage = excluded.stage,"
                    " ended = excluded.ended, updated_at = excluded.updated_at,"
                    " state = excluded.state"
                ),
                {
                    "sid": state.session_id,
                    "user": state.user_id,
                    "stage": state.stage,
                    "ended": state.ended,
                    "updated": state.updated_at,
                    "state": state.model_dump_json(),
                },
            )

    def sessions_for(self, user_id: str) -> list[str]:
        with self._begin() as db:
            rows = db.execute(
                text(
                    "SELECT session_id FROM debrief_sessions WHERE user_id = :user"
                    " ORDER BY updated_at"
                ),
                {"user": user_id},
            ).all()
        return [r[0] for r in rows]

    def delete_user(self, user_id: str) -> int:
        with self._begin() as db:
            result = db.execute(
                text("DELETE FROM debrief_sessions WHERE user_id = :user"), {"user": user_id}
            )
        return int(result.rowcount)

    def due_sessions(self, cutoff: datetime) -> list[str]:
        with self._begin() as db:
            rows = db.execute(
                text(
                    "SELECT session_id FROM debrief_sessions"
                    " WHERE ended OR updated_at <= :cutoff ORDER BY updated_at"
                ),
                {"cutoff": cutoff},
            ).all()
        return [r[0] for r in rows]
