"""Who speaks for the clinician in an eval run.

- ``ScriptedClinician`` (``--clinician scripted``, the default): the scenario's written
  messages, in order, a crisis disclosure in its place.
- ``SimulatedClinician`` (``--clinician simulated``, needs ``COACH_LLM``): a chat model
  plays the scenario's clinician from its persona and incident, with the versioned prompt
  ``evals/prompts/simulated_clinician.md``, writing each next message from the transcript
  so far, up to a turn limit. A crisis scenario's disclosure is never left to the model:
  its exact wording is the clinician's ``expect_escalation_at``-th message, so escalation
  timing stays measurable. For the same reason a message of the model's that the rules
  risk screen reads as a crisis (a small model may drift into the coach's part: "if you
  ever felt suicidal, reach out") is not sent (counted in ``screened``). In its place, as
  when the model fails or writes nothing usable (counted in ``fallbacks``), the
  scenario's written message for that turn is used, if it has one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Final, Literal, Protocol

import yaml
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, ValidationError

from evals.scenarios import COUNTRIES, INCIDENTS, SECOND_VICTIM_STAGES, Persona, Scenario
from guardrails.risk import RiskClassifier, RuleRiskClassifier
from guardrails.types import Level

__all__ = [
    "CLINICIAN_PROMPT_VERSION",
    "Clinician",
    "ClinicianMessage",
    "ClinicianPromptError",
    "Exchange",
    "ScriptedClinician",
    "SimulatedClinician",
    "load_clinician_prompt",
]

CLINICIAN_PROMPT_VERSION: Final = 1
PROMPT_FILE: Final = "simulated_clinician.md"
PLACEHOLDERS: Final = ("role", "experience", "setting", "country", "incident", "title", "stage")
_PLACEHOLDER: Final = re.compile(r"\{([a-z_]+)\}")
# A label the model may put before its message, or before a turn it writes for the coach.
_OWN_LABEL: Final = re.compile(
    r"^\s*\**(?:clinician|me|user|nurse|doctor|health worker|assistant)\**\s*:\s*", re.I
)
_OTHER_TURN: Final = re.compile(
    r"^\s*\**(?:(?:debrief )?coach|assistant|user|clinician|system)\**\s*:", re.I | re.M
)

Source = Literal["scenario", "disclosure", "simulated"]


class ClinicianPromptError(ValueError):
    """The simulated clinician's prompt file is malformed (a packaging bug)."""


@dataclass(frozen=True)
class Exchange:
    """One message of the conversation so far."""

    role: Literal["clinician", "coach"]
    text: str


@dataclass(frozen=True)
class ClinicianMessage:
    text: str
    source: Source  # the scenario's wording, its crisis disclosure, or the model's


class Clinician(Protocol):
    """Writes the clinician's ``index``-th message (1-based); ``None`` ends the debrief."""

    name: str

    def message(
        self, scenario: Scenario, index: int, transcript: Sequence[Exchange]
    ) -> ClinicianMessage | None: ...


class ScriptedClinician:
    """The scenario's own messages, in order."""

    name = "scripted"

    def message(
        self, scenario: Scenario, index: int, transcript: Sequence[Exchange]
    ) -> ClinicianMessage | None:
        return _written(scenario, index)


def _written(scenario: Scenario, index: int) -> ClinicianMessage | None:
    if not 1 <= index <= len(scenario.messages):
        return None
    source: Source = "disclosure" if index == scenario.expect_escalation_at else "scenario"
    return ClinicianMessage(scenario.messages[index - 1], source)


