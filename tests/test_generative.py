"""GenerativeResponder over the scripted fake chat model."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from langchain_core.messages import SystemMessage

from coach.llm.fakes import ScriptedChatModel, Step, chunk_text, make_passage, make_request
from coach.llm.local_tiny import LocalTinyChatModel
from coach.llm.prompt import load_system_prompt
from coach.responders.base import Responder, ResponderError
from coach.responders.generative import GenerativeResponder, cited_ids
from coach.settings import Settings

REPLY = "That sounds like a heavy shift [S1]. What stays with you most?"


@pytest.fixture
def models() -> Iterator[list[ScriptedChatModel]]:
    made: list[ScriptedChatModel] = []
    yield made
    for model in made:
        model.release()  # end any hang a test left behind


def fake(models: list[ScriptedChatModel], *script: str | Exception | Step) -> ScriptedChatModel:
    model = ScriptedChatModel(script=list(script))
    models.append(model)
    return model


def test_is_a_responder(models: list[ScriptedChatModel]) -> None:
    assert isinstance(GenerativeResponder(fake(models, REPLY), "fake"), Responder)


def test_streams_in_several_pieces(models: list[ScriptedChatModel]) -> None:
    model = fake(models, REPLY)
    pieces: list[str] = []
    reply = GenerativeResponder(model, "fake").respond(make_request(), on_token=pieces.append)
    assert len(pieces) > 5
    assert "".join(pieces) == REPLY
    assert reply.text == REPLY
    assert reply.responder == "fake"
    assert reply.cited == ("S1",)
    (messages,) = model.calls
    assert isinstance(messages[0], SystemMessage)
    assert "I keep going over the shift." in messages[-1].text


def test_no_sink_still_replies(models: list[ScriptedChatModel]) -> None:
    reply = GenerativeResponder(fake(models, "  Thank you for telling me.  "), "f").respond(
        make_request()
    )
    assert reply.text == "Thank you for telling me."


def test_only_offered_ids_are_cited() -> None:
    passages = (make_passage("S1"), make_passage("S2"), make_passage("S3"))
    text = "One [S2]. Two [S9]. Three [s3, S1]. Again [S2]. Not a cite: S1, [NAME], [S 4]."
    assert cited_ids(text, passages) == ("S2", "S3", "S1")
    assert cited_ids("No markers.", passages) == ()
    assert cited_ids("[S1]", ()) == ()


def test_model_error_becomes_responder_error(models: list[ScriptedChatModel]) -> None:
    model = fake(models, ConnectionError("server refused"))
    with pytest.raises(ResponderError, match="server refused") as err:
        GenerativeResponder(model, "fake").respond(make_request())
    assert isinstance(err.value.__cause__, ConnectionError)


def test_error_mid_stream_after_some_text(models: list[ScriptedChatModel]) -> None:
    model = fake(models, Step(text="I hear how", error=RuntimeError("stream broke")))
    pieces: list[str] = []
    with pytest.raises(ResponderError, match="stream broke"):
        GenerativeResponder(model, "fake").respond(make_request(), on_token=pieces.append)
    assert "".join(pieces) == "I hear how"


@pytest.mark.parametrize("empty", ["", "   \n "])
def test_empty_reply_is_an_error(models: list[ScriptedChatModel], empty: str) -> None:
    # LangChain itself refuses a stream with no chunks; either way it is a ResponderError
    with pytest.raises(ResponderError, match=r"empty|No generation chunks"):
        GenerativeResponder(fake(models, empty), "fake").respond(make_request())


def test_timeout_becomes_responder_error(models: list[ScriptedChatModel]) -> None:
    model = fake(models, Step(text="I'm here", hang_seconds=30))
    responder = GenerativeResponder(model, "fake", timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(ResponderError, match=r"no complete reply within 0\.3 s") as err:
        responder.respond(make_request())
    assert time.monotonic() - started < 5
    assert isinstance(err.value.__cause__, TimeoutError)


def test_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GenerativeResponder.from_settings(Settings(llm="scripted")) is None
    responder = GenerativeResponder.from_settings(
        Settings(llm="ollama:llama3.2", llm_timeout_seconds=12)
    )
    assert responder is not None
    assert responder.name == "ollama:llama3.2"
    assert responder.timeout_seconds == 12


def test_small_models_get_the_compact_prompt(models: list[ScriptedChatModel]) -> None:
    model = fake(models, REPLY)
    assert GenerativeResponder(model, "fake").compact_prompt is False
    GenerativeResponder(model, "fake", compact_prompt=True).respond(make_request())
    assert model.calls[0][0].text.startswith(load_system_prompt().compact)
    tiny = LocalTinyChatModel(max_new_tokens=16)  # not loaded until it writes
    assert GenerativeResponder(tiny, "local-tiny").compact_prompt is True


def test_chunking_is_lossless() -> None:
    text = "  Two  spaces,\nnew line. End "
    assert "".join(chunk_text(text)) == text
    assert len(chunk_text(REPLY)) == len(REPLY.split())
