"""The whole generative path on the real local model (SmolLM2-135M, CPU, offline).

Loads the model once for the module. What the model writes is not judged here, only that
the path works: streaming, the reply check, regeneration, fallback and the timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coach.llm.fakes import make_request
from coach.llm.local_tiny import (
    LocalTinyChatModel,
    LocalTinyUnavailable,
    gguf_location,
)
from coach.responders.base import ResponderError
from coach.responders.checked import NOTICE_UNAVAILABLE, CheckedResponder
from coach.responders.fakes import FixedResponder
from coach.responders.generative import GenerativeResponder
from coach.types import Reply, ResponseRequest, TokenSink
from guardrails.reply_check import ReplyChecker
from guardrails.types import ReplyVerdict

pytestmark = pytest.mark.integration

MAX_NEW_TOKENS = 48
SCRIPTED = "Thank you for telling me. What stays with you most?"


@pytest.fixture(scope="module")
def tiny() -> Iterator[LocalTinyChatModel]:
    try:
        gguf_location()
    except LocalTinyUnavailable as exc:
        pytest.skip(f"the local-tiny model is not installed ({exc})")
    model = LocalTinyChatModel(max_new_tokens=MAX_NEW_TOKENS)
    model.warm_up()  # about half a minute; charged to the fixture, once
    yield model


class Recording:
    """A responder wrapper that records the requests it was given and the raw pieces it
    streamed (before the checked responder's gate)."""

    def __init__(self, inner: GenerativeResponder) -> None:
        self.inner = inner
        self.name = inner.name
        self.requests: list[ResponseRequest] = []
        self.pieces: list[str] = []

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        self.requests.append(request)

        def sink(piece: str) -> None:
            self.pieces.append(piece)
            if on_token is not None:
                on_token(piece)

        return self.inner.respond(request, sink)


class OnlyScripted(ReplyChecker):
    """Rejects every reply but the scripted coach's, so the model's drafts always fail."""

    def check(self, reply: str) -> ReplyVerdict:
        if reply.strip() == SCRIPTED:
            return ReplyVerdict(passed=True, reasons=())
        return ReplyVerdict(passed=False, reasons=("blame: 'test rejects every draft'",))


REQUEST = make_request("A patient died on my shift and I keep replaying it.", passages=())


def test_streams_a_checked_reply(tiny: LocalTinyChatModel) -> None:
    checker = ReplyChecker()
    primary = Recording(GenerativeResponder(tiny, "local-tiny", timeout_seconds=300))
    shown: list[str] = []
    reply = CheckedResponder(
        primary, FixedResponder([SCRIPTED], name="scripted"), checker, regenerations=0
    ).respond(REQUEST, on_token=shown.append, on_reset=shown.clear)
    assert primary.inner.compact_prompt  # the short prompt form for a tiny model
    assert len([p for p in primary.pieces if p.strip()]) >= 3  # the model streamed
    assert checker.check(reply.text).passed
    assert "".join(shown) == reply.text  # what the clinician sees is the checked reply
    assert reply.attempts in (1, 2)
    assert reply.responder == ("local-tiny" if reply.attempts == 1 else "scripted")


def test_rejected_drafts_regenerate_then_fall_back(tiny: LocalTinyChatModel) -> None:
    shorter = tiny.model_copy(update={"max_new_tokens": MAX_NEW_TOKENS // 2})  # same weights
    primary = Recording(GenerativeResponder(shorter, "local-tiny", timeout_seconds=300))
    shown: list[str] = []
    reply = CheckedResponder(
        primary, FixedResponder([SCRIPTED], name="scripted"), OnlyScripted()
    ).respond(REQUEST, on_token=shown.append, on_reset=shown.clear)
    assert reply.text == SCRIPTED
    assert reply.responder == "scripted"
    assert reply.attempts == 3
    assert "".join(shown) == SCRIPTED
    assert len(primary.pieces) >= 6  # both drafts streamed; none of it reached the clinician
    assert [r.feedback for r in primary.requests] == ["", "blame: 'test rejects every draft'"]


def test_timeout_falls_back_with_a_notice(tiny: LocalTinyChatModel) -> None:
    slow = GenerativeResponder(tiny, "local-tiny", timeout_seconds=0.2)
    with pytest.raises(ResponderError, match="no complete reply within"):
        slow.respond(REQUEST)
    reply = CheckedResponder(
        slow, FixedResponder([SCRIPTED], name="scripted"), ReplyChecker()
    ).respond(REQUEST)
    assert reply.text == SCRIPTED
    assert reply.notice == NOTICE_UNAVAILABLE
    assert reply.attempts == 2
