"""`coach users` and the preparation `coach run` does before it hands over to Chainlit, with
the accounts in the users file (embedded default) or in PostgreSQL (``postgres`` marker)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from coach import database, storage_backends
from coach.app.users import Accounts, SqlAccounts, UsersFile, ensure_first_account
from coach.cli import app
from coach.settings import Settings

PASSWORD = "a long enough password"


def _scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    return data


@pytest.fixture
def env(backend_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of one instance: the embedded defaults, or PostgreSQL with the
    shared secrets set, as a deployment of several instances sets them."""
    data = _scrubbed(tmp_path, monkeypatch)
    if backend_settings.database_url is not None:
        assert backend_settings.theme_key and backend_settings.auth_secret
        monkeypatch.setenv("COACH_DATABASE_URL", backend_settings.database_url)
        monkeypatch.setenv("COACH_THEME_KEY", backend_settings.theme_key.get_secret_value())
        monkeypatch.setenv("COACH_AUTH_SECRET", backend_settings.auth_secret.get_secret_value())
    return data


@pytest.fixture
def embedded_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return _scrubbed(tmp_path, monkeypatch)


def accounts() -> Accounts:
    """The accounts as this environment's instance sees them."""
    return storage_backends.accounts(Settings())


def stored(users: Accounts) -> str:
    """Everything kept about the accounts, as stored."""
    if isinstance(users, UsersFile):
        return users.path.read_text(encoding="utf-8")
    assert isinstance(users, SqlAccounts)
    with database.engine(users.url).connect() as db:
        rows = db.execute(text("SELECT * FROM coach_accounts")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


def test_users_add_list_passwd_remove(env: Path) -> None:
    result = invoke("users", "add", "Nurse.One", "--role", "educator", "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nurse.one (educator)" in result.output
    users = accounts()
    assert users.authenticate("nurse.one", PASSWORD) is not None
    assert "nurse.one" in stored(users) and PASSWORD not in stored(users)
    assert (env / "users.yaml").exists() == isinstance(users, UsersFile)

    listed = invoke("users", "list")
    assert "nurse.one\teducator" in listed.output and PASSWORD not in listed.output

    again = invoke("users", "add", "nurse.one", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.exit_code == 2 and "coach users passwd nurse.one" in again.output

    changed = invoke(
        "users", "passwd", "nurse.one", "--password-stdin", stdin="another password 2\n"
    )
    assert changed.exit_code == 0
    assert users.authenticate("nurse.one", "another password 2") is not None

    assert invoke("users", "remove", "nurse.one").exit_code == 0
    assert users.load() == {}


def test_users_add_prompts_twice_for_the_password(env: Path) -> None:
    result = invoke("users", "add", "nurse.two", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert accounts().authenticate("nurse.two", PASSWORD) is not None


def test_users_add_refuses_bad_input(env: Path) -> None:
    short = invoke("users", "add", "nurse.three", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 12" in short.output
    role = invoke("users", "add", "nurse.three", "--role", "boss", "--password-stdin",
                  stdin=PASSWORD + "\n")  # fmt: skip
    assert role.exit_code == 2 and "clinician, educator, admin" in role.output


class _Exec(Exception):
    """Raised instead of replacing the test process."""


def _capture_exec(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_execve(path: str, argv: list[str], environ: dict[str, str]) -> None:
        seen.update(path=path, argv=argv, env=environ)
        raise _Exec

    monkeypatch.setattr(os, "execve", fake_execve)
    return seen


def test_run_on_a_fresh_machine(embedded_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = embedded_env
    seen = _capture_exec(monkeypatch)
    result = invoke("run", "--port", "8123")
    assert isinstance(result.exception, _Exec), result.output
    assert "username: clinician" in result.output
    password = result.output.split("password: ")[1].split()[0]
    assert UsersFile(env / "users.yaml").authenticate("clinician", password) is not None
    argv = seen["argv"]
    assert argv[1:4] == ["-m", "chainlit", "run"] and argv[4].endswith("coach/app/main.py")
    assert "--headless" in argv and argv[argv.index("--port") + 1] == "8123"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    root = Path(seen["env"]["CHAINLIT_APP_ROOT"])
    assert (root / ".chainlit" / "config.toml").is_file() and (root / "chainlit.md").is_file()
    assert (root / "public" / "elements" / "SupportOptions.jsx").is_file()
    secret = seen["env"]["CHAINLIT_AUTH_SECRET"]
    kept = env / "auth-secret"
    assert kept.read_text(encoding="utf-8").strip() == secret and len(secret) >= 32
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    # A second start keeps the accounts and the secret, and shows no password.
    again = invoke("run")
    assert isinstance(again.exception, _Exec)
    assert "password:" not in again.output
    assert seen["env"]["CHAINLIT_AUTH_SECRET"] == secret
    assert seen["argv"][seen["argv"].index("--port") + 1] == "8000"


def test_run_uses_a_configured_secret_and_header_sign_in(
    embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = embedded_env
    seen = _capture_exec(monkeypatch)
    monkeypatch.setenv("COACH_AUTH", "header")
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "s" * 40)
    result = invoke("run")
    assert isinstance(result.exception, _Exec), result.output
    assert "X-Forwarded-User" in result.output and "proxy" in result.output
    assert not (env / "users.yaml").exists()
    assert seen["env"]["CHAINLIT_AUTH_SECRET"] == "s" * 40
    assert os.environ.get("COACH_AUTH") == "header"


def test_run_refuses_a_webhook_without_its_secret(
    embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _capture_exec(monkeypatch)
    example = Path(__file__).resolve().parents[1] / "guardrails" / "org_config.example.yaml"
    monkeypatch.setenv("COACH_ORG_CONFIG", str(example))
    monkeypatch.delenv("COACH_PEER_WEBHOOK_SECRET", raising=False)
    result = invoke("run")
    assert result.exit_code == 2 and not seen
    assert "COACH_PEER_WEBHOOK_SECRET" in result.output

    monkeypatch.setenv("COACH_DATABASE_URL", "mysql://coach@db/coach")
    monkeypatch.setenv("COACH_PEER_WEBHOOK_SECRET", "s" * 32)
    result = invoke("run")
    assert result.exit_code == 2 and "COACH_DATABASE_URL" in result.output


def test_run_refuses_a_risk_second_opinion_without_a_chat_model(
    embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chainlit logs a failed start-up hook and serves anyway, so the setting is checked
    before the server starts."""
    seen = _capture_exec(monkeypatch)
    monkeypatch.setenv("COACH_RISK_SECOND_OPINION", "true")
    monkeypatch.setenv("COACH_LLM", "scripted")
    result = invoke("run")
    assert result.exit_code == 2 and not seen
    assert "COACH_LLM" in result.output and "COACH_RISK_SECOND_OPINION" in result.output

    monkeypatch.setenv("COACH_LLM", "openai-compatible:risk-model")
    monkeypatch.setenv("COACH_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    result = invoke("run")
    assert isinstance(result.exception, _Exec), result.output


@pytest.mark.postgres
def test_run_on_postgres_takes_the_shared_secrets_and_keeps_nothing_on_disk(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances (own data folders, one database) start: the first creates the first
    account in PostgreSQL, the second finds it; both sign tokens with COACH_AUTH_SECRET;
    neither writes a secret or an accounts file of its own."""
    seen = _capture_exec(monkeypatch)
    first = _scrubbed(tmp_path / "one", monkeypatch)
    monkeypatch.setenv("COACH_DATABASE_URL", postgres_url)
    monkeypatch.setenv("COACH_AUTH_SECRET", "a" * 48)
    monkeypatch.setenv("COACH_THEME_KEY", "t" * 48)
    result = invoke("run")
    assert isinstance(result.exception, _Exec), result.output
    password = result.output.split("password: ")[1].split()[0]
    assert "coach_accounts" in result.output and "COACH_CHROMA_HOST" in result.output
    assert seen["env"]["CHAINLIT_AUTH_SECRET"] == "a" * 48

    second = tmp_path / "two" / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(second))
    again = invoke("run")
    assert isinstance(again.exception, _Exec), again.output
    assert "password:" not in again.output
    assert seen["env"]["CHAINLIT_AUTH_SECRET"] == "a" * 48
    assert accounts().authenticate("clinician", password) is not None
    for data in (first, second):
        assert not (data / "auth-secret").exists() and not (data / "users.yaml").exists()
        assert not (data / "theme-secret").exists()


@pytest.mark.parametrize("missing", ["COACH_AUTH_SECRET", "COACH_THEME_KEY"])
def test_run_on_postgres_refuses_to_invent_a_secret(
    missing: str, embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a shared secret, start fails naming it (no database is contacted)."""
    seen = _capture_exec(monkeypatch)
    monkeypatch.setenv("COACH_DATABASE_URL", "postgres://coach:pw@127.0.0.1:9/coach")
    monkeypatch.setenv("COACH_AUTH_SECRET", "a" * 48)
    monkeypatch.setenv("COACH_THEME_KEY", "t" * 48)
    monkeypatch.delenv(missing)
    result = invoke("run")
    assert result.exit_code == 2 and not seen, result.output
    assert missing in result.output and "every instance" in result.output
    assert not (embedded_env / "auth-secret").exists()
    assert not (embedded_env / "theme-secret").exists()


def test_instances_starting_together_create_one_first_account(env: Path) -> None:
    """Four instances start at once on no accounts: one creates `clinician` and shows its
    password, the others show nothing, and none fails."""
    starts = 4
    barrier = threading.Barrier(starts)
    shown: list[tuple[str, str] | None] = []
    errors: list[BaseException] = []

    def start() -> None:
        users = accounts()
        barrier.wait()
        try:
            shown.append(ensure_first_account(users))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=start) for _ in range(starts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    created = [s for s in shown if s is not None]
    assert len(created) == 1 and len(shown) == starts
    assert accounts().authenticate("clinician", created[0][1]) is not None
