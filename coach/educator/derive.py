"""Offline theme derivation: transparent rules over what the engine already holds.

- incident type: the scripted coach's incident detector over the clinician's
  (de-identified) messages, else how the coach named it;
- emotions: the emotions the engine recognised, mapped to the lexicon's families;
- system factors and support needs: the cue patterns below;
- escalation: the session's peak level only; stage reached, outcome, duration bucket;
- the ISO week of the end (or last activity) and the account's role category.

With a :class:`coach.educator.llm_derive.ThemeAssistant` (a chat model is configured),
its suggestions are merged on top of the rules, which stay the floor (see
:func:`merge_suggestion`).

The texts are read in memory; what comes out is vocabulary keys only
(:class:`coach.educator.records.ThemeRecord` refuses anything else).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from coach.educator import vocabulary as v
from coach.educator.records import Outcome, ThemeRecord, duration_bucket, iso_week
from coach.incidents import session_incident
from coach.state import DebriefState
from knowledge.types import STAGES, Stage

if TYPE_CHECKING:
    from coach.educator.llm_derive import ThemeAssistant, ThemeSuggestion

log = logging.getLogger(__name__)

_RELATIVE: Final = (
    r"(?:relatives?|family|families|son|daughter|wife|husband|partner|mother|father|mum|dad|"
    r"parents?|next of kin|visitors?)"
)
_SENIOR: Final = (
    r"(?:consultant|registrar|reg|senior|surgeon|anaesthetist|boss|manager|matron|"
    r"nurse in charge|charge nurse|attending)"
)

FACTOR_CUES: Final[dict[str, tuple[str, ...]]] = {
    "staffing": (
        r"\b(?:under|short)[- ]?staffed\b",
        r"\bshort of (?:staff|nurses|doctors)\b",
        r"\bstaffing\b",
        r"\b(?:one|two|three|a) (?:nurses?|doctors?|staff|members? of staff) (?:short|down)\b",
        r"\bnot enough (?:staff|nurses|doctors|hands|people)\b",
        r"\bskeleton (?:staff|crew)\b",
        r"\bno (?:cover|senior cover|one to (?:escalate to|help|call))\b",
        r"\b(?:on my own|by myself|alone) (?:with|on|in charge)\b",
        r"\bagency (?:staff|nurse)s?\b",
        r"\bsickness\b",
    ),
    "workload": (
        r"\b\d{2,} patients\b",
        r"\b(?:so|really|incredibly|too|very) busy\b",
        r"\b(?:no|not enough) beds?\b",
        r"\b(?:capacity|corridor care|overflow|full department|heaving)\b",
        r"\bdouble shift\b",
        r"\b(?:1[2-9]|twelve|thirteen|fourteen)[- ]hour shift\b",
        r"\bworkload\b",
    ),
    "time_pressure": (
        r"\bno time\b",
        r"\b(?:rushed|rushing|in a rush|hurried)\b",
        r"\btime pressure\b",
        r"\bunder (?:so much |a lot of )?pressure\b",
        r"\bno (?:breaks?|lunch)\b",
        r"\bback to back\b",
        r"\b(?:target|breach(?:ed)?)\b",
        r"\bno time to (?:think|check|stop)\b",
    ),
    "hierarchy": (
        rf"\b{_SENIOR}\b[^.!?\n]{{0,50}}\b(?:wouldn'?t listen|didn'?t listen|dismiss\w*|"
        r"overruled|ignored|brushed (?:me|it) off|shouted|belittled|wouldn'?t come|"
        r"refused to come)\b",
        r"\b(?:hierarchy|too junior|pecking order)\b",
        r"\b(?:couldn'?t|didn'?t feel able to|afraid to|scared to) "
        r"(?:challenge|speak up|question)\b",
        r"\bspeak(?:ing)? up\b",
    ),
    "communication": (
        r"\bhandover\b",
        r"\b(?:miscommunication|communication)\b",
        r"\b(?:no one|nobody) (?:told|said|mentioned|passed on)\b",
        r"\b(?:wasn'?t|weren'?t|hadn'?t been) (?:told|informed|handed over)\b",
        r"\b(?:misunderst\w*|mixed messages|crossed wires)\b",
        r"\bnot (?:documented|written down|in the notes)\b",
    ),
    "equipment": (
        r"\bequipment\b",
        r"\b(?:broken|faulty|missing|malfunction\w*) (?:pump|monitor|kit|equipment|defib\w*|"
        r"suction|oxygen|bed|trolley)\b",
        r"\b(?:pump|monitor|defib\w*|suction) (?:was |wasn'?t |had )?(?:broken|faulty|"
        r"working|failed|alarm\w*)\b",
        r"\b(?:ran out of|no) (?:oxygen|stock|supplies|kit|equipment)\b",
    ),
    "family_conflict": (
        rf"\b{_RELATIVE}\b[^.!?\n]{{0,50}}\b(?:angry|shout\w*|yell\w*|complain\w*|argu\w*|"
        r"blam\w*|threat\w*|aggressive|abusive|hostile|demand\w*|furious|disagree\w*|"
        r"wouldn'?t accept|refused)\b",
        rf"\b(?:argument|conflict|row|disagreement) with (?:the |his |her |their )?{_RELATIVE}\b",
    ),
    "process": (
        r"\b(?:policy|policies|protocol|guideline|procedure|process|pathway|paperwork)\b",
        r"\b(?:the )?(?:system|computer|it system|e-?prescribing|epr|software) "
        r"(?:was )?(?:down|crashed|slow|didn'?t)\b",
        r"\bbed manag\w*\b",
    ),
    "experience": (
        r"\b(?:newly qualified|first (?:week|month|job|time)|student|inexperienced|junior)\b",
        r"\b(?:never (?:been trained|done (?:it|one|this))|not trained|no training)\b",
        r"\bout of my depth\b",
    ),
}

NEED_CUES: Final[dict[str, tuple[str, ...]]] = {
    "peer_support": (
        r"\b(?:talk|speak|chat|debrief) (?:to|with) (?:a |my |the )?(?:colleagues?|friends?|"
        r"team|peers?|other nurses|other doctors)\b",
        r"\b(?:peer support|trim|schwartz round|team debrief|hot debrief|buddy)\b",
    ),
    "supervisor_support": (
        rf"\b(?:talk|speak|meet|raise it|email|go) (?:to|with) (?:my |the |a )?"
        rf"(?:{_SENIOR}|supervisor|educator|line manager|ward sister|team leader|mentor)\b",
        r"\bclinical supervision\b",
    ),
    "professional_support": (
        r"\b(?:counsell?(?:ing|or)|therap(?:y|ist)|psycholog\w*|eap|employee assistance|"
        r"occupational health|occ health|my gp|see a gp|wellbeing (?:service|team|hub)|"
        r"staff support)\b",
    ),
    "rest": (
        r"\b(?:sleep|rest|time off|day off|days off|annual leave|go home|a walk|take a break|"
        r"exercise|a bath|switch off)\b",
    ),
    "learning": (
        r"\b(?:training|course|simulation|refresher|read up|learn(?:ing)? (?:more|from)|"
        r"teaching session|practise|practice)\b",
    ),
    "system_change": (
        r"\b(?:incident (?:report|form)|datix|report it|raise (?:a |the |my )?concerns?|"
        r"speak up|freedom to speak up|safety huddle|escalate (?:it|the staffing))\b",
    ),
}

_FACTORS: Final = {k: tuple(re.compile(p) for p in ps) for k, ps in FACTOR_CUES.items()}
_NEEDS: Final = {k: tuple(re.compile(p) for p in ps) for k, ps in NEED_CUES.items()}
_NEGATED: Final = re.compile(r"\b(?:not|no|never|didn'?t|don'?t|wasn'?t|won'?t)\s+(?:\w+\s+)?$")
_MAX_CHARS: Final = 20_000

# What an incident implies about system factors.
_INCIDENT_FACTORS: Final[dict[str, str]] = {
    "exhaustion": "staffing",
    "colleague_conflict": "hierarchy",
}


def _normalise(texts: Iterable[str]) -> str:
    joined = "\n".join(t[:4000] for t in texts if t)[:_MAX_CHARS]
    return re.sub(r"[ \t]+", " ", joined.replace("\u2019", "'")).lower()


def _found(text: str, patterns: dict[str, tuple[re.Pattern[str], ...]]) -> list[str]:
    keys: list[str] = []
    for key, compiled in patterns.items():
        for pattern in compiled:
            if any(not _NEGATED.search(text[max(0, m.start() - 20) : m.start()])
                   for m in pattern.finditer(text)):  # fmt: skip
                keys.append(key)
                break
    return keys


def system_factors(texts: Iterable[str], incident_keys: Iterable[str] = ()) -> tuple[str, ...]:
    text = _normalise(texts)
    found = set(_found(text, _FACTORS))
    for key in incident_keys:
        if key in _INCIDENT_FACTORS:
            found.add(_INCIDENT_FACTORS[key])
    if "aggression" in incident_keys and re.search(rf"\b{_RELATIVE}\b", text):
        found.add("family_conflict")
    return tuple(k for k in v.FACTORS if k in found)


def support_needs(texts: Iterable[str], peak_level: str) -> tuple[str, ...]:
    found = set(_found(_normalise(texts), _NEEDS))
    if peak_level == "crisis":
        found.add("crisis_support")
    return tuple(k for k in v.NEEDS if k in found)


def emotion_families(phrases: Iterable[str]) -> tuple[str, ...]:
    families = {f for p in phrases if (f := v.emotion_family_of(p)) is not None}
    return tuple(k for k in v.emotion_families() if k in families)


def stage_reached(state: DebriefState) -> Stage:
    """The furthest stage of the debrief. Ending early jumps to ``close``; that counts as
    reaching it only after the next step was reached."""
    visited = set(state.stages_visited) | {state.stage}
    order = [s for s in STAGES if s in visited]
    furthest = order[-1] if order else "check-in"
    if furthest == "close" and "next-step" not in visited:
        earlier = [s for s in order if s != "close"]
        return earlier[-1] if earlier else "check-in"
    return furthest


def outcome(state: DebriefState) -> Outcome:
    if not state.ended:
        return "abandoned"
    return "completed" if stage_reached(state) == "close" else "ended_early"


def _suggestion(assist: ThemeAssistant, messages: Sequence[str]) -> ThemeSuggestion | None:
    """The assistant's suggestion; ``None`` (logged without any text) when it fails."""
    if not messages:
        return None
    try:
        return assist.suggest(messages)
    except Exception as exc:
        log.warning(
            "themes: LLM-assisted derivation failed (%s); the record is rules only",
            type(exc).__name__,
        )
        return None


