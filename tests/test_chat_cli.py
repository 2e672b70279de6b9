"""`coach chat --script`: JSON in, one JSON turn per message out; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.engine import Coach
from coach.testing import fake_coach


@pytest.fixture(autouse=True)
def _fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Coach, "from_settings", classmethod(lambda cls, s: fake_coach()))


def _run(tmp_path: Path, payload: object) -> tuple[int, str, str]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps(payload), encoding="utf-8")
    result = CliRunner().invoke(app, ["chat", "--script", str(script)])
    return result.exit_code, result.stdout, result.stderr


def test_script_prints_one_turn_per_message_with_the_fields(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, ["Rough night.", "A patient died.", "/skip", "/end"])
    assert code == 0
    turns = json.loads(out)
    assert [t["user"] for t in turns] == [None, "Rough night.", "A patient died.", "/skip", "/end"]
    for turn in turns:
        assert {"user", "coach", "stage", "escalation", "sources"} <= set(turn)
    assert turns[-1]["ended"] and turns[-1]["summary"].startswith("# Debrief reflection")


def test_script_reports_crisis(tmp_path: Path) -> None:
    _, out, _ = _run(tmp_path, ["I want to kill myself."])
    turns = json.loads(out)
    assert turns[1]["escalation"] == "crisis"
    assert "im_safe" in turns[1]["actions"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"a": 1}', "JSON list"),
        (b'["ok", 3]', "not strings"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_bad_scripts_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    script = tmp_path / "bad.json"
    script.write_bytes(content)
    result = CliRunner().invoke(app, ["chat", "--script", str(script)])
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_script_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--script", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_interactive_chat_streams_takes_commands_and_ends_with_a_summary() -> None:
    result = CliRunner().invoke(
        app, ["chat", "--session", "session-cli-0001"], input="A patient died.\n/listen\n/end\n"
    )
    assert result.exit_code == 0, result.output
    assert "coach> " in result.stdout
    assert "I'll listen" in result.stdout
    assert "# Debrief reflection" in result.stdout


def test_interactive_chat_can_be_left_and_says_how_to_come_back() -> None:
    result = CliRunner().invoke(app, ["chat", "--session", "session-cli-0002"], input="Hi\n")
    assert result.exit_code == 0
    assert "coach chat --session session-cli-0002" in result.stdout
