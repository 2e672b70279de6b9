"""Escalation events: no text by construction, and a safe append-only log: a JSONL file
(the embedded default) or a PostgreSQL table (``postgres`` marker), one behaviour."""

from __future__ import annotations

import json
import logging
import stat
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from coach import database, storage_backends
from coach.settings import Settings
from guardrails.escalation import SupportMode, crisis_reply
from guardrails.events import EscalationEvent, EventLog, JsonlEventLog, MemoryEventLog, SqlEventLog
from guardrails.resources import load_resources
from guardrails.types import Category, CssrsItem, Level, RiskAssessment
from guardrails.webhook import DeliveryResult, Notifier

SESSION = "sess_0123456789abcdef"
SENTENCE = "Dr Jane Smith said I want to end my life tonight"


def _event(**changes: object) -> EscalationEvent:
    fields: dict[str, object] = {
        "session": SESSION,
        "level": Level.CRISIS,
        "categories": (Category.SUICIDAL_IDEATION,),
        "cssrs": (CssrsItem.THOUGHTS,),
        "source": "input_guard",
    }
    fields.update(changes)
    return EscalationEvent.model_validate(fields)


def test_defaults_are_an_id_and_a_utc_time() -> None:
    event = _event()
    assert len(event.event_id) == 32 and int(event.event_id, 16) >= 0
    assert event.time.tzinfo is not None and event.time.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - event.time) < timedelta(seconds=5)
    assert not event.consented_to_contact and not event.notified
    data = json.loads(event.model_dump_json())
    assert datetime.fromisoformat(data["time"]).utcoffset() == timedelta(0)
    assert set(data) == {
        "event_id",
        "time",
        "session",
        "level",
        "categories",
        "cssrs",
        "source",
        "consented_to_contact",
        "notified",
    }


