"""The theme store: ``<data_dir>/themes.db`` (SQLite, ``ThemeStore``), apart from the
chat database; or, when ``COACH_DATABASE_URL`` names PostgreSQL, ``SqlThemeStore``'s
``theme_*`` tables there, shared by every instance. ``ThemeStorage`` is the seam.

Four tables, none joinable to another or to the chat database:

- ``themes``: one row per debrief, keyed by a random id, ``WITHOUT ROWID`` (so neither
  the key nor the storage order reveals which debrief came first);
- ``processed``: keyed markers of the sessions already turned into themes (so the
  end-of-debrief hook and the abandoned-session sweep never count a debrief twice);
- ``opt_outs``: tokens of clinicians who asked not to be counted;
- ``releases``: the release ledger (:mod:`coach.educator.releases`), every cell a report
  has shown: its key, the cutoff week and the number shown. No token, no record.

In PostgreSQL the rows' system columns (``xmin``, ``ctid``) follow the order they were
written in, so whoever can query the database as its owner can tell which theme record
was written first (see the README's "Running several instances").
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Connection, text

from coach import database
from coach.educator.records import ThemeRecord
from coach.educator.releases import Release, ReleaseSession, rows
from coach.sqlite import connect, create

THEMES_FILE = "themes.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS themes (
    id     TEXT PRIMARY KEY,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS processed (marker TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS opt_outs (clinician TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS releases (
    family   TEXT NOT NULL,
    key      TEXT NOT NULL,
    period   TEXT NOT NULL,
    role     TEXT NOT NULL,
    cutoff   TEXT NOT NULL,
    debriefs INTEGER NOT NULL,
    PRIMARY KEY (family, key, period, role, cutoff)
) WITHOUT ROWID;
"""
_RELEASE_COLUMNS = "family, key, period, role, cutoff, debriefs"


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

    def releases(self) -> list[Release]:
        """The release ledger: every cell a report has shown."""
        ...

    def publishing(self) -> AbstractContextManager[ReleaseSession]:
        """Hold the ledger for one report (see :class:`coach.educator.releases.ReleaseLedger`)."""
        ...


def _released(raw: Iterable[Sequence[Any]]) -> list[Release]:
    return sorted(
        Release(str(family), str(key), str(period), str(role), str(cutoff), int(debriefs))
        for family, key, period, role, cutoff, debriefs in raw
    )


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

    # --- the release ledger ------------------------------------------------------------

    def releases(self) -> list[Release]:
        with connect(self.path) as db:
            return _released(db.execute(f"SELECT {_RELEASE_COLUMNS} FROM releases").fetchall())

    @contextmanager
    def publishing(self) -> Iterator[ReleaseSession]:
        """The ledger under SQLite's write lock (``BEGIN IMMEDIATE``): a second report, in
        this process or another, waits until this one has recorded what it shows."""
        try:
            with connect(self.path) as db:
                db.execute("BEGIN IMMEDIATE")
                yield _SqliteReleases(db)
        except sqlite3.OperationalError as exc:
            raise ThemeStoreError(
                f"cannot use the release ledger in {self.path} ({exc}); check that "
                "COACH_DATA_DIR is writable and that no other program holds themes.db"
            ) from exc


class _SqliteReleases:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def released(self) -> list[Release]:
        return _released(self._db.execute(f"SELECT {_RELEASE_COLUMNS} FROM releases").fetchall())

    def release(self, cells: Iterable[Release]) -> int:
        before = self._db.total_changes
        self._db.executemany(
            f"INSERT OR IGNORE INTO releases ({_RELEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            list(rows(cells)),
        )
        return self._db.total_changes - before


_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS theme_records (id TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS theme_processed (marker TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS theme_opt_outs (clinician TEXT PRIMARY KEY)",
)
# created when the first report is made (a store that only records never needs it)
_POSTGRES_RELEASES = (
    "CREATE TABLE IF NOT EXISTS theme_releases (family TEXT NOT NULL, key TEXT NOT NULL, "
    "period TEXT NOT NULL, role TEXT NOT NULL, cutoff TEXT NOT NULL, debriefs INTEGER NOT NULL, "
    "PRIMARY KEY (family, key, period, role, cutoff))",
)
_OPTED_OUT = "SELECT 1 FROM theme_opt_outs WHERE clinician = :c"
_INSERT = "INSERT INTO theme_records (id, record) VALUES (:id, :record)"


class SqlThemeStore:
    """``ThemeStore``'s four tables in PostgreSQL (``theme_records``, ``theme_processed``,
    ``theme_opt_outs``, and ``theme_releases`` once a report is made), created on first use
    and shared by every instance.

    Several instances record and sweep at once, so: a session's marker is claimed with
    ``INSERT ... ON CONFLICT DO NOTHING`` (exactly one instance records a debrief),
    recording and opting out take a per-clinician advisory lock (an opt-out can never
    miss a record being written at the same moment), and making a report holds one
    advisory lock on the ledger from reading it to recording what the report shows."""

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

    # --- the release ledger ------------------------------------------------------------

    def _ledger(self) -> AbstractContextManager[Connection]:
        database.ensure_tables(self._engine, "theme_releases", _POSTGRES_RELEASES, ThemeStoreError)
        return self._begin()

    def releases(self) -> list[Release]:
        with self._ledger() as db:
            return _released(db.execute(text(_SELECT_RELEASES)).all())

    @contextmanager
    def publishing(self) -> Iterator[ReleaseSession]:
        with self._ledger() as db:
            database.lock_key(db, "theme-releases")
            yield _SqlReleases(db)


_SELECT_RELEASES = f"SELECT {_RELEASE_COLUMNS} FROM theme_releases"


class _SqlReleases:
    def __init__(self, db: Connection) -> None:
        self._db = db

    def released(self) -> list[Release]:
        return _released(self._db.execute(text(_SELECT_RELEASES)).all())

    def release(self, cells: Iterable[Release]) -> int:
        params = [
            dict(zip(("f", "k", "p", "r", "c", "d"), row, strict=True)) for row in rows(cells)
        ]
        if not params:
            return 0
        before = self._count()
        self._db.execute(
            text(
                f"INSERT INTO theme_releases ({_RELEASE_COLUMNS}) "
                "VALUES (:f, :k, :p, :r, :c, :d) ON CONFLICT DO NOTHING"
            ),
            params,
        )
        return self._count() - before

    def _count(self) -> int:
        return int(self._db.execute(text("SELECT COUNT(*) FROM theme_releases")).scalar_one())
