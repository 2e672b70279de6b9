"""Session stores: round trips, scoping, deletion, the sweep's due sessions and unreadable
rows, on the test double, the embedded SQLite store and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from coach import database, storage_backends
from coach.sessions import (
    MemorySessionStore,
    SessionStore,
    SessionStoreError,
    SqliteSessionStore,
    SqlSessionStore,
)
from coach.settings import Settings
from coach.state import DebriefState, Turn


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SessionStore:
    if request.param == "memory":
        return MemorySessionStore()
    if request.param == "sqlite":
        return SqliteSessionStore(tmp_path / "s.db")
    return SqlSessionStore(request.getfixturevalue("postgres_url"))


def test_round_trip_and_update(store: SessionStore) -> None:
    state = DebriefState(session_id="session-0001", user_id="amy")
    state.add(Turn(role="clinician", text="A [NAME] died.", stage="story"))
    store.save(state)
    state.stage = "feelings"
    store.save(state)
    loaded = store.load("session-0001")
    assert loaded is not None
    assert loaded.stage == "feelings" and loaded.turns[0].text == "A [NAME] died."
    assert loaded == state  # every field, times included, survives the round trip
    assert store.load("session-9999") is None


def test_scoping_and_delete(store: SessionStore) -> None:
    for sid, user in (("session-a1", "amy"), ("session-a2", "amy"), ("session-b1", "ben")):
        store.save(DebriefState(session_id=sid + "-xxxx", user_id=user))
    assert sorted(store.sessions_for("amy")) == ["session-a1-xxxx", "session-a2-xxxx"]
    assert store.delete_user("amy") == 2
    assert store.sessions_for("amy") == []
    assert store.delete_user("amy") == 0
    assert store.load("session-b1-xxxx") is not None


def test_due_sessions_are_the_ended_and_the_idle(store: SessionStore) -> None:
    now = datetime.now(UTC)
    idle = DebriefState(session_id="session-idle", user_id="amy")
    idle.updated_at = now - timedelta(hours=30)
    ended = DebriefState(session_id="session-ended", user_id="amy", ended=True)
    fresh = DebriefState(session_id="session-fresh", user_id="ben")
    for state in (idle, ended, fresh):
        store.save(state)
    due = store.due_sessions(now - timedelta(hours=24))  # type: ignore[attr-defined]
    assert sorted(due) == ["session-ended", "session-idle"]


def test_session_ids_are_validated() -> None:
    with pytest.raises(ValidationError):
        DebriefState(session_id="../../etc")
    with pytest.raises(ValidationError):
        DebriefState(session_id="short")


def test_an_unreadable_row_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteSessionStore(path)
    store.save(DebriefState(session_id="session-0001"))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE debrief_sessions SET state = '{\"version\": 7}'")
    with pytest.raises(SessionStoreError, match="session-0001"):
        store.load("session-0001")


@pytest.mark.postgres
def test_an_unreadable_postgres_row_gives_a_clear_error(postgres_url: str) -> None:
    store = SqlSessionStore(postgres_url)
    store.save(DebriefState(session_id="session-0001"))
    with database.engine(postgres_url).begin() as db:
        db.execute(text("UPDATE debrief_sessions SET state = '{\"version\": 7}'"))
    with pytest.raises(SessionStoreError, match="session-0001"):
        store.load("session-0001")


def test_an_unwritable_data_dir_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SessionStoreError, match="COACH_DATA_DIR"):
        SqliteSessionStore(blocker / "sub" / "s.db")


def test_an_unreachable_database_names_the_setting_and_hides_the_password() -> None:
    store = SqlSessionStore("postgresql://coach:hunter2-secret@127.0.0.1:9/coach")
    with pytest.raises(SessionStoreError, match="COACH_DATABASE_URL") as caught:
        store.load("session-0001")
    assert "hunter2-secret" not in str(caught.value)
    assert "127.0.0.1:9" in str(caught.value)


@pytest.mark.postgres
def test_two_instances_share_sessions_through_postgres(postgres_url: str, tmp_path: Path) -> None:
    """Each instance builds its own store from its own settings (own data folder, same
    URL); a session saved by one is read, updated and deleted by the other."""
    first = storage_backends.session_store(
        Settings(data_dir=tmp_path / "a", database_url=postgres_url)
    )
    second = storage_backends.session_store(
        Settings(data_dir=tmp_path / "b", database_url=postgres_url)
    )
    state = DebriefState(session_id="session-shared", user_id="amy")
    first.save(state)
    seen = second.load("session-shared")
    assert seen is not None and seen.user_id == "amy"
    seen.stage = "feelings"
    second.save(seen)
    again = first.load("session-shared")
    assert again is not None and again.stage == "feelings"
    assert first.delete_user("amy") == 1 and second.load("session-shared") is None
    assert not (tmp_path / "a" / "coach.db").exists() and not (tmp_path / "b").exists()
