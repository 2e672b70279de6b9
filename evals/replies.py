"""Who wrote each reply in an eval run: the configured responder on its first draft, on
a second draft after the reply check turned the first down, or the fallback (the scripted
coach, or the fixed safe reply) after the check or the model failed.

``watch_replies(coach)`` puts a ``ReplyLog`` in front of the coach's responder for the
length of a run and takes it away afterwards; the runner reads what it noted after each
turn. Nothing the coach says changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.responders.base import Responder
from coach.responders.checked import NOTICE_UNAVAILABLE
from coach.types import Reply, ResponseRequest, TokenSink

if TYPE_CHECKING:
    from coach.engine import Coach

__all__ = ["ReplyLog", "ReplySource", "watch_replies"]


@dataclass(frozen=True)
class ReplySource:
    """One reply as the responder returned it (before the graph's last check)."""

    text: str
    writer: str  # Reply.responder: the model's name, "scripted", "safe-fallback"...
    attempts: int  # writers' calls it took (2 or more: a draft failed the check or the model)
    fallback: bool  # not written by the primary responder
    model_error: bool  # the primary failed (error, timeout), so the fallback wrote at once

    @property
    def check_failed(self) -> bool:
        """At least one draft was turned down by the reply check (a model error is a
        call too, but not a check failure)."""
        return self.attempts - (1 if self.model_error else 0) > 1


class ReplyLog:
    """A ``Responder`` that passes every request to ``inner`` and notes who wrote the
    reply. ``primary`` is the responder the coach is configured with (a checked
    responder's own primary), so the coach's warm-up still reaches the model."""

    def __init__(self, inner: Responder) -> None:
        self.inner = inner
        self.name = inner.name
        self.primary: Any = getattr(inner, "primary", inner)
        self.primary_name: str = getattr(self.primary, "name", inner.name)
        self.noted: list[ReplySource] = []

    def respond(
        self, request: ResponseRequest, on_token: TokenSink | None = None, **kwargs: Any
    ) -> Reply:
        reply = self.inner.respond(request, on_token, **kwargs)
        model_error = reply.notice == NOTICE_UNAVAILABLE
        self.noted.append(
            ReplySource(
                text=reply.text,
                writer=reply.responder,
                attempts=reply.attempts,
                fallback=reply.responder != self.primary_name,
                model_error=model_error,
            )
        )
        return reply

    def take(self) -> list[ReplySource]:
        """What was noted since the last ``take``."""
        noted, self.noted = self.noted, []
        return noted


@contextmanager
def watch_replies(coach: Coach) -> Iterator[ReplyLog]:
    """``coach``'s responder behind a ``ReplyLog`` until the block ends."""
    deps = coach.deps
    original = deps.responder
    log = ReplyLog(original)
    deps.responder = log
    try:
        yield log
    finally:
        deps.responder = original
