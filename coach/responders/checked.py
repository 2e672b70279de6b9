"""The checked reply: no clinician ever sees coach text that fails the reply check.

``CheckedResponder(primary, fallback, checker)`` is itself a ``Responder``:

1. The primary writes; its text is released to ``on_token`` sentence by sentence, each
   release only after ``checker`` passes on all the text so far. After the first sentence
   that fails, nothing more of that draft is released.
2. If the whole draft fails, the primary writes once more with ``request.feedback`` set to
   the check's reasons.
3. If that fails too, the fallback writes (checked the same way); if even that fails,
   ``SAFE_FALLBACK_REPLY``.
4. If the primary raises ``ResponderError`` (model down, timeout), the fallback writes at
   once and ``Reply.notice`` tells the clinician, in plain words, what happened.

``Reply.attempts`` counts the writers' calls (primary and fallback, including any that
raised); the safe reply is not a call.

Streaming and withdrawing text
------------------------------
Text already released can belong to a draft that is then abandoned (its end failed the
check, or the model stopped mid-reply). The caller is told with a reset:

- ``on_token(piece)`` receives released text, in order;
- ``on_reset()`` means "discard everything released so far"; the replacement follows
  through ``on_token``. It is called lazily, just before the first piece of replacement
  text, so the shown text never blanks out while a new draft is being written.

Pass ``on_reset`` as a keyword, or pass as ``on_token`` an object that also has a
``reset()`` method (``ResettableSink``), which survives layers that only forward
``on_token``. Either way, ``Reply.text`` is authoritative: when ``respond`` returns, the
text released since the last reset is exactly ``Reply.text``. A caller that can do neither
should show ``Reply.text`` in place of what it streamed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Final, Protocol, runtime_checkable

from coach.responders.base import Responder, ResponderError
from coach.types import Reply, ResponseRequest, TokenSink
from guardrails.reply_check import SAFE_FALLBACK_REPLY, ReplyChecker

__all__ = [
    "NOTICE_UNAVAILABLE",
    "SAFE_RESPONDER",
    "CheckedResponder",
    "ResetSink",
    "ResettableSink",
]

logger = logging.getLogger(__name__)

ResetSink = Callable[[], None]
NOTICE_UNAVAILABLE: Final = (
    "The writing model isn't available right now, so I've replied with the built-in coach. "
    "Nothing you wrote has been lost."
)
SAFE_RESPONDER: Final = "safe-fallback"  # Reply.responder of the fixed safe reply
# A sentence ends at . ! ? or an ellipsis (with any closing quotes or brackets) before
# whitespace, or at the last visible character of a line.
_BOUNDARY: Final = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s)|\S(?=[ \t]*\n)")


@runtime_checkable
class ResettableSink(Protocol):
    """A token sink that can also withdraw what it has shown."""

    def __call__(self, piece: str) -> None: ...

    def reset(self) -> None: ...


class _Gate:
    """Releases text to the caller only where the check passes; tracks what is shown."""

    def __init__(
        self, checker: ReplyChecker, on_token: TokenSink | None, on_reset: ResetSink | None
    ) -> None:
        self.checker = checker
        self.on_token = on_token
        self.on_reset = on_reset
        self.shown = ""  # released since the last reset
        self.stale = False  # ``shown`` belongs to an abandoned draft
        self.resets = 0
        self.buffer = ""
        self.cut = 0  # how much of ``buffer`` has been released
        self.blocked = False

    @property
    def sink(self) -> TokenSink | None:
        """What to hand a writer as its ``on_token`` (``None`` when nobody is streaming)."""
        return self.feed if self.on_token is not None else None

    def start(self) -> None:
        """A new draft begins."""
        self.buffer, self.cut, self.blocked = "", 0, False

    def abandon(self) -> None:
        """The current draft will not be used; what it showed must be replaced."""
        if self.shown:
            self.stale = True
        self.blocked = True

    def feed(self, piece: str) -> None:
        self.buffer += piece
        if self.blocked:
            return
        boundary = None
        for match in _BOUNDARY.finditer(self.buffer, self.cut):
            boundary = match.end()
        if boundary is None:
            return
        verdict = self.checker.check(self.buffer[:boundary].strip())
        if not verdict.passed:
            self.blocked = True  # hold back the rest of this draft
            return
        release = self.buffer[self.cut : boundary]
        self.cut = boundary
        self._release(release)

    def finish(self, text: str) -> None:
        """``text`` (checked in full) is the reply: release whatever is not shown yet."""
        if self.on_token is None:
            return
        if self.stale or not text.startswith(self.shown):
            self._reset()
            self._release(text)
        else:
            self._release(text[len(self.shown) :])

    def _release(self, piece: str) -> None:
        if self.stale:
            self._reset()
        if not self.shown:
            piece = piece.lstrip()
        if piece and self.on_token is not None:
            self.on_token(piece)
            self.shown += piece

    def _reset(self) -> None:
        self.stale = False
        if not self.shown:
            return
        self.shown = ""
        self.resets += 1
        if self.on_reset is not None:
            self.on_reset()
        else:
            logger.debug("released text withdrawn, but the caller gave no on_reset")


def _check_names(reasons: tuple[str, ...]) -> str:
    """The failed checks' names, without the quoted text (safe to log)."""
    return ", ".join(reason.split(":", 1)[0] for reason in reasons)


