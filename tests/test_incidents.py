"""The incident detector: what kind of encounter the clinician is debriefing."""

from __future__ import annotations

import time

import pytest

from coach.incidents import (
    INCIDENT_KEYS,
    INCIDENT_LABELS,
    PRIORITY,
    detect_incident,
    find_cues,
    recall_incident,
    session_incident,
)

EXAMPLES: list[tuple[str, str]] = [
    ("A patient died on the ward last night and I was looking after him.", "patient_death"),
    ("We lost him in the end, despite everything.", "patient_death"),
    ("The 6-week-old baby died in resus despite everything we did.", "paediatric_death"),
    ("It was a stillbirth, my first as the lead midwife.", "paediatric_death"),
    ("I gave the wrong dose of insulin to the patient in bay 3.", "medication_error"),
    ("There was a drug error on my shift and it was my patient.", "medication_error"),
    ("I nearly gave the wrong drug but my colleague caught it just in time.", "near_miss"),
    ("It was a near miss, nobody was harmed.", "near_miss"),
    ("A relative was really aggressive and threatened me at the nurses' station.", "aggression"),
    ("The patient punched me in the face during obs.", "aggression"),
    ("His daughter was shouting at me in front of the whole bay.", "aggression"),
    ("We kept going with treatment that felt completely futile.", "moral_distress"),
    ("It felt like we were prolonging her suffering for the family's sake.", "moral_distress"),
    (
        "We've kept a frail [AGE]-year-old on full escalation for weeks and it feels wrong.",
        "moral_distress",
    ),
    ("Nobody will have the conversation with the family about stopping.", "moral_distress"),
    ("I had to break the news to her husband that the cancer had spread.", "bad_news"),
    ("A patient took his own life on the ward last night.", "patient_suicide"),
    ("We heard this morning that a former patient died by suicide.", "patient_suicide"),
    ("The consultant shouted at me in front of everyone on the ward round.", "colleague_conflict"),
    ("I'm being bullied by a senior colleague.", "colleague_conflict"),
    ("We had to restrain a confused patient for nearly an hour.", "restraint"),
    ("Four of us held him down while security arrived.", "restraint"),
    ("We were so short staffed, I was on my own with 14 patients and no break.", "exhaustion"),
    ("He went into cardiac arrest and we started CPR straight away.", "resuscitation"),
    ("The crash call came at 3am and we got ROSC after twenty minutes.", "resuscitation"),
]


@pytest.mark.parametrize(("text", "key"), EXAMPLES)
def test_detects_each_incident_type(text: str, key: str) -> None:
    incident = detect_incident(text)
    assert incident is not None, text
    assert incident.key == key, (text, incident)
    assert incident.label == INCIDENT_LABELS[key]
    assert incident.reference
    assert incident.cues


def test_every_incident_type_has_an_example_label_and_priority() -> None:
    assert {key for _, key in EXAMPLES} == set(INCIDENT_KEYS)
    assert set(PRIORITY) == set(INCIDENT_LABELS) == set(INCIDENT_KEYS)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Hello, I'm not sure where to start.",
        "No one died, thankfully, but it was close.",
        "The patient nearly died on the table.",
        "It wasn't the wrong dose in the end; the pharmacist confirmed it.",
        "I was dying inside during that meeting.",
        "I'm dead tired after four nights.",
        "I felt like I was dying.",
        "I was shocked by how quickly it happened.",
        "His mum screamed when I told her the scan results were fine.",
    ],
)
def test_no_incident_where_none_was_named(text: str) -> None:
    assert detect_incident(text) is None, (text, detect_incident(text))


def test_a_childs_death_outranks_a_death_and_keeps_the_news() -> None:
    incident = detect_incident("I had to tell the parents that their little boy had died.")
    assert incident is not None
    assert incident.key == "paediatric_death"
    assert "patient_death" not in incident.also
    assert "bad_news" in incident.also
    assert incident.reference == "the boy's death"


def test_death_after_resuscitation_names_both() -> None:
    incident = detect_incident(
        "He arrested in the corridor and we did CPR for forty minutes, but he died."
    )
    assert incident is not None
    assert incident.key == "patient_death"
    assert incident.involves("resuscitation")
    assert incident.reference == "the resuscitation and your patient's death"


def test_a_near_miss_outranks_a_medication_error() -> None:
    incident = detect_incident("I almost gave the wrong dose, caught it before it was given.")
    assert incident is not None and incident.key == "near_miss"
    assert incident.involves("medication_error")


def test_aggression_names_who_it_came_from() -> None:
    relative = detect_incident("The patient's son threatened me in the car park.")
    patient = detect_incident("The patient punched me while his wife watched.")
    assert relative is not None and relative.reference == "what happened with the relative"
    assert patient is not None and patient.reference == "what happened with the patient"


def test_a_colleague_shouting_is_conflict_not_aggression() -> None:
    incident = detect_incident("My registrar shouted at me at handover.")
    assert incident is not None
    assert incident.key == "colleague_conflict"
    assert "aggression" not in incident.keys


def test_curly_apostrophes_and_case_do_not_matter() -> None:
    incident = detect_incident("HE DIDN\u2019T MAKE IT. We did everything.")
    assert incident is not None and incident.key == "patient_death"


def test_the_session_remembers_the_incident() -> None:
    earlier = ["Rough night.", "I gave the wrong dose of morphine to the wrong patient."]
    incident = session_incident(earlier, "I just feel awful about it.")
    assert incident is not None and incident.key == "medication_error"
    assert session_incident([], "") is None
    assert session_incident(["", "  "], "hello") is None


def test_the_incident_is_recalled_from_the_coach_when_the_story_scrolled_away() -> None:
    coach = ["Thank you for telling me about what happened with the relative.", "I'm listening."]
    incident = session_incident(["Thanks.", "I'm not sure."], "Maybe.", coach)
    assert incident is not None
    assert incident.key == "aggression"
    assert incident.reference == "what happened with the relative"
    # The clinician's own words win over the coach's.
    own = session_incident(["The baby died in my arms."], "", coach)
    assert own is not None and own.key == "paediatric_death"
    # Each kind of incident is recognised by how the coach names it.
    for example, key in EXAMPLES:
        named = detect_incident(example)
        assert named is not None
        recalled = recall_incident([f"It sounds like {named.reference} is a lot to carry."])
        assert recalled is not None and recalled.key == key, (named.reference, key)
    assert recall_incident(["Thank you for telling me.", ""]) is None


def test_find_cues_reports_the_matched_words() -> None:
    cues = find_cues("We did CPR and then he died.")
    assert "resuscitation" in cues and "patient_death" in cues
    assert "cpr" in cues["resuscitation"]
    assert "died" in cues["patient_death"]


def test_very_long_text_is_quick() -> None:
    text = "It was a normal shift until the end. " * 5000 + "Then the patient died."
    started = time.perf_counter()
    incident = detect_incident(text)
    assert time.perf_counter() - started < 2.0
    assert incident is None  # only the first 20,000 characters are read
    assert detect_incident("x" * 100_000) is None
