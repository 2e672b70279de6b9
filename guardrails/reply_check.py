"""Checks on what the coach says before a reply is shown to the clinician.

Five rule-based checks (``CHECKS``): no diagnosis of the clinician, no medication or
clinical-management advice, no suicide or self-harm method detail, no blame, no minimising.
Text is normalised first (Unicode, curly quotes, case, whitespace). Words the coach is
reflecting back (an attributed quote, or a clause after "you said", "you're telling
yourself" ...) are masked, so reflecting self-blame passes; figures for a suicide method
("30 tablets") fail even there. Nothing in a reply can switch a check off: it is only text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from guardrails.types import ReplyVerdict

__all__ = [
    "CHECKS",
    "MAX_REPLY_CHARS",
    "RULES_VERSION",
    "SAFE_FALLBACK_REPLY",
    "ReplyChecker",
    "check_reply",
    "normalise",
]

CHECKS: Final[tuple[str, ...]] = (
    "diagnosis",
    "clinical_advice",
    "method_details",
    "blame",
    "minimising",
)
MAX_REPLY_CHARS: Final = 4000
RULES_VERSION: Final = 1

SAFE_FALLBACK_REPLY: Final = (
    "Thank you for telling me about this. It sounds like it has been a lot to carry, and "
    "I'm here to listen for as long as you need. What feels most important to say right now?"
)

_MASK: Final = " \ue000 "  # a private-use character, removed from input by normalise()

# ----------------------------------------------------------------------------- normalising

_QUOTE_MAP: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "\u2014",
    }
)
_INVISIBLE: Final = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\ue000]")
_SPACE: Final = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, straight quotes, no invisible characters, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip().lower()


# ----------------------------------------------------------------------------- masking

_DOUBLE_QUOTED: Final = re.compile(r'"[^"]{1,400}"')
_SINGLE_QUOTED: Final = re.compile(r"(?<![\w'])'(?=\S)[^\n]{1,300}?(?<=\S)'(?![\w])")
# A quote is only masked when something in its sentence says whose words they are.
_REPORT_CUE: Final = re.compile(
    r"(?<!\bi )(?<!\bwe )(?<!i'd )(?<!i'll )(?<!i would )(?<!i always )(?<!let me )"
    r"\b(?:say|says|said|saying|tell|tells|told|telling|think|thinks|thought|thinking|"
    r"wrote|write|writes|written|typed|ask|asks|asked|asking|words?|phrase|call|called|"
    r"hear|heard|hearing|keep|keeps|kept|coming back to|come back to|repeat\w*|replay\w*|"
    r"voice|mean|means|describ\w*|put it|felt|feel|feels|wonder\w*|believe\w*|"
    r"mention\w*|quote\w*|line)\b"
)
# "As they say, ..." introduces a saying in the coach's own voice: such quotes are judged.
_SAYING: Final = re.compile(
    r"\b(?:as|like) (?:they|people|we|i|you|everyone|the saying|my \w+) (?:always )?"
    r"(?:say|says|said|goes)\b"
)
_SENTENCE_START: Final = re.compile(r"[.!?](?:\s|$)")

_REFLECTION_FRAME: Final = re.compile(
    r"(?<!what )(?<!from )(?<!based on )\b(?:"
    r"you(?:'ve| have)? (?:said|told me|mentioned|wrote|written|described|shared|admitted)"
    r"|you(?: keep| kept| have been|'ve been| are|'re) (?:thinking|saying|telling yourself|"
    r"asking yourself|coming back to|replaying|wondering|blaming yourself|"
    r"going over|going back over)"
    r"|you (?:keep|kept) (?:telling|asking) yourself"
    r"|you (?:feel|felt) (?:like|that|as if|as though)"
    r"|you (?:wonder|wondered|believe|believed|worry|worried|fear|feared)(?: that| if| whether)?"
    r"|you(?:'re| are) (?:worried|afraid|scared|convinced|sure) (?:that|you)"
    r"|you (?:think|thought) (?:that|you|it)"
    r"|part of you (?:\w+ ){0,2}?(?:believes?|feels?|thinks?|says|wonders|insists)"
    r"|when you say"
    r"|(?:your|the|a|one of the|another) (?:colleague|consultant|manager|registrar|boss|"
    r"sister|charge nurse|matron|lead|supervisor|senior|family|relative|daughter|son|"
    r"wife|husband|partner|friend|nurse|doctor)s? (?:told you|said|says|asked)"
    r"|(?:he|she|they) (?:told you|said)"
    r"|being told(?: to)?"
    r")\b"
)
_CLAUSE_END: Final = re.compile(
    r"[.!?;:\u2014](?:\s|$)|\s\u2014|,? \b(?:but|yet|however|although|though)\b|\s-\s"
    r"|,? (?:and|so) (?:honestly|frankly|actually|in fact|to be honest|to be fair|i think|"
    r"i agree|yes|sadly|rightly)\b|,? (?:and |which )?(?:you're|you are) (?:right|correct)\b"
)


def _mask_quotes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        before = text[max(0, start - 120) : start]
        starts = [m.end() for m in _SENTENCE_START.finditer(before)]
        if starts:
            before = before[starts[-1] :]
        after = text[end : end + 40]
        cut = _SENTENCE_START.search(after)
        if cut:
            after = after[: cut.start()]
        if _SAYING.search(before):
            return match.group(0)
        if _REPORT_CUE.search(before) or _REPORT_CUE.search(after):
            return _MASK
        return match.group(0)

    text = _DOUBLE_QUOTED.sub(replace, text)
    return _SINGLE_QUOTED.sub(replace, text)


def _mask_reflections(text: str) -> str:
    parts: list[str] = []
    pos = 0
    for frame in _REFLECTION_FRAME.finditer(text):
        if frame.start() < pos:
            continue
        end = _CLAUSE_END.search(text, frame.end())
        stop = end.start() if end else len(text)
        parts.append(text[pos : frame.end()])
        parts.append(_MASK)
        pos = stop
    parts.append(text[pos:])
    return "".join(parts)


_SENTENCE_SPLIT: Final = re.compile(r"(?<=[.!?])\s+|(?<=\?)(?=\S)")
_CLAUSE_SPLIT: Final = re.compile(r"[,;:\u2014()<>\[\]]|\s-\s|\bbut\b|\band then\b")
_NEGATION: Final = re.compile(
    r"\b(?:not|never|no|nobody|none|nothing|neither|nor|without|hardly|won't|can't|"
    r"don't|doesn't|didn't|isn't|wasn't|aren't|weren't|shouldn't|wouldn't|couldn't|"
    r"cannot)\b|n't\b"
)
_NEGATION_WORDS: Final = 8
_CITATION: Final = re.compile(r"\[(?:\d+|[a-z0-9][a-z0-9-]{2,})\]")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_SPLIT.split(text) if s.strip()]


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(sentence) if c.strip()]


def _negated(sentence: str, start: int) -> bool:
    """Is there a negation in the last few words of the clause before ``start``?"""
    head = _CLAUSE_SPLIT.split(sentence[:start])[-1]
    return bool(_NEGATION.search(" ".join(head.split()[-_NEGATION_WORDS:])))


@dataclass(frozen=True, slots=True)
class _Rule:
    """A pattern, and substrings of which at least one is in any text it matches (a cheap gate)."""

    keys: tuple[str, ...]
    pattern: re.Pattern[str]

    def active(self, text: str) -> bool:
        return any(key in text for key in self.keys)


def _rules(*specs: tuple[str, str]) -> tuple[_Rule, ...]:
    return tuple(_Rule(tuple(keys.split("|")), re.compile(regex)) for keys, regex in specs)


def _first(rules: tuple[_Rule, ...], sentences: list[str]) -> str | None:
    """The first rule match that is not negated in its clause."""
    text = " ".join(sentences)
    active = [rule.pattern for rule in rules if rule.active(text)]
    for sentence in sentences:
        for pattern in active:
            for match in pattern.finditer(sentence):
                if not _negated(sentence, match.start()):
                    return match.group(0)
    return None


# ----------------------------------------------------------------------------- diagnosis

_CONDITION: Final = (
    r"(?:c-?ptsd|ptsd|post[- ]?traumatic stress(?: disorder)?|"
    r"(?:clinical(?:ly)? |major |severe |postnatal )?depress(?:ed|ion)\b|"
    r"depressive (?:disorder|episode)|(?:generali[sz]ed )?anxiety(?: disorder)?|"
    r"panic (?:disorder|attacks?)|acute stress (?:disorder|reaction)|adjustment disorder|"
    r"burn(?:t|ed)[- ]?out|burnout(?: syndrome)?|compassion fatigue|moral injury|"
    r"secondary traumatic stress|vicarious(?:ly)? trauma\w*|traumati[sz]ed|trauma response|"
    r"insomnia|bipolar|ocd|adhd|(?:alcohol|substance|drinking) (?:use )?"
    r"(?:disorder|dependence|problem|issue)|alcoholi(?:c|sm)|addict(?:ed|ion)|"
    r"mental (?:illness|health (?:condition|disorder))|(?:nervous )?breakdown|"
    r"psychosis|psychotic|paranoi[ad]|complicated grief|prolonged grief|"
    r"[a-z-]+ (?:disorder|syndrome))"
)
# Without "you": feelings a clinician names (anxiety, panic attacks) are not conditions here.
_DISORDER: Final = _CONDITION.replace(
    "(?:generali[sz]ed )?anxiety(?: disorder)?",
    "(?:generali[sz]ed anxiety|clinical anxiety|anxiety disorder)",
).replace("panic (?:disorder|attacks?)", "panic disorder")
_YOU_CONDITION: Final = re.compile(
    r"\byou(?:'re|'ve|'d| are| have| got| seem| sound| appear| look| might| may| must|"
    r" meet| probably| clearly| obviously| definitely| certainly| likely| could| suffer)\b"
    r"(?P<gap>(?: [\w'-]+){0,6}?) " + _CONDITION
)
_GAP_EXEMPT: Final = re.compile(
    r"\b(?:feel|felt|feeling|heard|hear|read|know|knew|learn\w*|about|describ\w*|mention\w*|"
    r"said|say|told|ask\w*|wonder\w*|worr\w*|afraid|fear\w*|not|never|no|if|whether|"
    r"car(?:e|ed|ing)|treat\w*|nurs\w*|patients?|seen|see|help\w*|look(?:ed|ing) after|"
    r"work\w*|colleagues?|someone|people|others|support\w*|scared)\b|n't\b"
)
_CONCEPT_DIAGNOSIS: Final = re.compile(
    r"\b(?:this|that|it|these|what you(?:'re| are) (?:describing|going through|experiencing)|"
    r"what you(?:'ve)? describe[d]?|your (?:symptoms|reaction|reactions|presentation|"
    r"behaviour|response))(?:(?:'s| is| are| was)(?: \w+){0,2}?)?"
    r"(?:'s| is| are| was| sounds?| looks?| seems?| points?| suggests?| indicates?| fits?|"
    r" matches| consistent| meets?| classic| typical)\b(?P<gap>(?: [\w'-]+){0,5}?) " + _DISORDER
)
_YOUR_CONDITION: Final = re.compile(
    r"\byour (?:c-?ptsd|ptsd|depression|[a-z-]+ disorder|burnout|compassion fatigue|"
    r"moral injury|trauma response|insomnia|breakdown|mental (?:illness|health condition))\b"
    r"|\byou(?:'re| are) (?:\w+ )?(?:mentally ill|mentally unwell|unwell mentally)\b"
    r"|\byou(?:'ve| have)(?: got)? (?:a |an )?(?:mental health|psychological|psychiatric) "
    r"(?:condition|problem|issue|disorder|illness)\b"
)
_DIAGNOSTIC_WORDS: Final = re.compile(
    r"\b(?:(?:textbook|classic|clear|obvious|definite) (?:case of |signs? of |symptoms? of )?"
    + _CONDITION
    + r"|(?:all|clear|classic) (?:the )?(?:signs|symptoms) of "
    + _CONDITION
    + r"|meets? (?:the )?(?:diagnostic )?criteria|diagnos(?:e|is|ed|ing|able)\b)"
)


_EVIDENCE_DIAGNOSIS: Final = re.compile(
    r"\b(?:points? to|pointing to|suggest\w*|indicat\w*|consistent with|signs? of|"
    r"symptoms? of|typical of|characteristic of|sounds? like|looks? like|seems? like|"
    r"a case of|what we call|what's called|hallmarks? of|features of|red flags for)"
    r"(?P<gap>(?: [\w'-]+){0,3}?) " + _DISORDER
)
_THIRD_PARTY: Final = re.compile(
    r"\b(?:many|some|other|lots of|most|plenty of) (?:people|clinicians|nurses|doctors|"
    r"midwives|staff|colleagues|of us|health ?care workers)\b"
)


# At least one of these is in any text a diagnosis pattern matches (a cheap gate).
_DIAGNOSIS_KEYS: Final = (
    "ptsd",
    "stress",
    "depress",
    "anxiety",
    "panic",
    "disorder",
    "syndrome",
    "burn",
    "fatigue",
    "injury",
    "trauma",
    "insomnia",
    "bipolar",
    "ocd",
    "adhd",
    "alcohol",
    "substance",
    "drinking",
    "addict",
    "mental",
    "breakdown",
    "psycho",
    "paranoi",
    "grief",
    "diagnos",
    "criteria",
)


def _diagnosis(sentences: list[str]) -> str | None:
    text = " ".join(sentences)
    if not any(key in text for key in _DIAGNOSIS_KEYS):
        return None
    for sentence in sentences:
        for match in _YOU_CONDITION.finditer(sentence):
            if _GAP_EXEMPT.search(match.group("gap")) or _negated(sentence, match.start()):
                continue
            return match.group(0)
        if _CITATION.search(sentence):
            continue
        for match in _CONCEPT_DIAGNOSIS.finditer(sentence):
            if not (_GAP_EXEMPT.search(match.group("gap")) or _negated(sentence, match.start())):
                return match.group(0)
        for pattern in (_DIAGNOSTIC_WORDS, _YOUR_CONDITION):
            for match in pattern.finditer(sentence):
                if not _negated(sentence, match.start()):
                    return match.group(0)
        if _THIRD_PARTY.search(sentence):
            continue
        for match in _EVIDENCE_DIAGNOSIS.finditer(sentence):
            if not (_GAP_EXEMPT.search(match.group("gap")) or _negated(sentence, match.start())):
                return match.group(0)
    return None


# ----------------------------------------------------------------------------- clinical advice

# Medicines a coach might wrongly suggest to the clinician: flagged unless past narrative.
_SELF_MED: Final = (
    r"(?:sertraline|fluoxetine|citalopram|escitalopram|paroxetine|venlafaxine|duloxetine|"
    r"mirtazapine|amitriptyline|trazodone|bupropion|ssris?|snris?|antidepressants?|"
    r"benzodiazepines?|benzos?|diazepam|lorazepam|clonazepam|alprazolam|temazepam|"
    r"zopiclone|zolpidem|sleeping (?:pills?|tablets?)|sleep aids?|melatonin|magnesium|"
    r"propranolol|beta[- ]?blockers?|antipsychotics?|antihistamines?|promethazine|"
    r"diphenhydramine|sedatives?|hypnotics?|valerian|st\.? john's wort|cbd|cannabis|"
    r"ibuprofen|painkillers?|pregabalin|gabapentin|lithium|modafinil|kava|nytol|sominex)"
)
# Medicines and fluids in patient care: flagged only with an advice cue.
_PATIENT_DRUG: Final = (
    r"(?:haloperidol|olanzapine|quetiapine|risperidone|midazolam|morphine|oxycodone|codeine|"
    r"tramadol|fentanyl|opioids?|opiates?|naloxone|ketamine|propofol|adrenaline|"
    r"epinephrine|noradrenaline|atropine|amiodarone|adenosine|insulin|potassium|heparin|"
    r"warfarin|antibiotics?|steroids?|paracetamol|aspirin|salbutamol|fluids|saline|bolus|"
    r"blood gas|transfusion|oxygen)"
)
_CLINICAL_ACTION: Final = (
    r"(?:intubat\w*|extubat\w*|ventilat\w*|sedat(?:e|ed|ing|ion)|cannulat\w*|"
    r"defibrillat\w*|cardiover\w*|shock (?:him|her|them|the patient)|catheteri[sz]\w*|"
    r"restrain\w*|chest compressions|cpr|rapid sequence|chest drain|central line|"
    r"(?:ct|mri) scan|x-ray|ecg|bloods|crash team|the protocol|the guidelines?|"
    r"titrat\w*|the drip|drip rate|infusion|qtc|sepsis (?:six|6|bundle)|obs|observations)"
)
_GENERIC_MED: Final = (
    r"(?:medications?|meds|medicines?|doses?|dosage|prescriptions?|tablets?|pills|"
    r"over[- ]the[- ]counter|something (?:to|for) (?:help (?:you )?)?(?:sleep|calm|relax|"
    r"settle|the anxiety|your nerves|the nerves))"
)
_QUANTITY: Final = (
    r"\d+(?:\.\d+)? ?(?:mg|mcg|\u00b5g|micrograms?|milligrams?|ml|mls|units|mmol|grams?|g)\b"
)
# Drug names by their usual endings, for medicines not listed by name.
_DRUG_ENDINGS: Final = (
    "olol",
    "azepam",
    "azolam",
    "pril",
    "sartan",
    "statin",
    "cillin",
    "mycin",
    "oxacin",
    "prazole",
    "tidine",
    "triptyline",
    "oxetine",
    "apine",
    "peridol",
    "afil",
    "parin",
    "semide",
    "thiazide",
)
_DRUG_SALT: Final = r"(?:gluconate|sulphate|sulfate|chloride|bicarbonate|phosphate)"
_WORD: Final = re.compile(r"[a-z]{7,}")
_EVENT: Final = r"(?! (?:overdose|overdoses|od|poisoning|toxicity)\b)"
_SELF_MED_TARGET: Final = re.compile(rf"\b{_SELF_MED}\b{_EVENT}|{_QUANTITY}")
_SPECIFIC_TARGET: Final = re.compile(
    rf"\b(?:{_PATIENT_DRUG}|{_CLINICAL_ACTION}|{_DRUG_SALT})\b{_EVENT}"
)
_GENERIC_TARGET: Final = re.compile(rf"\b{_GENERIC_MED}\b")
_SIGNPOST: Final = re.compile(
    r"\b(?:gp|doctor|occupational health|pharmac\w*|clinical lead|prescriber|"
    r"psychiatrist|psychologist|counsell?or|nurse practitioner|eap|team)\b"
)
_ADVICE_CUE: Final = re.compile(
    r"\b(?:should|could|might|must|ought|need to|needs to|have to|has to|would|will|can|"
    r"may|'d|'ll|worth|recommend\w*|suggest\w*|advis\w*|consider\w*|fine|safe|okay|ok|"
    r"appropriate|better|best|next time|in future|from now on|guidelines? say|"
    r"help(?:s)? you|take the edge off|always|never|make sure|remember to|don't forget|"
    r"have you tried|works?(?: well)?|helps|needed|needs|required|requires|first|instead|"
    r"rather than|not after|earlier|sooner)\b"
)
_IMPERATIVE: Final = re.compile(
    r"^(?:(?:so|then|and|just|also|now|please|next time|in future|always|never|maybe|"
    r"perhaps|honestly|instead) )*"
    r"(?:take|try|start|give|increase|decrease|reduce|lower|raise|stop|double|halve|"
    r"switch|titrate|prescribe|use|run|push|check|replace|administer|intubate|sedate|"
    r"ask for|get|consider|avoid|add|up|drop|skip|pop|swap|call)\b"
)
# Keeping medicines out of reach is safety planning, not clinical advice.
_MEANS_SAFETY: Final = re.compile(
    r"\b(?:keep|keeps|hold onto|hold on to|look after|lock\w* (?:away|up)|put away|store|"
    r"remove|get rid of|hand in|give (?:them|it) to|out of reach|safe place|at home)\b"
)
_PAST_NARRATIVE: Final = re.compile(
    r"\b(?:you|he|she|they|the patient|we)(?:'d| had)? (?:gave|took|taken|given|started|"
    r"used|ran|pushed|checked|drew up|was on|were on|had been on)\b"
    r"|\b(?:was|were|had been|'d been) (?:given|prescribed|started on|taking)\b"
)
_PAST_TENSE: Final = re.compile(
    r"\b(?:was|were|had|'d|did|didn't|gave|took|given|taken|ran|went|came|got|drew|"
    r"\w{3,}ed)\b"
)


def _specific_target(clause: str) -> str | None:
    found = _SPECIFIC_TARGET.search(clause)
    if found:
        return found.group(0)
    for word in _WORD.finditer(clause):
        if word.group(0).endswith(_DRUG_ENDINGS):
            return word.group(0)
    return None


def _clinical_advice(sentences: list[str]) -> str | None:
    text = " ".join(sentences)
    if not (
        _SELF_MED_TARGET.search(text) or _specific_target(text) or _GENERIC_TARGET.search(text)
    ):
        return None
    for sentence in sentences:
        clauses = _clauses(sentence)
        imperatives = [m for m in map(_IMPERATIVE.search, clauses) if m]
        cue = _ADVICE_CUE.search(sentence) or (imperatives[0] if imperatives else None)
        signposted = bool(_SIGNPOST.search(sentence))
        question = sentence.rstrip().endswith("?")
        for clause in clauses:
            if _PAST_NARRATIVE.search(clause) and not _IMPERATIVE.search(clause):
                continue
            med = _SELF_MED_TARGET.search(clause)
            if med and (cue or not _PAST_TENSE.search(clause)):
                return f"{cue.group(0).strip()} \u2026 {med.group(0)}" if cue else med.group(0)
            if cue is None:
                continue
            target = _specific_target(clause)
            asked = question and not _IMPERATIVE.search(clause)
            if target is None and not (signposted or asked or _MEANS_SAFETY.search(clause)):
                generic = _GENERIC_TARGET.search(clause)
                target = generic.group(0) if generic else None
            if target is not None:
                return f"{cue.group(0).strip()} \u2026 {target}"
    return None


# ----------------------------------------------------------------------------- method details

_METHOD_STRONG: Final = re.compile(
    r"\b(?:(?:lethal|fatal|deadly|toxic|killing|overdose|od) (?:dose|doses|amount|quantity|"
    r"dosage|level|threshold)|"
    r"(?:ways?|methods?|means) (?:to|of) (?:die|dying|kill\w*|suicide|end\w* (?:your|my|"
    r"their|his|her|a|one's) (?:own )?life|commit\w* suicide|hurt\w* yourself|self-harm\w*)|"
    r"(?:most|more|less|least) (?:common|effective|lethal|painless|reliable|successful|"
    r"popular|certain) (?:suicide )?(?:method|way|means)|"
    r"(?:quickest|fastest|easiest|surest|simplest|most painless|painless|best|reliable) "
    r"(?:way|method|means)|"
    r"how to (?:kill|hang|overdose|od|end (?:it|your life|my life)|cut|poison|suffocate)|"
    r"carbon monoxide|exhaust fumes|noose|ligature|hang(?:ing|s)? (?:yourself|myself)|"
    r"slit\w* (?:your|my|their|the) wrists?)"
)
_MEANS: Final = re.compile(
    r"\b(?:overdos\w*|od|tablets?|pills?|packets?|box(?:es)? of|drugs?|paracetamol|"
    r"acetaminophen|amitriptyline|insulin|opioids?|potassium chloride|hanging|hanged|"
    r"jump\w* (?:from|off|out of|in front of)|falls? from|top floor|multi-storey|heights?|"
    r"in front of (?:a|the) (?:train|bus|car|lorry|"
    r"truck)|trains?|bridges?|cliffs?|storeys?|stories high|floors? up|rooftops?|"
    r"cutting (?:along|across|your|my|their|deep)|cut (?:along|across|deep)|veins?|"
    r"wrists?|arter(?:y|ies)|drown\w*|firearms?|guns?|shoot\w*|poison\w*|suffocat\w*|"
    r"plastic bag|helium|razors?|blades?|gas|grams|mg/kg)\b"
)
_LETHAL: Final = re.compile(
    r"\b(?:lethal|fatal\w*|deadly|kill\w*|die|dies|dying|survive\w*|survival|survivable|"
    r"painless\w*|quick(?:est|ly)?|fast(?:est)?|effective|reliabl\w*|sure(?:st)?|"
    r"guarantee\w*|dangerous|(?:un)?detect\w*|(?:un)?trac(?:e|eable|ed)|enough to|would take|"
    r"it takes|how (?:much|many)|within (?:a few |several )?(?:minutes|seconds|hours)|"
    r"more likely to|death|causes? death|(?:would|is|are|be|was) (?:\w+ )?enough|"
    r"end(?:s|ing)? (?:their|your|his|her|my|one's|a) (?:own )?li(?:fe|ves))\b"
)
_SUICIDE_CONTEXT: Final = re.compile(
    r"\b(?:suicid\w*|overdos\w*|lethal|fatal\w*|kill\w*|die|dying|self-harm\w*|"
    r"end (?:it|your life|my life))\b"
)
_NUMBER: Final = (
    r"(?:\d+(?:\.\d+)?(?: ?(?:to|-|or) ?\d+)?|two|three|four|five|six|ten|twenty|thirty|"
    r"forty|fifty|a hundred|a dozen|a couple of|a few)"
)
_UNIT: Final = (
    r"(?:of (?:them|those|that kind|these)|tablets?|pills?|packets?|boxes|grams?|g|mg|"
    r"storeys?|floors?|metres?|meters?|feet|ft|units)"
)
# A figure: "30 tablets", "ten storeys", "12 g". A bare digit also counts after "how many".
_FIGURE: Final = re.compile(rf"\b{_NUMBER} ?{_UNIT}\b")
_COUNT: Final = re.compile(rf"\b{_NUMBER} ?{_UNIT}\b|\d")
_HOW_MANY: Final = re.compile(r"\bhow (?:much|many)\b")
_METHOD_WORD: Final = re.compile(r"\b(?:methods?|means of|most often used|most commonly used)\b")


def _method_details(full: list[str], masked: list[str]) -> str | None:
    """Method detail in the coach's own words, or a figure (tablets, grams ...) anywhere."""
    text = " ".join(full)
    if not (_MEANS.search(text) or _METHOD_STRONG.search(text)):
        return None
    for sentence in masked:
        found = _METHOD_STRONG.search(sentence)
        if found:
            return found.group(0)
        means = _MEANS.search(sentence)
        if means is None:
            continue
        question = sentence.rstrip().endswith("?")
        lethal = _LETHAL.search(sentence)
        if lethal and not (question and not _COUNT.search(sentence)):
            return f"{means.group(0)} \u2026 {lethal.group(0)}"
        method = _METHOD_WORD.search(sentence)
        if method and not question:
            return f"{method.group(0)} \u2026 {means.group(0)}"
    # Figures are method detail even inside a quote or a reflection.
    for sentence in full:
        means = _MEANS.search(sentence)
        count = _FIGURE.search(sentence)
        if means and count and (_LETHAL.search(sentence) or _SUICIDE_CONTEXT.search(sentence)):
            return f"{means.group(0)} \u2026 {count.group(0)}"
    # "How many tablets would it take? Usually 20 to 30": the number comes after the question.
    if _HOW_MANY.search(text) and (_SUICIDE_CONTEXT.search(text) or _MEANS.search(text)):
        for sentence in full:
            count = _COUNT.search(sentence)
            if count and not sentence.rstrip().endswith("?"):
                return f"how many \u2026 {count.group(0)}"
    return None