class ClinicianPrompt(BaseModel):
    """The parsed prompt file: the template and the words for each persona field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    purpose: str
    incidents: dict[str, str]
    countries: dict[str, str]
    stages: dict[str, str]
    template: str

    def render(self, scenario: Scenario) -> str:
        persona: Persona = scenario.persona
        values = {
            "role": persona.role,
            "experience": persona.experience,
            "setting": persona.setting,
            "country": self.countries[persona.country],
            "incident": self.incidents[scenario.incident],
            "title": scenario.title.rstrip("."),
            "stage": self.stages[persona.second_victim_stage],
        }
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)


def parse_clinician_prompt(raw: str, where: str = PROMPT_FILE) -> ClinicianPrompt:
    """Validate a prompt file: YAML front matter (``version``, ``purpose``, the words for
    every incident, country and stage a scenario may name) and a body using exactly the
    known placeholders, each at least once."""
    parts = raw.split("---", 2)
    if len(parts) != 3 or parts[0].strip():
        raise ClinicianPromptError(f"{where}: expected YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(parts[1])
        prompt = ClinicianPrompt.model_validate({**(meta or {}), "template": parts[2].strip()})
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ClinicianPromptError(f"{where} does not match the prompt schema:\n{exc}") from exc
    if prompt.version != CLINICIAN_PROMPT_VERSION:
        raise ClinicianPromptError(
            f"{where} has version {prompt.version}; this code reads {CLINICIAN_PROMPT_VERSION}"
        )
    needed = {
        "incidents": set(INCIDENTS),
        "countries": set(COUNTRIES),
        "stages": set(SECOND_VICTIM_STAGES),
    }
    for field, names in needed.items():
        missing = sorted(names - set(getattr(prompt, field)))
        if missing:
            raise ClinicianPromptError(f"{where}: `{field}` has no words for {missing}")
    used, known = set(_PLACEHOLDER.findall(prompt.template)), set(PLACEHOLDERS)
    if used != known:
        raise ClinicianPromptError(
            f"{where}: the body must use the placeholders {sorted(known)}; "
            f"missing {sorted(known - used)}, unknown {sorted(used - known)}"
        )
    return prompt


@cache
def load_clinician_prompt(path: Path | None = None) -> ClinicianPrompt:
    """The packaged prompt (or the file at ``path``), read and validated once."""
    if path is not None:
        return parse_clinician_prompt(path.read_text("utf-8"), str(path))
    raw = pkg_resources.files("evals").joinpath("prompts", PROMPT_FILE).read_text("utf-8")
    return parse_clinician_prompt(raw)


def clean_message(answer: str, max_chars: int) -> str:
    """The clinician's message out of a model's answer: labels, surrounding quotes and any
    turn it goes on to write for the coach removed; cut at a sentence end near
    ``max_chars``. ``""`` when nothing usable is left."""
    text = _OWN_LABEL.sub("", answer.strip(), count=1)
    other = _OTHER_TURN.search(text)
    if other is not None:
        text = text[: other.start()]
    text = " ".join(text.split()).strip().strip("\"'\u201c\u201d").strip()
    if len(text) > max_chars:
        cut = text[:max_chars]
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        text = cut[: end + 1] if end > 0 else cut.rsplit(" ", 1)[0]
    return text if re.search(r"[A-Za-z]{2}", text) else ""


class SimulatedClinician:
    """A chat model playing the scenario's clinician (see the module docstring).

    ``max_turns`` is the turn limit (default: as many messages as the scenario has, so
    conversations are as long as the written ones); a crisis disclosure's turn is always
    reached. The model sees its system prompt and the last ``history`` messages, the
    coach's as the other speaker's."""

    name = "simulated"

    def __init__(
        self,
        model: BaseChatModel,
        prompt: ClinicianPrompt | None = None,
        *,
        max_turns: int | None = None,
        history: int = 8,
        max_chars: int = 600,
        screen: RiskClassifier | None = None,
    ) -> None:
        if max_turns is not None and max_turns < 1:
            raise ValueError("max_turns must be 1 or more")
        self.model = model
        self.prompt = prompt or load_clinician_prompt()
        self.max_turns = max_turns
        self.history = history
        self.max_chars = max_chars
        self.screen = screen or RuleRiskClassifier()
        self.generated = 0  # messages the model wrote
        self.fallbacks = 0  # turns the model failed or wrote nothing usable
        self.screened = 0  # model messages held back: the risk screen read a crisis

    def turn_limit(self, scenario: Scenario) -> int:
        limit = self.max_turns or len(scenario.messages)
        return max(limit, scenario.expect_escalation_at or 0)

    def messages(self, scenario: Scenario, transcript: Sequence[Exchange]) -> list[BaseMessage]:
        """The prompt, then the conversation from the clinician's side: the coach's
        messages are the other speaker's, the clinician's own are the model's."""
        out: list[BaseMessage] = [SystemMessage(content=self.prompt.render(scenario))]
        for said in transcript[-self.history :] if self.history else ():
            text = said.text[:1200]
            out.append(AIMessage(content=text) if said.role == "clinician" else HumanMessage(text))
        if len(out) == 1 or not isinstance(out[-1], HumanMessage):
            out.append(HumanMessage(content="Hello. What would you like to talk about?"))
        return out

    def message(
        self, scenario: Scenario, index: int, transcript: Sequence[Exchange]
    ) -> ClinicianMessage | None:
        if index > self.turn_limit(scenario):
            return None
        if scenario.disclosure is not None and index == scenario.expect_escalation_at:
            return ClinicianMessage(scenario.disclosure.text, "disclosure")
        try:
            answer = self.model.invoke(self.messages(scenario, transcript))
            content = answer.content if isinstance(answer.content, str) else str(answer.content)
            text = clean_message(content, self.max_chars)
        except Exception:  # a model outage must not stop the run
            text = ""
        if text and self.screen.assess(text).level is Level.CRISIS:
            self.screened += 1
        elif text:
            self.generated += 1
            return ClinicianMessage(text, "simulated")
        else:
            self.fallbacks += 1
        return _written(scenario, index)
