"""One turn at a time per debrief: the lock held through a turn's load, change and save.

``ProcessTurnLock`` orders the turns of one process (one thread per debrief at a time);
it is all the embedded SQLite default needs, since one instance serves it.

``PostgresTurnLock`` adds a transaction-scoped PostgreSQL advisory lock on the debrief's
session id, held on a connection of its own for the whole turn, so two instances sharing
the database (two browser tabs of one debrief behind a load balancer) take turns too:
the later turn loads what the earlier one saved, and no turn's state is lost.

A lock never stands between a clinician and a reply: if the database cannot be reached,
or another turn holds the lock for longer than ``wait_seconds``, the turn goes on without
the cross-instance lock (the log says so). With the database down nothing is saved
anyway, and a crisis is answered from package data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy import Connection, text

from coach import database

log = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 120.0  # longer than any turn (COACH_LLM_TIMEOUT_SECONDS is 60 s)
KEY_PREFIX = "debrief_session:"


class TurnLock(Protocol):
    def hold(self, session_id: str) -> AbstractContextManager[None]:
        """Held for the whole of one turn (or control) of ``session_id``."""
        ...


class ProcessTurnLock:
    """A lock per session id, within this process."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            yield


class PostgresTurnLock:
    """``ProcessTurnLock``, then ``pg_advisory_xact_lock`` on the session id in a
    transaction kept open until the turn ends (``COACH_DATABASE_URL``)."""

    def __init__(self, url: str, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self.url = url
        self.wait_seconds = wait_seconds
        self._local = ProcessTurnLock()

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        with self._local.hold(session_id):
            conn = self._acquire(session_id)
            try:
                yield
            finally:
                if conn is not None:
                    _release(conn)

    def _acquire(self, session_id: str) -> Connection | None:
        """A connection whose open transaction holds the session's advisory lock, or
        ``None`` (logged) when it cannot be had."""
        conn: Connection | None = None
        try:
            conn = database.engine(self.url).connect()
            conn.begin()
            wait_ms = max(1, int(self.wait_seconds * 1000))
            conn.execute(text(f"SET LOCAL lock_timeout = {wait_ms}"))
            database.lock_key(conn, KEY_PREFIX + session_id)
        except Exception as exc:
            log.warning(
                "could not take the debrief's lock in the database at %s (%s); this turn "
                "goes on without it (check COACH_DATABASE_URL and that the server is running)",
                database.shown(self.url),
                _first_line(exc),
            )
            if conn is not None:
                _release(conn)
            return None
        return conn


def _release(conn: Connection) -> None:
    """End the lock's transaction (releasing the lock) and return the connection."""
    try:
        conn.rollback()  # the transaction only ever held the lock
    except Exception:
        log.debug("the turn lock's connection was already gone", exc_info=True)
    finally:
        try:
            conn.close()
        except Exception:
            log.debug("could not close the turn lock's connection", exc_info=True)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
