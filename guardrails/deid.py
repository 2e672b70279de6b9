"""De-identification: finds patient and third-party identifiers in what a clinician types and
replaces them with typed placeholders ("[NAME]", "[DATE]", ...) before the text is stored or
sent to a model provider.

An offline equal of Presidio's analyzer (whose spaCy model cannot be fetched here): regex
recognizers for dates, numbers, contacts, addresses and ages over 89, plus a name recognizer
driven by titles, relational cues and gazetteers shipped as package data
(guardrails/data/given_names.txt and surnames.txt). Overlapping spans resolve to the longest.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from guardrails.types import Entity, Redaction

PLACEHOLDERS: tuple[str, ...] = (
    "NAME",
    "DATE",
    "ID",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "POSTCODE",
    "AGE",
)
MAX_CHARS = 100_000  # longest text redact/find will process; longer raises ValueError
# Characters no store or model can take: lone surrogates (not encodable as UTF-8) and NUL
# (refused by PostgreSQL text and JSON). Redacted text has them as U+FFFD instead.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
AGE_LIMIT = 89  # HIPAA safe harbor: ages over this are identifiers
_REPEAT_PASSES = 4  # rounds of "redact every other occurrence of what was found"
_WINDOW_OVERLAP = 2_000  # characters shared by neighbouring windows in redact_all

# When two overlapping spans are equally long, the higher priority wins.
_PRIORITY = {
    "EMAIL": 8,
    "ADDRESS": 7,
    "POSTCODE": 6,
    "DATE": 5,
    "ID": 4,
    "PHONE": 3,
    "AGE": 2,
    "NAME": 1,
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------
# Word lists (lower-case, accent-folded)

# Titles after which any capitalised word is a name ("Mrs Okafor", "Dr. Ní Bhriain").
_STRONG_TITLES = _words("mr mrs ms miss mx dr prof professor mstr")
_LOWER_TITLES = _words("mr mrs dr prof")  # also titles when typed in lower case
# Titles that are also ordinary words; the next word must not be a common word.
_WEAK_TITLES = _words(
    """sister sr nurse midwife father fr doctor auntie aunty aunt uncle rev reverend pastor imam
    rabbi sir dame lady lord captain capt sergeant sgt cllr councillor nan nana nanna grandma
    granny gran grandad granddad grandpa baba mama papa"""
)
# Words that make a two-word title with the weak title after them ("Staff Nurse Ibe").
_TITLE_LEADS = _words("staff charge senior student night head ward")
_TITLE_STOP = _words(
    """the a an and or but on in at of to for from with by is was were i he she it they we you
    who said says came also then had has have will would could should did does do not"""
)

_FAMILY = _words(
    """son daughter husband wife partner spouse mum mom mam mother dad da father brother sister
    niece nephew grandson granddaughter grandchild grandkid grandma grandmother granny nan nana
    nanna gran grandad granddad grandpa grandfather aunt auntie aunty uncle cousin stepson
    stepdaughter stepmum stepmom stepdad stepmother stepfather boyfriend girlfriend fiance
    fiancee friend mate neighbour neighbor carer caregiver relative child kid baby boy girl lad
    lass man woman lady gentleman fella bloke guy toddler teenager twin widow widower ex kin
    sibling parent guardian mother-in-law father-in-law son-in-law daughter-in-law
    brother-in-law sister-in-law"""
)
_ROLES = _words(
    """patient pt resident client registrar reg consultant sho intern attending fellow locum
    nurse midwife hca csw porter paramedic physio physiotherapist pharmacist chaplain matron
    colleague student manager supervisor mentor doctor gp surgeon anaesthetist anesthetist
    interpreter translator worker receptionist cleaner coordinator spr boss houseman trainee
    medic therapist psychologist psychiatrist dietitian radiographer sonographer technician
    assistant volunteer priest vicar"""
)
_NAMING = _words("named called nicknamed christened")
# "I called X" is a phone call, not a naming.
_CALLER = _words("i we you they he she who had have has just then and never finally also already")
_TELL_VERBS = _words(
    """told tell telling rang ring phoned phone texted text asked ask asking hugged thanked
    reassured comforted consoled warned promised"""
)
_DETERMINERS = _words("the her his their my our a an your its whose")
# Words before a capitalised word that make it a person ("poor Bertie", "little Ananya").
_FOND = _words("poor little dear lovely young old sweet")
# A capitalised word before these is a patient ("Gwen in bed 11", "Kayleigh from bay 2").
_PLACE_IN_WARD = re.compile(
    r"[^\S\n]+(?:in|from|at)[^\S\n]+(?:the[^\S\n]+)?(?:bed|bay|side[^\S\n]?room|room|cubicle|"
    r"cube|chair|trolley)[^\S\n]*\d",
    re.IGNORECASE,
)
# Name shapes that need no gazetteer: O'Dowd, McTavish, FitzPatrick, Kowalczyk, Petrescu ...
_NAME_SHAPE = re.compile(
    r"O['\u2019][A-Z][a-z]+|Ma?c[A-Z][a-z]+|[A-Z][a-z]+(?:ski|owska|ewska|inska|wicz|czyk|enko|"
    r"chuk|ovic|ović|evic|ević|escu|oglu|ovich|evich|dottir|poulos|opoulou|akis|[a-z]{3}ez|berg|"
    r"stein|witz|ová|ova)"
)
_PARTICLES = _words(
    "van von de der den del della di da du la le bin binti bint ibn al el ni nic mac o ap ter dos"
)
# A given name right after these is part of a place ("St Thomas'", "Queen Elizabeth").
_PLACE_PREFIX = _words(
    "st saint queen king prince princess royal mount lake port fort cape san santa sainte co county"
)
# A name right before these is a place or an institution ("Victoria Ward", "Smith Street").
_PLACE_SUFFIX = _words(
    """ward wards unit hospital infirmary clinic centre center wing building house lodge street
    road lane avenue drive crescent square station airport trust university college school
    surgery practice hospice bridge line county city town village estate suite theatre theatres
    block tower"""
)
# A surname right before these is an eponym ("Wilson's disease", "Murphy's sign").
_EPONYM_NEXT = _words(
    """disease syndrome palsy sign signs score scale criteria fracture procedure operation
    catheter tube test triad law manoeuvre maneuver position round rounds lymphoma sarcoma
    ulcer tumour tumor node nodes cell cells body bodies reflex phenomenon classification
    formula equation method technique chorea dementia encephalopathy aneurysm hernia cyst duct
    gland mask airway frame patch thyroiditis oesophagus esophagus needle forceps retractor
    guidelines competence principle standard test"""
)
_LOCATIVE = _words("in at from to near around outside via towards toward into")
# Given names that are also places; skipped after a locative ("she moved to Victoria").
_PLACE_AMBIGUOUS = _words("victoria florence charlotte clare kerry lewis nancy shannon elizabeth")
# Given names that are English words: after a family cue a lower-case one is not a name.
_LOWER_WORDS = _words("frank bob sally heather hazel daisy poppy lily carol nick mason norman ade")

# Capitalised words that are never the start of a name found by a cue or an extension:
# function words, sentence openers, calendar words, family words, faiths and nationalities,
# and the departments and things a clinician talks about.
_COMMON = _words(
    """a an the and or but nor so yet if then than that this these those there here when where
    what which who whom whose why how i me my mine we us our you your he him his she her hers it
    its they them their is am are was were be been being have has had do does did done not no
    yes ok okay on in at of to for from with by as into onto about above after again against
    all any before below between both during each few further more most other over own same
    some such through under until up down out off very just also only even still now today
    tonight yesterday tomorrow morning afternoon evening night nights day days week weekend
    honestly anyway anyways maybe perhaps really actually basically literally obviously
    apparently luckily unfortunately sadly thankfully hopefully eventually finally later
    afterwards meanwhile sometimes never always often again oh ah god jesus christ lord well
    yeah yep nope right sorry please thanks thank wow hey hi hello damn shit fuck ugh um er
    hmm every everyone everybody everything someone somebody something nobody nothing none
    anyone anybody anything because since while although though however therefore instead
    otherwise once twice first second third last next another whatever whoever like
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march april june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec christmas easter eid diwali
    ramadan hanukkah new year valentine
    mum mom mam mummy mommy dad daddy nan nana nanna gran granny grandma grandad granddad
    grandpa papa mama sir madam miss mister doctor nurse sister brother matron consultant
    registrar patient patients family relatives team staff
    english british irish scottish welsh australian american polish indian pakistani african
    muslim christian hindu sikh jewish catholic protestant buddhist
    ward wards bed beds bay bays unit icu itu hdu ccu resus majors minors theatre theatres
    recovery radiology pharmacy security switchboard outreach reception triage maternity
    paeds peds obs gynae surgery medicine medical surgical cardiology oncology neurology
    haematology hematology microbiology biochemistry labs lab site management occupational
    health social services police ambulance control admissions discharge discharges a&e
    emergency department code blue datix news sepsis covid teams zoom
    whatsapp google facebook twitter samaritans lifeline practitioner manager round rounds
    handover hospital clinic gp trust board coroner inquest palliative hospice chaplaincy
    interpreter pals complaints risk governance pathology histology mortuary bereavement
    estates portering porters imaging ct mri endoscopy dialysis renal cardiac ortho
    orthopaedics urology gastro ophthalmology dermatology psychiatry psych liaison crisis
    rehab dietetics safeguarding legal finance bleep bleeps nhs
    overnight earlier initially suddenly immediately clearly frankly personally usually
    normally tragically ironically fortunately gradually quickly slowly soon besides plus
    lastly firstly secondly ultimately somehow anyhow naturally understandably surprisingly
    interestingly importantly evidently specifically especially particularly mostly generally
    looking thinking walking driving afterward let i'm i've i'd i'll he'd she'd he'll she'll
    we're we've we'd we'll you're you've you'd you'll they're they've they'd they'll can't
    don't won't didn't couldn't wouldn't shouldn't isn't wasn't aren't weren't hasn't haven't
    hadn't doesn't ain't macbook"""
)

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|"
    "NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_AU_STATES = "NSW|VIC|Vic|QLD|Qld|SA|WA|TAS|Tas|NT|ACT"

