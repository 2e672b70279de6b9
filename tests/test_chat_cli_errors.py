"""`coach chat` when something is wrong: a setting that names no usable chat model gets a
one-line error naming the setting (exit 2, no traceback), and `/summary` while the
debrief store is down gets the same clear notice as the chat app."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.engine import Coach
from coach.sessions import MemorySessionStore
from coach.state import DebriefState
from coach.testing import fake_coach

FAST = {"COACH_EMBEDDER": "hashing", "COACH_RISK_CLASSIFIER": "rules"}


def _chat(tmp_path: Path, env: dict[str, str], stdin: str = "/quit\n") -> tuple[int, str, str]:
    environment = {"COACH_DATA_DIR": str(tmp_path / "data"), **FAST, **env}
    result = CliRunner().invoke(app, ["chat"], input=stdin, env=environment)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"COACH_LLM": "nonsense:some-model"}, "COACH_LLM"),
        ({"COACH_LLM": "openai-compatible:m"}, "COACH_LLM_BASE_URL"),
        ({"COACH_RISK_SECOND_OPINION": "true", "COACH_LLM": "scripted"}, "COACH_LLM"),
    ],
    ids=["unknown-provider", "no-base-url", "second-opinion-without-a-model"],
)
def test_a_bad_model_setting_is_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    code, out, err = _chat(tmp_path, env)
    assert code == 2
    assert "Traceback" not in out + err
    [line] = err.strip().splitlines()
    assert line.startswith("error: ") and setting in line


class ReadsFail(MemorySessionStore):
    """A debrief store that has gone down for reads."""

    down = False

    def load(self, session_id: str) -> DebriefState | None:
        if self.down:
            raise ConnectionError("session database unreachable")
        return super().load(session_id)


def test_summary_while_the_store_is_down_is_a_clear_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = ReadsFail()
    coach = fake_coach(store=store)
    monkeypatch.setattr(Coach, "from_settings", classmethod(lambda cls, s: coach))
    coach.start("session-cli-down-01")
    store.down = True  # down before the clinician comes back to it
    result = CliRunner().invoke(
        app, ["chat", "--session", "session-cli-down-01"], input="/summary\n/quit\n"
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.exception is None
    assert "Nothing saved has been lost" in result.stdout  # the chat app's wording
