"""The MiniLM encoder under ONNX Runtime gives PyTorch's vectors, and falls back to PyTorch
whenever it cannot."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from coach.settings import Settings
from knowledge import onnx_encoder
from knowledge.embedder import SentenceTransformerEmbedder, build_embedder, onnx_is_faster
from knowledge.onnx_encoder import OnnxSentenceEncoder, OnnxUnavailable

TEXTS = [
    "",
    "   ",
    "ok",
    "I keep going over the shift in my head.",
    "Mrs [NAME] died on the ward at [DATE] and nobody told me at handover.",
    "I feel awful 😢 about it… naïve of me, I know",
    "everyone would be better off without me",
    "tired " * 400,  # past the 256 word-pieces the model reads
    "多語言的句子也可以",
    "A\tB\nC  D",
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder(runtime="torch")
    assert embedder.runtime == "torch"
    return embedder


def _torch_vectors(embedder: SentenceTransformerEmbedder, texts: list[str]) -> np.ndarray:
    model: Any = embedder._load()
    assert embedder._onnx is None, "the reference vectors come from PyTorch"
    return np.asarray(
        model.encode(texts, normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32
    )


def test_the_real_embedder_runs_on_onnx_with_pytorchs_vectors(
    real_embedder: SentenceTransformerEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    assert real_embedder.runtime == "onnx"
    onnx = real_embedder.embed_documents(TEXTS)
    assert onnx.shape == (len(TEXTS), 384) and onnx.dtype == np.float32
    assert np.abs(onnx - _torch_vectors(torch_embedder, TEXTS)).max() < 1e-4
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_batches_of_mixed_lengths_come_back_in_input_order(
    real_embedder: SentenceTransformerEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    texts = [f"message {i}: " + "word " * (i * 7 % 50) for i in range(150)]
    encoder = real_embedder._onnx
    assert encoder is not None
    batched = encoder.encode(texts)  # batches of 16, sorted by length
    one_by_one = np.stack([real_embedder.embed_query(t) for t in texts[::37]])
    assert np.abs(batched[::37] - one_by_one).max() < 1e-5
    assert np.abs(batched - _torch_vectors(torch_embedder, texts)).max() < 1e-4


def test_an_empty_batch_is_refused_by_the_encoder_and_answered_by_the_embedder(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    assert real_embedder.embed_documents([]).shape == (0, 384)
    encoder = real_embedder._onnx
    assert encoder is not None
    with pytest.raises(ValueError):
        encoder.encode([])


def test_a_model_that_onnx_cannot_run_falls_back_to_pytorch_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(model: object) -> OnnxSentenceEncoder:
        raise OnnxUnavailable("no exporter here")

    monkeypatch.setattr(OnnxSentenceEncoder, "export", staticmethod(refuse))
    embedder = SentenceTransformerEmbedder()
    with caplog.at_level(logging.WARNING, logger="knowledge.embedder"):
        assert embedder.runtime == "torch"
    assert "COACH_EMBEDDING_RUNTIME=torch" in caplog.text and "no exporter here" in caplog.text
    vectors = embedder.embed_documents(TEXTS[:4])
    assert np.abs(vectors - _torch_vectors(embedder, TEXTS[:4])).max() < 1e-6


def test_onnx_vectors_that_differ_from_pytorchs_are_refused(
    monkeypatch: pytest.MonkeyPatch, torch_embedder: SentenceTransformerEmbedder
) -> None:
    monkeypatch.setattr(onnx_encoder, "TOLERANCE", -1.0)  # nothing can match
    with pytest.raises(OnnxUnavailable, match="differ from PyTorch"):
        OnnxSentenceEncoder.export(torch_embedder._load())


def test_a_few_short_texts_go_to_onnx_and_bulk_to_pytorch(
    real_embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = real_embedder._onnx
    assert encoder is not None
    calls: list[int] = []
    encode = encoder.encode

    def counted(texts: Any, batch_size: int = 64) -> np.ndarray:
        calls.append(len(texts))
        return encode(texts, batch_size)

    monkeypatch.setattr(encoder, "encode", counted)
    real_embedder.embed_documents(["I keep going over it.", "It was my fault."])
    assert calls == [2]
    chunks = ["A chunk of a document being indexed, " * 20] * 20
    assert not onnx_is_faster(chunks) and onnx_is_faster(chunks[:1])
    vectors = real_embedder.embed_documents(chunks)
    assert calls == [2] and vectors.shape == (20, 384)


def test_other_pipelines_are_refused_before_any_export() -> None:
    class Module:
        pass

    class Transformer(Module):
        pass

    class Pooling(Module):
        pooling_mode = "cls"
        include_prompt = True

    class Normalize(Module):
        pass

    with pytest.raises(OnnxUnavailable, match="mean-pooled"):
        OnnxSentenceEncoder.export([Transformer(), Pooling(), Normalize()])
    with pytest.raises(OnnxUnavailable, match="Transformer, Pooling, Normalize"):
        OnnxSentenceEncoder.export([Transformer(), Pooling()])


def test_coach_embedding_runtime_torch_skips_onnx(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(model: object) -> OnnxSentenceEncoder:
        raise AssertionError("ONNX must not be tried")

    monkeypatch.setattr(OnnxSentenceEncoder, "export", staticmethod(fail))
    monkeypatch.setenv("COACH_EMBEDDING_RUNTIME", "torch")
    settings = Settings()
    assert settings.embedding_runtime == "torch"
    embedder = build_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.runtime == "torch"
    assert embedder.embed_query("hello").shape == (384,)


def test_the_default_runtime_is_onnx() -> None:
    assert Settings().embedding_runtime == "onnx"
    with pytest.raises(ValueError):
        Settings(embedding_runtime="tensorflow")  # type: ignore[arg-type]
