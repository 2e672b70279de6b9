"""``ThemeRecorder``: turns a debrief into a theme record when it ends, or once it has
been idle for a day (the sweep), exactly once, unless the clinician opted out.

The engine calls :meth:`ThemeRecorder.on_saved` after every save (``GraphDeps.on_saved``);
only ended debriefs are recorded there. :meth:`ThemeRecorder.sweep_sessions` finds the
abandoned ones (no activity for ``idle``, 24 hours by default) in the session store;
the chat app runs it at start-up and every hour, and ``coach educator sweep`` on demand.
Several instances may sweep the same PostgreSQL store at once: each debrief's marker is
claimed by exactly one of them (``ThemeStorage.add``).

With a theme assistant (``COACH_LLM`` names a chat model and ``COACH_THEMES_LLM`` is on,
see :mod:`coach.educator.llm_derive`), the hook records in a background thread, so the
clinician's last reply never waits for the model; a record lost to a shutdown in between
is made by the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from coach.educator.derive import derive_theme
from coach.educator.llm_derive import ThemeAssistant, assistant_from_settings
from coach.educator.store import ThemeStorage
from coach.educator.tokens import clinician_token, session_marker
from coach.educator.vocabulary import ROLE_CATEGORIES
from coach.sessions import DueSessions
from coach.state import DebriefState

if TYPE_CHECKING:
    from coach.app.users import Accounts
    from coach.settings import Settings

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(hours=24)
RoleOf = Callable[[str], str]


def _unspecified(_user_id: str) -> str:
    return "unspecified"


def role_from_accounts(accounts: Accounts) -> RoleOf:
    """The role category of an account, read from the accounts at each call (so a
    change with ``coach users`` applies at once); ``unspecified`` when absent."""
    from coach.app.users import UsersFileError

    def role_of(user_id: str) -> str:
        try:
            record = accounts.find(user_id)
        except UsersFileError:
            return "unspecified"
        category = record.category if record is not None else ""
        return category if category in ROLE_CATEGORIES else "unspecified"

    return role_of


def role_from_users_file(path: Path) -> RoleOf:
    """:func:`role_from_accounts` over the users file at ``path``."""
    from coach.app.users import UsersFile

    return role_from_accounts(UsersFile(path))


@dataclass(frozen=True)
class SweepResult:
    recorded: int  # new theme records
    checked: int  # sessions looked at (ended, or idle past the limit, not yet processed)


class ThemeRecorder:
    def __init__(
        self,
        store: ThemeStorage,
        secret: bytes,
        *,
        role_of: RoleOf = _unspecified,
        enabled: bool = True,
        idle: timedelta = ABANDONED_AFTER,
        assistant: ThemeAssistant | None = None,
    ) -> None:
        self.store = store
        self._secret = secret
        self.role_of = role_of
        self.enabled = enabled
        self.idle = idle
        self.assistant = assistant
        self._lock = threading.Lock()
        self._in_flight: dict[str, threading.Thread] = {}  # session id -> its recording

    @classmethod
    def from_settings(cls, settings: Settings) -> ThemeRecorder:
        from coach import storage_backends

        return cls(
            storage_backends.theme_store(settings),
            storage_backends.theme_key(settings),
            role_of=role_from_accounts(storage_backends.accounts(settings)),
            enabled=settings.themes,
            assistant=assistant_from_settings(settings) if settings.themes else None,
        )

    def token(self, user_id: str) -> str:
        return clinician_token(self._secret, user_id)

    # --- recording ------------------------------------------------------------------

    def record(self, state: DebriefState) -> bool:
        """Record ``state``'s themes once. ``False`` when collection is off, the session
        has no account or no clinician message, was recorded already, or the clinician
        opted out."""
        if not self.enabled or not state.user_id or state.message_count == 0:
            return False
        marker = session_marker(self._secret, state.session_id)
        if self.store.processed(marker):
            return False
        record = derive_theme(
            state,
            clinician=self.token(state.user_id),
            role=self.role_of(state.user_id),
            assist=self.assistant,
        )
        return self.store.add(record, marker)

    def on_saved(self, state: DebriefState) -> None:
        """The engine's hook: record a debrief when it has ended. Never raises (a theme
        must not cost a clinician their reply). With an assistant, the recording runs in a
        background thread (one per debrief at a time); :meth:`wait` waits for them."""
        if not state.ended:
            return
        try:
            if self.assistant is None:
                self.record(state)
            else:
                self._start_recording(state.model_copy(deep=True))
        except Exception:
            log.exception("could not record the themes of an ended debrief")

    def _start_recording(self, state: DebriefState) -> None:
        with self._lock:
            if state.session_id in self._in_flight:
                return
            worker = threading.Thread(
                target=self._record_in_background, args=(state,), name="theme-record", daemon=True
            )
            self._in_flight[state.session_id] = worker
        try:
            worker.start()
        except RuntimeError:
            with self._lock:
                self._in_flight.pop(state.session_id, None)
            raise

    def _record_in_background(self, state: DebriefState) -> None:
        try:
            self.record(state)
        except Exception:
            log.exception("could not record the themes of an ended debrief")
        finally:
            with self._lock:
                self._in_flight.pop(state.session_id, None)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background recordings under way (at most ``timeout`` seconds each);
        ``True`` when none is left."""
        with self._lock:
            workers = list(self._in_flight.values())
        for worker in workers:
            worker.join(timeout)
        with self._lock:
            return not self._in_flight

    def due(self, state: DebriefState, now: datetime) -> bool:
        return state.ended or now - state.updated_at >= self.idle

    def sweep(self, states: Iterable[DebriefState], now: datetime | None = None) -> SweepResult:
        """Record every ended debrief, and every one idle for ``idle``, not yet recorded."""
        now = now or datetime.now(UTC)
        recorded = checked = 0
        for state in states:
            if not self.due(state, now):
                continue
            checked += 1
            recorded += int(self.record(state))
        return SweepResult(recorded, checked)

    async def sweep_every(
        self,
        sessions: Path | DueSessions,
        interval: timedelta,
        stop: asyncio.Event | None = None,
    ) -> int:
        """Sweep ``sessions`` (a session store, or the path of a SQLite session database)
        every ``interval`` until ``stop`` is set (the chat app runs this, so abandoned
        debriefs are recorded without a restart). A failed sweep is logged and retried at
        the next interval. Returns how many sweeps ran."""
        stop = stop or asyncio.Event()
        sweeps = 0
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval.total_seconds())
                break
            except TimeoutError:
                pass
            try:
                result = await asyncio.to_thread(self.sweep_from, sessions)
                log.info("themes: %d abandoned or ended debriefs recorded", result.recorded)
            except Exception:
                log.exception("the theme sweep failed; it will run again")
            sweeps += 1
        return sweeps

    def sweep_from(self, sessions: Path | DueSessions, now: datetime | None = None) -> SweepResult:
        """:meth:`sweep_sqlite` for a path, :meth:`sweep_sessions` for a store (see
        ``coach.storage_backends.sweep_source``)."""
        if isinstance(sessions, Path):
            return self.sweep_sqlite(sessions, now)
        return self.sweep_sessions(sessions, now)

    def sweep_sessions(self, sessions: DueSessions, now: datetime | None = None) -> SweepResult:
        """:meth:`sweep` over a session store (SQLite or PostgreSQL), loading only the
        sessions that are due and not yet processed."""
        if not self.enabled:
            return SweepResult(0, 0)
        now = now or datetime.now(UTC)
        states = []
        for sid in sessions.due_sessions(now - self.idle):
            if self.store.processed(session_marker(self._secret, sid)):
                continue
            state = sessions.load(sid)
            if state is not None:
                states.append(state)
        return self.sweep(states, now)

    def sweep_sqlite(self, sessions_db: Path, now: datetime | None = None) -> SweepResult:
        """:meth:`sweep` over the session database (``coach.sessions.SqliteSessionStore``),
        reading only the sessions that are due and not yet processed."""
        if not self.enabled or not sessions_db.is_file():
            return SweepResult(0, 0)
        now = now or datetime.now(UTC)
        cutoff = (now - self.idle).isoformat()
        try:
            with sqlite3.connect(f"file:{sessions_db}?mode=ro", uri=True, timeout=10) as db:
                rows = db.execute(
                    "SELECT session_id FROM debrief_sessions WHERE ended = 1 OR updated_at <= ?",
                    (cutoff,),
                ).fetchall()
                due = [
                    sid
                    for (sid,) in rows
                    if not self.store.processed(session_marker(self._secret, sid))
                ]
                states = []
                for sid in due:
                    row = db.execute(
                        "SELECT state FROM debrief_sessions WHERE session_id = ?", (sid,)
                    ).fetchone()
                    if row is not None:
                        states.append(DebriefState.model_validate_json(row[0]))
        except sqlite3.OperationalError as exc:  # no sessions table yet: nothing to sweep
            log.info("no debrief sessions to sweep in %s (%s)", sessions_db, exc)
            return SweepResult(0, 0)
        return self.sweep(states, now)

    # --- opt-out --------------------------------------------------------------------

    def opt_out(self, user_id: str) -> int:
        """Stop collecting ``user_id``'s themes and delete those already kept."""
        return self.store.opt_out(self.token(user_id))

    def forget(self, user_id: str) -> int:
        """Delete ``user_id``'s theme records, without opting out ("Delete my data")."""
        return self.store.delete_records(self.token(user_id))

    def opt_in(self, user_id: str) -> None:
        self.store.opt_in(self.token(user_id))

    def opted_out(self, user_id: str) -> bool:
        return self.store.opted_out(self.token(user_id))
