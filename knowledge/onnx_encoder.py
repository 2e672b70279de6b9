"""The sentence encoder run by ONNX Runtime: the same numbers as sentence-transformers,
about twice as fast on a CPU for a few short texts (the embedder uses it for those only).

``OnnxSentenceEncoder.export`` converts a loaded sentence-transformers model (Transformer,
mean Pooling, Normalize: all-MiniLM-L6-v2's pipeline) to ONNX in memory, from the weights
already on disk: nothing is downloaded and nothing is written. Before it is used, its
vectors are compared with the PyTorch model's on probe sentences; a model with another
pipeline, a failed export or a difference over ``TOLERANCE`` raises
:class:`OnnxUnavailable`, and the caller keeps PyTorch (``COACH_EMBEDDING_RUNTIME=torch``
chooses PyTorch outright).
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnxruntime

MAX_BATCH = 16  # 64 long chunks at a time ran at half PyTorch's speed; 16 match it
TOLERANCE = 1e-4  # largest difference from the PyTorch vectors accepted at export
PROBES = (
    "I keep going over the shift in my head.",
    "The family were shouting at the nurses' station and nobody came to help.",
    "ok",
    "Tired. " * 60,  # longer than the model reads: truncation must match too
)


class OnnxUnavailable(RuntimeError):
    """The model could not be run with ONNX Runtime; use PyTorch instead."""


def _threads() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))


class _Wrapper:  # built lazily: torch is imported only when exporting
    @staticmethod
    def module(transformer: Any) -> Any:
        import torch

        class LastHidden(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.inner(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                )
                return out.last_hidden_state

        return LastHidden(transformer).eval()


def _check_pipeline(model: Any) -> None:
    names = [type(m).__name__ for m in model]
    if names != ["Transformer", "Pooling", "Normalize"]:
        raise OnnxUnavailable(f"ONNX runs Transformer, Pooling, Normalize models, not {names}")
    pooling = model[1]
    if getattr(pooling, "pooling_mode", None) != "mean" or not getattr(
        pooling, "include_prompt", True
    ):
        raise OnnxUnavailable("ONNX runs mean-pooled models only")


class OnnxSentenceEncoder:
    """Tokeniser + ONNX transformer + mean pooling + L2 normalisation."""

    def __init__(self, session: onnxruntime.InferenceSession, tokenizer: Any, max_length: int):
        self._session = session
        self._tokenizer = tokenizer
        self._max_length = max_length
        self._inputs = {i.name for i in session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer is not safe across threads

    @classmethod
    def export(cls, model: Any) -> OnnxSentenceEncoder:
        """The ONNX twin of a loaded ``SentenceTransformer``, checked against it."""
        _check_pipeline(model)
        try:
            import onnxruntime as ort
            import torch

            tokenizer = model.tokenizer
            max_length = int(model.max_seq_length)
            sample = tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
            buffer = io.BytesIO()
            dynamic = {0: "batch", 1: "tokens"}
            with torch.inference_mode(), warnings.catch_warnings():
                # the tracer's notes on shapes it fixes: the probe check below is the test
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Wrapper.module(model[0].auto_model),
                    (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                    buffer,  # type: ignore[arg-type]  # the TorchScript exporter takes a buffer
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["last_hidden_state"],
                    dynamic_axes={
                        "input_ids": dynamic,
                        "attention_mask": dynamic,
                        "token_type_ids": dynamic,
                        "last_hidden_state": dynamic,
                    },
                    opset_version=17,
                    dynamo=False,
                )
            options = ort.SessionOptions()
            options.intra_op_num_threads = _threads()
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Inputs change shape with every message: an arena and memory patterns would
            # keep growing with every new shape, for no speed gain.
            options.enable_cpu_mem_arena = False
            options.enable_mem_pattern = False
            # Idle threads must not spin: the rest of the check shares two cores with them.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                buffer.getvalue(), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # an exporter or runtime that cannot run this model
            raise OnnxUnavailable(f"could not export the model to ONNX: {exc}") from exc
        encoder = cls(session, tokenizer, max_length)
        expected = np.asarray(
            model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True),
            dtype=np.float32,
        )
        difference = float(np.abs(encoder.encode(PROBES) - expected).max())
        if difference > TOLERANCE:
            raise OnnxUnavailable(
                f"the ONNX vectors differ from PyTorch's by {difference:.2g} (> {TOLERANCE})"
            )
        return encoder

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> npt.NDArray[np.float32]:
        """Unit vectors of ``texts``, batched by length (less padding), in input order.
        Batches hold at most ``MAX_BATCH`` texts: without a memory arena, larger batches
        of long texts spend more time allocating than computing."""
        if not texts:
            raise ValueError("nothing to encode")
        batch_size = max(1, min(batch_size, MAX_BATCH))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.concatenate(
            [
                self._batch([texts[i] for i in order[start : start + batch_size]])
                for start in range(0, len(order), batch_size)
            ]
        )
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def _batch(self, texts: list[str]) -> npt.NDArray[np.float32]:
        with self._lock:
            tokens = self._tokenizer(
                texts,
                padding=True,
                truncation="longest_first",
                max_length=self._max_length,
                return_tensors="np",
            )
        feed = {k: np.asarray(v, dtype=np.int64) for k, v in tokens.items() if k in self._inputs}
        (hidden,) = self._session.run(["last_hidden_state"], feed)
        mask = feed["attention_mask"][..., None].astype(np.float32)
        summed = (hidden * mask).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)
