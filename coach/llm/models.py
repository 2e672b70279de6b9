"""``COACH_LLM`` to a LangChain chat model.

=============================  ===========================================================
``scripted``                   no model (``None``): the embedded scripted coach replies
``local-tiny``                 SmolLM2-135M on the CPU (the ``local-tiny`` extra)
``ollama:<model>``             a local Ollama server (``COACH_LLM_BASE_URL``, else its
                               default address)
``openai:<model>``             OpenAI (key: ``COACH_LLM_API_KEY``, else ``OPENAI_API_KEY``)
``anthropic:<model>``          Anthropic (key: ``COACH_LLM_API_KEY``, else
                               ``ANTHROPIC_API_KEY``)
``openai-compatible:<model>``  any OpenAI-compatible server (vLLM, llama.cpp server) at
                               ``COACH_LLM_BASE_URL``; key ``COACH_LLM_API_KEY`` if it needs one
=============================  ===========================================================

Timeout, temperature and reply length come from the settings. Building a model never
contacts the network; a bad setting raises ``ConfigError`` naming the variable that fixes it.
``COACH_LLM_BASE_URL`` is used only by ``ollama`` and ``openai-compatible``, so a URL left
over from a local server never redirects traffic meant for a hosted provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from coach.llm.local_tiny import LocalTinyChatModel, LocalTinyUnavailable, gguf_location
from coach.settings import Settings

__all__ = ["KNOWN_PROVIDERS", "ConfigError", "build_chat_model"]

KNOWN_PROVIDERS: Final = (
    "scripted, local-tiny, ollama:<model>, openai:<model>, anthropic:<model> or "
    "openai-compatible:<model> (with COACH_LLM_BASE_URL)"
)
MAX_RETRIES: Final = 1  # a slow provider is better answered by the fallback than by retries


class ConfigError(ValueError):
    """``COACH_LLM`` and its companion settings do not describe a usable chat model."""


def _secret(settings: Settings) -> SecretStr | None:
    """``COACH_LLM_API_KEY``, if set to something other than blanks."""
    key = settings.llm_api_key
    return key if key is not None and key.get_secret_value().strip() else None


def _base_url(settings: Settings, spec: str, *, required: bool) -> str | None:
    url = (settings.llm_base_url or "").strip()
    if not url:
        if required:
            raise ConfigError(
                f"COACH_LLM={spec!r} needs COACH_LLM_BASE_URL, the server's base URL "
                "(for example http://localhost:8000/v1)"
            )
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"COACH_LLM_BASE_URL={url!r} is not an http:// or https:// URL (used by {spec!r})"
        )
    return url


def _ollama(model: str, spec: str, settings: Settings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        model=model,
        base_url=_base_url(settings, spec, required=False),
        temperature=settings.llm_temperature,
        num_predict=settings.llm_max_tokens,
        client_kwargs={"timeout": settings.llm_timeout_seconds},
    )


def _openai(model: str, spec: str, settings: Settings) -> BaseChatModel:
    import openai
    from langchain_openai import ChatOpenAI

    try:
        return ChatOpenAI(
            model=model,
            api_key=_secret(settings),  # None: the client reads OPENAI_API_KEY
            temperature=settings.llm_temperature,
            max_completion_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout_seconds,
            max_retries=MAX_RETRIES,
        )
    except openai.OpenAIError as exc:
        raise ConfigError(
            f"COACH_LLM={spec!r} needs an API key: set COACH_LLM_API_KEY (or OPENAI_API_KEY)"
        ) from exc


def _openai_compatible(model: str, spec: str, settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    base_url = _base_url(settings, spec, required=True)
    # Never fall back to OPENAI_API_KEY here: it would be sent to a different server.
    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=_secret(settings) or SecretStr("not-needed"),
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=MAX_RETRIES,
    )


def _anthropic(model: str, spec: str, settings: Settings) -> BaseChatModel:
    from langchain_anthropic import ChatAnthropic

    key = _secret(settings)
    extra: dict[str, Any] = {"api_key": key} if key else {}  # else: ANTHROPIC_API_KEY
    chat = ChatAnthropic(
        model_name=model,
        temperature=settings.llm_temperature,
        max_tokens_to_sample=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=MAX_RETRIES,
        **extra,
    )
    if not chat.anthropic_api_key.get_secret_value():
        raise ConfigError(
            f"COACH_LLM={spec!r} needs an API key: set COACH_LLM_API_KEY (or ANTHROPIC_API_KEY)"
        )
    return chat


def _local_tiny(settings: Settings) -> BaseChatModel:
    try:
        gguf_location()  # only checks the extra is installed; the model loads on first use
    except LocalTinyUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    return LocalTinyChatModel(
        max_new_tokens=settings.llm_max_tokens,
        stream_timeout_seconds=settings.llm_timeout_seconds,
    )


_PROVIDERS: Final[dict[str, Callable[[str, str, Settings], BaseChatModel]]] = {
    "ollama": _ollama,
    "openai": _openai,
    "openai-compatible": _openai_compatible,
    "anthropic": _anthropic,
}


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings.llm`` names, or ``None`` for ``scripted`` (no model)."""
    spec = settings.llm.strip()
    keyword = spec.lower()
    if keyword == "scripted":
        return None
    if keyword == "local-tiny":
        return _local_tiny(settings)
    provider, colon, model = spec.partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    if not colon or provider not in _PROVIDERS:
        raise ConfigError(f"COACH_LLM={spec!r} is not a known provider; use {KNOWN_PROVIDERS}")
    if not model:
        raise ConfigError(
            f"COACH_LLM={spec!r} names no model; use {provider}:<model>, "
            f"e.g. {provider}:{_EXAMPLES[provider]}"
        )
    return _PROVIDERS[provider](model, spec, settings)


_EXAMPLES: Final = {
    "ollama": "llama3.2",
    "openai": "gpt-4o-mini",
    "openai-compatible": "Qwen2.5-7B-Instruct",
    "anthropic": "claude-3-5-haiku-latest",
}
