"""The theme store: ``<data_dir>/themes.db`` (SQLite, ``ThemeStore``), apart from the
chat database; or, when ``COACH_DATABASE_URL`` names PostgreSQL, ``SqlThemeStore``'s
three ``theme_*`` tables there, shared by every instance. ``ThemeStorage`` is the seam.

Three tables, none joinable to another or to the chat database:

- ``themes``: one row per debrief, keyed by a random id, ``WITHOUT ROWID`` (so neither
  the key nor the storage order reveals which debrief came first);
- ``processed``: keyed markers of the sessions already turned into themes (so the
  end-of-debrief hook and the abandoned-session sweep never count a debrief twice);
- ``opt_outs``: tokens of clinicians who asked not to be counted.

In PostgreSQL the rows' system columns (``xmin``, ``ctid``) follow the order they were
written in, so whoever can query the database as its owner can tell which theme record
was written first (see the README's "Running several instances").
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy import Connection, text

from coach import database
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


class ThemeStorage(Protocol):
    def add(self, record: ThemeRecord, marker: str | None = None) -> bool:
        """Store ``record`` (and its session's ``marker``, in the same transaction).
        ``False`` when the marker was already there or the clinician has opted out."""
        ...

    def add_many(self, records: list[ThemeRecord]) -> int: ...

    def processed(self, marker: str) -> bool: ...

    def mark_processed(self, marker: str) -> None: ...

    def records(self) -> list[ThemeRecord]: ...

    def count(self) -> int: ...

    def opt_out(self, clinician: str) -> int:
        """Stop counting ``clinician`` and delete their records; returns how many."""
        ...

    def delete_records(self, clinician: str) -> int: ...

    def opt_in(self, clinician: str) -> None: ...

    def opted_out(self, clinician: str) -> bool: ...


def _parsed(raw: list[str], where: str) -> list[ThemeRecord]:
    try:
        return [ThemeRecord.model_validate(json.loads(r)) for r in raw]
    except (ValidationError, ValueError) as exc:
        raise ThemeStoreError(
            f"a theme record in {where} is unreadable ({exc}); it may come from a newer "
            "version of the coach"
        ) from exc


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
            if marker is not None:  # claimed, or already there (another process's sweep)
                claimed = db.execute(
                    "INSERT OR IGNORE INTO processed (marker) VALUES (?)", (marker,)
                )
                if claimed.rowcount == 0:
                    return False
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
        return _parsed([r[0] for r in rows], str(self.path))

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


_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS theme_records (id TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS theme_processed (marker TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS theme_opt_outs (clinician TEXT PRIMARY KEY)",
)
_OPTED_OUT = "SELECT 1 FROM theme_opt_outs WHERE clinician = :c"
_INSERT = "INSERT INTO theme_records (id, record) VALUES (:id, :record)"


class SqlThemeStore:
    """``ThemeStore``'s three tables in PostgreSQL (``theme_records``, ``theme_processed``,
    ``theme_opt_outs``), created on first use and shared by every instance.

    Several instances record and sweep at once, so: a session's marker is claimed with
    ``INSERT ... ON CONFLICT DO NOTHING`` (exactly one instance records a debrief), and
    recording and opting out take a per-clinician advisory lock (an opt-out can never
    miss a record being written at the same moment)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = database.engine(url)

    def _begin(self) -> AbstractContextManager[Connection]:
        database.ensure_tables(self._engine, "themes", _POSTGRES_SCHEMA, ThemeStoreError)
        return database.transaction(self._engine, ThemeStoreError)

    @staticmethod
    def _lock(db: Connection, clinician: str) -> None:
        database.lock_key(db, "theme-clinician:" + clinician)

    def add(self, record: ThemeRecord, marker: str | None = None) -> bool:
        with self._begin() as db:
            self._lock(db, record.clinician)
            if marker is not None:
                claimed = db.execute(
                    text("INSERT INTO theme_processed (marker) VALUES (:m) ON CONFLICT DO NOTHING"),
                    {"m": marker},
                )
                if claimed.rowcount == 0:
                    return False
            if db.execute(text(_OPTED_OUT), {"c": record.clinician}).first() is not None:
                return False
            db.execute(text(_INSERT), {"id": uuid.uuid4().hex, "record": record.model_dump_json()})
        return True

    def add_many(self, records: list[ThemeRecord]) -> int:
        if not records:
            return 0
        with self._begin() as db:
            db.execute(
                text(_INSERT),
                [{"id": uuid.uuid4().hex, "record": r.model_dump_json()} for r in records],
            )
        return len(records)

    def processed(self, marker: str) -> bool:
        with self._begin() as db:
            found = db.execute(
                text("SELECT 1 FROM theme_processed WHERE marker = :m"), {"m": marker}
            ).first()
        return found is not None

    def mark_processed(self, marker: str) -> None:
        with self._begin() as db:
            db.execute(
                text("INSERT INTO theme_processed (marker) VALUES (:m) ON CONFLICT DO NOTHING"),
                {"m": marker},
            )

    def records(self) -> list[ThemeRecord]:
        with self._begin() as db:  # in id order: random, so it says nothing of time
            raw = db.execute(text("SELECT record FROM theme_records ORDER BY id")).scalars().all()
        return _parsed(list(raw), "theme_records")

    def count(self) -> int:
        with self._begin() as db:
            return int(db.execute(text("SELECT COUNT(*) FROM theme_records")).scalar_one())

    def opt_out(self, clinician: str) -> int:
        return self._delete(clinician, opt_out=True)

    def delete_records(self, clinician: str) -> int:
        return self._delete(clinician, opt_out=False)

    def _delete(self, clinician: str, *, opt_out: bool) -> int:
        with self._begin() as db:
            self._lock(db, clinician)
            if opt_out:
                db.execute(
                    text(
                        "INSERT INTO theme_opt_outs (clinician) VALUES (:c) ON CONFLICT DO NOTHING"
                    ),
                    {"c": clinician},
                )
            deleted = db.execute(
                text("DELETE FROM theme_records WHERE (record::jsonb ->> 'clinician') = :c"),
                {"c": clinician},
            )
        return int(deleted.rowcount)

    def opt_in(self, clinician: str) -> None:
        with self._begin() as db:
            self._lock(db, clinician)
            db.execute(text("DELETE FROM theme_opt_outs WHERE clinician = :c"), {"c": clinician})

    def opted_out(self, clinician: str) -> bool:
        with self._begin() as db:
            return db.execute(text(_OPTED_OUT), {"c": clinician}).first() is not None
