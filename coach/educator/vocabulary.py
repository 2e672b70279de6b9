"""The fixed vocabularies of a theme record.

A theme record holds keys from these lists and nothing else: no words a clinician wrote
can reach the theme store, because a record that holds anything outside them fails
validation. Each family has a label for people (the dashboard, the CSV).
"""

from __future__ import annotations

from functools import cache
from typing import Final, Literal

from coach.incidents import INCIDENT_LABELS, PRIORITY
from knowledge.types import STAGES

Family = Literal[
    "incident", "emotion", "factor", "need", "escalation", "stage", "outcome", "duration"
]
FAMILIES: Final[tuple[Family, ...]] = (
    "incident", "emotion", "factor", "need", "escalation", "stage", "outcome", "duration"
)  # fmt: skip

FAMILY_LABELS: Final[dict[Family, str]] = {
    "incident": "Incident type",
    "emotion": "Emotions",
    "factor": "System factors",
    "need": "Support needs",
    "escalation": "Escalation",
    "stage": "Stage reached",
    "outcome": "Outcome",
    "duration": "Duration",
}
# A debrief counts once in each of these; in the others (emotions, factors, needs) it may
# count under several keys or none.
SINGLE_VALUED: Final[frozenset[Family]] = frozenset(
    {"incident", "escalation", "stage", "outcome", "duration"}
)

UNRECOGNISED = "unrecognised"
INCIDENTS: Final[tuple[str, ...]] = (*PRIORITY, UNRECOGNISED)
INCIDENT_NAMES: Final[dict[str, str]] = {**INCIDENT_LABELS, UNRECOGNISED: "not recognised"}

FACTORS: Final[dict[str, str]] = {
    "staffing": "staffing",
    "workload": "workload and capacity",
    "time_pressure": "time pressure",
    "hierarchy": "hierarchy",
    "communication": "communication and handover",
    "equipment": "equipment and supplies",
    "family_conflict": "family conflict",
    "process": "policy, process and IT",
    "experience": "experience and training",
}

NEEDS: Final[dict[str, str]] = {
    "peer_support": "peer support",
    "supervisor_support": "manager or supervisor",
    "professional_support": "professional or occupational health support",
    "rest": "rest and recovery",
    "learning": "learning and training",
    "system_change": "raising a concern or reporting",
    "crisis_support": "crisis support",
}

ESCALATIONS: Final[dict[str, str]] = {
    "none": "none",
    "support": "support offered",
    "crisis": "crisis reply",
}

STAGE_NAMES: Final[dict[str, str]] = {s: s.replace("-", " ") for s in STAGES}

OUTCOMES: Final[dict[str, str]] = {
    "completed": "completed",
    "ended_early": "ended early",
    "abandoned": "abandoned",
}

DURATIONS: Final[dict[str, str]] = {
    "under_10_min": "under 10 minutes",
    "10_to_30_min": "10 to 30 minutes",
    "30_to_60_min": "30 to 60 minutes",
    "over_60_min": "over an hour",
}

# Role categories (what kind of clinician), set on the account (`coach users add
# --category`). Kept coarse on purpose: fine categories make small cells.
ROLE_CATEGORIES: Final[dict[str, str]] = {
    "nurse": "nurse",
    "midwife": "midwife",
    "doctor": "doctor",
    "allied_health": "allied health professional",
    "paramedic": "paramedic",
    "support_worker": "healthcare support worker",
    "student": "student",
    "other": "other",
    "unspecified": "not specified",
}


@cache
def emotion_families() -> dict[str, str]:
    """Emotion family -> label, from the clinical lexicon; and the lexicon's phrases map
    to these families (see :func:`emotion_family_of`)."""
    from coach.emotions.lexicon import load_lexicon

    lexicon = load_lexicon()
    families = dict.fromkeys(e.family for e in lexicon.emotions.values())
    return {f: f.replace("_", " ") for f in families}


@cache
def _phrase_families() -> dict[str, str]:
    from coach.emotions.lexicon import load_lexicon

    lexicon = load_lexicon()
    found: dict[str, str] = {}
    for label, entry in lexicon.emotions.items():
        found.setdefault(entry.phrase, entry.family)
        found.setdefault(label, entry.family)
    return found


def emotion_family_of(phrase_or_label: str) -> str | None:
    """The family of an emotion phrase the engine recorded (``"guilty"`` -> ``"guilt"``);
    ``None`` for anything not in the lexicon."""
    return _phrase_families().get(phrase_or_label.strip().lower())


def labels(family: Family) -> dict[str, str]:
    """Every key of ``family`` with its label for people, in display order."""
    match family:
        case "incident":
            return dict(INCIDENT_NAMES)
        case "emotion":
            return emotion_families()
        case "factor":
            return dict(FACTORS)
        case "need":
            return dict(NEEDS)
        case "escalation":
            return dict(ESCALATIONS)
        case "stage":
            return dict(STAGE_NAMES)
        case "outcome":
            return dict(OUTCOMES)
        case "duration":
            return dict(DURATIONS)
    raise ValueError(f"unknown theme family {family!r}; use one of {', '.join(FAMILIES)}")
