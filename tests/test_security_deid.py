"""Security, point 5: de-identification runs before anything is written or sent to a model.

A whole debrief full of identifiers (names with titles, a possessive, a relative's first
name on its own, dates, MRN, NHS and SSN numbers, phones, an email, a street address, a UK
postcode, a US ZIP code and an age over 89) goes through the chat app's real path: Chainlit's
socket message handling (the ``client_message`` event as ``coach.app.main`` registers it,
Chainlit's ``process_message`` with its ``on_message`` run step, the thread named after the
first message, the action callbacks, the disconnect that saves the session) into
``DebriefChat`` and the coach as ``coach.wiring`` builds it (SQLite sessions, the events
file, theme records, embedded chromadb), with Chainlit's data layer on the same SQLite
file, as ``coach run`` sets it up. A second debrief goes through the engine alone (as
``coach chat --script`` drives it). Replies come from a configured chat model (the scripted
double), so what a model provider would be sent is recorded.

Then every file under the data directory is read as raw bytes (the SQLite database with
any -wal and -journal files and free pages, the events file, the theme database, the
chroma folder, the log written during the debrief), plus the files Chainlit keeps for the
session and the content of every ``data:`` URL (elements are kept inline, base64): none of
the identifiers appears, and the placeholders do.
"""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import use_temporary_app_root  # sets CHAINLIT_APP_ROOT first

import chainlit as cl
from chainlit.user import User

from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.handlers import DebriefChat
from coach.app.schema import ensure_schema
from coach.chat_cli import run_script
from coach.educator.recorder import ThemeRecorder
from coach.engine import Coach
from coach.llm.fakes import ScriptedChatModel
from coach.responders.checked import CheckedResponder
from coach.responders.generative import GenerativeResponder
from coach.responders.scripted import ScriptedResponder
from coach.settings import Settings
from coach.testing import fake_coach, fake_guard
from coach.wiring import build_deps
from guardrails.escalation import Action as SupportAction
from guardrails.reply_check import ReplyChecker
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.second_opinion import ChatRiskOpinion

CLINICIAN = "nurse.one"
API_KEY = "sk-" + "proj-" + "Dz5" * 12  # configured, so it must not be written anywhere
AUTH_SECRET = "auth-" + "Qv3" * 14
MODEL_REPLY = "That sounds like a very heavy night to carry. What stays with you most from it?"

DEBRIEF = [
    "Mrs Okafor in bed 4 died on 3 March 2025 after Dr Brennan stopped the resus; "
    "Staff Nurse Nkemdirim and I had been with her since 0300.",
    "Mr Delacroix's daughter Priya shouted at me in the corridor. Priya kept saying we "
    "killed her father.",
    "His MRN was 8841207, his NHS number 943 476 5919, and the transfer note from the US "
    "had his SSN, 536-22-8714.",
    "His son rang the ward from 07700 900123, then from +1 (614) 555-0147, and emailed "
    "delacroix.family@example.com to complain.",
    "They live at 14 Elm Grove Road, Leeds LS6 3QH, and his brother in Ohio, ZIP 43215, "
    "wants the notes too.",
    "She was 94 years old, born on 12/04/1931, and I feel so guilty that I didn't spot "
    "how unwell she was.",
]
# A crisis disclosure (it also names someone), answered with the support message.
CRISIS = "Since Mrs Okafor died I've been thinking everyone would be better off without me."

# What must never be written or sent, as typed (short ones with the words around them, so
# that no chance run of bytes in a database page matches).
IDENTIFIERS = (
    "Okafor",
    "Brennan",
    "Nkemdirim",
    "Delacroix",
    "Priya",
    "3 March 2025",
    "12/04/1931",
    "8841207",
    "943 476 5919",
    "9434765919",
    "536-22-8714",
    "07700 900123",
    "555-0147",
    "delacroix.family",
    "@example.com",
    "Elm Grove",
    "LS6 3QH",
    "ZIP 43215",
    "94 years old",
)
PLACEHOLDERS = ("[NAME]", "[DATE]", "[ID]", "[PHONE]", "[EMAIL]", "[ADDRESS]", "[POSTCODE]")
AGE = "[AGE]"


@dataclass
class Written:
    data_dir: Path
    blobs: dict[str, bytes]  # where -> raw bytes (files, and decoded data: URLs)
    sent: list[str]  # every message the chat model was sent
    shown: list[str]  # what the clinician saw (the app's emitted messages)


def _model() -> ScriptedChatModel:
    return ScriptedChatModel(script=[MODEL_REPLY])


