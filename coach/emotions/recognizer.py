"""The product's emotion recogniser: the GoEmotions classifier and the clinical lexicon,
sentence by sentence, merged into at most one emotion per family.

For each sentence of a message (politeness formulas removed first):

1. The lexicon finds cues and says whose feeling each is (:mod:`.attribution`). The
   clinician's own cues are evidence; a denied cue ("I don't feel guilty") or someone
   else's ("the family were furious") vetoes that family for the sentence.
2. The classifier scores the sentence; a label at or above its dev-tuned threshold is
   evidence unless its family is vetoed. In a sentence that names only other people
   ("He was screaming at the nurses") it must clear its threshold by a wide margin.

Evidence is scored on one scale: a classifier label just at its threshold is 0.5 and
rises towards 0.95 with the probability; a lexicon cue is 0.7, more with more cues or an
intensifier. A family's evidence (across sentences and sources) is combined as
``1 - prod(1 - s)``; its label and phrase are those of its strongest single piece.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.emotions.attribution import Holder, speaks_only_of_others
from coach.emotions.base import EmotionRecognizer, LexiconEmotionRecognizer
from coach.emotions.lexicon import CompiledLexicon, CueHit, shipped_lexicon
from coach.emotions.model import EmotionModelUnavailable, LinearEmotionModel, load_model
from coach.emotions.text import clean, split_sentences, words
from coach.types import EmotionScore

if TYPE_CHECKING:
    from coach.settings import Settings
    from knowledge.embedder import Embedder

log = logging.getLogger(__name__)

MAX_EMOTIONS = 5
# The classifier alone scores 0.40-0.69: below NAMED (0.7), which takes a cue the
# clinician said in their own words. The coach reflects only named emotions; the
# classifier's guesses add weight to named ones and feed the session's themes.
NAMED = 0.7
CLASSIFIER_FLOOR = 0.4  # score of a label exactly at its threshold
CLASSIFIER_SPAN = 0.29  # added as the probability rises from the threshold to 1
OTHERS_MARGIN = 0.5  # share of (1 - threshold) to clear in a sentence only about others
LEXICON_BASE = 0.7
LEXICON_EXTRA_CUE = 0.1
LEXICON_INTENSIFIED = 0.1
LEXICON_CAP = 0.95
COMBINED_CAP = 0.99


@dataclass(frozen=True)
class _Evidence:
    label: str
    score: float


class ClinicalEmotionRecognizer:
    """GoEmotions classifier plus clinical lexicon; with ``model=None``, the lexicon alone."""

    def __init__(
        self,
        model: LinearEmotionModel | None,
        lexicon: CompiledLexicon,
        max_emotions: int = MAX_EMOTIONS,
    ) -> None:
        if model is not None:
            unknown = [label for label in model.labels if label not in lexicon.lexicon.emotions]
            if unknown:
                raise EmotionModelUnavailable(
                    f"The emotion model's labels {unknown} have no phrase in "
                    "coach/emotions/data/clinical_lexicon.yaml; add them there."
                )
        self.model = model
        self.lexicon = lexicon
        self.max_emotions = max_emotions

    @property
    def name(self) -> str:
        lexicon = f"clinical-lexicon-{self.lexicon.lexicon.version}"
        return f"{self.model.version}+{lexicon}" if self.model else lexicon

    def recognise(self, text: str) -> list[EmotionScore]:
        """Emotions the clinician expresses in ``text``, strongest first; [] if none is clear."""
        if not isinstance(text, str) or not text.strip():
            return []
        cleaned = self.lexicon.strip_courtesy(clean(text))
        by_family: dict[str, list[_Evidence]] = defaultdict(list)
        for sentence in split_sentences(cleaned):
            for evidence in self._sentence_evidence(sentence):
                by_family[self.lexicon.lexicon.family(evidence.label)].append(evidence)
        return self._merge(by_family)

    def _sentence_evidence(self, sentence: str) -> list[_Evidence]:
        sentence_words = words(sentence)
        if not any(w[0].isalnum() for w in sentence_words):
            return []
        hits = self.lexicon.find(sentence_words)
        evidence = _lexicon_evidence(hits)
        own = {self.lexicon.lexicon.family(e.label) for e in evidence}
        vetoed = {
            self.lexicon.lexicon.family(h.label) for h in hits if h.holder is not Holder.CLINICIAN
        } - own
        if self.model is not None:
            margin = OTHERS_MARGIN if speaks_only_of_others(sentence_words) else 0.0
            ignored = self.lexicon.misread_labels(sentence_words)
            probabilities = self.model.probabilities(sentence)
            for j, label in enumerate(self.model.labels):
                if label in ignored:
                    continue
                threshold = float(self.model.thresholds[j])
                probability = float(probabilities[j])
                if threshold >= 1.0 or probability < threshold:
                    continue
                strength = (probability - threshold) / (1.0 - threshold)
                if strength < margin or self.lexicon.lexicon.family(label) in vetoed:
                    continue
                evidence.append(_Evidence(label, CLASSIFIER_FLOOR + CLASSIFIER_SPAN * strength))
        return evidence

    def _merge(self, by_family: dict[str, list[_Evidence]]) -> list[EmotionScore]:
        found: list[EmotionScore] = []
        for items in by_family.values():
            strongest = max(items, key=lambda e: (e.score, e.label))
            remaining = 1.0
            for item in items:
                remaining *= 1.0 - item.score
            score = round(min(COMBINED_CAP, 1.0 - remaining), 3)
            phrase = self.lexicon.lexicon.phrase(strongest.label)
            found.append(EmotionScore(strongest.label, score, phrase))
        found.sort(key=lambda e: (-e.score, e.label))
        return found[: self.max_emotions]


def _lexicon_evidence(hits: list[CueHit]) -> list[_Evidence]:
    """The clinician's own cues in a sentence, one piece of evidence per label."""
    grouped: dict[str, list[CueHit]] = defaultdict(list)
    for hit in hits:
        if hit.holder is Holder.CLINICIAN:
            grouped[hit.label].append(hit)
    evidence = []
    for label, group in grouped.items():
        score = LEXICON_BASE + LEXICON_EXTRA_CUE * (len({h.cue for h in group}) - 1)
        if any(h.intensified for h in group):
            score += LEXICON_INTENSIFIED
        evidence.append(_Evidence(label, min(LEXICON_CAP, score)))
    return evidence