def _union(rules: Iterable[str], model: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    """Keys from either, in vocabulary order; anything outside ``allowed`` is dropped."""
    found = set(rules) | set(model)
    return tuple(k for k in allowed if k in found)


def merge_suggestion(
    *,
    incident: str,
    emotions: tuple[str, ...],
    factors: tuple[str, ...],
    needs: tuple[str, ...],
    suggestion: ThemeSuggestion,
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(incident, emotions, factors, needs) with a model's suggestion merged in. The rules
    are the floor: emotions, factors and needs are the rules' keys plus the model's (a
    model can add, never remove); the incident is the rules' when they recognised one,
    else the model's. Crisis support is never taken from a model (it follows the peak
    escalation level), and any key outside the vocabulary is dropped."""
    from coach.educator.llm_derive import MODEL_INCIDENTS, MODEL_NEEDS

    suggested = suggestion.incident
    if incident == v.UNRECOGNISED and suggested is not None and suggested in MODEL_INCIDENTS:
        incident = suggested
    return (
        incident,
        _union(emotions, suggestion.emotions, v.emotion_families()),
        _union(factors, suggestion.factors, v.FACTORS),
        _union(needs, (n for n in suggestion.needs if n in MODEL_NEEDS), v.NEEDS),
    )


def derive_theme(
    state: DebriefState,
    *,
    clinician: str,
    role: str,
    at: datetime | None = None,
    assist: ThemeAssistant | None = None,
) -> ThemeRecord:
    """The theme record of ``state``. ``clinician`` is the keyed token of the account
    (:func:`coach.educator.tokens.clinician_token`), ``role`` its role category.

    ``assist`` (optional) is asked about the clinician's debrief messages (not the
    disclosures answered by the crisis or support wording) and its suggestion merged as
    :func:`merge_suggestion` says; when it fails, the record is the rules' alone.
    Escalation, stage, outcome, duration, week and role always come from the engine."""
    said = [t.text for t in state.turns if t.role == "clinician"]
    messages = [t.text for t in state.turns if t.role == "clinician" and t.kind == "message"]
    coach_said = [t.text for t in state.turns if t.role == "coach" and t.kind == "reply"]
    found = session_incident(messages, coach_texts=coach_said)
    incident = found.key if found is not None else v.UNRECOGNISED
    emotions = emotion_families([*state.emotions])
    factors = system_factors(said, found.keys if found is not None else ())
    needs = support_needs(said, state.peak_level)
    suggestion = _suggestion(assist, messages) if assist is not None else None
    if suggestion is not None:
        incident, emotions, factors, needs = merge_suggestion(
            incident=incident,
            emotions=emotions,
            factors=factors,
            needs=needs,
            suggestion=suggestion,
        )
    last = state.ended_at or state.updated_at
    minutes = max(0.0, (last - state.created_at).total_seconds() / 60)
    return ThemeRecord(
        week=iso_week(at or last),
        role=role if role in v.ROLE_CATEGORIES else "unspecified",
        clinician=clinician,
        incident=incident,
        emotions=emotions,
        factors=factors,
        needs=needs,
        escalation=state.peak_level,
        stage=stage_reached(state),
        outcome=outcome(state),
        duration=duration_bucket(minutes),
    )
