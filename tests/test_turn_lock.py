"""One debrief's turns in order across instances: two coaches wired from settings on one
PostgreSQL database (as two ``coach run`` instances behind a load balancer, with a browser
tab of the same debrief on each) send to the same session at the same moment, and no
turn's state is lost: each turn holds a transaction-scoped advisory lock on the session
id through its load, change and save. SQLite keeps the lock within its one process.
A lock that cannot be taken never costs a clinician their reply."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coach import storage_backends
from coach.engine import Coach, TurnResult
from coach.responders.base import Responder
from coach.responders.fakes import FixedResponder
from coach.sessions import SqlSessionStore
from coach.settings import Settings
from coach.state import DebriefState
from coach.testing import fake_coach
from coach.turn_lock import PostgresTurnLock, ProcessTurnLock
from coach.types import Reply, ResponseRequest, TokenSink
from guardrails.types import Level
from tests.chroma_support import ChromaServer
from tests.conftest import SHARED_SECRETS

SESSION = "session-two-tabs-0001"
USER = "nurse.one"
TABS = {
    "a": (
        "From the first tab: the ward was short of staff all night.",
        "From the first tab: the relatives kept asking for updates.",
        "From the first tab: I felt stretched thin and tense.",
        "From the first tab: the handover was rushed at the end.",
    ),
    "b": (
        "From the second tab: the patient had been stable at midnight.",
        "From the second tab: then the alarm went off in the side room.",
        "From the second tab: afterwards I sat in the car and cried.",
        "From the second tab: my colleague brought me a cup of tea.",
    ),
}


class Slow:
    """A responder that takes a moment, as a real one does: it widens the time between a
    turn's load and its save, where two instances' turns would overlap."""

    def __init__(self, responder: Responder, seconds: float) -> None:
        self.responder = responder
        self.name = responder.name
        self.seconds = seconds

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        time.sleep(self.seconds)
        return self.responder.respond(request, on_token)


class SlowLoad(SqlSessionStore):
    """The PostgreSQL session store, taking a moment after each load (as a busy database
    does), so two instances both load before either saves unless a lock orders them."""

    def load(self, session_id: str) -> DebriefState | None:
        state = super().load(session_id)
        time.sleep(0.3)
        return state


def _instance(settings: Settings) -> Coach:
    coach = Coach.from_settings(settings)
    coach.deps.responder = Slow(coach.deps.responder, 0.05)
    return coach


@pytest.mark.postgres
@pytest.mark.integration
def test_two_instances_sending_to_one_debrief_at_once_lose_no_turn(
    postgres_url: str, chroma_server: ChromaServer, tmp_path: Path
) -> None:
    collection = f"turns-{tmp_path.name[-20:]}".replace("_", "-").strip("-")

    def settings(name: str) -> Settings:
        return chroma_server.settings(
            tmp_path / name,
            collection,
            database_url=postgres_url,
            embedder="hashing",
            risk_classifier="rules",
            **SHARED_SECRETS,
        )

    instances = {"a": _instance(settings("instance-a")), "b": _instance(settings("instance-b"))}
    assert all(isinstance(c.turn_lock, PostgresTurnLock) for c in instances.values())
    instances["a"].start(SESSION, user_id=USER)
    start = threading.Barrier(len(instances))
    failures: list[BaseException] = []

    def tab(name: str) -> None:
        try:
            start.wait(timeout=30)
            for message in TABS[name]:
                result = instances[name].turn(SESSION, message, user_id=USER)
                assert result.messages[-1].kind == "reply", result.messages
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=tab, args=(name,)) for name in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures

    state = instances["b"].load(SESSION, user_id=USER)
    assert state is not None
    said = [t.text for t in state.turns if t.role == "clinician"]
    assert sorted(said) == sorted(TABS["a"] + TABS["b"]), "a turn's state was lost"
    for name in TABS:  # each tab's messages in the order it sent them
        assert [s for s in said if s in TABS[name]] == list(TABS[name])
    for index, turn in enumerate(state.turns):  # every message has its own reply
        if turn.role == "clinician":
            assert state.turns[index + 1].role == "coach"
    assert state.message_count == len(said)


@pytest.mark.postgres
def test_the_advisory_lock_excludes_another_instance_until_the_turn_ends(
    postgres_url: str,
) -> None:
    first, second = PostgresTurnLock(postgres_url), PostgresTurnLock(postgres_url)
    held, waited = threading.Event(), []

    def turn_on_first() -> None:
        with first.hold(SESSION):
            held.set()
            time.sleep(0.6)

    worker = threading.Thread(target=turn_on_first)
    worker.start()
    assert held.wait(timeout=30)
    began = time.monotonic()
    with second.hold(SESSION):
        waited.append(time.monotonic() - began)
    worker.join()
    assert waited[0] >= 0.4, "the second instance went ahead while the first held the turn"
    began = time.monotonic()
    with second.hold("session-another-debrief"), first.hold(SESSION):  # others never wait
        assert time.monotonic() - began < 0.4


def test_sqlite_keeps_its_lock_within_the_process(tmp_path: Path) -> None:
    lock = storage_backends.turn_lock(Settings(data_dir=tmp_path))
    assert isinstance(lock, ProcessTurnLock)


def test_a_lock_that_cannot_be_taken_never_costs_a_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database behind the lock is unreachable: the turn goes on without it (a
    crisis is answered in full), and the log names the setting (never the password)."""
    unreachable = PostgresTurnLock("postgresql://coach:secret-pw@127.0.0.1:9/coach")
    coach = Coach(fake_coach(with_knowledge=False).deps, turn_lock=unreachable)
    with caplog.at_level("WARNING", logger="coach.turn_lock"):
        coach.start(SESSION, user_id=USER)
        assert coach.turn(SESSION, "A long night.", user_id=USER).messages[-1].kind == "reply"
        crisis = coach.turn(SESSION, "I want to kill myself.", user_id=USER)
    assert crisis.level is Level.CRISIS and crisis.messages[0].resources
    assert "COACH_DATABASE_URL" in caplog.text and "127.0.0.1:9" in caplog.text
    assert "secret-pw" not in caplog.text


@pytest.mark.postgres
def test_two_instances_resuming_at_once_answer_a_lost_message_once(postgres_url: str) -> None:
    """A message the chat saved but the coach never took in (a crash between the two),
    reopened on two instances at the same moment: one of them answers it."""

    def instance() -> Coach:
        replies = FixedResponder(["Go on, I'm listening."])
        deps = fake_coach(
            store=SlowLoad(postgres_url), responder=replies, with_knowledge=False
        ).deps
        return Coach(deps, turn_lock=PostgresTurnLock(postgres_url))

    first, second = instance(), instance()
    first.start(SESSION, user_id=USER)
    first.turn(SESSION, TABS["a"][0], user_id=USER)
    lost, since = TABS["a"][1], datetime.now(UTC)  # saved in the chat, then the crash
    start = threading.Barrier(2)
    answers: list[TurnResult | None] = []

    def resume(coach: Coach) -> None:
        start.wait(timeout=30)
        answers.append(coach.answer_unanswered(SESSION, lost, since=since, user_id=USER))

    threads = [threading.Thread(target=resume, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len([a for a in answers if a is not None]) == 1, answers
    state = second.load(SESSION, user_id=USER)
    assert state is not None
    assert [t.text for t in state.turns if t.role == "clinician"] == [TABS["a"][0], lost]
