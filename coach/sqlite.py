"""The local SQLite files under the data directory (debrief sessions, theme records):
one short-lived connection per call, WAL mode, a busy timeout, commit or roll back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 10.0


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that commits on success, rolls back on error, and is always closed."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        with db:
            yield db
    finally:
        db.close()


def create(path: Path, schema: str) -> None:
    """Create ``path`` (and its folder) with ``schema`` in WAL mode; ``OSError`` or
    ``sqlite3.Error`` go to the caller, whose error names the setting to fix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
