"""Escalation replies for ``crisis`` and ``support`` messages, and the support mode
that follows a crisis. Fixed wording from ``guardrails/data/escalation_messages.yaml``;
no language model, vector store or database is involved.

The wording follows published safe-messaging guidance:

- National Action Alliance for Suicide Prevention, "Framework for Successful
  Messaging" (suicidepreventionmessaging.org): be safe, positive, and point to help.
- Samaritans, "Media guidelines for reporting suicide": no method details, no
  "commit", no judgement; always signpost support.
- 988 Suicide & Crisis Lifeline safety-planning guidance (Stanley & Brown Safety
  Planning Intervention): reach people and services, make the situation safer.
- Columbia Suicide Severity Rating Scale (C-SSRS) screener (Posner et al. 2011): ask
  directly about suicidal thoughts; asking does not put the idea in someone's head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources as package_files
from string import Template
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from guardrails.resources import Resource
from guardrails.types import Category, Level, RiskAssessment

Variant = Literal["suicidal", "self_harm", "harm_to_others", "impairment", "acute_distress"]
ExitReason = Literal["safe", "connected", "confirmed"]

_VARIANTS = frozenset(
    {"suicidal", "self_harm", "harm_to_others", "impairment", "acute_distress", "default"}
)
_PRIORITY: tuple[tuple[Category, Variant], ...] = (
    (Category.SUICIDAL_INTENT, "suicidal"),
    (Category.SUICIDAL_IDEATION, "suicidal"),
    (Category.SELF_HARM, "self_harm"),
    (Category.HARM_TO_OTHERS, "harm_to_others"),
    (Category.IMPAIRMENT, "impairment"),
    (Category.ACUTE_DISTRESS, "acute_distress"),
)
_GUIDANCE: dict[Category, str] = {
    Category.SUICIDAL_INTENT: "suicidal",
    Category.SUICIDAL_IDEATION: "suicidal",
    Category.SELF_HARM: "suicidal",
    Category.HARM_TO_OTHERS: "harm_to_others",
    Category.IMPAIRMENT: "impairment",
}
_MD_SPECIAL = re.compile(r"([*\[\]<>`\\])")


class Action(StrEnum):
    """Buttons the UI renders under an escalation reply."""

    SHOW_RESOURCES = "show_resources"
    CONTACT_PEER_SUPPORTER = "contact_peer_supporter"
    IM_SAFE = "im_safe"
    CONTINUE_DEBRIEF = "continue_debrief"


@dataclass(frozen=True)
class EscalationReply:
    """What the coach shows instead of a debrief turn."""

    level: Level
    text: str  # markdown
    resources: tuple[Resource, ...]  # the options shown, in display order
    actions: tuple[Action, ...]
    messages_version: int
    asks_directly: bool = False  # ends with the direct question about suicide


# --- message templates ---------------------------------------------------------------


def _placeholders(template: str) -> set[str]:
    return set(Template(template).get_identifiers())


def _check(templates: Mapping[str, str] | Sequence[str], allowed: set[str]) -> None:
    values = templates.values() if isinstance(templates, Mapping) else templates
    for text in values:
        if not Template(text).is_valid():
            raise ValueError(f"invalid placeholder in {text!r}")
        unknown = _placeholders(text) - allowed
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)} in {text!r}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CrisisMessages(_Frozen):
    opening: dict[str, str]
    question: dict[str, str]
    immediate_danger: dict[str, str]
    guidance: dict[str, str]
    talk_now: str
    limits: str
    peer_offer: str
    close: str

    @model_validator(mode="after")
    def _valid(self) -> CrisisMessages:
        for name in ("opening", "question", "immediate_danger", "guidance"):
            variants: dict[str, str] = getattr(self, name)
            if not set(variants) <= _VARIANTS:
                raise ValueError(f"crisis.{name}: unknown variants {set(variants) - _VARIANTS}")
            if name != "guidance" and "default" not in variants:
                raise ValueError(f"crisis.{name} needs a 'default' variant")
            _check(variants, {"emergency"} if name == "immediate_danger" else set())
        _check([self.talk_now, self.limits, self.peer_offer, self.close], set())
        return self


class SupportMessages(_Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    opening: dict[str, str]
    offer: str
    impairment_note: str
    options: str
    continue_: str = Field(alias="continue")
    safety_net: str
    ask_directly: str

    @model_validator(mode="after")
    def _valid(self) -> SupportMessages:
        if "default" not in self.opening or not set(self.opening) <= _VARIANTS:
            raise ValueError("support.opening needs a 'default' and only known variants")
        _check(self.opening, set())
        _check(
            [self.offer, self.impairment_note, self.options, self.continue_, self.ask_directly],
            set(),
        )
        _check([self.safety_net], {"emergency", "crisis_line"})
        return self


class SupportModeMessages(_Frozen):
    replies: tuple[str, ...] = Field(min_length=1)
    exit_safe: str
    exit_connected: str

    @model_validator(mode="after")
    def _valid(self) -> SupportModeMessages:
        _check([*self.replies, self.exit_safe, self.exit_connected], {"brief_resources"})
        return self


class ResourceMessages(_Frozen):
    line: str
    brief: str
    emergency_brief: str
    call: str
    text: str
    web: str
    no_emergency_number: str
    no_crisis_line: str

    @model_validator(mode="after")
    def _valid(self) -> ResourceMessages:
        _check([self.line], {"name", "action", "hours", "description"})
        _check([self.brief], {"name", "action"})
        _check([self.emergency_brief], {"emergency"})
        _check([self.call, self.text, self.web], {"contact"})
        return self


class EscalationMessages(_Frozen):
    """The versioned wording in ``guardrails/data/escalation_messages.yaml``."""

    version: int = Field(ge=1)
    crisis: CrisisMessages
    support: SupportMessages
    support_mode: SupportModeMessages
    resource: ResourceMessages


@cache
def load_messages() -> EscalationMessages:
    """The packaged escalation wording (read once, then cached)."""
    path = package_files.files("guardrails") / "data" / "escalation_messages.yaml"
    return EscalationMessages.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- rendering -------------------------------------------------------------------------


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _fill(template: str, **values: str) -> str:
    return Template(template).substitute(values).strip()


def _action(resource: Resource, m: ResourceMessages) -> str:
    how = {"call": m.call, "text": m.text, "web": m.web}[resource.how]
    return _fill(how, contact=resource.contact)


def _line(resource: Resource, m: ResourceMessages) -> str:
    return _fill(
        m.line,
        name=_md(resource.name),
        action=_md(_action(resource, m)),
        hours=_md(resource.hours),
        description=_md(resource.description),
    )


@dataclass(frozen=True)
class _Groups:
    emergency: tuple[Resource, ...]  # national emergency numbers
    crisis: tuple[Resource, ...]  # national crisis lines
    organisation: tuple[Resource, ...]  # the organisation's own entries
    clinician: tuple[Resource, ...]  # national clinician and peer lines

    @classmethod
    def of(cls, resources: Sequence[Resource]) -> _Groups:
        national = [r for r in resources if not r.organisation]
        return cls(
            emergency=tuple(r for r in national if r.kind == "emergency"),
            crisis=tuple(r for r in national if r.kind == "crisis"),
            organisation=tuple(r for r in resources if r.organisation),
            clinician=tuple(r for r in national if r.kind in ("clinician", "peer")),
        )

    def emergency_number(self, m: ResourceMessages) -> str:
        if self.emergency:
            return self.emergency[0].contact
        org_emergency = [r for r in self.organisation if r.kind == "emergency"]
        return org_emergency[0].contact if org_emergency else m.no_emergency_number

    def crisis_line(self, m: ResourceMessages) -> str:
        if not self.crisis:
            return m.no_crisis_line
        first = self.crisis[0]
        return f"{first.name} ({_action(first, m)})"

    def brief(self, m: ResourceMessages) -> str:
        """Emergency first, then up to two crisis lines and the organisation's peer line."""
        parts = [_fill(m.emergency_brief, emergency=self.emergency_number(m))]
        briefs = [*self.crisis[:2], *[r for r in self.organisation if r.kind == "peer"][:1]]
        parts += [_fill(m.brief, name=r.name, action=_action(r, m)) for r in briefs]
        return "; ".join(parts)