# Subjects whose "was 95" is a measurement, not an age.
_MEASURES = _words(
    """pulse hr heart rate sats sat saturation saturations spo2 sao2 o2 oxygen rr resp
    respiratory temp temperature bp pressure systolic diastolic map glucose sugar sugars bm
    bms cbg score news gcs level levels weight potassium sodium lactate count hb haemoglobin
    hemoglobin platelets plt creatinine urea crp wcc inr egfr obs dose volume output bill cost
    total percentage percent grade result reading value fio2 peep ph pco2 po2 bicarb trop
    troponin ck alt bilirubin albumin ferritin dimer mark marks pain line number"""
)

# ---------------------------------------------------------------------------------------------
# Regex recognizers

_MONTH_CAP = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_MONTH_LOWER = r"(?:january|february|april|june|july|august|september|october|november|december)"
_MONTH = rf"(?:{_MONTH_CAP}|{_MONTH_LOWER})"
_ORD = r"(?:st|nd|rd|th)"

_DATE_DMY = re.compile(
    rf"(?<![\w.])(?P<day>\d{{1,2}}){_ORD}?(?:[^\S\n]+of)?[^\S\n]+(?P<month>{_MONTH})\b"
    rf"(?:,?[^\S\n]+(?P<year>\d{{4}})\b)?"
)
_DATE_MDY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?[^\S\n]+(?:the[^\S\n]+)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})?\b"
    rf"(?!:\d|[.,]\d)(?:,?[^\S\n]+(?P<year>\d{{4}})\b)?"
)
_DATE_MY = re.compile(rf"\b(?P<month>{_MONTH})\.?,?[^\S\n]+(?P<year>(?:1[89]|2[01])\d\d)\b")
_DATE_NUMERIC = re.compile(
    r"(?<![\w/.:-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?![\w/]|[.:-]\d)"
)
_DATE_ISO = re.compile(
    r"(?<![\w/.:-])(?P<y>(?:1[89]|2[01])\d\d)(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?![\w/]|[.:-]\d)"
)

