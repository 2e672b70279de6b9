"""Thumbs up or down only on one's own chats.

Chainlit's ``PUT /feedback`` and ``DELETE /feedback`` routes pass the feedback straight to
the data layer, whoever is signed in, so a clinician who guessed a message id could rate
(or erase the rating of) another clinician's chat. :func:`guard_feedback_routes` puts a
checked version of both routes in front of Chainlit's: the message must be in a chat of the
signed-in person, the feedback is filed under that chat whatever the request says, and an
existing rating can be changed or removed only by its author.

The module does not use ``from __future__ import annotations``: FastAPI reads the route
handlers' annotations at run time.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from chainlit.types import Feedback


class FeedbackStore(Protocol):
    async def step_thread(self, step_id: str) -> tuple[str, str | None] | None: ...

    async def feedback_author(self, feedback_id: str) -> tuple[bool, str | None]: ...


class FeedbackRefused(PermissionError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _identifier(user: Any) -> str:
    identifier = getattr(user, "identifier", None)
    if not identifier:
        raise FeedbackRefused(401, "sign in to give feedback")
    return str(identifier)


async def checked_feedback(store: FeedbackStore, user: Any, feedback: Feedback) -> Feedback:
    """``feedback`` filed under the chat of the message it rates, if ``user`` wrote that
    chat (and any rating it replaces); otherwise :class:`FeedbackRefused`."""
    identifier = _identifier(user)
    found = await store.step_thread(feedback.forId)
    if found is None:
        raise FeedbackRefused(404, "that message was not found")
    thread_id, author = found
    if author != identifier:
        raise FeedbackRefused(403, "you can only rate replies in your own debriefs")
    if feedback.id:
        exists, previous_author = await store.feedback_author(feedback.id)
        if exists and previous_author != identifier:
            raise FeedbackRefused(403, "you can only change your own feedback")
    return replace(feedback, threadId=thread_id)


async def check_feedback_delete(store: FeedbackStore, user: Any, feedback_id: str) -> None:
    identifier = _identifier(user)
    exists, author = await store.feedback_author(feedback_id)
    if not exists:
        raise FeedbackRefused(404, "that feedback was not found")
    if author != identifier:
        raise FeedbackRefused(403, "you can only remove your own feedback")


def guard_feedback_routes(app: Any, store: Callable[[], FeedbackStore]) -> None:
    """Serve checked ``PUT``/``DELETE /feedback`` ahead of Chainlit's own routes."""
    from chainlit import server
    from chainlit.config import config
    from chainlit.types import DeleteFeedbackRequest, UpdateFeedbackRequest
    from fastapi import HTTPException, Request
    from fastapi.routing import APIRoute

    async def put_feedback(
        request: Request, update: UpdateFeedbackRequest, current_user: server.UserParam
    ) -> Any:
        try:
            update.feedback = await checked_feedback(store(), current_user, update.feedback)
        except FeedbackRefused as refused:
            raise HTTPException(status_code=refused.status, detail=refused.detail) from None
        return await server.update_feedback(request, update, current_user)

    async def delete_feedback(
        request: Request, payload: DeleteFeedbackRequest, current_user: server.UserParam
    ) -> Any:
        try:
            await check_feedback_delete(store(), current_user, payload.feedbackId)
        except FeedbackRefused as refused:
            raise HTTPException(status_code=refused.status, detail=refused.detail) from None
        return await server.delete_feedback(request, payload, current_user)

    handlers: list[tuple[str, Callable[..., Awaitable[Any]]]] = [
        ("PUT", put_feedback),
        ("DELETE", delete_feedback),
    ]
    for method, endpoint in reversed(handlers):
        route = APIRoute(f"{config.run.root_path}/feedback", endpoint, methods=[method])
        app.router.routes.insert(0, route)
