"""A responder that writes the coach's reply with any LangChain chat model.

The model streams in a worker thread; text reaches ``on_token`` in the caller's thread as
it arrives. A whole reply must arrive within ``timeout_seconds``. Very small models get the
prompt's compact form. A model error, an empty
reply or a timeout becomes ``ResponderError`` (with the cause chained), which the checked
responder answers with the built-in coach. Citations are ``[S1]`` markers; only ids of
passages actually offered in the request are kept in ``Reply.cited``.
"""

from __future__ import annotations

import contextvars
import queue
import re
import threading
import time
from collections.abc import Iterator
from typing import Final

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from coach.llm.models import build_chat_model
from coach.llm.prompt import build_messages
from coach.responders.base import ResponderError
from coach.settings import Settings
from coach.types import Passage, Reply, ResponseRequest, TokenSink

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "GenerativeResponder", "cited_ids"]

DEFAULT_TIMEOUT_SECONDS: Final = 60.0
_CITATION: Final = re.compile(r"\[\s*(S\d{1,3}(?:\s*[,;]\s*S\d{1,3})*)\s*\]", re.IGNORECASE)
_ID: Final = re.compile(r"S\d{1,3}", re.IGNORECASE)


def cited_ids(text: str, passages: tuple[Passage, ...]) -> tuple[str, ...]:
    """Ids of ``[S1]``-style markers in ``text`` (also ``[S1, S2]``) that name one of
    ``passages``, in order of first citation, each once."""
    known = {p.id.upper(): p.id for p in passages}
    found: list[str] = []
    for marker in _CITATION.finditer(text):
        for raw in _ID.findall(marker.group(1)):
            pid = known.get(raw.upper())
            if pid is not None and pid not in found:
                found.append(pid)
    return tuple(found)


class _End:
    """Marks the end of the stream in the hand-over queue."""


_Item = str | BaseException | _End


class GenerativeResponder:
    """Writes one coach reply with ``model`` (a ``Responder``)."""

    def __init__(
        self,
        model: BaseChatModel,
        name: str,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        compact_prompt: bool | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.model = model
        self.name = name
        self.timeout_seconds = timeout_seconds
        if compact_prompt is None:  # very small models say so (LocalTinyChatModel)
            compact_prompt = bool(getattr(model, "prefers_compact_prompt", False))
        self.compact_prompt = compact_prompt

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerativeResponder | None:
        """The responder ``COACH_LLM`` asks for, or ``None`` for ``scripted``; raises
        ``ConfigError`` for a bad setting. Builds the model without contacting it."""
        model = build_chat_model(settings)
        if model is None:
            return None
        return cls(model, settings.llm.strip(), timeout_seconds=settings.llm_timeout_seconds)

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        messages = build_messages(request, compact=self.compact_prompt)
        pieces: list[str] = []
        for piece in self._stream(messages):
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        text = "".join(pieces).strip()
        if not text:
            raise ResponderError(f"{self.name}: the model returned an empty reply")
        return Reply(text=text, cited=cited_ids(text, request.passages), responder=self.name)

    def _stream(self, messages: list[BaseMessage]) -> Iterator[str]:
        """The model's text, piece by piece; ``ResponderError`` on failure or timeout."""
        handover: queue.Queue[_Item] = queue.Queue()
        cancelled = threading.Event()

        def produce() -> None:
            try:
                stream = self.model.stream(messages)
                try:
                    for chunk in stream:
                        if cancelled.is_set():
                            break
                        if chunk.text:
                            handover.put(chunk.text)
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:  # handed to the caller's thread below
                handover.put(exc)
            handover.put(_End())

        context = contextvars.copy_context()  # keeps callbacks and tracing in the worker
        worker = threading.Thread(
            target=context.run, args=(produce,), name=f"{self.name}-stream", daemon=True
        )
        worker.start()
        deadline = time.monotonic() + self.timeout_seconds
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    item = handover.get(timeout=remaining)
                except queue.Empty:
                    raise ResponderError(
                        f"{self.name}: no complete reply within {self.timeout_seconds:g} s"
                    ) from TimeoutError(self.timeout_seconds)
                if isinstance(item, _End):
                    return
                if isinstance(item, BaseException):
                    raise ResponderError(f"{self.name}: the model failed: {item!r}") from item
                yield item
        finally:
            cancelled.set()  # the worker stops at its next chunk
