"""A scripted chat model for tests: shipped in the package so every test (and the apps'
smoke checks) can drive the generative coach without a model server.

``ScriptedChatModel(script=[...])`` answers each call with the next step of its script
(the last step repeats). A step is a reply text, an exception to raise, or a ``Step`` that
streams some text, then optionally hangs and/or raises. Replies stream word by word.
Every call's messages are recorded in ``calls``. ``make_request`` and ``make_passage``
build the request a responder is given.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from coach.types import Passage, ResponseRequest

__all__ = ["ScriptedChatModel", "Step", "chunk_text", "make_passage", "make_request"]

_PIECE = re.compile(r"\s*\S+")


@dataclass(frozen=True)
class Step:
    """One scripted answer: stream ``text``; then, if ``hang_seconds``, stall that long (or
    until ``ScriptedChatModel.release()``); then raise ``error`` if one is given."""

    text: str = ""
    hang_seconds: float = 0.0
    error: Exception | None = None


ScriptItem = str | Exception | Step


def chunk_text(text: str) -> list[str]:
    """``text`` in small pieces (each word with the whitespace before it), losslessly."""
    pieces = _PIECE.findall(text)
    tail = text[sum(len(p) for p in pieces) :]
    if tail:
        pieces.append(tail)
    return pieces


def _as_step(item: ScriptItem) -> Step:
    if isinstance(item, Step):
        return item
    if isinstance(item, Exception):
        return Step(error=item)
    return Step(text=item)


class ScriptedChatModel(BaseChatModel):
    """A LangChain chat model that plays back a script, streaming in small chunks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: Sequence[ScriptItem] = Field(min_length=1)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _released: threading.Event = PrivateAttr(default_factory=threading.Event)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def release(self) -> None:
        """End every current and future hang at once (call it when a test is done)."""
        self._released.set()

    def _next_step(self, messages: list[BaseMessage]) -> Step:
        with self._lock:
            index = min(len(self.calls), len(self.script) - 1)
            self.calls.append(list(messages))
        return _as_step(self.script[index])

    def _finish(self, step: Step) -> None:
        if step.hang_seconds > 0:
            self._released.wait(step.hang_seconds)
        if step.error is not None:
            raise step.error

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        step = self._next_step(messages)
        self._finish(step)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=step.text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        step = self._next_step(messages)
        for piece in chunk_text(step.text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        self._finish(step)


def make_passage(
    pid: str = "S1", text: str = "Many clinicians feel guilt after a death."
) -> Passage:
    """A knowledge passage with id ``pid`` (for tests)."""
    return Passage(
        id=pid,
        chunk_id=f"chunk-{pid.lower()}",
        card_id=f"card-{pid.lower()}",
        title=f"Card {pid}",
        heading="What it is",
        text=text,
        kind="concept",
        citation=f"Author (2020). Source for {pid}.",
        score=0.5,
    )


def make_request(text: str = "I keep going over the shift.", **changes: Any) -> ResponseRequest:
    """A ``ResponseRequest`` for the story stage with two passages; ``changes`` override
    any field (for tests)."""
    request = ResponseRequest(
        session_id="test-session",
        text=text,
        stage="story",
        stage_changed=False,
        mode="full",
        listen_only=False,
        history=(),
        passages=(make_passage("S1"), make_passage("S2", "A short grounding practice.")),
        emotions=(),
        asked=(),
        insights_used=(),
        turn_index=1,
    )
    return dataclasses.replace(request, **changes)