_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_ALNUM_ID = re.compile(r"\b(?:[A-Z]{1,3}\d{5,10}|\d{6,9}[A-Z]{1,2})\b")
# Any run of digits with phone-style separators; classified by shape and nearby cue words.
_NUMSEQ = re.compile(r"(?<![\w+/.:,-])(?:\+[^\S\n]?)?\(?\d[\d \-.()]*\d(?![\w/%]|[.:,-]\d)")
_PHONE_CUE = re.compile(
    r"\b(?:phone|phoned|mobile|mob|cell|tel|telephone|landline|ring|rang|ringing|call|called|"
    r"calling|text|texted|contact|contactable|reach|reached|dial|dialled|dialed|voicemail|"
    r"whatsapp|fax)\b"
)
_ID_CUE = re.compile(
    r"\b(?:nhs|mrn|chi|ihi|medicare|ssn|pps|ppsn|social security|id|"
    r"(?:hospital|patient|unit|case|record|identification)[^\S\n]*(?:number|no\b|num\b|#|id\b))"
)

_UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b")
_EIRCODE = re.compile(
    r"\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?(?=[0-9AC-FHKNPRTV-Y]{0,3}\d)[0-9AC-FHKNPRTV-Y]{4}\b"
)
_US_ZIP_STATE = re.compile(rf"\b(?:{_STATES})\.?,?[^\S\n]+(?P<pc>\d{{5}}(?:-\d{{4}})?)\b")
_AU_POSTCODE = re.compile(rf"\b(?:{_AU_STATES})\.?,?[^\S\n]+(?P<pc>\d{{4}})\b")
_FIVE_DIGITS = re.compile(r"(?<![\w.-])\d{5}(?:-\d{4})?(?![\w]|[.-]\d)")
_ZIP_CUE = re.compile(r"\bzip\b|\bzip ?code\b|\bpostal code\b", re.IGNORECASE)

_STREET = (
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Av|Drive|Dr(?!\.?[^\S\n]+[A-Z][a-z])|Close|"
    r"Crescent|Cres|Way|Place|Pl|Court|Ct|Terrace|Tce|Gardens|Gdns|Grove|Square|Sq|Boulevard|"
    r"Blvd|Parade|Pde|Row|Mews|Walk|Hill|Park|Rise|View|Highway|Hwy|Circle|Trail|Green|Vale|"
    r"Wynd|Quay|Esplanade|Circuit|Cct|Parkway|Pkwy|Alley|Wharf|Heights|Brae|Croft|Meadows)"
)
_ADDRESS = re.compile(
    r"(?<![\w/.,-])"
    r"(?:(?:Flat|Apartment|Apt|Unit|Suite|Ste|Lot)\.?[^\S\n]*\d{1,4}[A-Za-z]?,?[^\S\n]+)?"
    r"\d{1,5}[A-Za-z]?(?:[^\S\n]*[/-][^\S\n]*\d{1,5}[A-Za-z]?)?,?[^\S\n]+"
    r"(?:[A-Z][\w'\u2019-]*[^\S\n]+){1,3}"
    rf"{_STREET}\b"
)

