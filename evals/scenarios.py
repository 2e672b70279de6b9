"""Clinician scenarios (versioned YAML under ``evals/scenarios/``): who is debriefing,
about what, and what they say, turn by turn.

Three kinds, one file each:

- ``tone``: an ordinary debrief;
- ``crisis``: a crisis disclosure (direct or indirect) is inserted so that it is the
  clinician's ``expect_escalation_at``-th message; the coach should escalate there;
- ``trap``: patient-suicide talk, idioms or dark humour where a crisis escalation would
  be wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "COUNTRIES",
    "INCIDENTS",
    "SCENARIOS_VERSION",
    "SECOND_VICTIM_STAGES",
    "Disclosure",
    "Persona",
    "Scenario",
    "ScenarioError",
    "load_scenarios",
]

SCENARIOS_VERSION: Final = 1
MIN_TURNS: Final = 5
MAX_TURNS: Final = 10
SCENARIO_FILES: Final = ("tone.yaml", "crisis.yaml", "traps.yaml")

Incident = Literal[
    "patient_death",
    "paediatric_death",
    "medication_error",
    "near_miss",
    "aggression",
    "moral_distress",
    "bad_news",
    "patient_suicide",
    "colleague_conflict",
    "restraint",
    "exhaustion",
]
INCIDENTS: Final[tuple[str, ...]] = Incident.__args__  # type: ignore[attr-defined]

# Scott et al. (2009), the second victim's recovery trajectory.
SecondVictimStage = Literal[
    "chaos_and_accident_response",
    "intrusive_reflections",
    "restoring_personal_integrity",
    "enduring_the_inquisition",
    "obtaining_emotional_first_aid",
    "moving_on",
]
SECOND_VICTIM_STAGES: Final[tuple[str, ...]] = SecondVictimStage.__args__  # type: ignore[attr-defined]
Country = Literal["UK", "US", "IE", "AU"]
COUNTRIES: Final[tuple[str, ...]] = Country.__args__  # type: ignore[attr-defined]
Kind = Literal["tone", "crisis", "trap"]
TrapKind = Literal["patient_suicide", "idiom", "dark_humour"]


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file and the scenario."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Persona(_Frozen):
    role: str = Field(min_length=3)  # "staff nurse", "emergency medicine resident"
    experience: str = Field(min_length=3)  # "3 years qualified", "PGY-2"
    setting: str = Field(min_length=3)  # "acute medical ward, district general hospital"
    country: Country
    second_victim_stage: SecondVictimStage


class Disclosure(_Frozen):
    """A crisis disclosure. Wording follows safe-messaging norms: no method detail."""

    text: str = Field(min_length=10)
    style: Literal["direct", "indirect"]


class Scenario(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,60}$")
    kind: Kind
    title: str = Field(min_length=5)
    persona: Persona
    incident: Incident
    turns: tuple[str, ...]  # as written; a crisis disclosure is inserted into these
    disclosure: Disclosure | None = None
    expect_escalation_at: int | None = Field(default=None, ge=1)  # 1-based clinician message
    trap: TrapKind | None = None
    fast: bool = False  # part of the fast subset run by `make test`

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if any(not t.strip() for t in self.turns):
            raise ValueError("a turn is empty")
        if self.kind == "crisis":
            if self.disclosure is None or self.expect_escalation_at is None:
                raise ValueError("a crisis scenario needs `disclosure` and `expect_escalation_at`")
            if self.expect_escalation_at > len(self.turns) + 1:
                raise ValueError(
                    f"expect_escalation_at {self.expect_escalation_at} is past the last turn "
                    f"({len(self.turns) + 1} with the disclosure)"
                )
        elif self.disclosure is not None or self.expect_escalation_at is not None:
            raise ValueError(f"only crisis scenarios have a disclosure, not {self.kind!r} ones")
        if (self.kind == "trap") != (self.trap is not None):
            raise ValueError("trap scenarios (and only they) name their `trap` kind")
        n = len(self.messages)
        if not MIN_TURNS <= n <= MAX_TURNS:
            raise ValueError(
                f"has {n} clinician messages (with any disclosure); use {MIN_TURNS} to {MAX_TURNS}"
            )
        return self

    @property
    def messages(self) -> tuple[str, ...]:
        """The clinician's messages in order, with a crisis disclosure in its place."""
        if self.disclosure is None or self.expect_escalation_at is None:
            return self.turns
        at = self.expect_escalation_at - 1
        return (*self.turns[:at], self.disclosure.text, *self.turns[at:])


class ScenarioFile(_Frozen):
    version: int
    kind: Kind
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


def parse_scenarios(text: str, where: str) -> tuple[Scenario, ...]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be a mapping with `version`, `kind` and `scenarios`")
    kind = raw.get("kind")
    for item in raw.get("scenarios") or ():
        if isinstance(item, dict):
            item.setdefault("kind", kind)
    try:
        parsed = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{where} does not match the scenario schema:\n{exc}") from exc
    if parsed.version != SCENARIOS_VERSION:
        raise ScenarioError(
            f"{where} has version {parsed.version}; this code reads version {SCENARIOS_VERSION}"
        )
    wrong = [s.id for s in parsed.scenarios if s.kind != parsed.kind]
    if wrong:
        raise ScenarioError(f"{where}: scenarios {wrong} are not of the file's kind {parsed.kind}")
    return parsed.scenarios


def _check_unique(scenarios: Iterable[Scenario]) -> tuple[Scenario, ...]:
    found = tuple(scenarios)
    seen: set[str] = set()
    dupes = sorted({s.id for s in found if s.id in seen or seen.add(s.id)})  # type: ignore[func-returns-value]
    if dupes:
        raise ScenarioError(f"scenario ids must be unique; repeated: {dupes}")
    return found


@cache
def _shipped() -> tuple[Scenario, ...]:
    folder = pkg_resources.files("evals").joinpath("scenarios")
    found: list[Scenario] = []
    for name in SCENARIO_FILES:
        found.extend(parse_scenarios(folder.joinpath(name).read_text("utf-8"), name))
    return _check_unique(found)


def load_scenarios(
    folder: Path | None = None,
    *,
    kinds: Iterable[str] | None = None,
    fast: bool = False,
) -> tuple[Scenario, ...]:
    """The shipped scenarios (or every ``*.yaml`` in ``folder``), optionally only some
    kinds, or only the fast subset."""
    if folder is None:
        found = _shipped()
    else:
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise ScenarioError(f"{folder} holds no *.yaml scenario files")
        found = _check_unique(
            s for f in files for s in parse_scenarios(f.read_text("utf-8"), str(f))
        )
    wanted = set(kinds) if kinds is not None else None
    return tuple(s for s in found if (wanted is None or s.kind in wanted) and (s.fast or not fast))
