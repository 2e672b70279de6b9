"""Session stores: round trips, scoping, deletion and unreadable rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.sessions import MemorySessionStore, SessionStore, SessionStoreError, SqliteSessionStore
from coach.state import DebriefState, Turn


def _stores(tmp_path: Path) -> list[SessionStore]:
    return [MemorySessionStore(), SqliteSessionStore(tmp_path / "s.db")]


def test_round_trip_and_update(tmp_path: Path) -> None:
    for store in _stores(tmp_path):
        state = DebriefState(session_id="session-0001", user_id="amy")
        state.add(Turn(role="clinician", text="A [NAME] died.", stage="story"))
        store.save(state)
        state.stage = "feelings"
        store.save(state)
        loaded = store.load("session-0001")
        assert loaded is not None
        assert loaded.stage == "feelings" and loaded.turns[0].text == "A [NAME] died."
        assert store.load("session-9999") is None


def test_scoping_and_delete(tmp_path: Path) -> None:
    for store in _stores(tmp_path):
        for sid, user in (("session-a1", "amy"), ("session-a2", "amy"), ("session-b1", "ben")):
            store.save(DebriefState(session_id=sid + "-xxxx", user_id=user))
        assert sorted(store.sessions_for("amy")) == ["session-a1-xxxx", "session-a2-xxxx"]
        assert store.delete_user("amy") == 2
        assert store.sessions_for("amy") == []
        assert store.load("session-b1-xxxx") is not None


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


def test_an_unwritable_data_dir_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SessionStoreError, match="COACH_DATA_DIR"):
        SqliteSessionStore(blocker / "sub" / "s.db")
