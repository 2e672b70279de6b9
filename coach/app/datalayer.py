"""Chainlit's SQLAlchemy data layer, made to store de-identified text only.

Every step is written through :meth:`DeidentifyingDataLayer.create_step`, which replaces
identifiers in what a clinician typed (the ``output`` of user messages and of any other
non-coach step, and every step's ``input``, where Chainlit copies the raw message for its
``on_message`` run) with placeholders such as ``[NAME]``. Thread names (Chainlit names a
thread after its first message) and feedback comments are de-identified the same way.
The coach's own replies are stored as shown: they are written from de-identified text,
and de-identifying them would blank the support lines' phone numbers.

It also fixes what Chainlit's layer leaves to the database (JSON and list values on
SQLite, and a file element's empty ``props``, which Chainlit's ``get_element`` cannot
read), keeps elements inline (``storage.InlineStorageClient``), and deletes a
clinician's chats, steps, elements and feedback in one transaction ("Delete my data").
It also answers who wrote a chat, step, element or piece of feedback, for the routes that
check ownership (``coach.app.feedback``, ``coach.app.ownership``).

Ids come from requests, so any text may arrive. PostgreSQL's id columns are UUIDs and a
query with anything else fails, so every lookup by id first asks :meth:`could_exist`:
an id that cannot be stored is simply not found.

The tables are created when the layer is first used (:meth:`ensure_tables`), and again at
each use until that works, so the app starts while the chat database is down and saves
again as soon as it is back. "Delete my data" records the deleted chats' ids in the chat
database (``deleted_threads``), so every instance, not only the one that deleted them,
refuses later writes to them.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.types import Feedback, ThreadDict
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from coach import database
from coach.app.schema import chat_database_url, create_tables
from coach.app.storage import InlineStorageClient
from coach.sqlite import BUSY_TIMEOUT_S
from guardrails.deid import Deidentifier, storable

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict

log = logging.getLogger(__name__)

# Steps whose output is the coach's own words (kept as shown).
COACH_STEP_TYPES = frozenset({"assistant_message"})

_USER_THREADS = (
    'SELECT "id" FROM threads WHERE "userIdentifier" = :identifier '
    'OR "userId" IN (SELECT "id" FROM users WHERE "identifier" = :identifier)'
)
_STEP_THREAD = (
    'SELECT t."id", COALESCE(t."userIdentifier", u."identifier") FROM steps s '
    'JOIN threads t ON s."threadId" = t."id" LEFT JOIN users u ON t."userId" = u."id" '
    'WHERE s."id" = :step_id'
)
_FEEDBACK_AUTHOR = (
    'SELECT COALESCE(t."userIdentifier", u."identifier") FROM feedbacks f '
    'LEFT JOIN steps s ON f."forId" = s."id" '
    'LEFT JOIN threads t ON t."id" = COALESCE(s."threadId", f."threadId") '
    'LEFT JOIN users u ON t."userId" = u."id" WHERE f."id" = :feedback_id'
)
_THREAD_AUTHOR = (
    'SELECT COALESCE(t."userIdentifier", u."identifier") FROM threads t '
    'LEFT JOIN users u ON t."userId" = u."id" WHERE t."id" = :thread_id'
)
_ELEMENT_AUTHOR = (
    'SELECT COALESCE(t."userIdentifier", u."identifier") FROM elements e '
    'LEFT JOIN threads t ON e."threadId" = t."id" '
    'LEFT JOIN users u ON t."userId" = u."id" WHERE e."id" = :element_id'
)
_IS_DELETED = 'SELECT 1 FROM deleted_threads WHERE "id" = :thread_id'
_MARK_DELETED = (
    'INSERT INTO deleted_threads ("id", "deletedAt") VALUES (:thread_id, :at) '
    'ON CONFLICT ("id") DO NOTHING'
)
_DELETE_USER_DATA = (
    f'DELETE FROM feedbacks WHERE "threadId" IN ({_USER_THREADS}) '
    f'OR "forId" IN (SELECT "id" FROM steps WHERE "threadId" IN ({_USER_THREADS}))',
    f'DELETE FROM elements WHERE "threadId" IN ({_USER_THREADS})',
    f'DELETE FROM steps WHERE "threadId" IN ({_USER_THREADS})',
    f'DELETE FROM threads WHERE "id" IN ({_USER_THREADS})',
)


def _sqlite_wal(connection: Any, _record: object) -> None:
    """Every chat connection to SQLite: WAL mode and the session store's busy timeout, so a
    file the chat layer creates first is already in the mode the session store expects, and
    readers never block the writer."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class DeidentifyingDataLayer(SQLAlchemyDataLayer):
    """``SQLAlchemyDataLayer`` that writes de-identified text only (see the module doc)."""

    def __init__(
        self,
        conninfo: str,
        *,
        deidentifier: Deidentifier | None = None,
        storage_provider: BaseStorageClient | None = None,
        user_thread_limit: int = 1000,
    ) -> None:
        url = chat_database_url(conninfo)
        super().__init__(
            url,
            storage_provider=storage_provider or InlineStorageClient(),
            user_thread_limit=user_thread_limit,
        )
        self.url = url
        self.deidentifier = deidentifier or Deidentifier()
        self.sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.sqlite:  # as the session store opens it (coach/sqlite.py)
            event.listen(self.engine.sync_engine, "connect", _sqlite_wal)
        self._forgotten: set[str] = set()  # deleted chats seen so far (never undeleted)
        self._tables_ready = False
        self._told_unavailable = False

    # --- the tables --------------------------------------------------------------------

    async def ensure_tables(self) -> bool:
        """Create the chat tables if absent; ``False`` (with a warning naming the setting,
        once per outage) when the chat database cannot be reached. Cheap once done."""
        if self._tables_ready:
            return True
        try:
            await create_tables(self.engine)
        except Exception as exc:
            if not self._told_unavailable:
                log.warning(
                    "the chat database at %s cannot be used (%s); check COACH_DATABASE_URL "
                    "and that the database is running. The coach goes on: messages are "
                    "answered (a crisis in full) but not saved until it is back.",
                    database.shown(self.url),
                    _first_line(exc),
                )
                self._told_unavailable = True
            return False
        self._tables_ready = True
        if self._told_unavailable:
            log.warning("the chat database at %s is back", database.shown(self.url))
        return True

    async def execute_sql(
        self, query: str, parameters: dict[str, Any]
    ) -> list[dict[str, Any]] | int | None:
        await self.ensure_tables()
        return await super().execute_sql(query, parameters)

    # --- de-identification -----------------------------------------------------------

    def redact(self, value: str) -> str:
        return self.deidentifier.redact_all(value).redacted if value.strip() else storable(value)

    def clean_step(self, step_dict: StepDict) -> StepDict:
        """A copy of ``step_dict`` fit to store: identifiers replaced, JSON encoded."""
        step: dict[str, Any] = dict(step_dict)
        coach_words = step.get("type") in COACH_STEP_TYPES and not step.get("isError")
        for key in ("input", "output"):
            value = step.get(key)
            if isinstance(value, str) and (key == "input" or not coach_words):
                step[key] = self.redact(value)
        if isinstance(step.get("modes"), dict):
            step["modes"] = json.dumps(step["modes"])
        if self.sqlite and isinstance(step.get("tags"), list):
            step["tags"] = json.dumps(step["tags"])
        return cast("StepDict", step)

    def could_exist(self, *ids: object) -> bool:
        """Whether every one of ``ids`` could be a stored id: any text on SQLite, only a
        UUID on PostgreSQL (its id columns are UUIDs, and a query with anything else is a
        database error, not an empty answer)."""
        return self.sqlite or all(_is_uuid(value) for value in ids)

    async def forget(self, thread_id: str) -> None:
        """Write nothing more for this chat (its data was deleted), here and, through the
        chat database, on every instance. Errors propagate (the deletion is unfinished)."""
        self._forgotten.add(str(thread_id))
        await self.ensure_tables()
        async with self.async_session() as session, session.begin():
            await session.execute(text(_MARK_DELETED), _deleted_row(thread_id))

    async def forgotten(self, thread_id: object) -> bool:
        """Whether this chat's data was deleted, by this instance or another. ``False``
        when the chat database cannot say (a write to it then fails anyway)."""
        if thread_id is None:
            return False
        key = str(thread_id)
        if key in self._forgotten:
            return True
        if not await self.ensure_tables():
            return False
        try:
            async with self.async_session() as session:
                row = (await session.execute(text(_IS_DELETED), {"thread_id": key})).first()
        except Exception:
            log.debug("could not ask the chat database about a deleted chat", exc_info=True)
            return False
        if row is None:
            return False
        self._forgotten.add(key)
        return True

    # --- writes ----------------------------------------------------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        if await self.forgotten(step_dict.get("threadId")):
            return
        await super().create_step(self.clean_step(step_dict))

    async def keep_step(self, step_dict: StepDict) -> bool:
        """Write a step and read it back: ``True`` once it is stored (or its thread's
        data was deleted, so nothing is to be kept). Chainlit's own writes log database
        errors and carry on; this is how the chat learns a message was not saved."""
        if await self.forgotten(step_dict.get("threadId")):
            return True
        if not self.could_exist(step_dict.get("id")):
            return False  # no such id can be stored
        if not await self.ensure_tables():
            return False
        await super().create_step(self.clean_step(step_dict))
        async with self.async_session() as session:
            result = await session.execute(
                text('SELECT 1 FROM steps WHERE "id" = :step_id'), {"step_id": step_dict["id"]}
            )
            return result.first() is not None

    async def update_step(self, step_dict: StepDict) -> None:
        if await self.forgotten(step_dict.get("threadId")):
            return
        await super().update_step(self.clean_step(step_dict))

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        if await self.forgotten(thread_id):
            return
        if name is not None:
            name = self.redact(name)
        if metadata is not None and isinstance(metadata.get("name"), str):
            metadata = {**metadata, "name": self.redact(metadata["name"])}
        stored_tags: Any = json.dumps(tags) if self.sqlite and tags is not None else tags
        await super().update_thread(
            thread_id, name=name, user_id=user_id, metadata=metadata, tags=stored_tags
        )

    async def create_element(self, element: Element) -> None:
        if await self.forgotten(element.thread_id):
            return
        await super().create_element(element)

    async def upsert_feedback(self, feedback: Feedback) -> str:
        if feedback.comment:
            feedback.comment = self.redact(feedback.comment)
        if feedback.threadId is not None and await self.forgotten(feedback.threadId):
            return feedback.id or ""
        return await super().upsert_feedback(feedback)

    # --- reads -----------------------------------------------------------------------

    async def get_all_user_threads(
        self, user_id: str | None = None, thread_id: str | None = None
    ) -> list[ThreadDict] | None:
        threads = await super().get_all_user_threads(user_id=user_id, thread_id=thread_id)
        for thread in threads or []:
            tags: Any = thread.get("tags")
            if isinstance(tags, str):
                thread["tags"] = _json_or(tags, [])
            for element in thread.get("elements") or []:
                element["props"] = _props(element.get("props"))
        return threads

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        """The element ``element_id`` of the chat ``thread_id``, or ``None``.

        Chainlit's own reads the ``props`` column as a JSON string, which fails (a 500 on
        ``GET /project/thread/{id}/element/{eid}``, even for the chat's author) for a file
        element, whose ``props`` are empty, and on PostgreSQL, whose driver gives them
        already decoded. The route checks the chat's author before it asks."""
        if not self.could_exist(thread_id, element_id):
            return None
        found = await self.execute_sql(
            'SELECT * FROM elements WHERE "threadId" = :thread_id AND "id" = :element_id',
            {"thread_id": thread_id, "element_id": element_id},
        )
        if not isinstance(found, list) or not found:
            return None
        row: dict[str, Any] = found[0]
        player: Any = row.get("playerConfig")
        element = {
            "id": row["id"],
            "threadId": row.get("threadId"),
            "type": row["type"],
            "chainlitKey": row.get("chainlitKey"),
            "url": row.get("url"),
            "objectKey": row.get("objectKey"),
            "name": row["name"],
            "props": _props(row.get("props")),
            "display": row["display"],
            "size": row.get("size"),
            "language": row.get("language"),
            "page": row.get("page"),
            "autoPlay": row.get("autoPlay"),
            "playerConfig": _json_or(player, None) if isinstance(player, str) else player,
            "forId": row.get("forId"),
            "mime": row.get("mime"),
        }
        return cast("ElementDict", element)

    # --- ownership (feedback) -------------------------------------------------------

    async def step_thread(self, step_id: str) -> tuple[str, str | None] | None:
        """``(thread id, author identifier)`` of a stored step, or ``None`` if there is none."""
        if not self.could_exist(step_id):
            return None
        await self.ensure_tables()
        async with self.async_session() as session:
            result = await session.execute(text(_STEP_THREAD), {"step_id": step_id})
            row = result.first()
        return None if row is None else (str(row[0]), None if row[1] is None else str(row[1]))

    async def feedback_author(self, feedback_id: str) -> tuple[bool, str | None]:
        """Whether the feedback exists, and the identifier of its thread's author."""
        if not self.could_exist(feedback_id):
            return False, None
        await self.ensure_tables()
        async with self.async_session() as session:
            result = await session.execute(text(_FEEDBACK_AUTHOR), {"feedback_id": feedback_id})
            row = result.first()
        if row is None:
            return False, None
        return True, None if row[0] is None else str(row[0])

    # --- ownership (elements and threads named by id) -------------------------------

    async def thread_author(self, thread_id: str) -> tuple[bool, str | None]:
        """Whether the chat exists, and the identifier of its author."""
        return await self._author(_THREAD_AUTHOR, {"thread_id": thread_id})

    async def element_author(self, element_id: str) -> tuple[bool, str | None]:
        """Whether the element exists, and the identifier of its chat's author."""
        return await self._author(_ELEMENT_AUTHOR, {"element_id": element_id})

    async def _author(self, query: str, params: dict[str, str]) -> tuple[bool, str | None]:
        if not self.could_exist(*params.values()):
            return False, None
        await self.ensure_tables()
        async with self.async_session() as session:
            row = (await session.execute(text(query), params)).first()
        if row is None:
            return False, None
        return True, None if row[0] is None else str(row[0])

    # --- "Delete my data" ------------------------------------------------------------

    async def user_thread_ids(self, identifier: str) -> list[str]:
        await self.ensure_tables()
        async with self.async_session() as session:
            result = await session.execute(text(_USER_THREADS), {"identifier": identifier})
            return [str(row[0]) for row in result.fetchall()]

    async def delete_user_data(self, identifier: str) -> int:
        """Delete every chat of ``identifier`` with its steps, elements and feedback, in one
        transaction that also records the chats as deleted (for every instance); errors
        propagate. Returns how many chats were deleted."""
        ids = await self.user_thread_ids(identifier)
        self._forgotten.update(ids)
        async with self.async_session() as session, session.begin():
            for thread_id in ids:
                await session.execute(text(_MARK_DELETED), _deleted_row(thread_id))
            for statement in _DELETE_USER_DATA:
                await session.execute(text(statement), {"identifier": identifier})
        log.info("deleted %d chats of one account", len(ids))
        return len(ids)


def _deleted_row(thread_id: object) -> dict[str, str]:
    return {"thread_id": str(thread_id), "at": datetime.now(UTC).isoformat()}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _is_uuid(value: object) -> bool:
    """Whether ``value`` is a UUID written the way Chainlit writes them (hex in 8-4-4-4-12
    groups), the one form PostgreSQL and its driver both take."""
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return str(parsed) == value.lower()


def _props(value: Any) -> dict[str, Any]:
    """An element's ``props`` as stored (a JSON string on SQLite, decoded on PostgreSQL,
    nothing for a file) as the dict Chainlit and the browser expect."""
    if isinstance(value, str):
        value = _json_or(value, {})
    return value if isinstance(value, dict) else {}


def _json_or(value: str, default: Any) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return default
