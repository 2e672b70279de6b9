"""Emotion recognition for the coach's reflections.

``build_emotion_recognizer(settings)`` gives the product's recogniser (the shipped
GoEmotions classifier plus the clinical lexicon); ``EmotionRecognizer`` is the seam the
coach depends on. Importing this package loads no model: the weights are read on the
first ``build_emotion_recognizer`` call.
"""

from coach.emotions.base import EmotionRecognizer, LexiconEmotionRecognizer
from coach.emotions.recognizer import ClinicalEmotionRecognizer, build_emotion_recognizer

__all__ = [
    "ClinicalEmotionRecognizer",
    "EmotionRecognizer",
    "LexiconEmotionRecognizer",
    "build_emotion_recognizer",
]
