"""The Chainlit app (the file ``coach run`` serves): sign-in, the data layer, and the chat's
hooks, all handed to :class:`coach.app.handlers.DebriefChat`.

Start it with ``coach run``, which prepares ``CHAINLIT_APP_ROOT`` and the sign-in secret
first; settings come from the ``COACH_*`` environment like everywhere else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import timedelta
from typing import Any

import chainlit as cl
from chainlit.types import MessagePayload, ThreadDict
from starlette.datastructures import Headers

from coach.app.auth import header_account, password_account
from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.feedback import guard_feedback_routes
from coach.app.handlers import DebriefChat, starters
from coach.app.ownership import guard_thread_routes
from coach.app.schema import chat_database_url
from coach.app.users import Account, UsersFileError
from coach.educator.recorder import ThemeRecorder
from coach.educator.routes import install_educator_routes
from coach.engine import Coach
from coach.settings import Settings
from coach.storage_backends import accounts, sweep_source
from coach.types import Control
from guardrails.escalation import Action as SupportAction
from guardrails.resources import load_resources
from guardrails.webhook import Notifier

log = logging.getLogger("coach.app")

settings = Settings()
users = accounts(settings)
database_url = chat_database_url(settings.async_database_url)
_layer = DeidentifyingDataLayer(database_url)
_chat: DebriefChat | None = None
_themes: ThemeRecorder | None = None
_background: set[asyncio.Task[int]] = set()
SWEEP_EVERY = timedelta(hours=1)


def build_coach(app_settings: Settings) -> Coach:
    """The real coach, with its models loaded and the cards indexed before anyone signs in
    (otherwise the first clinician's first message would wait for them)."""
    coach = Coach.from_settings(app_settings)
    deps = coach.deps
    sample = "It was a long shift and a patient died."
    try:
        deps.guard.classifier.assess(sample, [])
        deps.emotions.recognise(sample)
        if deps.retriever is not None:
            deps.retriever.search(sample, 1, stage="feelings")
    except Exception:  # each part also copes on its own at the first message
        log.exception("warming up the coach failed; it will load on the first message")
    return coach


def build_notifier(app_settings: Settings, coach: Coach) -> Notifier | None:
    """The on-call peer supporter's notifier, when COACH_ORG_CONFIG has a webhook."""
    directory = load_resources(app_settings.org_config)
    if directory.webhook is None:
        return None
    return Notifier.from_config(
        directory.webhook,
        os.environ,
        organisation=directory.organisation_name,
        log=coach.deps.guard.events,
    )


def start_themes(app_settings: Settings, coach: Coach) -> ThemeRecorder | None:
    """Record each debrief's themes when it ends, and sweep up the ones abandoned for a
    day (coach/educator). A failure here never stops the chat."""
    try:
        recorder = ThemeRecorder.from_settings(app_settings)
        coach.deps.on_saved = recorder.on_saved
    except Exception:
        log.exception("theme recording is unavailable; the chat works without it")
        return None
    if recorder.assistant is None:
        startup_sweep(recorder, app_settings)
    else:  # a chat model is asked once per debrief: a slow one must not delay serving
        threading.Thread(
            target=startup_sweep, args=(recorder, app_settings), name="theme-sweep", daemon=True
        ).start()
    return recorder


def startup_sweep(recorder: ThemeRecorder, app_settings: Settings) -> None:
    try:
        swept = recorder.sweep_from(sweep_source(app_settings))
        log.info("themes: %d debriefs recorded at start-up", swept.recorded)
    except Exception as exc:  # a database that is down: the hourly sweep tries again
        log.warning("the start-up theme sweep could not run (%s); it runs again hourly", exc)


def account_role(identifier: str) -> str:
    """The role in the accounts (password and header sign-in alike), else clinician."""
    try:
        record = users.find(identifier)
    except UsersFileError:
        return "clinician"
    return record.role if record is not None else "clinician"


def chat() -> DebriefChat:
    if _chat is None:
        raise RuntimeError("the coach is still starting; try again in a moment")
    return _chat


def _user(account: Account | None) -> cl.User | None:
    if account is None:
        return None
    return cl.User(identifier=account.identifier, metadata=dict(account.metadata))


# --- start-up ---------------------------------------------------------------------------


@cl.on_app_startup
async def _startup() -> None:
    """Create the chat tables if absent and load the coach before serving anyone. A
    database or vector store that is down does not stop it: each is tried again at its
    next use (the log names the setting to check)."""
    global _chat, _themes
    await _layer.ensure_tables()
    coach = await asyncio.to_thread(build_coach, settings)
    _themes = await asyncio.to_thread(start_themes, settings, coach)
    notifier = build_notifier(settings, coach)
    _chat = DebriefChat(coach, notifier=notifier, data_layer=lambda: _layer, themes=lambda: _themes)
    if _themes is not None:  # abandoned debriefs are recorded without a restart
        task = asyncio.create_task(_themes.sweep_every(sweep_source(settings), SWEEP_EVERY))
        _background.add(task)
        task.add_done_callback(_background.discard)
    log.info("Debrief Coach is ready")


@cl.data_layer
def _data_layer() -> DeidentifyingDataLayer:
    return _layer


async def _on_client_message(sid: str, payload: MessagePayload) -> bool:
    return await chat().on_client_message(sid, payload)


def _install_routes() -> None:
    from chainlit.server import app as server_app
    from chainlit.server import sio

    sio.on("client_message", _on_client_message)  # acknowledged once saved
    guard_feedback_routes(server_app, lambda: _layer)
    guard_thread_routes(server_app, lambda: _layer)
    install_educator_routes(
        server_app,
        records=lambda: _themes.store.records() if _themes is not None else [],
        k=settings.educator_k,
        role_of=account_role,
        recorder=lambda: _themes,
    )


_install_routes()


# --- sign-in ----------------------------------------------------------------------------

if settings.auth == "header":

    @cl.header_auth_callback
    async def _header_auth(headers: Headers) -> cl.User | None:
        return _user(header_account(headers, settings.auth_header, users))

else:

    @cl.password_auth_callback
    async def _password_auth(username: str, password: str) -> cl.User | None:
        account = await asyncio.to_thread(password_account, users, username, password)
        return _user(account)


# --- the chat ---------------------------------------------------------------------------


@cl.set_starters
async def _starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return starters()


@cl.on_chat_start
async def _on_chat_start() -> None:
    await chat().on_chat_start()


@cl.on_chat_resume
async def _on_chat_resume(thread: ThreadDict) -> None:
    await chat().on_chat_resume(thread)


@cl.on_message
async def _on_message(message: cl.Message) -> None:
    await chat().on_message(message)


@cl.on_chat_end
async def _on_chat_end() -> None:
    if _chat is not None:
        _chat.forget_browser_session()


@cl.action_callback("control")
async def _on_control(action: cl.Action) -> None:
    await chat().control(Control(str(_payload(action, "control"))))


@cl.action_callback("support")
async def _on_support(action: cl.Action) -> None:
    await chat().on_support_action(SupportAction(str(_payload(action, "action"))))


def _payload(action: cl.Action, key: str) -> Any:
    return (action.payload or {}).get(key)
