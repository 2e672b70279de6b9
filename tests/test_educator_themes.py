"""Theme records: derived offline from a debrief, vocabulary keys only, no link back to a
session or account, recorded once when a debrief ends or a day after it was abandoned,
and never for a clinician who opted out. The store tests run on the embedded SQLite file
and on PostgreSQL (``postgres`` marker), where several instances record and sweep at once."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from coach import database, storage_backends
from coach.educator.derive import derive_theme, stage_reached, support_needs, system_factors
from coach.educator.recorder import ThemeRecorder, role_from_accounts, role_from_users_file
from coach.educator.records import ThemeRecord, week_month
from coach.educator.store import SqlThemeStore, ThemeStorage, ThemeStore
from coach.educator.tokens import (
    TokenKeyError,
    clinician_token,
    load_or_create_secret,
    session_marker,
)
from coach.sessions import MemorySessionStore
from coach.settings import Settings
from coach.state import DebriefState
from coach.testing import fake_coach
from coach.types import Control
from tests.educator_support import DEBRIEF, KEY, TOKEN


@pytest.fixture
def themes(backend_settings: Settings) -> ThemeStorage:
    """The theme store the app would use: ``themes.db``, or PostgreSQL's tables."""
    return storage_backends.theme_store(backend_settings)


def _recorder(store: ThemeStorage, **kwargs: object) -> ThemeRecorder:
    return ThemeRecorder(store, KEY, **kwargs)  # type: ignore[arg-type]


def _debrief(  # type: ignore[no-untyped-def]
    recorder: ThemeRecorder | None,
    session: str = "session-0001",
    *,
    end: bool = True,
    sessions=None,
):
    coach = fake_coach(store=sessions, with_knowledge=False)
    if recorder is not None:
        coach.deps.on_saved = recorder.on_saved
    coach.start(session, user_id="nurse.one")
    for message in DEBRIEF:
        coach.turn(session, message, user_id="nurse.one")
    if end:
        coach.control(session, Control.END, user_id="nurse.one")
    state = coach.load(session)
    assert state is not None
    return coach, state


def test_an_ended_debrief_becomes_one_record_of_vocabulary_keys(themes: ThemeStorage) -> None:
    recorder = _recorder(themes, role_of=lambda user: "nurse")
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
    recorder = _recorder(ThemeStore(tmp_path / "themes.db"))
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


@pytest.mark.postgres
def test_nothing_in_the_postgres_theme_tables_links_back_or_holds_text(postgres_url: str) -> None:
    recorder = _recorder(SqlThemeStore(postgres_url))
    _debrief(recorder, "session-secret-42")
    recorder.opt_out("nurse.two")
    with database.engine(postgres_url).connect() as db:
        columns = {
            table: [
                row[0]
                for row in db.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_name = :t ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            ]
            for table in ("theme_records", "theme_processed", "theme_opt_outs")
        }
        raw = "\n".join(
            repr(tuple(row))
            for table in columns
            for row in db.execute(text(f"SELECT * FROM {table}")).all()
        ).lower()
    assert columns == {
        "theme_records": ["id", "record"],
        "theme_processed": ["marker"],
        "theme_opt_outs": ["clinician"],
    }
    for needle in ("session-secret-42", "nurse.one", "nurse.two", "okafor", "[name]", "registrar"):
        assert needle not in raw, needle
    (stored,) = recorder.store.records()
    assert stored.clinician in raw  # the keyed token, never the account name


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


def test_abandoned_debriefs_are_swept_after_a_day_only(
    backend_settings: Settings, themes: ThemeStorage
) -> None:
    sessions = storage_backends.session_store(backend_settings)
    coach = fake_coach(store=sessions, with_knowledge=False)
    coach.start("session-idle", user_id="nurse.one")
    coach.turn("session-idle", DEBRIEF[0], user_id="nurse.one")
    coach.start("session-empty", user_id="nurse.two")  # opened, nothing said: no record
    recorder = _recorder(themes)
    source = storage_backends.sweep_source(backend_settings)
    assert recorder.sweep_from(source).recorded == 0  # not idle yet
    later = datetime.now(UTC) + timedelta(hours=25)
    assert recorder.sweep_from(source, later).recorded == 1
    assert recorder.sweep_from(source, later).recorded == 0
    (record,) = recorder.store.records()
    assert (record.outcome, record.incident) == ("abandoned", "patient_death")