# ----------------------------------------------------------------------------- blame

_BLAME: Final = _rules(
    (
        "should|ought",
        r"\byou(?: really| honestly| clearly| definitely| obviously| just| simply| probably)?"
        r" (?:should|ought to|shoulda)(?:n't| not)?(?: have|'ve)\b"
        r"(?! (?:to|had to|been (?:left|put|expected|asked|made|alone)|the|a|an|some|support|"
        r"time|access|someone|somebody|people|more|help|space|rest|your|everything|"
        r"a chance|the chance)\b)",
    ),
    (
        "could",
        r"(?<!what )\byou could(?: have|'ve) (?:easily |so easily )?(?:caught|prevented|avoided|"
        r"stopped|noticed|spotted|checked|escalated|called|asked|saved|listened|acted|"
        r"done (?:better|more|something))\b",
    ),
    (
        "fault",
        r"\b(?:it was|it is|it's|that was|that's|that is|this is|this was|all|was|is)"
        r"(?: all| entirely| completely| partly| really| totally)? your (?:own )?fault\b",
    ),
    (
        "careless|negligent|sloppy|reckless|stupid|unprofessional|incompetent|lazy|"
        "irresponsible|inexcusable|unacceptable|error|mistake|avoidable|on you",
        r"\b(?:that|this|it)(?: \w+)?(?: was| is|'s| were)(?: \w+){0,2}? (?:careless|negligent|"
        r"sloppy|reckless|stupid|unprofessional|incompetent|lazy|irresponsible|inexcusable|"
        r"unacceptable|(?:a )?(?:rookie|basic|schoolboy|amateur|silly|stupid) (?:error|mistake)|"
        r"avoidable|on you)\b",
    ),
    (
        "careless|negligent|sloppy|reckless|incompetent|lazy|irresponsible|to blame|at fault|"
        "responsible for",
        r"\byou(?: were|'re| are)(?: \w+)? (?:careless|negligent|sloppy|reckless|incompetent|"
        r"lazy|irresponsible|to blame|at fault|"
        r"responsible for (?:his|her|their|the \w+'s) death)\b",
    ),
    (
        "mistake|error|harm",
        r"\byou (?:made|caused)(?: a| the| an)?(?: \w+)? (?:mistake|error|harm)\b",
    ),
    (
        "why",
        r"\bwhy (?:on earth )?(?:didn't|did not|wouldn't|couldn't|hadn't|weren't|haven't|"
        r"wasn't) you\b|\bwhy on earth\b|\bwhy would you\b"
        r"|\bwhy (?:wasn't|weren't|hadn't) (?:the patient|he|she|it)(?: \w+)? (?:reassessed|"
        r"checked|seen|reviewed|escalated|monitored|given|treated)\b",
    ),
    ("fail", r"\byou failed (?:to|the|him|her|them)\b"),
    ("missed|excuse", r"\byou missed (?:it|this|that)\b|\bmaking excuses\b|\bno excuse for\b"),
    (
        "negligence|carelessness|incompetence|malpractice|laziness|sloppiness",
        r"\b(?:that|this|it)(?:'s| is| was) (?:\w+ )?(?:negligence|carelessness|incompetence|"
        r"malpractice|laziness|sloppiness)\b",
    ),
    (
        "because",
        r"\bbecause (?:of )?you (?:were|weren't|didn't|did not|failed|forgot|missed|rushed)\b"
        r"|\b(?:happened|went wrong) because of you\b",
    ),
    (
        "if you",
        r"\bif you(?:'d| had) (?:just |only |actually )?(?:followed|checked|double-checked|"
        r"listened|looked|called|escalated|been (?:more|paying)|paid|read|asked for help)\b"
        r"|\bif you(?:'d| had)(?: [\w,']+){1,6}? (?:this|it|that|he|she|they|none of this) "
        r"(?:wouldn't|would not|might not|may not|would never)(?: have|'ve)\b",
    ),
    (
        "nurses|doctors|clinicians|midwives|medics|paramedics",
        r"\b(?:good|competent|proper|real|decent|careful|safe) (?:nurses|doctors|clinicians|"
        r"midwives|medics|paramedics) (?:don't|do not|wouldn't|would never|never)\b",
    ),
    ("were you thinking|how could you", r"\bwhat were you thinking\b|\bhow could you\b"),
    (
        "call|decision|judg|choice",
        r"\b(?:bad|poor|wrong|terrible) (?:call|decision|judg(?:e)?ment|choice)\b",
    ),
    ("on your part", r"\bon your part\b"),
    ("know better|known better", r"\byou (?:should|ought to) (?:have )?know(?:n)? better\b"),
    (
        "messed up|screwed up|mucked up|cocked up|dropped the ball|corners|blew it",
        r"\byou(?: really| totally| just| kind of| rather)? (?:messed up|screwed up|mucked up|"
        r"cocked up|dropped the ball|cut corners|blew it)\b|\bcut(?:ting)? corners\b",
    ),
    ("what happens when you", r"\b(?:that's|this is|that is) what happens when you\b"),
    (
        "your job|your responsibility|your duty|your role",
        r"\b(?:that|it) was your (?:job|responsibility|duty)\b"
        r"|\b(?:was|is|'s) (?:(?!never|not|no)\w+ )?your (?:responsibility|job|duty|role) to\b",
    ),
    (
        "prevented|avoided|stopped",
        r"\b(?:would|could)(?: have|'ve) (?:prevented|avoided|stopped) (?:all )?(?:this|that|it)\b",
    ),
    (
        "didn't|did not|never",
        r"\byou (?:didn't|did not|never) (?:bother\w*|check\w*|double-check\w*|escalate\w*|"
        r"listen\w*|read|follow\w*|look|call\w*|confirm\w*|verify)\b",
    ),
    (
        "wrong|paying attention|careful",
        r"\byou (?:got it|were) wrong\b|\byou (?:weren't|were not) (?:paying attention|careful)",
    ),
    (
        "sooner|earlier|first|before|faster|quicker",
        r"\byou (?:needed|had|were supposed|were meant|were expected) to(?: \w+){1,4}? "
        r"(?:sooner|earlier|first|before|faster|quicker)\b",
    ),
    (
        "and you didn't",
        r"\b(?:needed|had|were supposed|were meant|should|ought) to\b[^.?!]{0,60}?"
        r",? and you didn't\b",
    ),
    (
        "lapse|failing|failure",
        r"\b(?:lapse|failing|failure)s? (?:in|of|on) your\b|\byour (?:lapse|failing|failure)s?\b",
    ),
    (
        "if you",
        r"\bif you(?:'d| had)\b[^.?!]{0,60}?\b(?:still be (?:alive|here|with us)|"
        r"(?:have )?(?:lived|survived)|be alive)\b",
    ),
    (
        "your error|your mistake|your negligence|your carelessness",
        r"\byour (?:error|mistake|negligence|carelessness)\b",
    ),
    ("down", r"\byou let (?:\w+ ){0,2}?down\b"),
    ("yourself to blame", r"\byou only have yourself to blame\b"),
    (
        "anyone|anybody|most people|any nurse|any doctor",
        r"\b(?:anyone|anybody|most people|any (?:nurse|doctor)) (?:would|could)(?: have|'ve) "
        r"(?:noticed|seen|caught|spotted|known|picked up|realised|realized)\b",
    ),
    (
        "nurse|doctor|clinician|medic|midwife|paramedic|registrar|consultant|practitioner|junior",
        r"\b(?:a|any) (?:more |better |good |competent |proper |decent |careful )"
        r"(?:experienced |senior |careful )?(?:nurse|doctor|clinician|medic|midwife|paramedic|"
        r"registrar|consultant|practitioner|junior)s? (?:would|wouldn't|would not|would've)\b",
    ),
    (
        "missed|ignored|overlooked",
        r"\byou (?:missed|ignored|overlooked)(?: \w+){0,2}? (?:obvious|clear|warning)\b",
    ),
)


