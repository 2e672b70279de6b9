"""Chat models for the generative coach: ``COACH_LLM`` to a LangChain chat model
(``models``), the local SmolLM2 model (``local_tiny``), the versioned system prompt and the
messages for one reply (``prompt``), and a scripted fake for tests (``fakes``).

Nothing here contacts a model or loads weights on import.
"""

from coach.llm.models import KNOWN_PROVIDERS, ConfigError, build_chat_model
from coach.llm.prompt import SystemPrompt, build_messages, load_system_prompt

__all__ = [
    "KNOWN_PROVIDERS",
    "ConfigError",
    "SystemPrompt",
    "build_chat_model",
    "build_messages",
    "load_system_prompt",
]
