"""A seeded database of synthetic debriefs, for tests and demonstrations of the dashboard.

``plan(seed)`` decides, deterministically, who debriefed what and when: 48 synthetic
clinicians in four role categories (two too small to ever be shown alone) over twelve
weeks of 2025, with a rare incident type (two debriefs) that must stay suppressed.
``seed_database(data_dir)`` writes each planned debrief as a de-identified
``DebriefState`` (short synthetic messages that the rules recognise) into the session
database, then records their themes with the real recorder, as the app would.

    python scripts/seed_themes.py --data-dir /tmp/coach-demo [--seed 7]
    COACH_DATA_DIR=/tmp/coach-demo coach educator report --out /tmp/coach-demo/report

No message here is about a real person or event.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from coach import storage_backends
from coach.educator.recorder import SweepResult, ThemeRecorder
from coach.educator.records import ThemeRecord, duration_bucket, iso_week
from coach.settings import Settings
from coach.state import DebriefState, Turn, TurnKind
from knowledge.types import STAGES, Stage

DEFAULT_SEED = 7
FIRST_WEEK = date(2025, 6, 30)  # Monday of 2025-W27
WEEKS = 12
REPORT_DAY = date(2025, 10, 15)  # a day by which every planned week has closed

ROLE_SIZES: dict[str, int] = {"nurse": 30, "doctor": 12, "midwife": 4, "paramedic": 2}

INCIDENT_TEXT: dict[str, str] = {
    "patient_death": "My patient died on the ward during the night.",
    "medication_error": "I gave the wrong dose of a medication to my patient.",
    "aggression": "A patient became aggressive and threatened me at the bedside.",
    "bad_news": "I had to break the bad news to a family about a terminal diagnosis.",
    "resuscitation": "We ran a long resuscitation on the ward and did CPR for half an hour.",
    "near_miss": "We had a near miss with an infusion that I caught just before it was given.",
    "patient_suicide": "A patient I had looked after took his own life last week.",
}
INCIDENT_WEIGHTS: dict[str, float] = {
    "patient_death": 0.3,
    "medication_error": 0.2,
    "aggression": 0.15,
    "bad_news": 0.12,
    "resuscitation": 0.12,
    "near_miss": 0.11,
}
RARE_INCIDENT = "patient_suicide"  # exactly two debriefs, by two clinicians

FACTOR_TEXT: dict[str, str] = {
    "staffing": "We were short staffed that shift.",
    "workload": "The ward was so busy and there were no beds.",
    "time_pressure": "Everything felt rushed.",
    "hierarchy": "I didn't feel able to challenge the plan because of the hierarchy.",
    "communication": "Nobody told me at handover.",
    "equipment": "The pump was faulty.",
    "family_conflict": "The family were angry and kept complaining about the care.",
    "process": "The protocol was confusing.",
    "experience": "I was newly qualified.",
}
FACTOR_CHANCE: dict[str, float] = {
    "staffing": 0.45,
    "workload": 0.3,
    "time_pressure": 0.25,
    "hierarchy": 0.12,
    "communication": 0.2,
    "equipment": 0.06,
    "family_conflict": 0.1,
    "process": 0.08,
    "experience": 0.1,
}
NEED_TEXT: dict[str, str] = {
    "peer_support": "I will talk to my colleagues about it.",
    "supervisor_support": "I will speak to my manager.",
    "professional_support": "I might contact occupational health.",
    "rest": "I need to get some sleep.",
    "learning": "I want to book a refresher course.",
    "system_change": "I will fill in an incident report.",
}
NEED_CHANCE: dict[str, float] = {
    "peer_support": 0.35,
    "supervisor_support": 0.25,
    "professional_support": 0.1,
    "rest": 0.3,
    "learning": 0.12,
    "system_change": 0.15,
}
# emotion family -> the phrase the engine records for it
EMOTION_PHRASES: dict[str, str] = {
    "sadness": "sad",
    "guilt": "guilty",
    "fear": "frightened",
    "anxiety": "anxious",
    "anger": "angry",
    "exhaustion": "exhausted",
    "numbness": "numb",
    "helplessness": "helpless",
    "overwhelm": "overwhelmed",
    "relief": "relieved",
}
EMOTION_WEIGHTS: dict[str, float] = {
    "sadness": 0.5,
    "guilt": 0.35,
    "fear": 0.12,
    "anxiety": 0.3,
    "anger": 0.15,
    "exhaustion": 0.35,
    "numbness": 0.08,
    "helplessness": 0.15,
    "overwhelm": 0.2,
    "relief": 0.1,
}
EARLY_STAGES: tuple[Stage, ...] = ("feelings", "sense-making")
LEFT_AT_STAGES: tuple[Stage, ...] = ("story", "feelings", "next-step")
NEUTRAL_DISCLOSURE = "I have not been coping well lately."


@dataclass(frozen=True)
class PlannedDebrief:
    """One synthetic debrief as planned: the themes its record must end up with."""

    user: str
    role: str
    week: str
    start: datetime
    minutes: int
    incident: str
    emotions: tuple[str, ...]
    factors: tuple[str, ...]
    needs: tuple[str, ...]
    escalation: str
    outcome: str  # completed | ended_early | abandoned
    stage: Stage

    def record(self, clinician: str) -> ThemeRecord:
        return ThemeRecord(
            week=self.week,
            role=self.role,
            clinician=clinician,
            incident=self.incident,
            emotions=self.emotions,
            factors=self.factors,
            needs=self.needs,
            escalation=self.escalation,  # type: ignore[arg-type]
            stage=self.stage,
            outcome=self.outcome,  # type: ignore[arg-type]
            duration=duration_bucket(self.minutes),
        )


def clinicians() -> dict[str, str]:
    """Synthetic username -> role category."""
    return {
        f"{role}.{i:02d}": role for role, size in ROLE_SIZES.items() for i in range(1, size + 1)
    }


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _some(rng: random.Random, chances: dict[str, float]) -> tuple[str, ...]:
    return tuple(sorted(k for k, p in chances.items() if rng.random() < p))


def plan(seed: int = DEFAULT_SEED) -> list[PlannedDebrief]:
    rng = random.Random(seed)
    people = clinicians()
    planned: list[PlannedDebrief] = []
    rare_users = {"nurse.07", "doctor.03"}
    for user, role in people.items():
        for n in range(rng.choice((1, 1, 2, 2, 3, 4))):
            week_start = FIRST_WEEK + timedelta(weeks=rng.randrange(WEEKS))
            start = datetime.combine(
                week_start + timedelta(days=rng.randrange(6)), datetime.min.time(), UTC
            ) + timedelta(hours=rng.randrange(6, 21), minutes=rng.randrange(60))
            incident = RARE_INCIDENT if (user in rare_users and n == 0) else None
            incident = incident or _weighted(rng, INCIDENT_WEIGHTS)
            emotions = tuple(sorted({_weighted(rng, EMOTION_WEIGHTS) for _ in range(2)}))
            roll = rng.random()
            escalation = "crisis" if roll < 0.09 else "support" if roll < 0.24 else "none"
            roll = rng.random()
            stage: Stage
            if roll < 0.6:
                outcome, stage = "completed", "close"
            elif roll < 0.8:
                outcome, stage = "ended_early", rng.choice(EARLY_STAGES)
            else:
                outcome, stage = "abandoned", rng.choice(LEFT_AT_STAGES)
            needs = _some(rng, NEED_CHANCE) if stage in ("next-step", "close") else ()
            if escalation == "crisis":
                needs = tuple(sorted({*needs, "crisis_support"}))
            planned.append(
                PlannedDebrief(
                    user=user,
                    role=role,
                    week=iso_week(start),
                    start=start,
                    minutes=rng.randrange(4, 75),
                    incident=incident,
                    emotions=emotions,
                    factors=_some(rng, FACTOR_CHANCE),
                    needs=needs,
                    escalation=escalation,
                    outcome=outcome,
                    stage=stage,
                )
            )
    return planned


def to_state(planned: PlannedDebrief, index: int) -> DebriefState:
    """The planned debrief as the engine would have saved it (de-identified texts)."""
    stages: list[Stage] = list(STAGES[: STAGES.index(planned.stage) + 1])
    if planned.outcome == "ended_early":
        stages.append("close")
    at = planned.start
    turns: list[Turn] = []

    def say(text: str, stage: Stage, kind: TurnKind = "message") -> None:
        turns.append(Turn(role="clinician", text=text, stage=stage, kind=kind, at=at))
        turns.append(
            Turn(role="coach", text="Thank you for telling me.", stage=stage, kind="reply")
        )

    say(INCIDENT_TEXT[planned.incident], "story")
    for factor in planned.factors:
        say(FACTOR_TEXT[factor], "sense-making")
    if planned.escalation != "none":
        say(NEUTRAL_DISCLOSURE, "feelings", "disclosure")
    for need in planned.needs:
        if need in NEED_TEXT:
            say(NEED_TEXT[need], "next-step")
    end = planned.start + timedelta(minutes=planned.minutes)
    ended = planned.outcome != "abandoned"
    return DebriefState(
        session_id=f"synthetic-{index:05d}",
        user_id=planned.user,
        created_at=planned.start,
        updated_at=end,
        stage="close" if ended else planned.stage,
        stages_visited=stages,
        turns=turns,
        emotions=[EMOTION_PHRASES[e] for e in planned.emotions],
        peak_level=planned.escalation,  # type: ignore[arg-type]
        ended=ended,
        ended_at=end if ended else None,
    )


@dataclass(frozen=True)
class Seeded:
    planned: list[PlannedDebrief]
    sweep: SweepResult
    recorder: ThemeRecorder


def seed_database(
    data_dir: Path,
    seed: int = DEFAULT_SEED,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> Seeded:
    """Write the planned debriefs to the session store and their themes to the theme
    store (through the real recorder and its sweep): ``<data_dir>/coach.db`` and
    ``<data_dir>/themes.db`` unless ``settings`` name a PostgreSQL database."""
    settings = settings or Settings(data_dir=data_dir, database_url=None)
    planned = plan(seed)
    sessions = storage_backends.session_store(settings)
    states = [to_state(p, i) for i, p in enumerate(planned)]
    for state in states:
        sessions.save(state)
    roles = clinicians()
    recorder = ThemeRecorder(
        storage_backends.theme_store(settings),
        storage_backends.theme_key(settings),
        role_of=lambda user: roles.get(user, "unspecified"),
    )
    result = recorder.sweep_sessions(
        sessions, now or datetime.combine(REPORT_DAY, datetime.min.time(), UTC)
    )
    return Seeded(planned, result, recorder)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, required=True, help="COACH_DATA_DIR to fill")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    seeded = seed_database(args.data_dir, args.seed, settings=Settings(data_dir=args.data_dir))
    print(
        f"Seeded {len(seeded.planned)} synthetic debriefs of {len(clinicians())} clinicians "
        f"into {args.data_dir} ({seeded.sweep.recorded} theme records). Report with:\n"
        f"  COACH_DATA_DIR={args.data_dir} coach educator report --out "
        f"{args.data_dir / 'report'} --today {REPORT_DAY.isoformat()}"
    )
