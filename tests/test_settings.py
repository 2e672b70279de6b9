from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.settings import Settings


def test_defaults_put_state_under_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("COACH_DATA_DIR", "COACH_CHROMA_PATH", "COACH_CHROMA_HOST"):
        monkeypatch.delenv(var, raising=False)
    settings = Settings()
    assert settings.data_dir == Path(".coach-data")
    assert settings.chroma_dir == Path(".coach-data") / "chroma"
    assert settings.chroma_host is None
    assert settings.embedder == "minilm"


def test_environment_prefix_is_coach(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("COACH_CHROMA_PORT", "9000")
    monkeypatch.setenv("COACH_EMBEDDER", "hashing")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert (settings.chroma_host, settings.chroma_port) == ("chroma.internal", 9000)
    assert settings.embedder == "hashing"


def test_bad_overlap_names_the_settings_to_fix() -> None:
    with pytest.raises(ValidationError, match="COACH_CHUNK_OVERLAP_WORDS"):
        Settings(chunk_words=50, chunk_overlap_words=50)


def test_unknown_embedder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_EMBEDDER", "gpt")
    with pytest.raises(ValidationError):
        Settings()