_ENDORSE_AFTER_MASK: Final = re.compile(
    r"\ue000 ?,? ?(?:and |which )?(?:you(?:'re| are) (?:right|correct)|i agree|that's true)\b"
)
_ENDORSE_ALONE: Final = re.compile(
    r"^(?:and )?(?:you(?:'re| are) (?:right|correct)|i agree|that's true|it was|you did|"
    r"you should have|exactly)\b[.!]*$"
)


def _endorsed(sentences: list[str]) -> str | None:
    """Agreeing with the self-blame just reflected: "You said it was your fault. It was." """
    for i, sentence in enumerate(sentences):
        found = _ENDORSE_AFTER_MASK.search(sentence)
        if found:
            return "endorses self-blame: " + found.group(0).lstrip("\ue000 ,")
        if i and "\ue000" in sentences[i - 1] and _ENDORSE_ALONE.search(sentence.strip()):
            return "endorses self-blame: " + sentence.strip()
    return None


# ----------------------------------------------------------------------------- minimising

_MINIMISING: Final = _rules(
    (
        "at least",
        r"\bat least\b(?! (?:one|two|three|four|five|six|seven|eight|nine|ten|once|twice|"
        r"\d|a few|a couple|some|half|an? (?:hour|minute|moment|day|week|few|couple|little|"
        r"bit)|for now|for (?:a|the)|try|consider)\b)",
    ),
    ("for a reason", r"\bhappens? for a reason\b"),
    (
        "bright side|silver lining|positive|upside|good side|good bits",
        r"\bbright side\b|\bsilver lining\b|\blook(?:ing)? at the positives?\b"
        r"|\b(?:see|focus on|find|think (?:of|about)|remember|count) the "
        r"(?:positives?|good side|upside|good bits)\b|\bupside\b",
    ),
    (
        "instead of|rather than",
        r"\b(?:instead of|rather than) (?:focus\w*|dwell\w*|think\w*) on\b",
    ),
    ("innings|had a good", r"\bgood innings\b|\bhad a good (?:long )?(?:life|run)\b"),
    (
        "to gain|be gained|not to worry|fresh start|one of those things|stronger than",
        r"\bnothing to (?:gain|be gained)\b|\bnot to worry\b|\bfresh start\b"
        r"|\b(?:just )?one of those things\b|\byou(?:'re| are) stronger than (?:this|that)\b",
    ),
    ("you down", r"\blet (?:it|this|that) (?:bring|drag|get|keep) you down\b"),
    (
        "anyway|regardless",
        r"\b(?:didn't|did not|wouldn't have|won't have|couldn't have) (?:[\w']+ ){0,4}?anyway\b"
        r"|\bdie\w*(?: \w+){0,2} (?:anyway|regardless)\b|\bregardless of what you did\b"
        r"|\b(?:old|sick|frail|ill|elderly) anyway\b",
    ),
    (
        "no point|no use|no sense|pointless",
        r"\b(?:no point|no use|no sense|pointless)(?: in)? (?:going (?:back )?over|replaying|"
        r"rehashing|dwelling|thinking about)\b",
    ),
    ("instead", r"\b(?:think|focus|concentrate) (?:about|on) (?:[\w']+ ){0,5}?instead\b"),
    (
        "lucky|thankful|grateful",
        r"\byou(?:'re| are| were)(?: \w+)? lucky\b|\bbe (?:thankful|grateful) (?:that|it|you)\b"
        r"|\bbe grateful\b",
    ),
    (
        "worth",
        r"\b(?:not|isn't|wasn't|'s not) worth (?:losing sleep|worrying|getting upset|"
        r"stressing|crying|beating yourself)\w*",
    ),
    ("get to you", r"\b(?:don't|do not|never|try not to) let (?:it|this|that) get to you\b"),
    ("end of the world", r"\bnot the end of the world\b"),
    ("personally", r"\b(?:don't|do not|try not to) take it (?:so )?personally\b"),
    (
        "it off|is what it is|life|onwards",
        r"\b(?:brush|laugh) it off\b|\bit is what it is\b|\bthat's life\b|\bsuch is life\b"
        r"|\bonwards and upwards\b",
    ),
    ("tomorrow", r"\btomorrow(?:'s| is) (?:a new|another) day\b"),
    (
        "overreacting|overthinking|dramatic|silly|sensitive",
        r"\byou(?:'re| are) (?:overreacting|overthinking|being (?:dramatic|silly|too sensitive))"
        r"|\b(?:too|so) sensitive\b",
    ),
    ("in the past", r"\bit's in the past\b"),
    (
        "feel better|feel fine|feel normal|get over it|back to normal",
        r"\byou(?:'ll| will) (?:feel (?:better|fine|normal)|get over it|be back to normal)\b",
    ),
    (
        "worse",
        r"\bcould(?:'ve| have)? (?:been|be) (?:a lot |much |far |so much |way )?worse\b"
        r"|\bthings could be (?:a lot |much )?worse\b|\bworse things happen\b"
        r"|\bothers have it worse\b",
    ),
    (
        "worry",
        r"\b(?:don't|do not|no need to|try not to) worry\b|\bnothing to worry about\b",
    ),
    (
        "stress",
        r"\b(?:don't|do not|no need to|try not to) stress\b|\bstop stressing\b",
    ),
    (
        "work out|sort itself out|blow over",
        r"\b(?:it|everything|things)(?:'ll| will) (?:all )?"
        r"(?:work out|sort itself out|blow over)\b",
    ),
    (
        "move on",
        r"\b(?:just|need to|should|have to|got to|gotta|time to|better) move on\b"
        r"|\bmove on from (?:this|it|that)\b",
    ),
    (
        "positive|vibes|happy thoughts",
        r"\b(?:stay|be|think|keep|staying|being|thinking) positive\b"
        r"|\bpositive (?:thinking|thoughts|vibes|attitude|mindset)\b|\bgood vibes\b"
        r"|\bhappy thoughts\b",
    ),
    ("big deal", r"\b(?:not|no) (?:such )?a big deal\b|\bno big deal\b"),
    (
        "be fine|be okay|be ok|be alright|be all right",
        r"\byou(?:'ll| will) be (?:fine|okay|ok|alright|all right)\b"
        r"|\b(?:everything|it)(?:'ll| will) (?:all )?be (?:fine|okay|ok|alright|all right)\b",
    ),
    ("chin up|cheer up|head up", r"\bchin up\b|\bcheer up\b|\bhead up\b"),
    (
        "dwell|cry|beating yourself up|overthink|worry|thinking about it",
        r"\b(?:don't|do not|try not to|no point|no use|no sense|stop)(?: in)? "
        r"(?:dwell\w*|cry\w*|beating yourself up|overthink\w*|worry\w*|thinking about it)\b",
    ),
    ("part of the job|comes with the", r"\bpart of the job\b|\bcomes with the (?:job|territory)\b"),
    (
        "happens to|happens all the time|these things happen",
        r"\b(?:it|this) happens to (?:everyone|all of us|us all)\b|\bhappens all the time\b"
        r"|\bthese things happen\b",
    ),
    (
        "only|just",
        r"\b(?:it's|it is|it was|that's|he was|she was) (?:only|just) (?:one|a|an)"
        r" (?:patient|mistake|error|bad (?:day|shift)|shift|job)\b",
    ),
    ("died anyway|die anyway", r"\b(?:going to|would have) died? anyway\b"),
    (
        "behind you|get over it|shake it off|go",
        r"\bput (?:it|this|that) behind you\b|\bget over it\b|\bshake it off\b"
        r"|\b(?:just|need to|should|have to) let (?:it|this|that) go\b",
    ),
    (
        "toughen up|man up|pull yourself together|snap out of it",
        r"\b(?:toughen|man) up\b|\bpull yourself together\b|\bsnap out of it\b",
    ),
    (
        "forget about it|time heals|count your blessings",
        r"\bforget about it\b|\btime heals\b|\bcount your blessings\b",
    ),
    (
        "that bad|that serious|that big|that important|that awful",
        r"\b(?:it|that)(?:'s| is| was)(?: really| honestly| actually)? not that "
        r"(?:bad|serious|big|important|awful)\b"
        r"|\b(?:it|that) (?:isn't|wasn't)(?: really| honestly| actually)? that "
        r"(?:bad|serious|big|important|awful)\b",
    ),
)


