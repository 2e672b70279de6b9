"""Deterministic responders for tests: shipped in the package so every test (and the
apps' own smoke checks) can drive the engine without a model."""

from __future__ import annotations

from collections.abc import Sequence

from coach.responders.base import ResponderError
from coach.types import Reply, ResponseRequest, TokenSink


class FixedResponder:
    """Replies from a list, in order (the last one repeats). ``fail_on`` turn indexes
    raise ``ResponderError`` as a model outage would."""

    def __init__(
        self,
        replies: Sequence[str] = ("Thank you for telling me. What stays with you most?",),
        *,
        name: str = "fixed",
        fail_on: Sequence[int] = (),
    ) -> None:
        if not replies:
            raise ValueError("FixedResponder needs at least one reply")
        self.replies = list(replies)
        self.name = name
        self.fail_on = set(fail_on)
        self.requests: list[ResponseRequest] = []

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        index = len(self.requests)
        self.requests.append(request)
        if index in self.fail_on:
            raise ResponderError(f"{self.name}: scripted failure on call {index}")
        text = self.replies[min(index, len(self.replies) - 1)]
        if on_token is not None:
            for word in text.split(" "):
                on_token(word + " ")
        cited = tuple(p.id for p in request.passages[:1] if p.id in text)
        return Reply(text=text, cited=cited, responder=self.name)
