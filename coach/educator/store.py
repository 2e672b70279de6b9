"""The theme store: ``<data_dir>/themes.db`` (SQLite), apart from the chat database.

Three tables, none joinable to another or to the chat database:

- ``themes``: one row per debrief, keyed by a random id, ``WITHOUT ROWID`` (so neither
  the key nor the storage order reveals which debrief came first);
- ``processed``: keyed markers of the sessions already turned into themes (so the
  end-of-debrief hook and the abandoned-session sweep never count a debrief twice);
- ``opt_outs``: tokens of clinicians who asked not to be counted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path

from pydantic import ValidationError

from coach.educator.records import ThemeRecord
from coach.sqlite import connect, create

THEMES_FILE = "themes.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS themes (
    id     TEXT PRIMARY KEY,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS processed (marker TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS opt_outs (clinician TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class ThemeStoreError(RuntimeError):
    pass


def themes_path(data_dir: Path) -> Path:
    return data_dir / THEMES_FILE


class ThemeStore:
    """Theme records, processed-session markers and opt-outs (one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            create(path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ThemeStoreError(
                f"cannot open the theme database at {path} ({exc}); check COACH_DATA_DIR "
                "points at a writable folder"
            ) from exc

    def add(self, record: ThemeRecord, marker: str | None = None) -> bool:
        """Store ``record`` (and its session's ``marker``, in the same transaction).
        ``False`` when the marker was already there or the clinician has opted out."""
        with self._lock, connect(self.path) as db:
            if marker is not None:
                seen = db.execute("SELECT 1 FROM processed WHERE marker = ?", (marker,))
                if seen.fetchone() is not None:
                    return False
                db.execute("INSERT INTO processed (marker) VALUES (?)", (marker,))
            out = db.execute("SELECT 1 FROM opt_outs WHERE clinician = ?", (record.clinician,))
            if out.fetchone() is not None:
                return False
            db.execute(
                "INSERT INTO themes (id, record) VALUES (?, ?)",
                (uuid.uuid4().hex, record.model_dump_json()),
            )
        return True

    def add_many(self, records: list[ThemeRecord]) -> int:
        """Store records with no session marker (the synthetic data)."""
        with self._lock, connect(self.path) as db:
            db.executemany(
                "INSERT INTO themes (id, record) VALUES (?, ?)",
                [(uuid.uuid4().hex, r.model_dump_json()) for r in records],
            )
        return len(records)

    def processed(self, marker: str) -> bool:
        with connect(self.path) as db:
            row = db.execute("SELECT 1 FROM processed WHERE marker = ?", (marker,)).fetchone()
        return row is not None

    def mark_processed(self, marker: str) -> None:
        with connect(self.path) as db:
            db.execute("INSERT OR IGNORE INTO processed (marker) VALUES (?)", (marker,))

    def records(self) -> list[ThemeRecord]:
        with connect(self.path) as db:
            rows = db.execute("SELECT record FROM themes").fetchall()
        try:
            return [ThemeRecord.model_validate(json.loads(r[0])) for r in rows]
        except (ValidationError, ValueError) as exc:
            raise ThemeStoreError(
                f"a theme record in {self.path} is unreadable ({exc}); the file may come "
                "from a newer version of the coach"
            ) from exc

    def count(self) -> int:
        with connect(self.path) as db:
            return int(db.execute("SELECT COUNT(*) FROM themes").fetchone()[0])

    # --- opt-out ---------------------------------------------------------------------

    def opt_out(self, clinician: str) -> int:
        """Stop counting ``clinician`` and delete their records; returns how many."""
        return self._delete(clinician, opt_out=True)

    def delete_records(self, clinician: str) -> int:
        """Delete ``clinician``'s records ("Delete my data"); later debriefs still count."""
        return self._delete(clinician, opt_out=False)

    def _delete(self, clinician: str, *, opt_out: bool) -> int:
        with self._lock, connect(self.path) as db:
            if opt_out:
                db.execute("INSERT OR IGNORE INTO opt_outs (clinician) VALUES (?)", (clinician,))
            rows = db.execute("SELECT id, record FROM themes").fetchall()
            doomed = [i for i, raw in rows if json.loads(raw).get("clinician") == clinician]
            db.executemany("DELETE FROM themes WHERE id = ?", [(i,) for i in doomed])
        return len(doomed)

    def opt_in(self, clinician: str) -> None:
        with connect(self.path) as db:
            db.execute("DELETE FROM opt_outs WHERE clinician = ?", (clinician,))

    def opted_out(self, clinician: str) -> bool:
        with connect(self.path) as db:
            row = db.execute("SELECT 1 FROM opt_outs WHERE clinician = ?", (clinician,)).fetchone()
        return row is not None
