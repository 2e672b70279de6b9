"""Where debrief state is kept between turns and across restarts.

``SessionStore`` is the seam; ``SqliteSessionStore`` is the embedded default (a table in
the chat database file under the data directory) and ``MemorySessionStore`` the test
double. Every write is a whole, validated ``DebriefState`` (de-identified by then), in one
transaction, so a crash leaves the previous good state.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

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
        if row is None:
            return None
        try:
            return DebriefState.model_validate_json(row[0])
        except ValidationError as exc:
            raise SessionStoreError(
                f"stored state of session {session_id} is unreadable: {exc.error_count()} errors"
            ) from exc

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
