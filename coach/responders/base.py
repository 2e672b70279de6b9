"""The one seam every responder sits behind."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from coach.types import Reply, ResponseRequest, TokenSink


class ResponderError(RuntimeError):
    """The responder could not produce a reply (model down, timeout, bad output).
    The engine falls back to the scripted responder and tells the clinician."""


@runtime_checkable
class Responder(Protocol):
    """Writes one coach reply. ``on_token`` (when given) receives the text as it is
    produced; the engine gates what it releases to the clinician."""

    name: str

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply: ...