def build_emotion_recognizer(
    settings: Settings, embedder: Embedder | None = None
) -> EmotionRecognizer:
    """The recogniser the coach uses: the shipped classifier plus the clinical lexicon.

    If the shipped weights are missing or corrupt, a warning names the file and the
    rebuild command and the clinical lexicon is used alone; if the lexicon cannot be read
    either, the minimal cue-word recogniser. ``settings`` and ``embedder`` are accepted so
    callers need not change if a future model needs them; the shipped model uses neither.
    """
    del settings, embedder
    try:
        lexicon = shipped_lexicon()
    except Exception as exc:  # a broken package data file must not stop the coach
        log.warning("Clinical emotion lexicon unavailable (%s); using cue words only.", exc)
        return LexiconEmotionRecognizer()
    try:
        return ClinicalEmotionRecognizer(_shipped_model(), lexicon)
    except EmotionModelUnavailable as exc:
        log.warning("%s Recognising emotions with the clinical lexicon alone.", exc)
        return ClinicalEmotionRecognizer(None, lexicon)


_MODEL_CACHE: list[LinearEmotionModel] = []


def _shipped_model() -> LinearEmotionModel:
    """The shipped model, loaded once per process (a failed load is retried next time)."""
    if not _MODEL_CACHE:
        _MODEL_CACHE.append(load_model())
    return _MODEL_CACHE[0]
