"""COACH_LLM to a chat model: every provider builds offline; bad settings name their fix."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from coach.llm import local_tiny
from coach.llm.local_tiny import INSTALL_HINT, LocalTinyChatModel
from coach.llm.models import ConfigError, build_chat_model
from coach.settings import Settings


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def settings(llm: str, **changes: Any) -> Settings:
    return Settings(llm=llm, llm_timeout_seconds=7.0, llm_max_tokens=33, **changes)


def test_scripted_is_no_model() -> None:
    assert build_chat_model(settings("scripted")) is None
    assert build_chat_model(settings("  Scripted ")) is None


def test_ollama_with_and_without_base_url() -> None:
    model = build_chat_model(settings("ollama:llama3.2"))
    assert isinstance(model, ChatOllama)
    assert model.model == "llama3.2"
    assert model.num_predict == 33
    assert model.base_url is None
    remote = build_chat_model(settings("ollama:llama3.2", llm_base_url="http://gpu-box:11434"))
    assert isinstance(remote, ChatOllama)
    assert remote.base_url == "http://gpu-box:11434"
    assert remote.client_kwargs == {"timeout": 7.0}


def test_openai_takes_the_coach_key() -> None:
    model = build_chat_model(settings("openai:gpt-4o-mini", llm_api_key=SecretStr("sk-test")))
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.max_tokens == 33
    assert model.request_timeout == 7.0
    assert model.openai_api_base is None  # COACH_LLM_BASE_URL is not for hosted OpenAI


def test_openai_falls_back_to_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert isinstance(build_chat_model(settings("openai:gpt-4o-mini")), ChatOpenAI)


def test_openai_without_any_key_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="COACH_LLM_API_KEY"):
        build_chat_model(settings("openai:gpt-4o-mini"))


def test_openai_compatible_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match="COACH_LLM_BASE_URL"):
        build_chat_model(settings("openai-compatible:qwen2.5"))
    with pytest.raises(ConfigError, match="COACH_LLM_BASE_URL"):
        build_chat_model(settings("openai-compatible:qwen2.5", llm_base_url="localhost:8000"))


def test_openai_compatible_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key")
    model = build_chat_model(
        settings("openai-compatible:qwen2.5", llm_base_url="http://localhost:8000/v1")
    )
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://localhost:8000/v1"
    assert model.model_name == "qwen2.5"
    assert isinstance(model.openai_api_key, SecretStr)
    # a real OpenAI key is never sent to another server
    assert model.openai_api_key.get_secret_value() == "not-needed"


def test_anthropic() -> None:
    model = build_chat_model(settings("anthropic:claude-3-5-haiku-latest", llm_api_key="k"))
    assert isinstance(model, ChatAnthropic)
    assert model.model == "claude-3-5-haiku-latest"
    assert model.max_tokens == 33
    assert model.default_request_timeout == 7.0
    assert model.anthropic_api_key.get_secret_value() == "k"
    with pytest.raises(ConfigError, match="COACH_LLM_API_KEY"):
        build_chat_model(settings("anthropic:claude-3-5-haiku-latest"))


def test_local_tiny_builds_without_loading() -> None:
    model = build_chat_model(settings("local-tiny"))
    assert isinstance(model, LocalTinyChatModel)
    assert model.max_new_tokens == 33
    assert model.stream_timeout_seconds == 7.0


def test_local_tiny_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_tiny, "GGUF_PACKAGE", "no_such_package_for_the_coach")
    with pytest.raises(ConfigError, match="uv sync --extra local-tiny") as err:
        build_chat_model(settings("local-tiny"))
    assert INSTALL_HINT in str(err.value)


@pytest.mark.parametrize("spec", ["foo", "gpt-4", "bard:gemini", ":llama", "local-huge"])
def test_unknown_provider_names_coach_llm(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"COACH_LLM=.* is not a known provider; use scripted"):
        build_chat_model(settings(spec))


@pytest.mark.parametrize("spec", ["ollama:", "openai:  ", "anthropic:"])
def test_missing_model_name(spec: str) -> None:
    with pytest.raises(ConfigError, match="names no model"):
        build_chat_model(settings(spec))
