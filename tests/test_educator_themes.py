"""Theme records: derived offline from a debrief, vocabulary keys only, no link back to a
session or account, recorded once when a debrief ends or a day after it was abandoned,
and never for a clinician who opted out."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.educator.derive import derive_theme, stage_reached, support_needs, system_factors
from coach.educator.recorder import ThemeRecorder, role_from_users_file
from coach.educator.records import ThemeRecord, week_month
from coach.educator.store import ThemeStore
from coach.educator.tokens import clinician_token, load_or_create_secret, session_marker
from coach.sessions import MemorySessionStore, SqliteSessionStore
from coach.state import DebriefState
from coach.testing import fake_coach
from coach.types import Control

KEY = b"k" * 48
TOKEN = clinician_token(KEY, "nurse.one")
DEBRIEF = (
    "Mrs Adaeze Okafor died on the ward last night; we were two nurses short and nobody "
    "told me at handover that her obs had changed.",
    "I feel so guilty and sad about it.",
    "The registrar wouldn't listen when I said she looked worse.",
    "I will talk to my colleagues and I need to get some sleep.",
)


def _recorder(tmp_path: Path, **kwargs: object) -> ThemeRecorder:
    return ThemeRecorder(ThemeStore(tmp_path / "themes.db"), KEY, **kwargs)  # type: ignore[arg-type]


def _debrief(recorder: ThemeRecorder | None, session: str = "session-0001", *, end: bool = True):  # type: ignore[no-untyped-def]
    coach = fake_coach(with_knowledge=False)
    if recorder is not None:
        coach.deps.on_saved = recorder.on_saved
    coach.start(session, user_id="nurse.one")
    for text in DEBRIEF:
        coach.turn(session, text, user_id="nurse.one")
    if end:
        coach.control(session, Control.END, user_id="nurse.one")
    state = coach.load(session)
    assert state is not None
    return coach, state


def test_an_ended_debrief_becomes_one_record_of_vocabulary_keys(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, role_of=lambda user: "nurse")
    _coach, state = _debrief(recorder)
    records = recorder.store.records()
    assert len(records) == 1
    record = records[0]
    assert record.incident == "patient_death"
    assert set(record.emotions) >= {"guilt", "sadness"}
    assert set(record.factors) >= {"staffing", "communication", "hierarchy"}
    assert set(record.needs) == {"peer_support", "rest"}
    assert record.escalation == "none"
    assert record.role == "nurse"
    assert record.outcome == "ended_early" and record.stage == stage_reached(state)
    assert record.clinician == recorder.token("nurse.one")
    # ending again, or a sweep, does not count it twice
    recorder.on_saved(state)
    assert recorder.sweep([state]).recorded == 0
    assert recorder.store.count() == 1


def test_nothing_in_the_theme_store_links_back_or_holds_text(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    _debrief(recorder, "session-secret-42")
    raw = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("themes.db")
    ).lower()
    for needle in (b"session-secret-42", b"nurse.one", b"okafor", b"[name]", b"registrar"):
        assert needle not in raw, needle
    with sqlite3.connect(tmp_path / "themes.db") as db:
        (stored,) = db.execute("SELECT record FROM themes").fetchone()
        columns = [row[1] for row in db.execute("PRAGMA table_info(themes)")]
    assert columns == ["id", "record"]
    fields = set(json.loads(stored))
    assert fields == set(ThemeRecord.model_fields)
    assert not fields & {"session_id", "user_id", "created_at", "ended_at"}


def test_a_record_refuses_anything_outside_the_vocabulary() -> None:
    good = dict(
        week="2025-W30",
        role="nurse",
        clinician=TOKEN,
        incident="near_miss",
        stage="feelings",
        outcome="completed",
        duration="under_10_min",
    )
    ThemeRecord.model_validate(good)
    for bad in (
        {"emotions": ("Mrs Okafor",)},
        {"factors": ("the registrar was rude",)},
        {"incident": "Okafor's death"},
        {"role": "ward 7 night nurse"},
        {"clinician": "nurse.one"},
        {"week": "2025-07-21"},
        {"session_id": "session-0001"},
    ):
        with pytest.raises(ValidationError):
            ThemeRecord.model_validate({**good, **bad})


def test_rules_read_factors_and_needs_and_respect_negation() -> None:
    assert system_factors(["We were short staffed and the pump was faulty."]) == (
        "staffing",
        "equipment",
    )
    assert system_factors(["We were not short staffed that night."]) == ()
    assert system_factors(["The son was angry and kept shouting at us."], ["aggression"]) == (
        "family_conflict",
    )
    assert support_needs(["I will speak to my manager tomorrow."], "none") == (
        "supervisor_support",
    )
    assert support_needs([], "crisis") == ("crisis_support",)


def test_stage_reached_and_outcome_when_ended_early() -> None:
    state = DebriefState(
        session_id="session-0002",
        user_id="nurse.one",
        stages_visited=["check-in", "story", "feelings", "close"],
        stage="close",
        ended=True,
    )
    record = derive_theme(state, clinician=TOKEN, role="nurse")
    assert (record.stage, record.outcome) == ("feelings", "ended_early")
    assert record.incident == "unrecognised"


def test_abandoned_debriefs_are_swept_after_a_day_only(tmp_path: Path) -> None:
    sessions = SqliteSessionStore(tmp_path / "coach.db")
    coach = fake_coach(store=sessions, with_knowledge=False)
    coach.start("session-idle", user_id="nurse.one")
    coach.turn("session-idle", DEBRIEF[0], user_id="nurse.one")
    coach.start("session-empty", user_id="nurse.two")  # opened, nothing said: no record
    recorder = _recorder(tmp_path)
    assert recorder.sweep_sqlite(tmp_path / "coach.db").recorded == 0  # not idle yet
    later = datetime.now(UTC) + timedelta(hours=25)
    assert recorder.sweep_sqlite(tmp_path / "coach.db", later).recorded == 1
    assert recorder.sweep_sqlite(tmp_path / "coach.db", later).recorded == 0
    (record,) = recorder.store.records()
    assert (record.outcome, record.incident) == ("abandoned", "patient_death")


def test_an_opted_out_clinician_is_not_counted_and_their_records_go(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    _debrief(recorder, "session-0001")
    assert recorder.store.count() == 1
    assert recorder.opt_out("nurse.one") == 1
    assert recorder.store.count() == 0 and recorder.opted_out("nurse.one")
    _debrief(recorder, "session-0002")
    assert recorder.store.count() == 0
    recorder.opt_in("nurse.one")
    _debrief(recorder, "session-0003")
    assert recorder.store.count() == 1


def test_collection_switched_off_records_nothing(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, enabled=False)
    _debrief(recorder)
    assert recorder.store.count() == 0


def test_the_engine_works_without_a_recorder_and_a_failing_one_costs_nothing() -> None:
    _debrief(None)

    def broken(state: DebriefState) -> None:
        raise RuntimeError("disk full")

    recorder = ThemeRecorder.__new__(ThemeRecorder)
    recorder.record = broken  # type: ignore[method-assign]
    coach = fake_coach(store=MemorySessionStore(), with_knowledge=False)
    coach.deps.on_saved = recorder.on_saved
    coach.start("session-0009", user_id="nurse.one")
    coach.turn("session-0009", DEBRIEF[0], user_id="nurse.one")
    assert coach.control("session-0009", Control.END, user_id="nurse.one").ended


def test_tokens_are_keyed_and_the_key_is_private(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path) == secret
    assert stat.S_IMODE(os.stat(tmp_path / "theme-secret").st_mode) == 0o600
    assert clinician_token(secret, "nurse.one") == clinician_token(secret, "nurse.one")
    assert clinician_token(secret, "nurse.one") != clinician_token(KEY, "nurse.one")
    assert clinician_token(secret, "nurse.one") != clinician_token(secret, "nurse.two")
    assert session_marker(secret, "s-1") != clinician_token(secret, "s-1")


def test_role_category_comes_from_the_users_file(tmp_path: Path) -> None:
    from coach.app.users import UsersFile

    users = UsersFile(tmp_path / "users.yaml")
    users.add("sam", "a long enough password", "clinician", "midwife")
    users.add("alex", "a long enough password", "clinician")
    users.set_password("sam", "another long password")  # keeps the category
    role_of = role_from_users_file(tmp_path / "users.yaml")
    assert (role_of("sam"), role_of("SAM"), role_of("alex"), role_of("nobody")) == (
        "midwife",
        "midwife",
        "unspecified",
        "unspecified",
    )


def test_weeks_belong_to_the_month_of_their_thursday() -> None:
    assert week_month("2025-W27") == "2025-07"  # Mon 30 June, Thu 3 July
    assert week_month("2026-W01") == "2026-01"  # Mon 29 Dec 2025, Thu 1 Jan 2026
    assert week_month("2025-W31") == "2025-07"  # Thu 31 July


def test_cli_category_sweep_and_opt_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from coach.cli import app

    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "sam", "--category", "midwife", "--password-stdin"],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    assert "sam\tclinician\tmidwife" in runner.invoke(app, ["users", "list"]).output
    wrong = runner.invoke(app, ["users", "add", "kim", "--category", "ward 7"], input="x\n")
    assert wrong.exit_code == 2 and "--category" in wrong.output

    coach = fake_coach(store=SqliteSessionStore(tmp_path / "coach.db"), with_knowledge=False)
    coach.start("session-cli-1", user_id="sam")
    coach.turn("session-cli-1", DEBRIEF[0], user_id="sam")
    coach.control("session-cli-1", Control.END, user_id="sam")  # no hook: the sweep finds it
    swept = runner.invoke(app, ["educator", "sweep"])
    assert swept.exit_code == 0 and "Recorded 1 debriefs" in swept.output, swept.output
    (record,) = ThemeStore(tmp_path / "themes.db").records()
    assert record.role == "midwife"
    out = runner.invoke(app, ["educator", "opt-out", "SAM"])
    assert out.exit_code == 0 and "1 theme records deleted" in out.output
    assert ThemeStore(tmp_path / "themes.db").count() == 0


def test_the_app_sweeps_on_a_timer_until_stopped(tmp_path: Path) -> None:
    """The chat app runs ``sweep_every``: an abandoned debrief is recorded without a
    restart, once, and the loop ends when asked."""
    import asyncio

    sessions = SqliteSessionStore(tmp_path / "coach.db")
    coach = fake_coach(store=sessions, with_knowledge=False)
    coach.start("session-idle", user_id="nurse.one")
    coach.turn("session-idle", DEBRIEF[0], user_id="nurse.one")
    recorder = _recorder(tmp_path, idle=timedelta(0))

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.create_task(
            recorder.sweep_every(tmp_path / "coach.db", timedelta(milliseconds=20), stop)
        )
        while recorder.store.count() == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        stop.set()
        return await asyncio.wait_for(loop, timeout=5)

    sweeps = asyncio.run(go())
    assert sweeps >= 2
    assert recorder.store.count() == 1