def test_an_opted_out_clinician_is_not_counted_and_their_records_go(themes: ThemeStorage) -> None:
    recorder = _recorder(themes)
    _debrief(recorder, "session-0001")
    assert recorder.store.count() == 1
    assert recorder.opt_out("nurse.one") == 1
    assert recorder.store.count() == 0 and recorder.opted_out("nurse.one")
    _debrief(recorder, "session-0002")
    assert recorder.store.count() == 0
    recorder.opt_in("nurse.one")
    _debrief(recorder, "session-0003")
    assert recorder.store.count() == 1


def test_collection_switched_off_records_nothing(themes: ThemeStorage) -> None:
    recorder = _recorder(themes, enabled=False)
    _debrief(recorder)
    assert recorder.store.count() == 0


def test_the_engine_works_without_a_recorder_and_a_failing_one_costs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _debrief(None)

    def broken(state: DebriefState) -> bool:
        raise RuntimeError("disk full")

    recorder = ThemeRecorder.__new__(ThemeRecorder)
    monkeypatch.setattr(recorder, "record", broken)
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


def test_cli_category_sweep_and_opt_out(
    backend_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from coach.cli import app

    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    if backend_settings.database_url is not None:
        monkeypatch.setenv("COACH_DATABASE_URL", backend_settings.database_url)
        assert backend_settings.theme_key is not None
        monkeypatch.setenv("COACH_THEME_KEY", backend_settings.theme_key.get_secret_value())
    settings = Settings()
    themes = storage_backends.theme_store(settings)
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

    coach = fake_coach(store=storage_backends.session_store(settings), with_knowledge=False)
    coach.start("session-cli-1", user_id="sam")
    coach.turn("session-cli-1", DEBRIEF[0], user_id="sam")
    coach.control("session-cli-1", Control.END, user_id="sam")  # no hook: the sweep finds it
    swept = runner.invoke(app, ["educator", "sweep"])
    assert swept.exit_code == 0 and "Recorded 1 debriefs" in swept.output, swept.output
    (record,) = themes.records()
    assert record.role == "midwife"
    out = runner.invoke(app, ["educator", "opt-out", "SAM"])
    assert out.exit_code == 0 and "1 theme records deleted" in out.output
    assert themes.count() == 0
    assert (tmp_path / "themes.db").exists() == (backend_settings.database_url is None)


def test_the_app_sweeps_on_a_timer_until_stopped(
    backend_settings: Settings, themes: ThemeStorage
) -> None:
    """The chat app runs ``sweep_every``: an abandoned debrief is recorded without a
    restart, once, and the loop ends when asked."""
    import asyncio

    sessions = storage_backends.session_store(backend_settings)
    coach = fake_coach(store=sessions, with_knowledge=False)
    coach.start("session-idle", user_id="nurse.one")
    coach.turn("session-idle", DEBRIEF[0], user_id="nurse.one")
    recorder = _recorder(themes, idle=timedelta(0))
    source = storage_backends.sweep_source(backend_settings)

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.create_task(recorder.sweep_every(source, timedelta(milliseconds=20), stop))
        while recorder.store.count() == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        stop.set()
        return await asyncio.wait_for(loop, timeout=5)

    sweeps = asyncio.run(go())
    assert sweeps >= 2
    assert recorder.store.count() == 1


# --- several instances --------------------------------------------------------------


def test_instances_sweeping_at_once_record_each_debrief_once(backend_settings: Settings) -> None:
    """Four instances (own recorder and stores each, same database and key) sweep the
    same ended debriefs at the same moment: every debrief becomes exactly one record."""
    sessions = storage_backends.session_store(backend_settings)
    for n in range(6):
        _debrief(None, f"session-race-{n}", sessions=sessions)
    instances = 4
    barrier = threading.Barrier(instances)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        recorder = _recorder(storage_backends.theme_store(backend_settings))
        source = storage_backends.sweep_source(backend_settings)
        barrier.wait()
        try:
            results.append(recorder.sweep_from(source).recorded)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=sweep) for _ in range(instances)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sum(results) == 6
    assert storage_backends.theme_store(backend_settings).count() == 6