def _coach(settings: Settings, model: ScriptedChatModel) -> tuple[Coach, ThemeRecorder]:
    """The coach as ``coach.app.main`` builds it, with the chat model double as the
    configured model (the scripted coach behind it, as always)."""
    deps = build_deps(settings)
    deps.responder = CheckedResponder(
        GenerativeResponder(model, "openai:coach-model", timeout_seconds=30),
        ScriptedResponder(),
        ReplyChecker(),
    )
    recorder = ThemeRecorder.from_settings(settings)
    deps.on_saved = recorder.on_saved
    return Coach(deps, default_mode=settings.debrief_mode), recorder


async def _settle() -> None:
    """Let the tasks Chainlit starts (step writes, thread naming) finish."""
    for _ in range(200):
        pending = [
            t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()
        ]
        if not pending:
            return
        await asyncio.wait(pending, timeout=0.05)


async def _app_debrief(
    chat: DebriefChat, layer: DeidentifyingDataLayer, shown: list[str]
) -> dict[str, bytes]:
    """One debrief through Chainlit's socket handling into the chat's hooks (registered
    with Chainlit's decorators, as ``coach.app.main`` does). Returns the files Chainlit
    kept for the session."""
    from chainlit.config import config
    from chainlit.context import init_ws_context
    from chainlit.session import WebsocketSession
    from chainlit.socket import disconnect

    @cl.on_message
    async def on_message(message: cl.Message) -> None:
        await chat.on_message(message)

    @cl.action_callback("support")
    async def on_support(action: cl.Action) -> None:
        await chat.on_support_action(SupportAction(str(action.payload["action"])))

    async def emit(event: str, data: Any) -> None:
        if event in ("new_message", "update_message") and isinstance(data, dict):
            shown.append(str(data.get("output") or ""))

    async def emit_call(event: str, data: Any, timeout: Any) -> None:
        return None

    user = await layer.create_user(User(identifier=CLINICIAN, metadata={"role": "clinician"}))
    session = WebsocketSession(
        id=str(uuid.uuid4()),
        socket_id=str(uuid.uuid4()),
        emit=emit,  # type: ignore[arg-type]
        emit_call=emit_call,
        user_env={},
        client_type="webapp",
        user=user,
        thread_id=str(uuid.uuid4()),
    )

    async def send(text: str, command: str | None = None) -> None:
        step = {
            "id": str(uuid.uuid4()),
            "threadId": session.thread_id,
            "type": "user_message",
            "name": CLINICIAN,
            "output": text,
            "createdAt": datetime.now(UTC).isoformat(),
            "command": command,
        }
        payload: Any = {"message": step, "fileReferences": None}
        # the socket's client_message event, as coach.app.main registers it
        await chat.on_client_message(session.socket_id, payload)
        await _settle()

    for text in DEBRIEF[:3]:
        await send(text)
    await send(CRISIS)
    init_ws_context(session)
    safe = cl.Action(name="support", payload={"action": SupportAction.IM_SAFE.value})
    await config.code.action_callbacks["support"](safe)
    await _settle()
    for text in DEBRIEF[3:]:
        await send(text)
    await send("", command="End")
    kept = {
        f"chainlit files/{path.name}": path.read_bytes()
        for path in session.files_dir.glob("*")
        if path.is_file()
    }
    session.to_clear = True
    await disconnect(session.socket_id)  # saves the session's metadata to the thread
    await _settle()
    await layer.engine.dispose()
    return kept


def _data_urls(blob: bytes) -> Iterator[bytes]:
    for match in re.finditer(rb"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)", blob):
        yield base64.b64decode(match.group(1) + b"=" * (-len(match.group(1)) % 4))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    import chainlit.data as chainlit_data
    from chainlit.config import config

    use_temporary_app_root()
    data_dir = tmp_path_factory.mktemp("deid-data")
    settings = Settings(
        data_dir=data_dir,
        embedder="hashing",
        risk_classifier="rules",
        locale="UK",
        llm_api_key=API_KEY,  # type: ignore[arg-type]
        auth_secret=AUTH_SECRET,  # type: ignore[arg-type]
    )
    model = _model()
    shown: list[str] = []
    log_path = data_dir / "logs" / "coach.log"
    log_path.parent.mkdir()
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    with pytest.MonkeyPatch.context() as patch:
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            coach, recorder = _coach(settings, model)
            asyncio.run(ensure_schema(settings.async_database_url))
            layer = DeidentifyingDataLayer(settings.async_database_url)
            chat = DebriefChat(coach, data_layer=lambda: layer, themes=lambda: recorder)
            patch.setattr(chainlit_data, "_data_layer", layer)
            patch.setattr(chainlit_data, "_data_layer_initialized", True)
            patch.setattr(config.code, "on_message", None)
            patch.setattr(config.code, "action_callbacks", {})
            kept = asyncio.run(_app_debrief(chat, layer, shown))
            # the same debrief through the engine alone (`coach chat --script`)
            turns = run_script(coach, [*DEBRIEF, "/end"], "engine-session")
            shown += [str(t["coach"]) for t in turns]
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            handler.close()
    blobs = {
        str(p.relative_to(data_dir)): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()
    }
    blobs.update(kept)
    for where, blob in list(blobs.items()):
        for i, decoded in enumerate(_data_urls(blob)):
            blobs[f"{where} data: URL {i}"] = decoded
    sent = [str(m.content) for call in model.calls for m in call]
    yield Written(data_dir, blobs, sent, shown)