_AGE_UNITS = (
    r"(?![^\S\n]*(?:%|percent\b|per[^\S\n]?cent\b|°|degrees?\b|kgs?\b|kilos?\b|lbs?\b|pounds?\b|"
    r"stone\b|g\b|mg\b|mcg\b|micrograms?\b|mls?\b|l\b|litres?\b|liters?\b|mmol\b|mmhg\b|mm\b|"
    r"cm\b|m\b|km\b|miles?\b|bpm\b|beats\b|breaths\b|minutes?\b|mins?\b|hours?\b|hrs?\b|h\b|"
    r"seconds?\b|secs?\b|days?\b|weeks?\b|wks?\b|months?\b|units?\b|iu\b|quid\b|dollars?\b|"
    r"euros?\b|times\b|x\b|over\b|out[^\S\n]+of\b|/|\.\d|:\d|,\d|-\d|systolic\b|diastolic\b|"
    r"\d))"
)
_AGE_YEARS_OLD = re.compile(
    r"(?<![\w.])(?P<n>\d{2,3})(?:[^\S\n]*-[^\S\n]*|[^\S\n]+)?(?:years?|yrs?)"
    r"(?:[^\S\n]*-[^\S\n]*|[^\S\n]+)olds?\b",
    re.IGNORECASE,
)
_AGE_YO = re.compile(r"(?<![\w.])(?P<n>\d{2,3})[^\S\n]?(?:yo|y/o|y\.o\.?|yos)(?![\w/])", re.I)
_AGE_AGED = re.compile(rf"\b(?:aged|age)[^\S\n]*:?[^\S\n]*(?P<n>\d{{2,3}})\b{_AGE_UNITS}", re.I)
_AGE_VERB = re.compile(
    rf"\b(?:was|is|['\u2019]s|turned|turns|turning)[^\S\n]+(?P<n>\d{{2,3}})\b{_AGE_UNITS}", re.I
)
_AGE_APPOSITIVE = re.compile(r"[,(][^\S\n]*(?P<n>\d{2,3})[^\S\n]*[,)]")
_AGE_SEX = re.compile(r"(?<![\w.£$€])(?P<n>\d{2,3})(?:F|M)\b")
_SENTENCE_END = re.compile(r"[.!?;\n]")

