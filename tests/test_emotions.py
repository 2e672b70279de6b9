"""Emotion recognition: the shipped GoEmotions model, the clinical lexicon, negation and
attribution, the fallbacks, and (with ../shared) the GoEmotions test split."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from coach.emotions import base
from coach.emotions import recognizer as recognizer_module
from coach.emotions.base import EmotionRecognizer, LexiconEmotionRecognizer
from coach.emotions.lexicon import CompiledLexicon, load_lexicon, shipped_lexicon
from coach.emotions.metrics import score_label, tune_threshold
from coach.emotions.model import (
    META_FILE,
    WEIGHTS_FILE,
    EmotionModelUnavailable,
    LinearEmotionModel,
    data_dir,
    load_model,
)
from coach.emotions.recognizer import ClinicalEmotionRecognizer, build_emotion_recognizer
from coach.emotions.train import CLASSIFIER_LABELS, quantise, write_npz
from coach.settings import Settings
from coach.types import EmotionScore


@pytest.fixture(scope="module")
def model() -> LinearEmotionModel:
    return load_model()


@pytest.fixture(scope="module")
def recogniser(model: LinearEmotionModel) -> ClinicalEmotionRecognizer:
    return ClinicalEmotionRecognizer(model, shipped_lexicon())


def families(found: list[EmotionScore]) -> list[str]:
    lexicon = shipped_lexicon().lexicon
    return [lexicon.family(e.label) for e in found]


# --- the shipped model ----------------------------------------------------------------


def test_shipped_model_loads_with_the_labels_it_was_trained_on(model: LinearEmotionModel) -> None:
    assert model.labels == CLASSIFIER_LABELS
    assert model.weights.shape == (model.n_buckets, len(model.labels))
    assert np.all((model.thresholds > 0.0) & (model.thresholds <= 1.0))
    catalogue = load_lexicon().emotions
    assert all(label in catalogue for label in model.labels)
    assert "neutral" not in model.labels


def test_shipped_model_is_small_and_documents_its_training() -> None:
    weights = data_dir() / WEIGHTS_FILE
    assert weights.stat().st_size < 3 * 1024 * 1024
    meta = json.loads((data_dir() / META_FILE).read_text("utf-8"))
    assert "GoEmotions" in meta["training"]["data"]
    assert meta["test"]["macro_f1"] > 0.3


def test_recognition_is_deterministic(recogniser: ClinicalEmotionRecognizer) -> None:
    text = "I was terrified when he went for me. Afterwards I felt numb and so guilty."
    first = recogniser.recognise(text)
    fresh = ClinicalEmotionRecognizer(load_model(), CompiledLexicon(load_lexicon()))
    assert first
    assert recogniser.recognise(text) == first
    assert fresh.recognise(text) == first


def test_probabilities_are_probabilities(model: LinearEmotionModel) -> None:
    rows = model.probabilities_many(["i was so scared", "", "thank you so much"])
    assert rows.shape == (3, len(model.labels))
    assert np.all((rows >= 0.0) & (rows <= 1.0))
    fear = model.labels.index("fear")
    gratitude = model.labels.index("gratitude")
    assert rows[0, fear] > rows[2, fear]
    assert rows[2, gratitude] > rows[0, gratitude]


# --- clinician sentences --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "phrase"),
    [
        ("I keep thinking it was my fault", "guilt", "guilty"),
        ("I was terrified when he went for me", "fear", "frightened"),
        ("honestly I just feel numb", "numbness", "numb"),
        ("I'm so angry at how understaffed we were", "anger", "angry"),
        ("I don't feel guilty, just sad", "sadness", "sad"),
        ("I can't stop crying since she died", "sadness", "sad"),
        ("I'm dreading going back on shift tomorrow", "anxiety", "full of dread"),
        ("There was nothing I could do, I just stood there", "helplessness", "helpless"),
        ("Nobody listened when I raised concerns about him", "helplessness", "powerless"),
        ("I'm completely burnt out", "exhaustion", "burnt out"),
        ("I was in shock, I couldn't believe it", "shock", "shocked"),
        (
            "It felt wrong to keep going, we were just prolonging her suffering",
            "moral_distress",
            "conflicted",
        ),
        ("I feel like such a failure", "shame", "ashamed"),
        ("I'm so relieved he pulled through", "relief", "relieved"),
        ("I'm proud of how the team handled it", "pride", "proud"),
        ("It's all too much, I'm drowning", "overwhelm", "overwhelmed"),
        ("I should have caught the sepsis earlier", "guilt", "guilty"),
        ("Everyone keeps telling me it wasn't my fault", "guilt", "guilty"),
        ("I'm ok, just tired", "exhaustion", "exhausted"),
        ("I couldn't sleep last night", "exhaustion", "exhausted"),
        ("I was frozen, I didn't know what to do", "shock", "shocked"),
    ],
)
def test_clinician_sentences_give_the_expected_top_emotion(
    recogniser: ClinicalEmotionRecognizer, text: str, family: str, phrase: str
) -> None:
    found = recogniser.recognise(text)
    assert found, text
    assert families(found)[0] == family
    assert found[0].phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "The patient died at 3am.",
        "We did CPR for forty minutes.",
        "The patient went into septic shock and we gave pain relief.",
        "I feel fine today.",
        "What should I do next?",
        "Thanks for listening.",
        "Sorry for the long message.",
        "The bay was empty when I got there.",
        "He pulled out his cannula and we had to re-site it.",
        "I'd like to talk about what happened last night.",
        "Broken equipment again.",
        "Empty beds everywhere and no staff.",
        "The plasma was frozen.",
    ],
)
def test_descriptions_without_feelings_give_nothing(
    recogniser: ClinicalEmotionRecognizer, text: str
) -> None:
    assert recogniser.recognise(text) == []


def test_results_are_ordered_bounded_and_one_per_family(
    recogniser: ClinicalEmotionRecognizer,
) -> None:
    text = (
        "I was terrified. Then so angry and frustrated. I feel guilty, ashamed, numb, "
        "exhausted, overwhelmed, helpless and sad. I'm dreading tomorrow and I'm anxious."
    )
    found = recogniser.recognise(text)
    assert 0 < len(found) <= recognizer_module.MAX_EMOTIONS
    assert [e.score for e in found] == sorted((e.score for e in found), reverse=True)
    assert all(0.0 < e.score <= 1.0 for e in found)
    assert len(set(families(found))) == len(found)


def test_remorse_and_guilt_merge_into_one_reflection(recogniser: ClinicalEmotionRecognizer) -> None:
    found = recogniser.recognise("I'm so sorry, it was my fault, I feel so guilty.")
    guilt = [e for e in found if families([e]) == ["guilt"]]
    assert len(guilt) == 1
    assert guilt[0].phrase == "guilty"
    alone = recogniser.recognise("I feel guilty.")
    assert guilt[0].score > alone[0].score  # more evidence, one reflection


# --- negation and whose feeling it is -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("I don't feel guilty", "guilt"),
        ("It wasn't my fault", "guilt"),
        ("I'm not angry with anyone", "anger"),
        ("I'm no longer scared of him", "fear"),
        ("I didn't feel ashamed", "shame"),
        ("I don't feel guilty, just sad", "guilt"),
    ],
)
def test_negated_feelings_are_not_reflected(
    recogniser: ClinicalEmotionRecognizer, text: str, absent: str
) -> None:
    assert absent not in families(recogniser.recognise(text))


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("I've never been so scared in my life", "fear"),
        ("I can't stop crying", "sadness"),
        ("I'm not just sad, I'm angry", "sadness"),
        ("I don't know why I feel so guilty", "guilt"),
    ],
)
def test_phrases_that_only_look_negative_still_count(
    recogniser: ClinicalEmotionRecognizer, text: str, present: str
) -> None:
    assert present in families(recogniser.recognise(text))


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("The family were furious", "anger"),
        ("His wife was devastated", "sadness"),
        ("My colleague was in tears afterwards", "sadness"),
        ("The patient was terrified", "fear"),
        ("[NAME] was so angry with the doctors", "anger"),
    ],
)
def test_other_peoples_feelings_are_not_reflected(
    recogniser: ClinicalEmotionRecognizer, text: str, absent: str
) -> None:
    assert absent not in families(recogniser.recognise(text))


def test_mixed_sentence_keeps_only_the_clinicians_feeling(
    recogniser: ClinicalEmotionRecognizer,
) -> None:
    found = families(recogniser.recognise("The family were furious and I was scared"))
    assert "fear" in found
    assert "anger" not in found
    assert families(recogniser.recognise("He scared me"))[:1] == ["fear"]
    assert "anger" in families(recogniser.recognise("The family shouted at me. I'm furious."))


# --- odd input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02\x03\x7f",
        bytes(range(256)).decode("latin-1"),
        "a" * 1_000_000,
        "?!.,;:" * 10_000,
        "\U0001f600" * 500,
        "\ufffd\ufffd\ufffd",
    ],
)
def test_empty_huge_and_binary_input_gives_nothing(
    recogniser: ClinicalEmotionRecognizer, text: str
) -> None:
    assert recogniser.recognise(text) == []


def test_huge_emotional_input_is_bounded(recogniser: ClinicalEmotionRecognizer) -> None:
    text = "I feel so guilty and scared. " * 50_000
    start = time.perf_counter()
    found = recogniser.recognise(text)
    assert time.perf_counter() - start < 2.0
    assert {"guilt", "fear"} <= set(families(found))


def test_non_string_input_gives_nothing(recogniser: ClinicalEmotionRecognizer) -> None:
    assert recogniser.recognise(None) == []  # type: ignore[arg-type]


def test_a_typical_message_is_fast(recogniser: ClinicalEmotionRecognizer) -> None:
    text = (
        "We had a cardiac arrest on the ward last night and he didn't make it. I was the one "
        "who found him. I keep thinking I should have noticed he was getting worse, his obs "
        "were off at ten. The family were furious with us. I'm exhausted and I just feel numb."
    )
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        recogniser.recognise(text)
        timings.append(time.perf_counter() - start)
    assert float(np.percentile(timings, 95)) < 0.010  # the budget is 10 ms per message


# --- the lexicon file -----------------------------------------------------------------


def test_shipped_lexicon_validates_and_covers_the_clinical_states() -> None:
    lexicon = load_lexicon()
    assert lexicon.version >= 1
    for label in (
        "guilt",
        "shame",
        "helplessness",
        "powerlessness",
        "exhaustion",
        "numbness",
        "overwhelm",
        "shock",
        "moral_distress",
        "dread",
    ):
        assert lexicon.emotions[label].cues, label
    assert lexicon.family("remorse") == lexicon.family("guilt")
    assert all(entry.phrase.strip() for entry in lexicon.emotions.values())


def _lexicon_yaml(extra_cue: str = "", misread: str = "") -> bytes:
    return (
        "version: 1\n"
        f"misread: {{{misread}}}\n"
        "emotions:\n"
        "  guilt: {phrase: guilty, family: guilt, cues: [guilty" + extra_cue + "]}\n"
        "  fear: {phrase: frightened, family: fear, cues: [scared]}\n"
    ).encode()


def test_lexicon_validation_refuses_bad_files() -> None:
    assert load_lexicon(_lexicon_yaml()).version == 1
    with pytest.raises(ValidationError, match="listed twice"):
        load_lexicon(_lexicon_yaml(", guilty"))
    with pytest.raises(ValidationError, match="intensifier"):
        load_lexicon(_lexicon_yaml(", so guilty"))
    with pytest.raises(ValidationError, match="unknown labels"):
        load_lexicon(_lexicon_yaml(misread="awful: [disgust]"))
    with pytest.raises(ValidationError):
        load_lexicon(b"version: 1\nemotions: {}\n")


def test_courtesy_and_misread_words_do_not_become_feelings(
    recogniser: ClinicalEmotionRecognizer,
) -> None:
    assert recogniser.recognise("Thank you so much for listening") == []
    assert "fear" not in families(recogniser.recognise("I feel terrible for the family"))
    assert "disgust" not in families(recogniser.recognise("I feel awful about it"))


# --- fallbacks ------------------------------------------------------------------------


def test_missing_or_corrupt_weights_name_the_file_and_the_rebuild_command(tmp_path: Path) -> None:
    for name in (WEIGHTS_FILE, META_FILE):
        shutil.copy(data_dir() / name, tmp_path / name)
    assert load_model(tmp_path).labels == CLASSIFIER_LABELS

    weights = tmp_path / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(EmotionModelUnavailable, match=WEIGHTS_FILE) as corrupt:
        load_model(tmp_path)
    assert "python -m coach.emotions.train" in str(corrupt.value)

    weights.unlink()
    with pytest.raises(EmotionModelUnavailable, match="is missing"):
        load_model(tmp_path)

    (tmp_path / META_FILE).write_text("{not json", "utf-8")
    shutil.copy(data_dir() / WEIGHTS_FILE, weights)
    with pytest.raises(EmotionModelUnavailable, match=META_FILE):
        load_model(tmp_path)


def test_build_uses_the_shipped_model() -> None:
    built = build_emotion_recognizer(Settings())
    assert isinstance(built, ClinicalEmotionRecognizer)
    assert isinstance(built, EmotionRecognizer)
    assert built.model is not None


def test_build_falls_back_to_the_lexicon_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(directory: Path | None = None) -> LinearEmotionModel:
        raise EmotionModelUnavailable("Emotion model goemotions_linear.npz is missing.")

    monkeypatch.setattr(recognizer_module, "_MODEL_CACHE", [])
    monkeypatch.setattr(recognizer_module, "load_model", broken)
    with caplog.at_level(logging.WARNING, logger="coach.emotions.recognizer"):
        built = build_emotion_recognizer(Settings())
    assert isinstance(built, ClinicalEmotionRecognizer)
    assert built.model is None
    assert "goemotions_linear.npz" in caplog.text
    assert families(built.recognise("I don't feel guilty, I feel numb")) == ["numbness"]


def test_build_falls_back_to_cue_words_when_the_lexicon_is_broken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> CompiledLexicon:
        raise ValueError("clinical_lexicon.yaml is not valid")

    monkeypatch.setattr(recognizer_module, "shipped_lexicon", broken)
    with caplog.at_level(logging.WARNING, logger="coach.emotions.recognizer"):
        built = build_emotion_recognizer(Settings())
    assert isinstance(built, LexiconEmotionRecognizer)
    assert "clinical_lexicon.yaml" in caplog.text
    assert built.recognise("I was so scared")[0].label == "fear"


def test_test_double_is_unchanged() -> None:
    assert isinstance(base.LexiconEmotionRecognizer(), EmotionRecognizer)


# --- training helpers -----------------------------------------------------------------


def test_weights_file_is_byte_identical_for_equal_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    weights, scales = quantise(rng.normal(size=(64, 3)))
    assert np.abs(weights).max() == 127
    arrays: dict[str, npt.NDArray[Any]] = {
        "weights": weights,
        "scales": scales,
        "bias": np.zeros(3, dtype=np.float32),
    }
    write_npz(tmp_path / "a.npz", arrays)
    time.sleep(1.1)  # a timestamp in the archive would now differ
    write_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as loaded:
        assert np.array_equal(loaded["weights"], weights)


def test_threshold_tuning_separates_clear_cases() -> None:
    truth = np.array([True, True, False, False, False])
    probabilities = np.array([0.9, 0.7, 0.3, 0.2, 0.1], dtype=np.float32)
    threshold = tune_threshold(truth, probabilities, beta=1.0)
    assert 0.3 < threshold <= 0.7
    assert score_label("x", truth, probabilities >= threshold).f1 == 1.0
    assert tune_threshold(truth, np.zeros(5, dtype=np.float32), beta=1.0) == 1.0


# --- GoEmotions test split (../shared) ------------------------------------------------

CLASSIFIER_MACRO_F1_FLOOR = 0.40  # measured 0.4312 (python -m coach.emotions.evaluate)
CLASSIFIER_MICRO_F1_FLOOR = 0.45  # measured 0.4827
RECOGNISER_FEAR_F1_FLOOR = 0.50  # measured 0.582 for the fear family


@pytest.mark.shared_data
def test_goemotions_test_split_scores_above_the_measured_floor(shared_dir: Path) -> None:
    from coach.emotions.evaluate import classifier_scores, recogniser_scores
    from coach.emotions.goemotions import read_split
    from coach.emotions.metrics import macro_f1, micro_f1

    data = shared_dir / "data" / "risk" / "goemotions"
    if not data.is_dir():
        pytest.skip("../shared/data/risk/goemotions is absent")
    test = read_split(data, "test")
    model = load_model()
    scores = classifier_scores(model, test)
    assert macro_f1(scores) >= CLASSIFIER_MACRO_F1_FLOOR
    assert micro_f1(scores) >= CLASSIFIER_MICRO_F1_FLOOR
    by_family, latencies = recogniser_scores(
        ClinicalEmotionRecognizer(model, shipped_lexicon()), test
    )
    fear = next(s for s in by_family if s.label == "fear")
    assert fear.f1 >= RECOGNISER_FEAR_F1_FLOOR
    assert float(np.percentile(latencies, 95)) < 0.010


def test_only_emotions_the_clinician_named_reach_the_reflection(
    recogniser: ClinicalEmotionRecognizer,
) -> None:
    """A classifier guess ("disappointed" for "I missed the signs") never outranks or
    replaces a feeling the clinician put into words."""
    from coach.reflect import feeling_phrases

    found = recogniser.recognise("I feel sad and kind of guilty, like I missed the signs.")
    assert feeling_phrases(found) == ["sad", "guilty"]
    guessed = [e for e in found if e.phrase not in ("sad", "guilty")]
    assert all(e.score < 0.7 for e in guessed)
    assert feeling_phrases(recogniser.recognise("We lost him after forty minutes of CPR.")) == []
