from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from knowledge.embedder import (
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    MemoEmbedder,
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


# --- MemoEmbedder -----------------------------------------------------------------------


class _Counting:
    """A HashingEmbedder that counts the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder(64)
        self.seen: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self.embed_documents([text])[0]
        return vector


def test_memo_gives_the_same_vectors_and_embeds_each_text_once() -> None:
    counting = _Counting()
    memo = MemoEmbedder(counting, size=8)
    texts = ["I can't sleep", "the patient died", "I can't sleep"]
    first = memo.embed_documents(texts)
    np.testing.assert_array_equal(first, counting.inner.embed_documents(texts))
    assert counting.seen == ["I can't sleep", "the patient died"]  # one batch, no repeats
    again = memo.embed_documents(["the patient died", "a new one"])
    np.testing.assert_array_equal(again[0], first[1])
    assert counting.seen[-1:] == ["a new one"]
    np.testing.assert_array_equal(memo.embed_query("a new one"), again[1])
    assert len(counting.seen) == 3
    assert memo.name == counting.name and memo.dimension == 64
    assert memo.embed_documents([]).shape == (0, 64)


def test_memo_forgets_the_least_recently_used_and_never_keeps_long_texts() -> None:
    counting = _Counting()
    memo = MemoEmbedder(counting, size=2, max_chars=20)
    memo.embed_documents(["one", "two"])
    memo.embed_documents(["one"])  # "two" is now the oldest
    memo.embed_documents(["three"])
    memo.embed_documents(["one", "two"])
    assert counting.seen == ["one", "two", "three", "two"]
    long = "a document chunk " * 5
    memo.embed_documents([long])
    memo.embed_documents([long])
    assert counting.seen.count(long) == 2
    memo.clear()
    memo.embed_documents(["one"])
    assert counting.seen[-1] == "one" and counting.seen.count("one") == 2
    with pytest.raises(ValueError, match="size"):
        MemoEmbedder(counting, size=0)