# ----------------------------------------------------------------------------- checker


class ReplyChecker:
    """Judges one coach reply against ``CHECKS``; construct once and reuse."""

    def __init__(self, max_chars: int = MAX_REPLY_CHARS) -> None:
        self.max_chars = max_chars

    def check(self, reply: str) -> ReplyVerdict:
        """Return whether ``reply`` may be shown, with one reason per failed check."""
        if not isinstance(reply, str) or not reply.strip():
            return ReplyVerdict(passed=False, reasons=("empty",))
        if len(reply) > self.max_chars:
            return ReplyVerdict(passed=False, reasons=(f"too_long: over {self.max_chars} chars",))
        norm = normalise(reply)
        if not norm.strip(" \"'.,;:!?-\u2014\ue000"):
            return ReplyVerdict(passed=False, reasons=("empty",))
        full = _sentences(norm)
        masked = _sentences(_mask_reflections(_mask_quotes(norm)))
        checks: dict[str, Callable[[], str | None]] = {
            "diagnosis": lambda: _diagnosis(masked),
            "clinical_advice": lambda: _clinical_advice(masked),
            "method_details": lambda: _method_details(full, masked),
            "blame": lambda: _first(_BLAME, masked) or _endorsed(masked),
            "minimising": lambda: _first(_MINIMISING, masked),
        }
        reasons = []
        for name in CHECKS:
            hit = checks[name]()
            if hit is not None:
                reasons.append(f"{name}: '{hit.strip()[:80]}'")
        return ReplyVerdict(passed=not reasons, reasons=tuple(reasons))


_DEFAULT = ReplyChecker()


def check_reply(reply: str) -> ReplyVerdict:
    """``ReplyChecker().check`` on a shared checker."""
    return _DEFAULT.check(reply)
