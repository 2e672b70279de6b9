"""A small, transparent detector for the kind of encounter a clinician is debriefing.

Each incident type is a list of regular expressions over the de-identified text. A match
is ignored when a negation ("no one died", "it wasn't the wrong dose") or, for deaths,
"nearly"/"almost" comes just before it. When several types match, the one highest in
``PRIORITY`` leads (a child's death outranks a death; a near miss outranks a medication
error) and the rest are kept in ``Incident.also``. The reference phrase ("the medication
error", "the baby's death") is what later replies use to name the event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "INCIDENT_KEYS",
    "INCIDENT_LABELS",
    "Incident",
    "detect_incident",
    "find_cues",
    "incident_for",
    "recall_incident",
    "session_incident",
]

# Highest priority first.
PRIORITY: Final[tuple[str, ...]] = (
    "patient_suicide",
    "paediatric_death",
    "near_miss",
    "medication_error",
    "moral_distress",
    "aggression",
    "restraint",
    "patient_death",
    "colleague_conflict",
    "bad_news",
    "resuscitation",
    "exhaustion",
)
INCIDENT_KEYS: Final[frozenset[str]] = frozenset(PRIORITY)

INCIDENT_LABELS: Final[dict[str, str]] = {
    "patient_suicide": "patient suicide",
    "paediatric_death": "paediatric death",
    "near_miss": "near miss",
    "medication_error": "medication error",
    "moral_distress": "moral distress",
    "aggression": "aggression or threat",
    "restraint": "restraint",
    "patient_death": "patient death",
    "colleague_conflict": "colleague conflict",
    "bad_news": "breaking bad news",
    "resuscitation": "resuscitation",
    "exhaustion": "exhaustion or understaffing",
}

_REFERENCES: Final[dict[str, str]] = {
    "patient_suicide": "the loss of your patient to suicide",
    "paediatric_death": "the child's death",
    "near_miss": "the near miss",
    "medication_error": "the medication error",
    "moral_distress": "the care that didn't sit right with you",
    "aggression": "the aggression you faced",
    "restraint": "the restraint",
    "patient_death": "your patient's death",
    "colleague_conflict": "what happened with your colleague",
    "bad_news": "breaking that news",
    "resuscitation": "the resuscitation",
    "exhaustion": "a shift stretched that thin",
}

_NEGATION: Final = re.compile(
    r"\b(?:not|no|never|nobody|none|without|didn't|wasn't|isn't|weren't|hadn't|"
    r"couldn't|wouldn't|don't|doesn't)\b|n't\b"
)
_NEAR: Final = re.compile(r"\b(?:nearly|almost)\b")

_CHILD: Final = (
    r"(?:baby|babies|infant|newborn|neonate|toddler|child|boy|girl|teenager|kid|"
    r"\[age\] (?:boy|girl|child)|\d{1,2}[- ](?:year|month|week|day)[- ]old)"
)
_DEATH: Final = (
    r"(?:died|dies|die|dying|death|passed away|passed on|didn't make it|did not make it|"
    r"pronounced (?:dead|life extinct)|time of death|deceased|dead|"
    r"lost (?:him|her|them|the (?:patient|baby|child|boy|girl)|my patient))"
)
_RELATIVE: Final = (
    r"(?:relatives?|family|families|son|daughter|wife|husband|partner|mother|father|mum|"
    r"dad|brother|sister-in-law|sister|parents?|visitors?|next of kin|grandson|granddaughter)"
)
_COLLEAGUE: Final = (
    r"(?:consultant|registrar|reg|colleague|manager|charge nurse|nurse in charge|matron|"
    r"boss|senior|team leader|ward sister|line manager|surgeon|anaesthetist|senior nurse|"
    r"another nurse|the other nurse|sister)"
)
_STRONG_AGGRESSION: Final = (
    r"(?:aggressive|aggression|violent|violence|abusive|verbally abused|physically abused|"
    r"threaten(?:ed|ing)?|threats?|spat|spitting|punched|kicked|hit me|slapped|lunged|"
    r"grabbed me|assault(?:ed)?|intimidat\w*|called security|security (?:was|were|had to be) "
    r"called|hostile|came at me|went for me)"
)
# Screaming is left out: a parent screaming in grief is not aggression.
_WEAK_AGGRESSION: Final = r"(?:shout(?:ed|ing)?|yell(?:ed|ing)?|swore|swearing|raging)"

_PATTERNS: Final[dict[str, tuple[str, ...]]] = {
    "patient_suicide": (
        r"\b(?:took|taken|take) (?:his|her|their) own life\b",
        r"\b(?:killed|hanged|hung) (?:himself|herself|themselves|themself)\b",
        r"\b(?:died|death) by suicide\b",
        r"\b(?:completed|committed) suicide\b",
        r"\b(?:patient|man|woman|lady|gentleman|he|she|they|boy|girl)\b[^.!?\n]{0,40}"
        r"\bsuicide\b",
    ),
    "paediatric_death": (
        rf"\b{_CHILD}\b[^.!?\n]{{0,60}}\b{_DEATH}\b",
        rf"\b{_DEATH}\b[^.!?\n]{{0,30}}\b(?:the|a|their|her|his) {_CHILD}\b",
        r"\b(?:stillbirth|stillborn|cot death|sids|neonatal death)\b",
    ),
    "near_miss": (
        r"\bnear[- ]miss(?:es)?\b",
        r"\b(?:nearly|almost) (?:gave|given|give|administered|hung|prescribed|drew up)\b",
        r"\bcaught (?:it|the error|the mistake|the dose)(?: just)? (?:before|in time)\b",
        r"\b(?:picked|spotted) (?:it )?(?:up )?(?:just )?(?:before|in time)\b",
        r"\bbefore it (?:was given|reached (?:the patient|him|her|them))\b",
    ),
    "medication_error": (
        r"\b(?:medication|medicine|drug|prescribing|prescription|dosing|dose|insulin|"
        r"infusion|administration)s? (?:error|mistake|incident)s?\b",
        r"\bwrong (?:dose|drug|medication|medicine|patient's (?:meds|medication|drugs)|route|"
        r"rate|strength|bag|syringe|concentration|tablets?)\b",
        r"\b(?:gave|given|administered|drew up|hung|prescribed|charted)\b[^.!?\n]{0,40}"
        r"\b(?:instead of|too much|ten times|10 times|tenfold|ten-fold|double the|twice the)\b",
        r"\b(?:missed|omitted) (?:a |the |his |her |their )?dose\b",
        r"\bdecimal point\b",
        r"\b(?:overdosed|under-?dosed) (?:him|her|them|the patient)\b",
    ),
    "moral_distress": (
        r"\bfutil(?:e|ity)\b",
        r"\bprolong(?:ing|ed|s)? (?:his |her |their |the )?(?:suffering|dying|death)\b",
        r"\bagainst (?:my|our) (?:values|conscience|better judge?ment|principles)\b",
        r"\bmoral(?:ly)? (?:distress|injury|wrong)\b",
        r"\bnot in (?:his|her|their|the patient's) best interests?\b",
        r"\b(?:keep|kept|keeping) (?:him|her|them) going\b",
        r"\b(?:full|active|aggressive|ongoing) (?:escalation|treatment|intervention)\b"
        r"[^.!?\n]{0,60}\b(?:wrong|pointless|cruel|unfair|shouldn'?t|not right)\b",
        r"\b(?:the conversation|talk(?:ing)?) (?:with|to) the family about (?:stopping|"
        r"withdraw\w*|palliat\w*|comfort care|ceiling)",
        r"\btortur(?:e|ed|ing)\b",
        r"\bno dignity\b",
        r"\b(?:felt|feels|was|is) (?:so |just )?wrong\b[^.!?\n]{0,40}"
        r"\b(?:keep|keeping|carry|carrying|continu\w*|doing)\b",
        r"\b(?:keep|keeping|carry on|carrying on|continu\w*)\b[^.!?\n]{0,40}"
        r"\b(?:felt|feels|was|is) (?:so |just )?wrong\b",
    ),
    "aggression": (
        rf"\b{_STRONG_AGGRESSION}\b",
        rf"\b(?:patient|{_RELATIVE})\b[^.!?\n]{{0,40}}\b{_WEAK_AGGRESSION}\b",
        rf"\b{_WEAK_AGGRESSION}\b[^.!?\n]{{0,40}}\b(?:patient|{_RELATIVE})\b",
    ),
    "restraint": (
        r"\brestrain(?:t|ts|ed|ing)?\b",
        r"\bheld (?:him|her|them) down\b",
        r"\bpinned (?:him|her|them) (?:down|to)\b",
        r"\brapid tranquilli[sz]ation\b",
    ),
    "patient_death": (rf"\b{_DEATH}\b",),
    "colleague_conflict": (
        r"\bbull(?:ied|ying|y)\b",
        r"\b(?:humiliated|belittled|undermined|ridiculed)\b",
        rf"\b{_COLLEAGUE}\b[^.!?\n]{{0,40}}\b(?:shouted|screamed|yelled|snapped|swore|"
        r"laughed|blamed me|tore into me|had a go at me|criticised me|dismissed|ignored me|"
        r"wouldn't listen|didn't listen|refused to come|refused to help)\b",
        r"\b(?:conflict|row|argument|fell out) with (?:my |the |a )?" + _COLLEAGUE + r"\b",
    ),
    "bad_news": (
        r"\bbreak(?:ing)? (?:the )?(?:bad |sad |awful |terrible )?news\b",
        r"\bbad news\b",
        r"\b(?:terminal|incurable|cancer) diagnosis\b",
        rf"\b(?:tell|told|telling) (?:the |his |her |their |a )?{_RELATIVE}\b[^.!?\n]{{0,50}}"
        r"\b(?:died|dead|passed|cancer|terminal|diagnosis|prognosis|not going to|wasn't going "
        r"to|weren't going to|wouldn't|didn't make it|nothing more)\b",
        r"\bhad to tell (?:him|her|them|the family|the parents|the patient)\b",
    ),
    "resuscitation": (
        r"\b(?:cardiac |respiratory )?arrest(?:ed)?\b",
        r"\bcrash (?:call|team|bleep|trolley)\b",
        r"\bresus(?:citation|citate|citated|citating)?\b",
        r"\bcpr\b",
        r"\b(?:chest )?compressions\b",
        r"\bdefib\w*\b",
        r"\bshock(?:ed|s)? (?:him|her|them)\b",
        r"\brosc\b",
        r"\bcode (?:blue|call)\b",
        r"\bperi-?arrest\b",
    ),
    "exhaustion": (
        r"\bunder-?staffed\b",
        r"\bshort[- ]staffed\b",
        r"\bshort of staff\b",
        r"\bstaffing\b",
        r"\bno (?:breaks?|break)\b",
        r"\bdouble shift\b",
        r"\bskeleton (?:staff|crew)\b",
        r"\b(?:on my own|by myself|alone) with \d+\b",
        r"\b\d{2,} patients\b",
        r"\b(?:1[2-9]|twelve|thirteen|fourteen)[- ]hour shift\b",
        r"\bno one to (?:escalate to|help|call)\b",
    ),
}

# Ways of speaking that contain a death word without anyone dying.
_DEATH_IDIOM: Final = re.compile(
    r"\b(?:dying (?:inside|to)|died of (?:embarrassment|shame)|dead (?:tired|on my feet|"
    r"beat|end|set|serious|right)|deadline|wanted to die|want to die|wish i was dead|"
    r"wish i were dead|i'm dead|i was dead)\b"
)
_SELF_DEATH: Final = re.compile(
    r"\b(?:i'm|i am|i was|i feel|i felt|i could|i wanted to|i want to|i'd rather)"
    r"(?: like)?(?: i'm| i was| i could)? (?:dying|dead|die)\b"
)

_COMPILED: Final[dict[str, tuple[re.Pattern[str], ...]]] = {
    key: tuple(re.compile(p) for p in patterns) for key, patterns in _PATTERNS.items()
}
_DEATHLY: Final = frozenset({"patient_death", "paediatric_death"})
_MAX_CHARS: Final = 20_000


@dataclass(frozen=True)
class Incident:
    """What the clinician is debriefing, as far as their words show."""

    key: str  # one of INCIDENT_KEYS
    label: str  # e.g. "medication error" (for notes and summaries)
    reference: str  # how a reply names it, e.g. "the medication error"
    also: tuple[str, ...] = ()  # other incident keys that matched, by priority
    cues: tuple[str, ...] = ()  # the matched words, for transparency

    def involves(self, key: str) -> bool:
        return key == self.key or key in self.also

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.also)


def _normalise(text: str) -> str:
    text = text[:_MAX_CHARS].replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).lower()


def _negated(text: str, start: int, key: str) -> bool:
    head = text[max(0, start - 40) : start]
    head = re.split(r"[.!?;,\n]|\bbut\b", head)[-1]
    words = " ".join(head.split()[-2:])
    if _NEGATION.search(words):
        return True
    return key in _DEATHLY and bool(_NEAR.search(" ".join(head.split()[-2:])))


def _matches(text: str, key: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    for pattern in _COMPILED[key]:
        for match in pattern.finditer(text):
            if _negated(text, match.start(), key):
                continue
            if key in _DEATHLY:
                window = text[max(0, match.start() - 25) : match.end() + 25]
                if _DEATH_IDIOM.search(window) or _SELF_DEATH.search(
                    text[max(0, match.start() - 25) : match.end()]
                ):
                    continue
            found.append(match)
    return found


def find_cues(text: str) -> dict[str, tuple[str, ...]]:
    """Every incident type whose patterns match ``text``, with the words that matched."""
    norm = _normalise(text)
    cues: dict[str, tuple[str, ...]] = {}
    for key in PRIORITY:
        hits = _matches(norm, key)
        if hits:
            cues[key] = tuple(dict.fromkeys(m.group(0) for m in hits))
    return cues


def _reference(key: str, norm: str, keys: tuple[str, ...]) -> str:
    if key == "paediatric_death":
        child = re.search(
            r"\b(baby|infant|newborn|toddler|child|boy|girl|teenager|\d{1,2}[- ]year[- ]old)\b",
            norm,
        )
        noun = child.group(1) if child else "child"
        if "year" in noun:
            noun = "child"
        return f"the {noun}'s death"
    if key == "aggression":
        hits = list(re.finditer(rf"\b(?:{_STRONG_AGGRESSION}|{_WEAK_AGGRESSION})\b", norm))
        people = list(re.finditer(rf"\b(?:{_RELATIVE}|patient)\b", norm))
        if not hits or not people:
            return _REFERENCES[key]

        def distance(person: re.Match[str]) -> int:
            return min(
                max(hit.start() - person.end(), person.start() - hit.end(), 0) for hit in hits
            )

        closest = min(people, key=distance).group(0)
        return (
            "what happened with the patient"
            if closest == "patient"
            else ("what happened with the relative")
        )
    if key == "patient_death" and "resuscitation" in keys:
        return "the resuscitation and your patient's death"
    return _REFERENCES[key]


def detect_incident(text: str) -> Incident | None:
    """The incident ``text`` describes, or ``None`` when nothing recognisable is named."""
    norm = _normalise(text)
    cues = find_cues(norm)
    if not cues:
        return None
    keys = tuple(cues)  # already in priority order
    # A child's death is also a death: keep only the more specific one.
    if "paediatric_death" in keys:
        keys = tuple(k for k in keys if k != "patient_death")
    key = keys[0]
    return Incident(
        key=key,
        label=INCIDENT_LABELS[key],
        reference=_reference(key, norm, keys),
        also=keys[1:],
        cues=tuple(c for k in keys for c in cues[k]),
    )


def _reference_forms() -> dict[str, str]:
    """Every way a reply may name an incident, mapped to its key (longest first)."""
    forms = {reference: key for key, reference in _REFERENCES.items()}
    for noun in ("baby", "infant", "newborn", "toddler", "child", "boy", "girl", "teenager"):
        forms[f"the {noun}'s death"] = "paediatric_death"
    forms["what happened with the relative"] = "aggression"
    forms["what happened with the patient"] = "aggression"
    forms["the resuscitation and your patient's death"] = "patient_death"
    return dict(sorted(forms.items(), key=lambda item: -len(item[0])))


_REFERENCE_FORMS: Final = _reference_forms()


def recall_incident(coach_texts: Iterable[str]) -> Incident | None:
    """The incident as the coach last named it, for when the clinician's own words about it
    have scrolled out of the history the engine passes on."""
    for text in reversed([t for t in coach_texts if t]):
        lowered = text.lower().replace("\u2019", "'")
        for reference, key in _REFERENCE_FORMS.items():
            if reference in lowered:
                return Incident(key=key, label=INCIDENT_LABELS[key], reference=reference)
    return None


def incident_for(key: str) -> Incident:
    """An incident known only by its key, named in the general way."""
    return Incident(key=key, label=INCIDENT_LABELS[key], reference=_REFERENCES[key])


def session_incident(
    earlier: Iterable[str], latest: str = "", coach_texts: Iterable[str] = ()
) -> Incident | None:
    """The incident across a whole session: everything the clinician has said so far, or
    failing that, how the coach's earlier replies named it."""
    texts = [t for t in (*earlier, latest) if t and t.strip()]
    # Keep each message short enough that one very long message cannot hide the others.
    found = detect_incident("\n".join(t[:4000] for t in texts)) if texts else None
    return found or recall_incident(coach_texts)
