"""Security, point 4: secrets come only from the environment. The API key and the sign-in
secret are read from ``COACH_*`` (or the provider's own) variables as ``SecretStr``; they
never show in ``repr(settings)``, the command line, the files the app writes, logs or the
messages a clinician sees; a ``.env`` file in the working directory is not read; and no
secret-looking literal is committed.

The provider variables (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``) as the fallback for
``COACH_LLM_API_KEY`` are tested in ``tests/test_llm_models.py``; that the key reaches no
chat database, event or theme file is checked with the whole debrief in
``tests/test_security_deid.py``."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar, get_args

import pytest
from pydantic import SecretStr, ValidationError

from coach.responders.checked import NOTICE_UNAVAILABLE
from coach.settings import Settings
from coach.testing import fake_coach
from coach.wiring import build_responder
from tests.test_app_users_cli import _capture_exec, _Exec, invoke

REPO = Path(__file__).resolve().parents[1]
# Built at run time, so that the scan of the repository below does not flag this file.
API_KEY = "sk-" + "proj-" + "Cq7" * 12
AUTH_SECRET = "chainlit-" + "Zr4" * 14
DB_PASSWORD = "pg-" + "Wd9" * 8
SECRETS = (API_KEY, AUTH_SECRET, DB_PASSWORD)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")) or name.endswith("_API_KEY"):
            monkeypatch.delenv(name)


def secret_fields() -> list[str]:
    """Every ``Settings`` field typed ``SecretStr`` (so a new secret is covered too)."""
    return [
        name
        for name, field in Settings.model_fields.items()
        if SecretStr in (field.annotation, *get_args(field.annotation))
    ]


def test_secrets_are_read_from_the_environment_and_never_shown(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"llm_api_key", "auth_secret"} <= set(secret_fields())
    values = {name: f"{name}-" + "Kx8" * 12 for name in secret_fields()}
    values.update(llm_api_key=API_KEY, auth_secret=AUTH_SECRET)
    for name, value in values.items():
        monkeypatch.setenv(f"COACH_{name.upper()}", value)
    monkeypatch.setenv("COACH_DATABASE_URL", f"postgresql://coach:{DB_PASSWORD}@db.internal/c")
    settings = Settings()
    for name, value in values.items():
        secret = getattr(settings, name)
        assert isinstance(secret, SecretStr) and secret.get_secret_value() == value
    assert settings.database_url is not None and DB_PASSWORD in settings.database_url
    hidden = [*values.values(), DB_PASSWORD]
    for shown in (repr(settings), str(settings), f"{settings!r}"):
        for secret in hidden:
            assert secret not in shown
    for dumped in (settings.model_dump_json(), json.dumps(settings.model_dump(mode="json"))):
        for secret in values.values():
            assert secret not in dumped
    # a setting that fails validation names itself, not the secrets beside it
    monkeypatch.setenv("COACH_LLM_TIMEOUT_SECONDS", "-1")
    with pytest.raises(ValidationError) as failed:
        Settings()
    assert "llm_timeout_seconds" in str(failed.value)
    for secret in hidden:
        assert secret not in str(failed.value) and secret not in repr(failed.value)


def _write_dotenv(folder: Path) -> None:
    lines = [
        f"COACH_LLM_API_KEY={API_KEY}",
        f"COACH_AUTH_SECRET={AUTH_SECRET}",
        f"CHAINLIT_AUTH_SECRET={AUTH_SECRET}",
        f"OPENAI_API_KEY={API_KEY}",
        "COACH_LLM=openai:gpt-4o-mini",
    ]
    (folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_settings_do_not_read_a_dotenv_file(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dotenv(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.llm_api_key is None and settings.auth_secret is None
    assert settings.llm == "scripted"


# What the chat app's process sees once Chainlit is imported (Chainlit loads a .env file
# from the working directory on import unless told otherwise), and the settings it builds.
_APP_PROCESS = """
import json, os
import chainlit  # noqa: F401
from coach.settings import Settings
s = Settings()
print(json.dumps({
    "env": {k: os.environ.get(k) for k in
            ("COACH_LLM_API_KEY", "COACH_AUTH_SECRET", "OPENAI_API_KEY", "COACH_LLM")},
    "auth": os.environ.get("CHAINLIT_AUTH_SECRET"),
    "llm": s.llm,
    "key": s.llm_api_key is not None,
}))
"""


@pytest.mark.integration
def test_the_chat_app_does_not_read_a_dotenv_file(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``coach run`` hands over to Chainlit in the same working directory."""
    work = tmp_path / "work"
    work.mkdir()
    _write_dotenv(work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    seen = _capture_exec(monkeypatch)
    result = invoke("run")
    assert isinstance(result.exception, _Exec), result.output
    done = subprocess.run(
        [sys.executable, "-c", _APP_PROCESS],
        env=seen["env"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen_by_app = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen_by_app["env"] == dict.fromkeys(seen_by_app["env"])
    assert seen_by_app["auth"] not in (None, AUTH_SECRET)  # the generated one, not the file's
    assert seen_by_app["llm"] == "scripted" and seen_by_app["key"] is False


def _files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def test_coach_run_writes_no_secret_and_keeps_it_off_the_command_line(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_AUTH_SECRET", AUTH_SECRET)
    monkeypatch.setenv("COACH_LLM_API_KEY", API_KEY)
    seen = _capture_exec(monkeypatch)
    result = invoke("run")
    assert isinstance(result.exception, _Exec), result.output
    assert seen["env"]["CHAINLIT_AUTH_SECRET"] == AUTH_SECRET  # handed over in the environment
    assert not (data / "auth-secret").exists()  # a configured secret is not copied to disk
    assert all(s not in arg for arg in seen["argv"] for s in SECRETS)  # `ps` shows argv
    assert API_KEY not in result.output and AUTH_SECRET not in result.output
    written = list(_files_under(data))
    assert any(p.name == "config.toml" for p in written)  # Chainlit's config, written by us
    for path in written:
        content = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in content, path


class _Provider(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that refuses the key, as hosted providers do (their
    message shows only the key's first and last characters)."""

    keys: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        type(self).keys.append(key)
        body = json.dumps(
            {
                "error": {
                    "message": f"Incorrect API key provided: {key[:6]}****{key[-4:]}.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def provider() -> Iterator[str]:
    _Provider.keys = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_key_stays_out_of_logs_and_the_clinicians_messages(
    provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        llm="openai-compatible:coach-model",
        llm_base_url=provider,
        llm_api_key=SecretStr(API_KEY),
        llm_timeout_seconds=10,
    )
    coach = fake_coach(responder=build_responder(settings))
    with caplog.at_level(logging.DEBUG):
        coach.start("secret-session", user_id="nurse.one")
        result = coach.turn("secret-session", "It was a long night on the ward.")
    assert _Provider.keys and set(_Provider.keys) == {API_KEY}  # the key did go to the provider
    assert NOTICE_UNAVAILABLE in json.dumps(result.as_json("nurse.one"))  # and it failed
    shown = json.dumps(result.as_json("nurse.one")) + repr(coach.load("secret-session"))
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.exc_info!r}" for r in caplog.records
    )
    assert "401" in logged or "invalid_api_key" in logged  # the failure itself is logged
    for text in (shown, logged):
        assert API_KEY not in text
        assert API_KEY[6:-4] not in text  # not even the masked middle


# --- nothing secret is committed ----------------------------------------------------------

_LOCAL_HOSTS = re.compile(
    r"^(?:localhost|127\.0\.0\.1|\[?::1\]?|[\w.-]+\.(?:example|test|invalid|localhost)"
    r"|example\.(?:com|org|net))(?::\d+)?$"
)
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "OpenAI or Anthropic key": re.compile(r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{20,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile("-" * 5 + r"BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY" + "-" * 5),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    "secret assigned a literal": re.compile(
        r"(?i)(?:api[_-]?key|secret|passw(?:or)?d|token)[\"']?\s*[:=]\s*[\"'][^\"'\s]{16,}[\"']"
    ),
}
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:([^/\s@\"']{6,})@([^/\s\"']+)")
# Passwords that stand for one in documentation or code: $DB_PASSWORD, ${PASS}, <password>,
# PASSWORD, {self.password} (filled in at run time).
_PLACEHOLDER = re.compile(r"^(?:\$\{?\w+\}?|<[^>]+>|\{[^}]+\}|[A-Z_]*(?:PASS|SECRET|PWD)[A-Z_]*)$")


def find_secrets(text: str) -> list[str]:
    """What in ``text`` looks like a committed secret (named by kind)."""
    found = [
        f"{kind}: {match.group(0)[:12]}..."
        for kind, pattern in SECRET_PATTERNS.items()
        for match in pattern.finditer(text)
    ]
    for match in _URL_CREDENTIALS.finditer(text):
        password, host = match.group(1), match.group(2)
        if not _LOCAL_HOSTS.match(host) and not _PLACEHOLDER.match(password):
            found.append(f"password in a URL: {match.group(0)[:16]}...")
    return found


def tracked_text_files() -> list[Path]:
    """The repository's tracked files (``git ls-files``; every file outside generated
    folders when git is unavailable), without binary ones."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        paths = [REPO / name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        skip = {".git", ".venv", "node_modules", ".coach-data", "__pycache__", ".mypy_cache"}
        paths = [p for p in REPO.rglob("*") if p.is_file() and not skip & set(p.parts)]
    texts = []
    for path in paths:
        if path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            texts.append(path)
    return texts


def test_the_secret_scan_finds_what_it_looks_for() -> None:
    planted = [
        "OPENAI_API_KEY=" + "sk-" + "proj-" + "a1B2c3" * 5,
        "key = '" + "AKIA" + "Q3EXAMPLE7ABCDEF" + "'",
        "-" * 5 + "BEGIN RSA PRIVATE KEY" + "-" * 5,
        "token: " + "ghp_" + "x" * 36,
        'api_key = "' + "8f14e45fceea167a5a36dedd4bea2543" + '"',
        "postgresql://coach:" + "s3cr3t-pass" + "@db.prod.internal/coach",
    ]
    for text in planted:
        assert find_secrets(text), text
    harmless = [
        "COACH_LLM_API_KEY=",
        "postgresql://coach:" + "hunter2-secret" + "@127.0.0.1:9/coach",
        'password = "a long enough password"',
        "the risk-management team and a task-processor",
        "COACH_DATABASE_URL=postgresql://coach:PASSWORD@db:5432/coach",
        "export COACH_DATABASE_URL=postgresql://coach:$DB_PASSWORD@db.internal:5432/coach",
        'f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"',
    ]
    for text in harmless:
        assert not find_secrets(text), text


def test_no_secret_looking_literal_is_committed() -> None:
    files = tracked_text_files()
    assert len(files) > 100 and any(p.name == "settings.py" for p in files)
    found = {
        str(path.relative_to(REPO)): hits
        for path in files
        if (hits := find_secrets(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}