def _race(*jobs: object) -> list[BaseException]:
    """Run the callables ``jobs`` in threads released together; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: object) -> None:
        barrier.wait()
        try:
            job()  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def _ended_record(session: str) -> ThemeRecord:
    return derive_theme(
        DebriefState(session_id=session, user_id="nurse.one", ended=True),
        clinician=TOKEN,
        role="nurse",
    )


def test_store_add_claims_a_marker_once_when_raced(backend_settings: Settings) -> None:
    """The store itself: eight writers (one store object each, as instances have) add a
    record with the same session marker at once, twenty times over; each time one
    succeeds, the others get ``False``, and nothing raises."""
    record = _ended_record("session-0003")
    stores = [storage_backends.theme_store(backend_settings) for _ in range(8)]
    for round_ in range(20):
        results: list[bool] = []
        marker = f"marker-{round_}"
        errors = _race(
            *(lambda s=s, m=marker, out=results: out.append(s.add(record, m)) for s in stores)
        )
        assert errors == [] and sorted(results) == [False] * 7 + [True], round_
    assert stores[0].count() == 20


@pytest.mark.postgres
def test_an_opt_out_racing_new_records_leaves_none(postgres_url: str) -> None:
    """Instances keep recording a clinician's debriefs while another instance opts them
    out: once everything has finished, none of their records is left (each record was
    either written before the opt-out, and deleted by it, or refused after it)."""
    record = _ended_record("session-0004")
    writers = [SqlThemeStore(postgres_url) for _ in range(4)]
    opting = SqlThemeStore(postgres_url)
    for round_ in range(8):
        opting.opt_in(TOKEN)

        def add(store: SqlThemeStore, n: int, r: int = round_) -> None:
            for i in range(6):
                store.add(record, f"marker-{r}-{n}-{i}")

        jobs = [lambda s=s, n=n: add(s, n) for n, s in enumerate(writers)]
        assert _race(*jobs, lambda: opting.opt_out(TOKEN)) == []
        assert opting.opted_out(TOKEN)
        assert opting.count() == 0, round_


def test_the_theme_key_is_shared_through_the_environment(
    backend_settings: Settings, tmp_path: Path
) -> None:
    """On PostgreSQL the key must come from COACH_THEME_KEY (so every instance computes
    the same clinician tokens); the embedded default still generates its own."""
    if backend_settings.database_url is None:
        assert storage_backends.theme_key(backend_settings) == load_or_create_secret(
            backend_settings.data_dir
        )
        return
    other = backend_settings.model_copy(update={"data_dir": tmp_path / "other-instance"})
    key = storage_backends.theme_key(backend_settings)
    assert key == storage_backends.theme_key(other)
    assert not (backend_settings.data_dir / "theme-secret").exists()
    unset = backend_settings.model_copy(update={"theme_key": None})
    with pytest.raises(TokenKeyError, match="COACH_THEME_KEY"):
        storage_backends.theme_key(unset)
    with pytest.raises(TokenKeyError, match="COACH_THEME_KEY"):
        ThemeRecorder.from_settings(unset)


def test_role_category_comes_from_the_shared_accounts(backend_settings: Settings) -> None:
    accounts = storage_backends.accounts(backend_settings)
    accounts.add("sam", "a long enough password", "clinician", "midwife")
    role_of = role_from_accounts(storage_backends.accounts(backend_settings))
    assert (role_of("SAM"), role_of("nobody"), role_of("not a name!")) == (
        "midwife",
        "unspecified",
        "unspecified",
    )