def test_the_debrief_wrote_every_store(written: Written) -> None:
    """The scan below reads real files: the chat database, the events file, the theme
    records, the knowledge store, the log, and the summary kept by Chainlit."""
    names = set(written.blobs)
    assert "coach.db" in names
    assert any(n.startswith("events/") for n in names)
    assert any(n.startswith("chroma/") for n in names)
    assert any(n.startswith("themes") or "theme" in n for n in names)
    assert "logs/coach.log" in names and written.blobs["logs/coach.log"]
    assert any("data: URL" in n for n in names)  # the inline summary and source elements
    everything = b"\n".join(written.blobs.values())
    assert b"debrief-summary.md" in everything
    assert written.sent, "the chat model was never asked"


def test_no_identifier_is_in_any_file_under_the_data_directory(written: Written) -> None:
    leaks = [
        (where, identifier)
        for where, blob in written.blobs.items()
        for identifier in IDENTIFIERS
        if identifier.encode() in blob or identifier.encode("utf-16-le") in blob
    ]
    assert leaks == []


def test_the_placeholders_are_what_was_stored(written: Written) -> None:
    database = written.blobs["coach.db"] + written.blobs.get("coach.db-wal", b"")
    for placeholder in (*PLACEHOLDERS, AGE):
        assert placeholder.encode() in database, placeholder
    # the chat's thread is named after the first message, de-identified
    assert b"[NAME] in bed 4 died on [DATE]" in database


def test_the_chat_model_is_sent_no_identifier(written: Written) -> None:
    prompt = "\n".join(written.sent)
    for identifier in IDENTIFIERS:
        assert identifier not in prompt, identifier
    assert "[NAME]" in prompt and "[ID]" in prompt and "[EMAIL]" in prompt


def test_no_configured_secret_is_written(written: Written) -> None:
    for where, blob in written.blobs.items():
        assert API_KEY.encode() not in blob and AUTH_SECRET.encode() not in blob, where


def test_the_clinician_saw_the_coach_reply(written: Written) -> None:
    """The model's replies reached the chat (so the prompts above are the real ones)."""
    assert MODEL_REPLY in written.shown
    assert any(text.startswith("# Debrief reflection") for text in written.shown)


def test_a_clinician_turn_is_written_once_with_placeholders(written: Written) -> None:
    """The debrief state holds the clinician's words, de-identified."""
    from coach.sessions import SqliteSessionStore

    store = SqliteSessionStore(written.data_dir / "coach.db")
    state = store.load("engine-session")
    assert state is not None and state.ended
    said = [t.text for t in state.turns if t.role == "clinician"]
    assert said[0].startswith("[NAME] in bed 4 died on [DATE]")
    assert any("[AGE] years old" in text for text in said)


def test_the_risk_second_opinion_is_sent_no_identifier() -> None:
    """A chat model asked for a second opinion on risk (``ChatRiskOpinion``) is a model
    provider too: the guard classifies the message as typed, so the opinion itself must
    de-identify what it sends."""
    prompts: list[str] = []

    def complete(prompt: str) -> str:
        prompts.append(prompt)
        return "LEVEL: none"

    classifier = RaiseOnlyClassifier(RuleRiskClassifier(), ChatRiskOpinion(complete))
    coach = fake_coach(guard=fake_guard(classifier=classifier), with_knowledge=False)
    run_script(coach, DEBRIEF, "second-opinion-session")
    assert len(prompts) >= len(DEBRIEF)
    sent = "\n".join(prompts)
    for identifier in IDENTIFIERS:
        assert identifier not in sent, identifier
    assert "[NAME]" in sent and "[PHONE]" in sent
