"""The seam for emotion recognition, and a small deterministic lexicon recogniser
that tests (and a machine without the shipped model) can use."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from coach.types import EmotionScore


@runtime_checkable
class EmotionRecognizer(Protocol):
    def recognise(self, text: str) -> list[EmotionScore]:
        """Emotions expressed in ``text``, strongest first; empty when none is clear."""
        ...


# label -> (phrase for a reflection, cue words). A test double, not the product's model.
_LEXICON: dict[str, tuple[str, tuple[str, ...]]] = {
    "sadness": ("sad", ("sad", "heartbroken", "crying", "cried", "tearful", "grief", "upset")),
    "guilt": ("guilty", ("guilty", "my fault", "blame myself", "should have")),
    "fear": ("frightened", ("scared", "afraid", "frightened", "terrified")),
    "nervousness": ("anxious", ("anxious", "nervous", "worried", "on edge")),
    "anger": ("angry", ("angry", "furious", "livid", "rage")),
    "annoyance": ("frustrated", ("frustrated", "annoyed", "irritated")),
    "embarrassment": ("ashamed", ("ashamed", "embarrassed", "humiliated", "shame")),
    "exhaustion": ("exhausted", ("exhausted", "drained", "tired", "worn out", "shattered")),
    "numbness": ("numb", ("numb", "empty", "nothing at all")),
    "relief": ("relieved", ("relieved", "relief")),
    "gratitude": ("grateful", ("grateful", "thankful")),
}


class LexiconEmotionRecognizer:
    """Cue-word matching. Deterministic; for tests and as a last-resort fallback."""

    def recognise(self, text: str) -> list[EmotionScore]:
        lowered = text.lower()
        found: list[EmotionScore] = []
        for label, (phrase, cues) in _LEXICON.items():
            hits = sum(1 for cue in cues if re.search(rf"\b{re.escape(cue)}\b", lowered))
            if hits:
                found.append(EmotionScore(label, min(1.0, 0.6 + 0.2 * hits), phrase))
        return sorted(found, key=lambda e: -e.score)