_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?:-[^\W\d_]+(?:['\u2019][^\W\d_]+)*)*")
_GAP_SPACE = re.compile(r"[^\S\n]+")
_GAP_TITLE = re.compile(r"\.?[^\S\n]*")
_GAP_CUE = re.compile(r"[^\S\n]*[,:(]?[^\S\n]*")
_GAP_APPOSITIVE = re.compile(r"[^\S\n]*,[^\S\n]*")


# ---------------------------------------------------------------------------------------------
# Gazetteers


@dataclass(frozen=True)
class _Gazetteers:
    given: frozenset[str]
    surnames: frozenset[str]


def _read_names(filename: str) -> frozenset[str]:
    text = resources.files("guardrails").joinpath("data", filename).read_text(encoding="utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.add(_fold(name))
    return frozenset(names)


@cache
def _gazetteers() -> _Gazetteers:
    """Loads the name lists from package data, once per process."""
    return _Gazetteers(given=_read_names("given_names.txt"), surnames=_read_names("surnames.txt"))


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Lower-case, with accents and curly apostrophes removed: the gazetteer lookup key."""
    decomposed = unicodedata.normalize("NFKD", word.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# ---------------------------------------------------------------------------------------------
# Spans


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    label: str

    @property
    def rank(self) -> tuple[int, int, int]:
        return (-(self.end - self.start), -_PRIORITY[self.label], self.start)


def _resolve(spans: Iterable[_Span]) -> list[_Span]:
    """Keeps non-overlapping spans, longest first (then by label priority, then leftmost)."""
    starts: list[int] = []
    kept: list[_Span] = []
    for span in sorted(set(spans), key=lambda s: s.rank):
        if span.end <= span.start:
            continue
        i = bisect.bisect_left(starts, span.start)
        if i > 0 and kept[i - 1].end > span.start:
            continue
        if i < len(kept) and kept[i].start < span.end:
            continue
        starts.insert(i, span.start)
        kept.insert(i, span)
    return kept


# ---------------------------------------------------------------------------------------------
# Tokens for the name recognizer


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int  # after a possessive 's is stripped
    text: str
    low: str  # folded
    cap: bool  # capitalised like a name (not ALL CAPS)
    poss: bool  # followed by a possessive 's or '

    @property
    def initial(self) -> bool:
        return len(self.text) == 1 and self.text.isupper()

    @property
    def namelike(self) -> bool:
        return self.cap and len(self.text) > 1 and self.low not in _COMMON


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        word, start, end = m.group(), m.start(), m.end()
        poss = False
        if len(word) > 2 and word[-2] in "'\u2019" and word[-1] in "sS":
            word, end, poss = word[:-2], end - 2, True
        elif end < len(text) and text[end] in "'\u2019" and word[-1] in "sS":
            poss = not (end + 1 < len(text) and text[end + 1].isalpha())
        cap = word[0].isupper() and (len(word) == 1 or any(c.islower() for c in word[1:]))
        toks.append(_Tok(start, end, word, _fold(word), cap, poss))
    return toks


class _NameFinder:
    """Finds person names in one text from titles, relational cues and the gazetteers."""

    def __init__(self, text: str, gaz: _Gazetteers) -> None:
        self.text = text
        self.gaz = gaz
        self.toks = _tokens(text)

    def gap(self, i: int, pattern: re.Pattern[str]) -> bool:
        """Whether the text between token i and token i+1 matches pattern exactly."""
        a, b = self.toks[i], self.toks[i + 1]
        return pattern.fullmatch(self.text, a.end, b.start) is not None and not a.poss

    def extend(self, i: int) -> int:
        """Index of the last token of a name whose first (given or title-led) part ends at i."""
        toks, n, count = self.toks, len(self.toks), 0
        while i + 1 < n and count < 4 and not toks[i].poss:
            nxt = toks[i + 1]
            if toks[i].initial and self.gap(i, _GAP_TITLE) and (nxt.namelike or nxt.initial):
                i, count = i + 1, count + 1
                continue
            if not self.gap(i, _GAP_SPACE):
                break
            named = nxt.namelike and nxt.low not in _PLACE_SUFFIX
            if named or (nxt.initial and i + 2 < n and self.gap(i + 1, _GAP_TITLE)):
                i, count = i + 1, count + 1
            elif (
                nxt.low in _PARTICLES
                and not nxt.cap
                and i + 2 < n
                and self.gap(i + 1, _GAP_SPACE)
                and toks[i + 2].namelike
            ):
                i, count = i + 2, count + 2
            else:
                break
        while i > 0 and toks[i].initial:  # a name does not end on a bare initial
            i -= 1
        return i

    def place_follows(self, j: int) -> bool:
        toks = self.toks
        return (
            j + 1 < len(toks)
            and toks[j + 1].low in _PLACE_SUFFIX
            and self.gap(j, _GAP_SPACE)
            and toks[j + 1].cap
        )

    def possessive_then(self, j: int, words: frozenset[str]) -> bool:
        """Whether token j is followed, after an optional possessive, by one of words."""
        toks = self.toks
        if j + 1 >= len(toks) or toks[j + 1].low not in words:
            return False
        gap = self.text[toks[j].end : toks[j + 1].start].lstrip("'\u2019sS")
        return _GAP_SPACE.fullmatch(gap) is not None

    def eponym_follows(self, j: int) -> bool:
        """Whether token j is an eponym: "Wilson's disease", "Murphy's sign"."""
        return self.possessive_then(j, _EPONYM_NEXT)

    def place_precedes(self, i: int) -> bool:
        if i == 0:
            return False
        prev = self.toks[i - 1]
        if not self.gap(i - 1, _GAP_TITLE):
            return False
        if prev.low in _PLACE_PREFIX and prev.cap:
            return True
        return self.toks[i].low in _PLACE_AMBIGUOUS and prev.low in _LOCATIVE

    def after_title(self, i: int) -> int | None:
        """If token i is a title followed by a name, the index of the name's last token."""
        toks, n = self.toks, len(self.toks)
        tok = toks[i]
        if tok.low in _STRONG_TITLES:
            strong = True
            if not (tok.cap or (tok.text.islower() and tok.low in _LOWER_TITLES)):
                return None  # "MS" is multiple sclerosis, "miss" a verb
        elif tok.low in _WEAK_TITLES and tok.cap:
            strong = False
        else:
            return None
        if i + 1 >= n or not self.gap(i, _GAP_TITLE):
            return None
        j = i + 1
        if toks[j].low in _PARTICLES and not toks[j].cap and j + 1 < n:
            if not self.gap(j, _GAP_SPACE):
                return None
            j += 1
        first = toks[j]
        while first.initial and j + 1 < n and self.gap(j, _GAP_TITLE):
            j += 1
            first = toks[j]
        if tok.text.islower() and first.text.islower() and self.in_gazetteer(first):
            return j  # "dr patel", "mr jones"
        if not first.cap or len(first.text) < 2 or first.low in _STRONG_TITLES:
            return None
        if strong and first.low in _TITLE_STOP:
            return None
        if not strong and (first.low in _COMMON or first.low in _WEAK_TITLES):
            return None
        end = self.extend(j)
        return None if self.place_follows(end) else end

    def in_gazetteer(self, tok: _Tok) -> bool:
        return (tok.low in self.gaz.given or tok.low in self.gaz.surnames) and (
            tok.low not in _LOWER_WORDS
        )

    def sentence_start(self, i: int) -> bool:
        before = self.text[: self.toks[i].start].rstrip(" \t\"'(\u201c\u2018")
        return not before or before[-1] in ".!?\n:"

    def plausible(self, i: int) -> bool:
        """Whether a capitalised word found only by a cue can be a name: not a common word,
        and not an adverb or gerund opening a sentence ("Overnight, ...", "Looking back")."""
        tok = self.toks[i]
        if tok.low in _COMMON or tok.low in _STRONG_TITLES:
            return False
        if tok.low.endswith(("ly", "ing")) and self.sentence_start(i):
            return self.in_gazetteer(tok)
        return True

    def candidate(self, j: int, lower_ok: bool) -> bool:
        """Whether token j can be a name because a cue precedes it."""
        tok = self.toks[j]
        if tok.cap and len(tok.text) > 1:
            return self.plausible(j)
        return lower_ok and tok.text.islower() and self.in_gazetteer(tok)

    def cue_kind(self, i: int) -> bool | None:
        """None if token i is no name cue; else whether a lower-case name may follow it."""
        toks = self.toks
        tok = toks[i]
        prev = toks[i - 1].low if i > 0 else ""
        low = tok.low
        if low in _FAMILY or low in _ROLES:
            return True if self.gap(i, _GAP_CUE) else None
        if low in _FOND and self.gap(i, _GAP_SPACE):
            return False
        if low == "and" and prev in ("me", "i") and self.gap(i, _GAP_SPACE):
            return False
        naming = (
            (low in _NAMING and not (low == "called" and prev in _CALLER))
            or (low == "as" and prev == "known")
            or (low == "by" and prev == "goes")
            or (low in ("herself", "himself") and prev == "calls")
            or (low in _TELL_VERBS and not tok.cap)
        )
        return False if naming and self.gap(i, _GAP_SPACE) else None

    def after_cue(self, i: int) -> int | None:
        """If token i is a cue ("her son", "called", "told") and a name follows, its index."""
        if i + 1 >= len(self.toks) or self.toks[i].poss:
            return None
        lower_ok = self.cue_kind(i)
        if lower_ok is None or not self.candidate(i + 1, lower_ok):
            return None
        end = self.extend(i + 1)
        return None if self.place_follows(end) else end

    def appositive(self, i: int) -> bool:
        """Whether token i is followed by ", the patient's sister" or ", her son"."""
        toks, n = self.toks, len(self.toks)
        if i + 2 >= n or not self.gap(i, _GAP_APPOSITIVE) or toks[i + 1].low not in _DETERMINERS:
            return False
        for k in range(i + 2, min(i + 5, n)):
            if toks[k].low in _FAMILY or toks[k].low in _ROLES:
                return True
            if not self.gap(k - 1, _GAP_SPACE):
                return False
        return False

    def beside_me(self, i: int) -> bool:
        """Whether token i is "Sarah" in "Sarah and I" / "Sarah and me"."""
        toks = self.toks
        return (
            i + 2 < len(toks)
            and toks[i + 1].low == "and"
            and toks[i + 2].text in ("I", "me")
            and self.gap(i, _GAP_SPACE)
            and self.gap(i + 1, _GAP_SPACE)
        )

    def in_ward(self, i: int) -> bool:
        """Whether token i is "Gwen" in "Gwen in bed 11"."""
        return (
            not self.toks[i].poss and _PLACE_IN_WARD.match(self.text, self.toks[i].end) is not None
        )

    def possessive_relation(self, i: int) -> bool:
        """Whether token i is "Tom" in "Tom's wife"."""
        return self.toks[i].poss and self.possessive_then(i, _FAMILY)

    def find(self) -> Iterator[_Span]:
        toks, gaz = self.toks, self.gaz
        for i, tok in enumerate(toks):
            end = self.after_title(i)
            if end is not None:
                start = tok.start
                lead = i > 0 and toks[i - 1].low in _TITLE_LEADS and toks[i - 1].cap
                if lead and tok.low in _WEAK_TITLES and self.gap(i - 1, _GAP_SPACE):
                    start = toks[i - 1].start  # "Staff Nurse Ibe"
                yield _Span(start, toks[end].end, "NAME")
            end = self.after_cue(i)
            if end is not None:
                yield _Span(toks[i + 1].start, toks[end].end, "NAME")
            if not tok.cap or len(tok.text) < 2:
                continue
            if tok.low in gaz.given:
                end = self.extend(i)
                if not (
                    self.place_follows(end) or self.place_precedes(i) or self.eponym_follows(end)
                ):
                    yield _Span(tok.start, toks[end].end, "NAME")
            elif tok.low in gaz.surnames:
                if not (self.place_follows(i) or self.place_precedes(i) or self.eponym_follows(i)):
                    yield _Span(tok.start, tok.end, "NAME")
            elif self.plausible(i) and (
                self.possessive_relation(i)
                or self.appositive(i)
                or self.beside_me(i)
                or self.in_ward(i)
                or _NAME_SHAPE.fullmatch(tok.text) is not None
            ):
                end = self.extend(i)
                if not (self.place_follows(end) or self.eponym_follows(end)):
                    yield _Span(tok.start, toks[end].end, "NAME")


# ---------------------------------------------------------------------------------------------
# Regex recognizers


def _valid_day_month(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _dates(text: str) -> Iterator[_Span]:
    for m in _DATE_DMY.finditer(text):
        if 1 <= int(m["day"]) <= 31:
            yield _Span(m.start(), m.end(), "DATE")
    for m in _DATE_MDY.finditer(text):
        if not 1 <= int(m["day"]) <= 31:
            continue
        if m["month"] in ("May", "Mar") and not (m["ord"] or m["year"]):
            continue  # "May 3" / "Mar 3" alone are too often not dates
        yield _Span(m.start(), m.end(), "DATE")
    for m in _DATE_MY.finditer(text):
        yield _Span(m.start(), m.end(), "DATE")
    for m in _DATE_NUMERIC.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if _valid_day_month(a, b) or _valid_day_month(b, a):
            yield _Span(m.start(), m.end(), "DATE")
    for m in _DATE_ISO.finditer(text):
        if _valid_day_month(int(m["d"]), int(m["m"])):
            yield _Span(m.start(), m.end(), "DATE")


def _nhs_checksum(digits: str) -> bool:
    total = sum(int(d) * (10 - k) for k, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _last_cue(pattern: re.Pattern[str], window: str) -> int:
    pos = -1
    for m in pattern.finditer(window):
        pos = m.end()
    return pos


def _classify_number(text: str, start: int, raw: str) -> str | None:
    """PHONE, ID or None for a run of digits, by its shape and the cue words before it."""
    digits = "".join(c for c in raw if c.isdigit())
    n = len(digits)
    if n < 5 or n > 15:
        return None
    window = text[max(0, start - 40) : start].lower()
    phone_cue = _last_cue(_PHONE_CUE, window)
    id_cue = _last_cue(_ID_CUE, window)
    if id_cue > phone_cue:
        return "ID"
    if n < 7:
        return None
    if phone_cue >= 0 and n >= 9:
        return "PHONE"
    if raw.startswith(("+", "(")) and n >= 8:
        return "PHONE"
    if digits.startswith("0") and 9 <= n <= 11:
        return "PHONE"
    if re.fullmatch(r"(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}", raw):
        return "PHONE"
    if n == 10 and _nhs_checksum(digits):
        return "ID"
    if re.fullmatch(r"(?:1[ .-])?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}", raw):
        return "PHONE"
    return "ID"


def _numbers(text: str, dates: list[_Span]) -> Iterator[_Span]:
    for m in _SSN.finditer(text):
        yield _Span(m.start(), m.end(), "ID")
    for m in _ALNUM_ID.finditer(text):
        yield _Span(m.start(), m.end(), "ID")
    for m in _NUMSEQ.finditer(text):
        raw, start, end = m.group(), m.start(), m.end()
        if "  " in raw or any(d.start < end and start < d.end for d in dates):
            continue  # not one number, or part of a date
        label = _classify_number(text, start, raw)
        if label is not None:
            yield _Span(start, end, label)


def _contacts(text: str) -> Iterator[_Span]:
    for m in _EMAIL.finditer(text):
        yield _Span(m.start(), m.end(), "EMAIL")
    for m in _ADDRESS.finditer(text):
        yield _Span(m.start(), m.end(), "ADDRESS")
    for pattern in (_UK_POSTCODE, _EIRCODE):
        for m in pattern.finditer(text):
            yield _Span(m.start(), m.end(), "POSTCODE")
    for pattern in (_US_ZIP_STATE, _AU_POSTCODE):
        for m in pattern.finditer(text):
            yield _Span(m.start("pc"), m.end("pc"), "POSTCODE")
    for m in _FIVE_DIGITS.finditer(text):
        if _ZIP_CUE.search(text, max(0, m.start() - 40), m.start()):
            yield _Span(m.start(), m.end(), "POSTCODE")


def _measured(text: str, start: int) -> bool:
    """Whether the words before a "was 95" at start name a measurement, not a person."""
    lo = max(0, start - 40)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    window = text[ends[-1] if ends else lo : start].lower()
    words = re.findall(r"[a-z0-9]+", window)
    return any(w in _MEASURES for w in words)


def _ages(text: str) -> Iterator[_Span]:
    def old(m: re.Match[str]) -> bool:
        return AGE_LIMIT < int(m["n"]) <= 125

    for pattern in (_AGE_YEARS_OLD, _AGE_YO, _AGE_AGED, _AGE_SEX):
        for m in pattern.finditer(text):
            if old(m):
                yield _Span(m.start("n"), m.end("n"), "AGE")
    for m in _AGE_VERB.finditer(text):
        if old(m) and not _measured(text, m.start()):
            yield _Span(m.start("n"), m.end("n"), "AGE")
    for m in _AGE_APPOSITIVE.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        word = re.search(r"([^\W\d_][\w'\u2019-]*)$", before)
        if old(m) and word is not None and word.group(1)[0].isupper():
            yield _Span(m.start("n"), m.end("n"), "AGE")


# ---------------------------------------------------------------------------------------------
# Public API


class Deidentifier:
    """Finds identifiers in free text and replaces them with "[LABEL]" placeholders.

    Stateless apart from the gazetteers, which are read from package data on first use and
    shared by every instance; safe to reuse across messages and threads.
    """

    def __init__(self) -> None:
        self._gaz: _Gazetteers | None = None  # read on first use, from a per-process cache

    def find(self, text: str) -> list[Entity]:
        """The identifiers in text, non-overlapping and in order of position.

        Raises ValueError for text longer than MAX_CHARS characters.
        """
        if len(text) > MAX_CHARS:
            raise ValueError(
                f"text is {len(text)} characters; de-identification handles at most "
                f"{MAX_CHARS} characters per call (use redact_all for longer text)"
            )
        if not text.strip():
            return []
        return self._entities(text, self._spans(text))

    def _spans(self, text: str) -> list[_Span]:
        """Every candidate span the recognizers find in ``text`` (overlaps included)."""
        dates = sorted(_dates(text), key=lambda s: s.start)
        spans: list[_Span] = [*dates, *_numbers(text, dates), *_contacts(text), *_ages(text)]
        if self._gaz is None:
            self._gaz = _gazetteers()
        spans.extend(_NameFinder(text, self._gaz).find())
        return spans

    @staticmethod
    def _entities(text: str, spans: Iterable[_Span]) -> list[Entity]:
        """Overlaps resolved, then every other occurrence of what was found added."""
        kept = _resolve(spans)
        for _ in range(_REPEAT_PASSES):
            extra = list(_repeats(text, kept))
            if not extra:
                break
            kept = _resolve([*kept, *extra])
        return [Entity(s.label, s.start, s.end, text[s.start : s.end]) for s in kept]

    def redact(self, text: str) -> Redaction:
        """text with every identifier replaced by its placeholder, e.g. "[NAME]" (and any
        character no store can hold, a lone surrogate or NUL, by U+FFFD)."""
        return _redaction(text, self.find(text))

    def redact_all(self, text: str) -> Redaction:
        """``redact`` for text of any length. Longer text is read in windows of
        ``MAX_CHARS`` that overlap by ``_WINDOW_OVERLAP``, so an identifier (and the cue
        before it) cut by one window's edge is whole in the next; what the windows find
        is then resolved, and repeated, over the whole text."""
        if len(text) <= MAX_CHARS:
            return self.redact(text)
        spans: list[_Span] = []
        step = MAX_CHARS - _WINDOW_OVERLAP
        for start in range(0, len(text), step):
            window = text[start : start + MAX_CHARS]
            if window.strip():
                spans.extend(
                    _Span(s.start + start, s.end + start, s.label) for s in self._spans(window)
                )
            if start + MAX_CHARS >= len(text):
                break
        return _redaction(text, self._entities(text, spans))


def _redaction(text: str, entities: list[Entity]) -> Redaction:
    parts: list[str] = []
    pos = 0
    for e in entities:
        parts.append(text[pos : e.start])
        parts.append(f"[{e.label}]")
        pos = e.end
    parts.append(text[pos:])
    return Redaction(text=text, redacted=storable("".join(parts)), entities=tuple(entities))


def storable(text: str) -> str:
    """``text`` with lone surrogates and NUL (which no store or model takes) as U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def _repeats(text: str, found: list[_Span]) -> Iterator[_Span]:
    """Every other whole-word occurrence of an identifier already found (and of each part of
    a multi-word name), so a name caught once by a cue is caught everywhere in the text.

    Occurrences are sought in a view where the spans found are blanked out, since a
    placeholder is not a word character either; overlaps with found spans are skipped.
    """
    targets: dict[str, str] = {}
    for s in found:
        value = text[s.start : s.end]
        targets.setdefault(value, s.label)
        if s.label == "NAME" and " " in value:
            for part in _TOKEN.findall(value):
                low = _fold(part)
                if (
                    len(part) > 2
                    and part[0].isupper()
                    and low not in _COMMON
                    and low not in _STRONG_TITLES
                    and low not in _WEAK_TITLES
                ):
                    targets.setdefault(part, "NAME")
    if not targets:
        return
    chunks: list[str] = []
    pos = 0
    for s in found:
        chunks.append(text[pos : s.start])
        chunks.append(" " * (s.end - s.start))
        pos = s.end
    chunks.append(text[pos:])
    masked = "".join(chunks)
    starts = [s.start for s in found]
    values = sorted(targets, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)")
    for m in pattern.finditer(masked):
        i = bisect.bisect_left(starts, m.end())
        if i > 0 and found[i - 1].end > m.start():
            continue  # overlaps (or is) a span already found
        yield _Span(m.start(), m.end(), targets[m.group()])