def _variant(categories: Sequence[Category]) -> str:
    for category, variant in _PRIORITY:
        if category in categories:
            return variant
    return "default"


def _pick(variants: Mapping[str, str], key: str) -> str:
    return variants.get(key, variants["default"])


def _unique(items: Iterator[str] | Sequence[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def crisis_reply(
    resources: Sequence[Resource],
    categories: tuple[Category, ...],
    *,
    peer_contact_available: bool = False,
    messages: EscalationMessages | None = None,
) -> EscalationReply:
    """The reply to a ``crisis`` message: a direct safety question, the emergency number
    first, people to talk to now, and the consent rule. ``peer_contact_available`` is
    true when the organisation has a webhook for its on-call peer supporter."""
    m = messages or load_messages()
    c = m.crisis
    groups = _Groups.of(resources)
    variant = _variant(categories)
    emergency = groups.emergency_number(m.resource)
    guidance = _unique(_GUIDANCE[cat] for cat in categories if cat in _GUIDANCE) or ["suicidal"]
    shown = [*groups.crisis, *groups.organisation, *groups.clinician]

    parts = [
        _fill(_pick(c.opening, variant)),
        _fill(_pick(c.question, variant)),
        _fill(_pick(c.immediate_danger, variant), emergency=emergency),
        *[_fill(c.guidance[key]) for key in guidance if key in c.guidance],
    ]
    if shown:
        parts.append(c.talk_now.strip() + "\n" + "\n".join(_line(r, m.resource) for r in shown))
    parts.append(_fill(c.limits))
    if peer_contact_available:
        parts.append(_fill(c.peer_offer))
    parts.append(_fill(c.close))

    actions = [Action.SHOW_RESOURCES]
    if peer_contact_available:
        actions.append(Action.CONTACT_PEER_SUPPORTER)
    actions.append(Action.IM_SAFE)
    return EscalationReply(
        level=Level.CRISIS,
        text="\n\n".join(parts),
        resources=(*groups.emergency, *shown),
        actions=tuple(actions),
        messages_version=m.version,
    )


def support_reply(
    resources: Sequence[Resource],
    categories: tuple[Category, ...],
    *,
    ask_directly: bool = False,
    messages: EscalationMessages | None = None,
) -> EscalationReply:
    """The reply to a ``support`` message: acknowledge, offer peer support, occupational
    health or the EAP, and offer to continue the debrief. With ``ask_directly`` it ends by
    asking, in plain words, about thoughts of suicide (``direct_question`` reads the
    answer)."""
    m = messages or load_messages()
    s = m.support
    groups = _Groups.of(resources)
    options = [*groups.organisation, *groups.clinician] or list(groups.crisis)

    parts = [_fill(_pick(s.opening, _variant(categories))), _fill(s.offer)]
    if Category.IMPAIRMENT in categories:
        parts.append(_fill(s.impairment_note))
    if options:
        parts.append(s.options.strip() + "\n" + "\n".join(_line(r, m.resource) for r in options))
    parts.append(_fill(s.continue_))
    parts.append(
        _fill(
            s.safety_net,
            crisis_line=groups.crisis_line(m.resource),
            emergency=groups.emergency_number(m.resource),
        )
    )
    if ask_directly:
        parts.append(_fill(s.ask_directly))
    shown = [*options, *[r for r in groups.crisis[:1] if r not in options], *groups.emergency]
    return EscalationReply(
        level=Level.SUPPORT,
        text="\n\n".join(parts),
        resources=tuple(shown),
        actions=(Action.SHOW_RESOURCES, Action.CONTINUE_DEBRIEF),
        messages_version=m.version,
        asks_directly=ask_directly,
    )


# --- support mode ----------------------------------------------------------------------

_NEGATIVE = re.compile(
    r"\b(?:i'?m|i am)\s+(?:not|no longer|never)\s+(?:\w+\s+)?"
    r"(?:safe|ok|okay|o\.k|alright|all right|fine|good)\b"
    r"|\bnot\s+(?:safe|ok|okay)\b|\bunsafe\b"
    r"|\bi\s+(?:don'?t|do not|can'?t|cannot|won'?t)\s+(?:\w+\s+)?(?:safe|ok|okay)\b"
    r"|\b(?:no\s*-?\s*one|nobody|noone)\s+(?:to|i can|i could)\s+(?:call|ring|talk|turn|text)\b"
)
_FAILED_CONTACT = re.compile(
    r"\b(?:no\s*-?\s*one|nobody|noone)\s+(?:answered|picked up|replied|was there)"
    r"|\b(?:didn'?t|did not|couldn'?t|could not|can'?t|cannot)\s+"
    r"(?:answer|pick up|reply|get through|get hold|reach)"
    r"|\bno (?:answer|reply)\b|\bhung up\b|\bvoicemail\b|\bon hold\b|\bengaged\b|\bbusy\b"
)
_SAFE = re.compile(
    r"\b(?:i'?m|i am)\s+(?:now\s+|feeling\s+|actually\s+|really\s+)?"
    r"(?:safe|safer|ok|okay|o\.k|alright|all right)\b(?!\s+(?:with|to|about|if)\b)"
    r"|\bi\s+feel\s+(?:safe|safer|ok|okay)\b(?!\s+(?:with|to|about|if)\b)"
)
# Risk talk in the same message keeps support mode on, whatever else it says; so does
# calm that follows a decision (a recognised warning sign).
_RISK_TALK = re.compile(
    r"\b(?:die|dying|dead|death|suicid\w*|kill\w*|end (?:it|my life|things)|ending it"
    r"|not (?:be )?(?:here|around)|goodbye|no point|decided|decision|made up my mind"
    r"|(?:a|my|the) plan|hurt (?:myself|someone|somebody|them|him|her))\b"
)
_PERSON = (
    r"(?:my\s+(?!patients?\b)\w+|someone|somebody|friends?|family|her|him|them"
    r"|an?\s+(?:friend|colleague|counsell?or|peer supporter|volunteer|doctor|nurse|gp)"
    r"|the\s+(?:peer supporter|peer support\w*|crisis team|nurse in charge|on-?call\w*"
    r"|counsell?or|volunteer|helpline|line|samaritans)"
    r"|\d[\d ]{1,14}|samaritans|lifeline|shout|988|111)"
)
_CONNECTED = re.compile(
    r"\bi(?:'ve|\s+have)?(?:\s+just|\s+now|\s+already)?\s+"
    r"(?:called|rang|rung|phoned|texted|messaged|contacted|reached|spoke|spoken|talked|"
    r"got hold of|got through to)\s+(?:to\s+|with\s+)?"
    + _PERSON
    + r"|\b(?:i'?m|i am)\s+(?:now\s+)?"
    r"(?:with|talking (?:to|with)|speaking (?:to|with)|on the phone (?:to|with))\s+"
    + _PERSON
    + r"|"
    r"\b(?:my\s+(?!patients?\b)\w+|someone|somebody)\s+is\s+"
    r"(?:here|with me|coming|on (?:the|their|his|her) way)\b"
)
_HEDGES = re.compile(
    r"\b(?:not|no|never|don'?t|do not|didn'?t|can'?t|cannot|won'?t|isn'?t|wasn'?t|"
    r"haven'?t|hasn'?t|couldn'?t|if|whether|unless|wish|hope|maybe|pretend\w*|"
    r"want|wanted|need|supposed|trying|tried)\b"
)
_CLAUSE = re.compile(r"[^.!?;,\n]+[.!?;,\n]*")
_JOINERS = re.compile(r"\b(?:but|though|although|except|yet)\b")


_APOSTROPHES = str.maketrans("\u2019\u2018`", "'''")


def _normalise(text: str) -> str:
    return text.lower().translate(_APOSTROPHES)


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` occurs as a plain statement: not a question, not hedged or
    negated earlier in its clause."""
    for clause in _CLAUSE.finditer(text):
        chunk = clause.group()
        if "?" in chunk:
            continue
        for part in _JOINERS.split(chunk):
            match = pattern.search(part)
            if match and not _HEDGES.search(part[: match.start()]):
                return True
    return False


def detect_exit(text: str) -> ExitReason | None:
    """``"connected"`` or ``"safe"`` when the clinician says they are safe or have
    reached someone; ``None`` for anything else, including negated statements."""
    t = _normalise(text)
    if _NEGATIVE.search(t) or _RISK_TALK.search(t):
        return None
    if not _FAILED_CONTACT.search(t) and _affirmed(_CONNECTED, t):
        return "connected"
    if _affirmed(_SAFE, t):
        return "safe"
    return None


class SupportModeState(BaseModel):
    """Persistable support-mode state. Holds no message text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    active: bool = False
    categories: tuple[Category, ...] = ()
    turns: int = Field(default=0, ge=0)
    entered_at: datetime | None = None
    exit_reason: ExitReason | None = None

    @field_validator("entered_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("entered_at must be timezone-aware (UTC)")
        return value


@dataclass(frozen=True)
class SupportModeTurn:
    """The coach's reply to one message while in (or leaving) support mode."""

    active: bool  # still in support mode after this message
    exited: bool  # this message ended support mode
    text: str  # markdown; empty when support mode was not active
    resources: tuple[Resource, ...]
    actions: tuple[Action, ...]
    reason: ExitReason | None = None


class SupportMode:
    """After a crisis, stay with the clinician and repeat the human options until they
    say they are safe or have reached someone; never return to the debrief before."""

    def __init__(
        self,
        resources: Sequence[Resource],
        *,
        peer_contact_available: bool = False,
        state: SupportModeState | None = None,
        messages: EscalationMessages | None = None,
    ) -> None:
        self._resources = tuple(resources)
        self._groups = _Groups.of(self._resources)
        self._peer = peer_contact_available
        self._state = state or SupportModeState()
        self._m = messages or load_messages()

    @property
    def active(self) -> bool:
        return self._state.active

    def enter(self, assessment: RiskAssessment) -> None:
        """Start (or stay in) support mode; ignored unless the level is ``crisis``."""
        if assessment.level is not Level.CRISIS:
            return
        categories = tuple(dict.fromkeys((*self._state.categories, *assessment.categories)))
        entered = self._state.entered_at if self._state.active else None
        self._state = self._state.model_copy(
            update={
                "active": True,
                "categories": categories,
                "entered_at": entered or datetime.now(UTC),
                "exit_reason": None,
            }
        )

    def on_message(self, text: str, assessment: RiskAssessment | None = None) -> SupportModeTurn:
        """Reply to the clinician's next message. A ``crisis`` ``assessment`` of this
        message keeps support mode active whatever the text says."""
        if assessment is not None and assessment.level is Level.CRISIS:
            self.enter(assessment)
        if not self.active:
            return SupportModeTurn(active=False, exited=False, text="", resources=(), actions=())
        reason = None
        if assessment is None or assessment.level is not Level.CRISIS:
            reason = detect_exit(text)
        if reason is not None:
            return self._exit(reason)
        sm = self._m.support_mode
        reply = sm.replies[self._state.turns % len(sm.replies)]
        self._state = self._state.model_copy(update={"turns": self._state.turns + 1})
        actions = [Action.SHOW_RESOURCES]
        if self._peer:
            actions.append(Action.CONTACT_PEER_SUPPORTER)
        actions.append(Action.IM_SAFE)
        return SupportModeTurn(
            active=True,
            exited=False,
            text=_fill(reply, brief_resources=self._groups.brief(self._m.resource)),
            resources=self._resources,
            actions=tuple(actions),
        )

    def confirm_safe(self) -> SupportModeTurn:
        """The clinician pressed "I'm safe"."""
        if not self.active:
            return SupportModeTurn(active=False, exited=False, text="", resources=(), actions=())
        return self._exit("confirmed")

    def _exit(self, reason: ExitReason) -> SupportModeTurn:
        sm = self._m.support_mode
        template = sm.exit_connected if reason == "connected" else sm.exit_safe
        self._state = self._state.model_copy(
            update={"active": False, "categories": (), "exit_reason": reason}
        )
        return SupportModeTurn(
            active=False,
            exited=True,
            text=_fill(template, brief_resources=self._groups.brief(self._m.resource)),
            resources=self._resources,
            actions=(Action.SHOW_RESOURCES, Action.CONTINUE_DEBRIEF),
            reason=reason,
        )

    def to_state(self) -> SupportModeState:
        return self._state

    @classmethod
    def from_state(
        cls,
        state: SupportModeState | Mapping[str, object],
        resources: Sequence[Resource],
        *,
        peer_contact_available: bool = False,
        messages: EscalationMessages | None = None,
    ) -> SupportMode:
        checked = SupportModeState.model_validate(state)
        return cls(
            resources,
            peer_contact_available=peer_contact_available,
            state=checked,
            messages=messages,
        )
