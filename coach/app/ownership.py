"""Chainlit's routes that name a chat or an element by id, held to the rule that a debrief
is its author's alone.

Chainlit checks the author on its thread routes (read, rename, delete, element download)
but not on these:

- ``PUT`` and ``DELETE /project/element`` change or delete an element by its id, in
  whoever's chat it is (Chainlit only checks that the browser session is the caller's);
- ``PUT /project/thread/share`` shares a chat even when the chat's config has
  ``allow_thread_sharing = false``, and ``GET /project/share/{id}`` then serves the whole
  transcript to anyone signed in.

:func:`guard_thread_routes` puts checked versions ahead of Chainlit's: an element may be
changed or removed only when it (if stored) and the chat it is named under (if stored) are
the caller's own; chats are never shared, and no chat is served by a share link.

The module does not use ``from __future__ import annotations``: FastAPI reads the route
handlers' annotations at run time.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

NOT_SHARED = "debriefs are not shared: each clinician sees only their own"
NOT_YOURS = "you can only change elements of your own debriefs"


class OwnershipStore(Protocol):
    async def thread_author(self, thread_id: str) -> tuple[bool, str | None]: ...

    async def element_author(self, element_id: str) -> tuple[bool, str | None]: ...


class ElementRefused(PermissionError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def check_element_change(store: OwnershipStore, user: Any, element: dict[str, Any]) -> None:
    """Refuse (:class:`ElementRefused`) a change to ``element`` unless the caller wrote the
    chat it is stored in and the chat the request names."""
    identifier = getattr(user, "identifier", None)
    if not identifier:
        raise ElementRefused(401, "sign in to change an element")
    element_id = element.get("id")
    if element_id:
        exists, author = await store.element_author(str(element_id))
        if exists and author != identifier:
            raise ElementRefused(403, NOT_YOURS)
    thread_id = element.get("threadId")
    if thread_id:
        exists, author = await store.thread_author(str(thread_id))
        if exists and author != identifier:
            raise ElementRefused(403, NOT_YOURS)


def guard_thread_routes(app: Any, store: Callable[[], OwnershipStore]) -> None:
    """Serve checked element routes and refusing share routes ahead of Chainlit's own."""
    from chainlit import server
    from chainlit.config import config
    from chainlit.types import ElementRequest, ShareThreadRequest
    from fastapi import HTTPException, Request
    from fastapi.routing import APIRoute

    async def checked(payload: ElementRequest, current_user: Any) -> None:
        try:
            await check_element_change(store(), current_user, payload.element)
        except ElementRefused as refused:
            raise HTTPException(status_code=refused.status, detail=refused.detail) from None

    async def update_element(payload: ElementRequest, current_user: server.UserParam) -> Any:
        await checked(payload, current_user)
        return await server.update_thread_element(payload, current_user)

    async def delete_element(payload: ElementRequest, current_user: server.UserParam) -> Any:
        await checked(payload, current_user)
        return await server.delete_thread_element(payload, current_user)

    async def share_thread(
        request: Request, payload: ShareThreadRequest, current_user: server.UserParam
    ) -> Any:
        raise HTTPException(status_code=403, detail=NOT_SHARED)

    async def shared_thread(
        request: Request, thread_id: str, current_user: server.UserParam
    ) -> Any:
        raise HTTPException(status_code=404, detail="Thread not found")

    root = config.run.root_path
    routes: list[tuple[str, str, Callable[..., Awaitable[Any]]]] = [
        ("PUT", "/project/element", update_element),
        ("DELETE", "/project/element", delete_element),
        ("PUT", "/project/thread/share", share_thread),
        ("GET", "/project/share/{thread_id}", shared_thread),
    ]
    for method, path, endpoint in reversed(routes):
        app.router.routes.insert(0, APIRoute(f"{root}{path}", endpoint, methods=[method]))
