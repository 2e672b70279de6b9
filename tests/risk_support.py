"""A hand-made risk model over the hashing embedder, for tests that need the model's
logic without MiniLM: every listed word pushes both heads up by ``weight``, nothing
else counts, so a test can set exactly what a message scores."""

from __future__ import annotations

from guardrails.risk_context import Context
from guardrails.risk_features import FEATURE_NAMES
from guardrails.risk_model import Head, ModelFile
from knowledge.embedder import HashingEmbedder


def hand_made_model(
    embedder: HashingEmbedder,
    words: tuple[str, ...],
    *,
    crisis_bias: float,
    threshold: float = 0.9,
    weight: float = 8.0,
    context: Context | None = None,
) -> ModelFile:
    width = embedder.dimension + len(FEATURE_NAMES)
    return ModelFile(
        format=1,
        embedder=embedder.name,
        dimension=embedder.dimension,
        features=list(FEATURE_NAMES),
        vocabulary={w: (1.0, weight, weight) for w in words},
        crisis=Head(weights=[0.0] * width, bias=crisis_bias, threshold=threshold),
        alarm=Head(weights=[0.0] * width, bias=-6.0, threshold=0.5),
        training_data={},
        training={},
        context=context,
    )
