"""Several instances, no state in any of them: two coaches wired from settings
(``Coach.from_settings``, as ``coach run`` wires each instance), each with its own data
folder and objects, sharing one PostgreSQL database and one Chroma server. A debrief
begun on one is resumed on the other at its stage; the escalation events, the theme
records and the accounts written by either are seen by both."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach import storage_backends
from coach.educator.recorder import ThemeRecorder
from coach.engine import Coach
from coach.settings import Settings
from coach.types import Control
from guardrails.types import Level
from tests.chroma_support import ChromaServer
from tests.conftest import SHARED_SECRETS

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

SESSION = "session-several-instances-01"
USER = "nurse.one"
BEFORE = (
    "A man in his seventies arrested on the ward and we did CPR for forty minutes.",
    "We couldn't get him back. His wife arrived just after we stopped.",
)
CRISIS = "Honestly everyone would be better off without me."
AFTER = (
    "I feel sad and guilty that I didn't spot he was deteriorating.",
    "The registrar wouldn't listen and we were two nurses short.",
)
# Files the embedded defaults would write; an instance on PostgreSQL writes none of them.
LOCAL_STATE = ("coach.db", "themes.db", "users.yaml", "auth-secret", "theme-secret", "events")


class Instance:
    """One app instance: its own settings, data folder, coach and theme recorder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.coach = Coach.from_settings(settings)
        self.themes = ThemeRecorder.from_settings(settings)
        self.coach.deps.on_saved = self.themes.on_saved  # as the chat app hooks it
        self.accounts = storage_backends.accounts(settings)


@pytest.fixture
def instances(
    postgres_url: str, chroma_server: ChromaServer, tmp_path: Path
) -> tuple[Instance, Instance]:
    collection = f"several-{tmp_path.name[-20:]}".replace("_", "-").strip("-")

    def settings(name: str) -> Settings:
        return chroma_server.settings(
            tmp_path / name,
            collection,
            database_url=postgres_url,
            embedder="hashing",
            risk_classifier="rules",
            **SHARED_SECRETS,
        )

    return Instance(settings("instance-a")), Instance(settings("instance-b"))


def test_a_debrief_moves_between_instances_with_all_its_state(
    instances: tuple[Instance, Instance], tmp_path: Path
) -> None:
    a, b = instances
    a.accounts.add(USER, "a long enough password", "clinician", "nurse")

    # Instance A: the opening, the story, a crisis and back to the debrief.
    a.coach.start(SESSION, user_id=USER)
    for message in BEFORE:
        assert a.coach.turn(SESSION, message, user_id=USER).level is Level.NONE
    crisis = a.coach.turn(SESSION, CRISIS, user_id=USER)
    assert crisis.level is Level.CRISIS and crisis.support_active
    on_a = a.coach.load(SESSION, user_id=USER)
    assert on_a is not None and on_a.support.active

    # Instance B (new objects, same database): the same debrief, at the same stage,
    # still in support mode, and the crisis event A recorded.
    resumed = b.coach.load(SESSION, user_id=USER)
    assert resumed == on_a
    assert b.coach.resume_message(SESSION, user_id=USER)
    (event,) = [e for e in b.coach.deps.guard.events.recent() if e.session == SESSION]
    assert event.level is Level.CRISIS
    still = b.coach.turn(SESSION, "I don't know.", user_id=USER)
    assert still.support_active and still.messages[0].kind == "support"
    assert not b.coach.control(SESSION, Control.IM_SAFE, user_id=USER).support_active
    b.coach.control(SESSION, Control.CONTINUE, user_id=USER)
    stage_before = b.coach.load(SESSION, user_id=USER)
    assert stage_before is not None and stage_before.stage == on_a.stage

    # Back and forth: each turn lands on the other instance, as a load balancer may do.
    for coach, other, message in zip((a.coach, b.coach), (b.coach, a.coach), AFTER, strict=True):
        count = len(other.load(SESSION, user_id=USER).turns)  # type: ignore[union-attr]
        assert not coach.turn(SESSION, message, user_id=USER).ended
        seen = other.load(SESSION, user_id=USER)
        assert seen is not None and len(seen.turns) > count
        assert message.split()[-1] in seen.turns[count].text  # the clinician's words first

    # Ended on B: B's recorder writes the theme record; A sees it, and A's sweep (the
    # hourly one every instance runs) does not count it again.
    ended = b.coach.control(SESSION, Control.END, user_id=USER)
    assert ended.ended and ended.summary
    (record,) = a.themes.store.records()
    assert record.clinician == a.themes.token(USER) == b.themes.token(USER)
    assert record.role == "nurse" and record.escalation == "crisis"
    source = storage_backends.sweep_source(a.settings)
    assert a.themes.sweep_from(source).recorded == 0
    assert b.themes.sweep_from(source).recorded == 0
    assert a.coach.summary(SESSION, user_id=USER) == b.coach.summary(SESSION, user_id=USER)

    # Accounts and "Delete my data" are shared too.
    assert b.accounts.authenticate(USER, "a long enough password") is not None
    assert b.coach.delete_user(USER) == 1 and b.themes.forget(USER) == 1
    assert a.coach.load(SESSION) is None and a.themes.store.count() == 0

    for name in ("instance-a", "instance-b"):
        left = (
            {p.name for p in (tmp_path / name).iterdir()} if (tmp_path / name).exists() else set()
        )
        assert not left & set(LOCAL_STATE), (name, left)
