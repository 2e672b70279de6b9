"""Escalation events: when the coach stepped out of the debrief, at what level and why.

An event never holds message text or the user's name: every field is an id, a time,
an enum or a flag, and the model forbids extra fields.

``EventLog`` is the seam: ``JsonlEventLog`` is the embedded default (a file under the data
directory), ``SqlEventLog`` an append-only table in PostgreSQL (``COACH_DATABASE_URL``,
shared by every instance), ``MemoryEventLog`` the test double.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import text

from coach import database
from guardrails.types import Category, CssrsItem, Level, RiskAssessment

log = logging.getLogger(__name__)

EventSource = Literal["input_guard", "second_opinion", "accumulation"]
SESSION_PATTERN = r"^[A-Za-z0-9_-]{8,128}$"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EscalationEvent(BaseModel):
    """One escalation. Holds no message text and no names, by construction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=lambda: uuid4().hex, pattern=r"^[0-9a-f]{32}$")
    time: datetime = Field(default_factory=_utc_now)
    session: str = Field(pattern=SESSION_PATTERN, description="Opaque id from the caller.")
    level: Level
    categories: tuple[Category, ...] = ()
    cssrs: tuple[CssrsItem, ...] = ()
    source: EventSource
    consented_to_contact: bool = False
    notified: bool = False

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("time must be timezone-aware")
        return value.astimezone(UTC)

    @classmethod
    def from_assessment(
        cls, assessment: RiskAssessment, *, session: str, source: EventSource
    ) -> EscalationEvent:
        """The event for one assessment; its ``reasons`` are deliberately not copied."""
        return cls(
            session=session,
            level=assessment.level,
            categories=assessment.categories,
            cssrs=assessment.cssrs,
            source=source,
        )


class EventLog(Protocol):
    def record(self, event: EscalationEvent) -> None: ...

    def recent(self, limit: int = 50) -> list[EscalationEvent]: ...


def _latest_first(events: list[EscalationEvent], limit: int) -> list[EscalationEvent]:
    """Newest first; a later record of the same ``event_id`` supersedes earlier ones."""
    latest: OrderedDict[str, EscalationEvent] = OrderedDict()
    for event in events:
        latest.pop(event.event_id, None)
        latest[event.event_id] = event
    newest = list(reversed(latest.values()))
    return newest[: max(limit, 0)]


class MemoryEventLog:
    """In-memory log for tests."""

    def __init__(self) -> None:
        self._events: list[EscalationEvent] = []
        self._lock = threading.Lock()

    def record(self, event: EscalationEvent) -> None:
        with self._lock:
            self._events.append(event)

    def recent(self, limit: int = 50) -> list[EscalationEvent]:
        with self._lock:
            return _latest_first(list(self._events), limit)


_PATH_LOCKS: dict[Path, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(path, threading.Lock())


class JsonlEventLog:
    """Append-only JSON lines file (mode 0600), e.g. ``Settings.events_path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock = _lock_for(self.path)

    def record(self, event: EscalationEvent) -> None:
        line = (event.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, line)
            finally:
                os.close(fd)

    def recent(self, limit: int = 50) -> list[EscalationEvent]:
        """The latest ``limit`` events, newest first. Corrupt lines are skipped."""
        with self._lock:
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return []
        events: list[EscalationEvent] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(EscalationEvent.model_validate_json(line))
            except (ValidationError, json.JSONDecodeError, UnicodeDecodeError, ValueError):
                log.warning("skipping corrupt escalation event at %s line %d", self.path, number)
        return _latest_first(events, limit)


class EventLogError(RuntimeError):
    pass


_POSTGRES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS escalation_events (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL,
    time     TIMESTAMPTZ NOT NULL,
    session  TEXT NOT NULL,
    level    TEXT NOT NULL,
    event    TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS escalation_events_latest ON escalation_events (event_id, seq)",
)
# The latest record of each event, newest first (what ``_latest_first`` does for a file).
_RECENT = """SELECT seq, event FROM (
    SELECT DISTINCT ON (event_id) seq, event FROM escalation_events ORDER BY event_id, seq DESC
) latest ORDER BY seq DESC LIMIT :limit"""


class SqlEventLog:
    """Append-only table ``escalation_events`` in PostgreSQL, created on first use. Like
    the JSON lines file, a later record of an event (consent, notified) is a new row that
    supersedes the earlier one in :meth:`recent`; rows that do not parse are skipped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = database.engine(url)

    def record(self, event: EscalationEvent) -> None:
        database.ensure_tables(self._engine, "events", _POSTGRES_SCHEMA, EventLogError)
        with database.transaction(self._engine, EventLogError) as db:
            db.execute(
                text(
                    "INSERT INTO escalation_events (event_id, time, session, level, event)"
                    " VALUES (:event_id, :time, :session, :level, :event)"
                ),
                {
                    "event_id": event.event_id,
                    "time": event.time,
                    "session": event.session,
                    "level": event.level.value,
                    "event": event.model_dump_json(),
                },
            )

    def recent(self, limit: int = 50) -> list[EscalationEvent]:
        """The latest ``limit`` events, newest first."""
        if limit <= 0:
            return []
        database.ensure_tables(self._engine, "events", _POSTGRES_SCHEMA, EventLogError)
        with database.transaction(self._engine, EventLogError) as db:
            rows = db.execute(text(_RECENT), {"limit": limit}).all()
        events: list[EscalationEvent] = []
        for seq, raw in rows:
            try:
                events.append(EscalationEvent.model_validate_json(raw))
            except (ValidationError, ValueError):
                log.warning("skipping corrupt escalation event in row %d", seq)
        return events
