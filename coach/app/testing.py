"""Test doubles for the chat app, shipped in the package like ``coach.testing``.

``use_temporary_app_root()`` must run before Chainlit is first imported (Chainlit reads
``CHAINLIT_APP_ROOT`` and writes its config there on import). ``chat_session()`` then
opens a Chainlit context whose emitter records what the browser would have received,
so ``DebriefChat`` can be driven without a server.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coach.app.approot import prepare_app_root

ENV = "CHAINLIT_APP_ROOT"


def use_temporary_app_root() -> Path:
    """Point Chainlit at a fresh app folder (unless it is imported already)."""
    if "chainlit" in sys.modules and os.environ.get(ENV):
        return Path(os.environ[ENV])
    folder = Path(tempfile.mkdtemp(prefix="coach-app-test-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    root = prepare_app_root(folder)
    os.environ[ENV] = str(root)
    return root


use_temporary_app_root()

from chainlit.context import ChainlitContext, context_var  # noqa: E402
from chainlit.emitter import BaseChainlitEmitter  # noqa: E402
from chainlit.session import HTTPSession  # noqa: E402
from chainlit.user import User  # noqa: E402


class RecordingEmitter(BaseChainlitEmitter):
    """Keeps every event; answers ``Ask*`` messages from ``answers`` in order."""

    def __init__(self, session: HTTPSession, answers: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(session)
        self.events: list[tuple[str, Any]] = []
        self.answers = list(answers)

    async def emit(self, event: str, data: Any) -> None:
        self.events.append((event, data))

    async def send_step(self, step_dict: Any) -> None:
        self.events.append(("new_message", dict(step_dict)))

    async def update_step(self, step_dict: Any) -> None:
        self.events.append(("update_message", dict(step_dict)))

    async def delete_step(self, step_dict: Any) -> None:
        self.events.append(("delete_message", dict(step_dict)))

    async def send_element(self, element_dict: Any) -> None:
        self.events.append(("element", dict(element_dict)))

    async def stream_start(self, step_dict: Any) -> None:
        self.events.append(("stream_start", dict(step_dict)))

    async def send_token(
        self, id: str, token: str, is_sequence: bool = False, is_input: bool = False
    ) -> None:
        self.events.append(("stream_token", token))

    async def set_commands(self, commands: Any) -> None:
        self.events.append(("set_commands", list(commands)))

    async def send_ask_user(self, step_dict: Any, spec: Any, raise_on_timeout: bool = False) -> Any:
        self.events.append(("ask", dict(step_dict)))
        return self.answers.pop(0) if self.answers else None

    # --- what the browser would show ---------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        """The latest version of every message (by id), in first-sent order."""
        latest: dict[str, dict[str, Any]] = {}
        for event, data in self.events:
            if event in ("new_message", "update_message", "stream_start"):
                latest[data["id"]] = {**latest.get(data["id"], {}), **data}
            elif event == "delete_message":
                latest.pop(data["id"], None)
        return [m for m in latest.values() if m.get("type") != "run"]

    def actions(self) -> list[dict[str, Any]]:
        """Buttons on screen now (sent and not removed)."""
        shown: dict[str, dict[str, Any]] = {}
        for event, data in self.events:
            if event == "action":
                shown[data["id"]] = data
            elif event == "remove_action":
                shown.pop(data["id"], None)
        return list(shown.values())

    def labels(self) -> list[str]:
        return [a["label"] for a in self.actions()]

    def elements(self) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == "element"]

    def tokens(self) -> list[str]:
        """The streamed pieces (the first arrives with the stream's start)."""
        pieces: list[str] = []
        for event, data in self.events:
            if event == "stream_start":
                pieces.append(str(data.get("output", "")))
            elif event == "stream_token":
                pieces.append(str(data))
        return pieces


def chat_session(
    user_id: str = "nurse.one",
    *,
    thread_id: str | None = None,
    answers: Sequence[dict[str, Any]] = (),
) -> RecordingEmitter:
    """Open a Chainlit context for ``user_id`` in this task (needs a running loop)."""
    session = HTTPSession(
        id=str(uuid.uuid4()),
        thread_id=thread_id or str(uuid.uuid4()),
        user=User(identifier=user_id, metadata={"role": "clinician"}),
        client_type="webapp",
    )
    emitter = RecordingEmitter(session, answers)
    context_var.set(ChainlitContext(session, emitter=emitter))
    return emitter


def ask_answer(key: str) -> dict[str, Any]:
    """What the browser returns when an ``AskActionMessage`` button is pressed."""
    return {"name": "answer", "payload": {"answer": key}, "label": key, "id": key}
