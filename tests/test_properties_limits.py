"""Message size limits at every entry: each refuses an over-limit message with a clear
error naming the limit and the setting that changes it (COACH_MAX_MESSAGE_CHARS for
messages, COACH_MAX_FILE_BYTES for files), and takes a message at the limit.

The engine (and so `coach chat`) is covered by ``test_properties_chat.py`` and file
ingestion by ``test_properties_ingest.py``; here: the chat app's handler, `coach guard
check|redact --jsonl`, and a limit set through the environment."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

import chainlit as cl

from coach.app.handlers import DebriefChat
from coach.cli import app
from coach.sessions import MemorySessionStore
from coach.settings import Settings
from coach.testing import fake_coach

runner = CliRunner()


def guard_cli(
    command: str, tmp_path: Path, texts: list[str], limit: int = 200
) -> tuple[int, list[dict[str, object]], str]:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in texts) + "\n", encoding="utf-8")
    env = {
        "COACH_RISK_CLASSIFIER": "rules",
        "COACH_MAX_MESSAGE_CHARS": str(limit),
        "COACH_DATA_DIR": str(tmp_path / "data"),
    }
    result = runner.invoke(app, ["guard", command, "--jsonl", str(path)], env=env)
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, out, result.stderr


@pytest.mark.parametrize("command", ["check", "redact"])
def test_guard_jsonl_refuses_an_over_limit_line_naming_the_limit(
    command: str, tmp_path: Path
) -> None:
    texts = ["I'm not coping", "x" * 201, "y" * 200]
    code, out, err = guard_cli(command, tmp_path, texts)
    assert code == 1
    assert [o["line"] for o in out] == [1, 2, 3]
    error = str(out[1]["error"])
    assert "201" in error and "200" in error and "COACH_MAX_MESSAGE_CHARS" in error
    assert "error" not in out[0] and "error" not in out[2], "the limit itself is taken"
    assert "in.jsonl:2" in err


def test_the_message_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_MAX_MESSAGE_CHARS", "1234")
    assert Settings().max_message_chars == 1234
    monkeypatch.setenv("COACH_MAX_MESSAGE_CHARS", "100001")
    with pytest.raises(ValueError, match="max_message_chars"):
        Settings()


def test_the_chat_app_refuses_an_over_limit_message_and_keeps_the_session() -> None:
    store = MemorySessionStore()
    coach = fake_coach(store=store, max_message_chars=500, with_knowledge=False)

    async def go() -> None:
        emitter = chat_session("nurse.one")
        chat = DebriefChat(coach)
        await chat.on_message(cl.Message(content="A hard night.", type="user_message"))
        before = store.load(chat.session_id())
        await chat.on_message(cl.Message(content="z" * 501, type="user_message"))
        notice = str(emitter.messages()[-1]["output"])
        assert "501" in notice and "500" in notice and "COACH_MAX_MESSAGE_CHARS" in notice
        assert "Traceback" not in notice
        assert store.load(chat.session_id()) == before
        await chat.on_message(cl.Message(content="z" * 500, type="user_message"))
        after = store.load(chat.session_id())
        assert after is not None and before is not None
        assert len(after.turns) > len(before.turns), "a message at the limit is taken"

    asyncio.run(go())


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 400))
def test_the_engine_takes_up_to_the_limit_and_refuses_past_it(size: int) -> None:
    coach = fake_coach(max_message_chars=200, with_knowledge=False)
    coach.start("session-limits-01")
    result = coach.turn("session-limits-01", "a" * size)
    refused = [m for m in result.messages if "COACH_MAX_MESSAGE_CHARS" in m.text]
    assert bool(refused) == (size > 200)
