from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedder import (
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    SentenceTransformerEmbedder,
)


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    a, b = HashingEmbedder(), HashingEmbedder()
    texts = ["A patient died on the ward tonight", "the medication error on the night shift"]
    va, vb = a.embed_documents(texts), b.embed_documents(texts)
    assert va.shape == (2, 512) and va.dtype == np.float32
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, rtol=1e-5)


def test_hashing_embedder_rankings_follow_shared_words() -> None:
    emb = HashingEmbedder()
    docs = emb.embed_documents(
        [
            "Loving-kindness meditation for ten minutes raised feelings of connection",
            "The Gibbs reflective cycle has six stages from description to action plan",
            "Signs of compassion fatigue include numbness and dread before shifts",
        ]
    )
    sims = docs @ emb.embed_query("what are the signs of compassion fatigue")
    assert int(np.argmax(sims)) == 2
    sims = docs @ emb.embed_query("reflective cycle stages")
    assert int(np.argmax(sims)) == 1


def test_hashing_embedder_handles_empty_inputs() -> None:
    emb = HashingEmbedder(dimension=64)
    assert emb.embed_documents([]).shape == (0, 64)
    assert not np.any(emb.embed_query("the and of"))  # only stop words: a zero vector


def test_both_embedders_satisfy_the_protocol() -> None:
    assert isinstance(HashingEmbedder(), Embedder)
    assert isinstance(SentenceTransformerEmbedder(), Embedder)


def test_missing_model_folder_says_which_setting_fixes_it(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="COACH_EMBEDDING_MODEL_PATH"):
        SentenceTransformerEmbedder(tmp_path / "nowhere").embed_query("hello")


@pytest.mark.integration
def test_real_model_is_offline_minilm_with_meaningful_similarity(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    assert real_embedder.dimension == 384
    docs = real_embedder.embed_documents(
        ["I felt numb and detached after another death on the ward", "The car park was full"]
    )
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-4)
    sims = docs @ real_embedder.embed_query("emotionally shut down after patients die")
    assert sims[0] > sims[1] + 0.2