def test_other_timezones_are_stored_as_utc_and_naive_times_refused() -> None:
    plus_two = datetime(2026, 11, 3, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert _event(time=plus_two).time == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        _event(time=datetime(2026, 11, 3, 12, 0))


@pytest.mark.parametrize("name", ["text", "message", "user_name", "reasons", "callback_contact"])
def test_extra_fields_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _event(**{name: SENTENCE})


@pytest.mark.parametrize("field", list(EscalationEvent.model_fields))
def test_no_field_can_hold_text(field: str) -> None:
    with pytest.raises(ValidationError):
        _event(**{field: SENTENCE})


@pytest.mark.parametrize("field", ["categories", "cssrs"])
def test_list_fields_refuse_text_items(field: str) -> None:
    with pytest.raises(ValidationError):
        _event(**{field: [SENTENCE]})


def test_session_ids_are_opaque_tokens() -> None:
    for bad in ["short", "has spaces in it", "x" * 129, "jane.smith@example.org"]:
        with pytest.raises(ValidationError):
            _event(session=bad)


def test_source_is_one_of_the_three_guards() -> None:
    for source in ("input_guard", "second_opinion", "accumulation"):
        assert _event(source=source).source == source
    with pytest.raises(ValidationError):
        _event(source="user")


def test_from_assessment_drops_the_reasons() -> None:
    assessment = RiskAssessment(
        level=Level.CRISIS,
        categories=(Category.SELF_HARM,),
        cssrs=(CssrsItem.INTENT,),
        reasons=(SENTENCE,),
    )
    event = EscalationEvent.from_assessment(assessment, session=SESSION, source="accumulation")
    assert event.categories == (Category.SELF_HARM,) and event.cssrs == (CssrsItem.INTENT,)
    assert SENTENCE not in event.model_dump_json()


# --- the log, on each backend ------------------------------------------------------


@pytest.fixture
def log(backend_settings: Settings) -> EventLog:
    """The event log ``Guard.from_settings`` would use: the JSONL file, or PostgreSQL."""
    return storage_backends.event_log(backend_settings)


def _dump(log: EventLog) -> str:
    """Everything the log stored, as stored."""
    if isinstance(log, JsonlEventLog):
        return log.path.read_text(encoding="utf-8")
    assert isinstance(log, SqlEventLog)
    with database.engine(log.url).connect() as db:
        rows = db.execute(text("SELECT * FROM escalation_events")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_the_backend_is_chosen_by_the_database_url(log: EventLog, backend: str) -> None:
    assert isinstance(log, JsonlEventLog if backend == "sqlite" else SqlEventLog)


# --- JSONL log ---------------------------------------------------------------------


def test_jsonl_log_creates_parents_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "events" / "escalations.jsonl"
    log = JsonlEventLog(path)
    assert log.recent() == []  # no file yet
    event = _event()
    log.record(event)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert EscalationEvent.model_validate_json(lines[0]) == event


def test_an_existing_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "escalations.jsonl"
    path.touch(mode=0o644)
    path.chmod(0o644)
    JsonlEventLog(path).record(_event())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_recent_is_newest_first_and_limited(log: EventLog) -> None:
    assert log.recent() == []
    events = [_event() for _ in range(5)]
    for event in events:
        log.record(event)
    assert log.recent(3) == list(reversed(events))[:3]
    assert log.recent(0) == []


def test_a_later_record_of_the_same_event_supersedes_it(log: EventLog) -> None:
    event = _event()
    log.record(event)
    log.record(_event())
    log.record(event.model_copy(update={"consented_to_contact": True, "notified": True}))
    newest = log.recent()
    assert len(newest) == 2
    assert newest[0].event_id == event.event_id and newest[0].notified


def test_concurrent_appends_keep_every_line_whole(backend_settings: Settings) -> None:
    threads, per_thread = 8, 50
    barrier = threading.Barrier(threads)

    def write() -> None:
        log = storage_backends.event_log(backend_settings)  # one log object per writer
        barrier.wait()
        for _ in range(per_thread):
            log.record(_event())

    workers = [threading.Thread(target=write) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    recorded = storage_backends.event_log(backend_settings).recent(10_000)
    assert len({event.event_id for event in recorded}) == len(recorded) == threads * per_thread
    if backend_settings.database_url is None:
        lines = backend_settings.events_path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == threads * per_thread
        ids = {EscalationEvent.model_validate_json(line).event_id for line in lines}
        assert len(ids) == threads * per_thread


def test_corrupt_lines_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "e.jsonl"
    log = JsonlEventLog(path)
    first, last = _event(), _event()
    log.record(first)
    with path.open("ab") as handle:
        handle.write(b'{"event_id": "truncated\n')
        handle.write(b"\xff\xfe not utf-8\n")
        handle.write(b'{"text": "not an event"}\n')
        handle.write(b"\n")
    log.record(last)
    with caplog.at_level(logging.WARNING, logger="guardrails.events"):
        assert log.recent() == [last, first]
    warnings = [r for r in caplog.records if "corrupt" in r.getMessage()]
    assert len(warnings) == 3
    assert "not an event" not in caplog.text  # the warning does not echo line content


@pytest.mark.postgres
def test_corrupt_rows_are_skipped_with_a_warning(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    log = SqlEventLog(postgres_url)
    first, last = _event(), _event()
    log.record(first)
    with database.engine(postgres_url).begin() as db:
        db.execute(
            text(
                "INSERT INTO escalation_events (event_id, time, session, level, event)"
                " VALUES ('x', now(), 'sess_0123456789', 'crisis', '{\"text\": \"not an event\"}')"
            )
        )
    log.record(last)
    with caplog.at_level(logging.WARNING, logger="guardrails.events"):
        assert log.recent() == [last, first]
    assert len([r for r in caplog.records if "corrupt" in r.getMessage()]) == 1
    assert "not an event" not in caplog.text


def test_memory_log() -> None:
    log = MemoryEventLog()
    a, b = _event(), _event()
    log.record(a)
    log.record(b)
    assert log.recent() == [b, a]
    assert log.recent(1) == [b]


# --- a full flow leaves no text behind ---------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        self.bodies.append(body)
        return DeliveryResult(ok=True, attempts=1, status_code=200)


def test_full_flow_writes_no_message_text(log: EventLog) -> None:
    messages = [
        "I'm Dr Priya Raman and after the arrest today I keep thinking I want to die",
        "honestly there's nobody I can talk to about it",
        "I'm ok now, I called my sister",
    ]
    resources = load_resources().for_locale("UK")
    assessment = RiskAssessment(
        level=Level.CRISIS,
        categories=(Category.SUICIDAL_IDEATION,),
        cssrs=(CssrsItem.WISH_TO_BE_DEAD,),
        reasons=(messages[0],),
    )

    reply = crisis_reply(resources, assessment.categories, peer_contact_available=True)
    event = EscalationEvent.from_assessment(assessment, session=SESSION, source="input_guard")
    log.record(event)
    mode = SupportMode(resources, peer_contact_available=True)
    mode.enter(assessment)
    assert mode.on_message(messages[1]).active
    states = [mode.to_state().model_dump_json()]
    transport = _Recorder()
    notifier = Notifier("https://peer.example.org/hook", b"s" * 32, transport, log=log)
    pending = notifier.request(event, callback_contact="+44 20 7946 0000")
    assert notifier.consent(pending.pending_id).ok
    assert mode.on_message(messages[2]).exited
    states.append(mode.to_state().model_dump_json())

    stored = _dump(log)
    assert event.event_id in stored
    sent = b"".join(transport.bodies).decode("utf-8")
    for blob in [stored, sent, *states]:
        for message in messages:
            assert message not in blob
        for word in ("Priya", "Raman", "die", "arrest", "sister", "nobody"):
            assert word not in blob, word
    assert "116 123" in reply.text
    recorded = log.recent()
    assert len(recorded) == 1 and recorded[0].consented_to_contact and recorded[0].notified
