"""`coach users` and the preparation `coach run` does before it hands over to Chainlit."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from coach.app import cli as app_cli
from coach.app.users import UsersFile
from coach.cli import app

PASSWORD = "a long enough password"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    return data


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


def test_users_add_list_passwd_remove(env: Path) -> None:
    result = invoke("users", "add", "Nurse.One", "--role", "educator", "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nurse.one (educator)" in result.output
    users = UsersFile(env / "users.yaml")
    assert users.authenticate("nurse.one", PASSWORD) is not None
    assert PASSWORD not in users.path.read_text(encoding="utf-8")

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
    assert UsersFile(env / "users.yaml").authenticate("nurse.two", PASSWORD) is not None


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

    monkeypatch.setattr(app_cli.os, "execve", fake_execve)
    return seen


def test_run_on_a_fresh_machine(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    env: Path, monkeypatch: pytest.MonkeyPatch
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