class CheckedResponder:
    """A ``Responder`` that only ever releases checked text (see the module docstring)."""

    def __init__(
        self,
        primary: Responder,
        fallback: Responder,
        checker: ReplyChecker,
        *,
        regenerations: int = 1,
        name: str | None = None,
    ) -> None:
        if regenerations < 0:
            raise ValueError("regenerations must be 0 or more")
        self.primary = primary
        self.fallback = fallback
        self.checker = checker
        self.regenerations = regenerations
        self.name = name or f"checked:{primary.name}"

    def respond(
        self,
        request: ResponseRequest,
        on_token: TokenSink | None = None,
        *,
        on_reset: ResetSink | None = None,
    ) -> Reply:
        if on_reset is None and isinstance(on_token, ResettableSink):
            on_reset = on_token.reset
        gate = _Gate(self.checker, on_token, on_reset)
        attempts = 0
        draft = request
        for _ in range(1 + self.regenerations):
            attempts += 1
            gate.start()
            try:
                reply = self.primary.respond(draft, on_token=gate.sink)
            except ResponderError as exc:
                logger.warning(
                    "%s failed, using %s: %s", self.primary.name, self.fallback.name, exc
                )
                gate.abandon()
                return self._fallback(request, gate, attempts, NOTICE_UNAVAILABLE)
            verdict = self.checker.check(reply.text)
            if verdict.passed:
                gate.finish(reply.text)
                return dataclasses.replace(reply, attempts=attempts)
            gate.abandon()
            logger.info(
                "reply from %s failed the check (%s)",
                self.primary.name,
                _check_names(verdict.reasons),
            )
            draft = dataclasses.replace(request, feedback="; ".join(verdict.reasons))
        return self._fallback(request, gate, attempts, "")

    def _fallback(self, request: ResponseRequest, gate: _Gate, attempts: int, notice: str) -> Reply:
        attempts += 1
        gate.start()
        try:
            reply = self.fallback.respond(request, on_token=gate.sink)
        except ResponderError as exc:
            logger.warning("fallback %s failed too: %s", self.fallback.name, exc)
        else:
            verdict = self.checker.check(reply.text)
            if verdict.passed:
                gate.finish(reply.text)
                return dataclasses.replace(reply, attempts=attempts, notice=notice)
            logger.warning(
                "fallback %s failed the check (%s); using the safe reply",
                self.fallback.name,
                _check_names(verdict.reasons),
            )
        gate.abandon()
        gate.finish(SAFE_FALLBACK_REPLY)
        return Reply(
            text=SAFE_FALLBACK_REPLY, responder=SAFE_RESPONDER, notice=notice, attempts=attempts
        )
