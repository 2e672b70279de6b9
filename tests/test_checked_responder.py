"""CheckedResponder: only checked text is ever released; regenerate, then fall back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coach.llm.fakes import ScriptedChatModel, Step, make_request
from coach.responders.base import Responder
from coach.responders.checked import (
    NOTICE_UNAVAILABLE,
    SAFE_RESPONDER,
    CheckedResponder,
    ResettableSink,
)
from coach.responders.fakes import FixedResponder
from coach.responders.generative import GenerativeResponder
from guardrails.reply_check import SAFE_FALLBACK_REPLY, ReplyChecker

CHECKER = ReplyChecker()
GOOD = "That sounds like a heavy shift [S1]. I'm here with you. What stays with you most?"
GOOD_2 = "Thank you for trusting me with this. What feels hardest about it now?"
# The first sentence passes on its own; the second fails (minimising), the last would pass.
BAD = "I hear how much that shook you. At least nobody saw it. What stays with you?"
BAD_2 = "That sounds hard. You should have double-checked the chart. What now?"
SCRIPTED = "Thank you for telling me. What stays with you most?"


class Screen:
    """What the clinician sees: text appears through ``__call__`` and ``reset()`` clears it.
    Every state it ever shows must pass the reply check."""

    def __init__(self) -> None:
        self.text = ""
        self.events: list[tuple[str, str]] = []
        self.ever_released = ""

    def __call__(self, piece: str) -> None:
        self.text += piece
        self.ever_released += piece
        self.events.append(("token", piece))
        verdict = CHECKER.check(self.text)
        assert verdict.passed, f"released text fails the check: {self.text!r} {verdict}"

    def reset(self) -> None:
        self.text = ""
        self.events.append(("reset", ""))

    @property
    def resets(self) -> int:
        return sum(1 for kind, _ in self.events if kind == "reset")


@pytest.fixture
def models() -> Iterator[list[ScriptedChatModel]]:
    made: list[ScriptedChatModel] = []
    yield made
    for model in made:
        model.release()


def generative(
    models: list[ScriptedChatModel], *script: str | Exception | Step, timeout: float = 10.0
) -> tuple[GenerativeResponder, ScriptedChatModel]:
    model = ScriptedChatModel(script=list(script))
    models.append(model)
    return GenerativeResponder(model, "fake-llm", timeout_seconds=timeout), model


def checked(primary: Responder, fallback: Responder | None = None) -> CheckedResponder:
    return CheckedResponder(
        primary, fallback or FixedResponder([SCRIPTED], name="scripted"), CHECKER
    )


def test_is_a_responder(models: list[ScriptedChatModel]) -> None:
    primary, _ = generative(models, GOOD)
    responder = checked(primary)
    assert isinstance(responder, Responder)
    assert responder.name == "checked:fake-llm"


def test_passes_first_time(models: list[ScriptedChatModel]) -> None:
    primary, model = generative(models, GOOD)
    screen = Screen()
    reply = checked(primary).respond(make_request(), on_token=screen)
    assert reply.text == GOOD
    assert reply.attempts == 1
    assert reply.responder == "fake-llm"
    assert reply.cited == ("S1",)
    assert reply.notice == ""
    assert screen.text == GOOD
    assert screen.resets == 0
    assert len(screen.events) == 3  # released sentence by sentence
    assert len(model.calls) == 1


def test_fail_then_pass_on_regeneration_with_feedback(models: list[ScriptedChatModel]) -> None:
    primary, model = generative(models, BAD, GOOD)
    screen = Screen()
    reply = checked(primary).respond(make_request(), on_token=screen)
    assert reply.text == GOOD
    assert reply.attempts == 2
    assert reply.notice == ""
    assert screen.text == GOOD
    assert "At least" not in screen.ever_released
    # the first sentence of the failed draft was shown, then withdrawn before the new one
    assert screen.events[0] == ("token", "I hear how much that shook you.")
    assert screen.events[1] == ("reset", "")
    # the regeneration was told why
    assert len(model.calls) == 2
    assert "previous_draft_feedback" not in model.calls[0][0].text
    assert "minimising" in model.calls[1][0].text


def test_feedback_is_set_on_the_request() -> None:
    primary = FixedResponder([BAD_2, GOOD_2], name="primary")
    reply = checked(primary).respond(make_request())
    assert reply.text == GOOD_2 and reply.attempts == 2
    assert primary.requests[0].feedback == ""
    assert "blame" in primary.requests[1].feedback


def test_fails_twice_then_the_fallback(models: list[ScriptedChatModel]) -> None:
    primary, model = generative(models, BAD, BAD_2)
    fallback = FixedResponder([SCRIPTED], name="scripted")
    screen = Screen()
    reply = checked(primary, fallback).respond(make_request(), on_token=screen)
    assert reply.text == SCRIPTED
    assert reply.responder == "scripted"
    assert reply.attempts == 3
    assert reply.notice == ""
    assert screen.text == SCRIPTED
    assert "At least" not in screen.ever_released
    assert "should have" not in screen.ever_released
    assert fallback.requests[0].feedback == ""  # the fallback gets the original request
    assert len(model.calls) == 2


def test_primary_error_uses_the_fallback_with_a_notice(models: list[ScriptedChatModel]) -> None:
    primary, model = generative(models, ConnectionError("connection refused"))
    screen = Screen()
    reply = checked(primary).respond(make_request(), on_token=screen)
    assert reply.text == SCRIPTED
    assert reply.notice == NOTICE_UNAVAILABLE
    assert reply.attempts == 2
    assert screen.text == SCRIPTED
    assert len(model.calls) == 1  # no regeneration against a model that is down


def test_timeout_after_some_text_resets_then_falls_back(models: list[ScriptedChatModel]) -> None:
    primary, _ = generative(
        models, Step(text="I hear how much that shook you. And", hang_seconds=30), timeout=0.3
    )
    screen = Screen()
    reply = checked(primary).respond(make_request(), on_token=screen)
    assert reply.notice == NOTICE_UNAVAILABLE
    assert reply.text == SCRIPTED
    assert screen.events[0] == ("token", "I hear how much that shook you.")
    assert screen.events[1] == ("reset", "")
    assert screen.text == SCRIPTED


@pytest.mark.parametrize(
    "script",
    [
        (BAD, BAD_2),
        ("It sounds like burnout. " + GOOD, BAD),
        ("Honestly, you should have known. What else?", "At least it's over. Rest now."),
        (GOOD.replace("What", "At least you tried. What"), BAD),
    ],
)
def test_nothing_failing_the_check_is_ever_released(
    models: list[ScriptedChatModel], script: tuple[str, str]
) -> None:
    primary, _ = generative(models, *script)
    screen = Screen()  # asserts on every release
    reply = checked(primary).respond(make_request(), on_token=screen)
    assert CHECKER.check(reply.text).passed
    assert screen.text == reply.text


def test_fallback_failing_too_gives_the_safe_reply(models: list[ScriptedChatModel]) -> None:
    primary, _ = generative(models, BAD, BAD_2)
    fallback = FixedResponder(["I'm sorry. At least you tried."], name="scripted")
    screen = Screen()
    reply = checked(primary, fallback).respond(make_request(), on_token=screen)
    assert reply.text == SAFE_FALLBACK_REPLY
    assert reply.responder == SAFE_RESPONDER
    assert reply.attempts == 3
    assert screen.text == SAFE_FALLBACK_REPLY


def test_everything_down_gives_the_safe_reply_with_a_notice(
    models: list[ScriptedChatModel],
) -> None:
    primary, _ = generative(models, TimeoutError("read timed out"))
    fallback = FixedResponder([SCRIPTED], name="scripted", fail_on=[0])
    reply = checked(primary, fallback).respond(make_request(), on_token=Screen())
    assert reply.text == SAFE_FALLBACK_REPLY
    assert reply.notice == NOTICE_UNAVAILABLE
    assert reply.attempts == 2


def test_on_reset_keyword_and_no_sink(models: list[ScriptedChatModel]) -> None:
    primary, _ = generative(models, BAD, GOOD)
    pieces: list[str] = []
    resets: list[int] = []
    reply = checked(primary).respond(
        make_request(), on_token=pieces.append, on_reset=lambda: resets.append(len(pieces))
    )
    assert resets == [1]
    assert "".join(pieces[1:]) == reply.text == GOOD
    assert not isinstance(pieces.append, ResettableSink)
    assert isinstance(Screen(), ResettableSink)
    primary, _ = generative(models, BAD, GOOD)
    assert checked(primary).respond(make_request()).text == GOOD


def test_regenerations_can_be_turned_off(models: list[ScriptedChatModel]) -> None:
    primary, model = generative(models, BAD, GOOD)
    responder = CheckedResponder(
        primary, FixedResponder([SCRIPTED]), CHECKER, regenerations=0, name="strict"
    )
    reply = responder.respond(make_request())
    assert reply.text == SCRIPTED and reply.attempts == 2
    assert len(model.calls) == 1
    assert responder.name == "strict"
