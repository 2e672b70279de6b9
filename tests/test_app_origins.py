"""Which web origins may call the chat app: never a wildcard; this host by default."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.app.approot import chainlit_config, prepare_app_root
from coach.settings import Settings


def test_default_origins_are_this_host_and_port(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, port=8123)
    assert settings.app_origins == ["http://localhost:8123", "http://127.0.0.1:8123"]
    public = Settings(data_dir=tmp_path, host="coach.internal", port=443)
    assert "http://coach.internal:443" in public.app_origins


def test_configured_origins_replace_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_ALLOW_ORIGINS", '["https://coach.example.org"]')
    assert Settings(data_dir=tmp_path).app_origins == ["https://coach.example.org"]


@pytest.mark.parametrize("origin", ["*", "", "coach.example.org"])
def test_wildcards_and_bare_hosts_are_refused_with_the_setting_named(
    tmp_path: Path, origin: str
) -> None:
    with pytest.raises(ValidationError, match="COACH_ALLOW_ORIGINS"):
        Settings(data_dir=tmp_path, allow_origins=[origin])


def test_the_written_chainlit_config_holds_exactly_the_origins(tmp_path: Path) -> None:
    root = prepare_app_root(tmp_path, ["https://coach.example.org"])
    config = tomllib.loads((root / ".chainlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["project"]["allow_origins"] == ["https://coach.example.org"]
    assert config["features"]["edit_message"] is False  # the rest of the template is kept
    same_origin_only = prepare_app_root(tmp_path)
    written = tomllib.loads((same_origin_only / ".chainlit/config.toml").read_text("utf-8"))
    assert written["project"]["allow_origins"] == []


def test_a_template_without_its_origins_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="allow_origins"):
        chainlit_config("[project]\nsession_timeout = 1\n", ["http://localhost:8000"])
