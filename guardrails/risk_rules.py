"""The rule table for risk detection: what counts as a signal about the clinician's
own safety, its category, its C-SSRS item and its weight.

Patterns run on normalised clauses (see ``normalize.py``): lower case, contractions
expanded ("i'm" → "i am", "cant" → "can not"). Each rule says how its subject is
found (``attribution``):

- ``explicit``: the pattern names the speaker ("i", "me", "myself"), so only
  negation and reported speech ("she said 'i want to die'") can cancel it;
- ``subject``: the nearest subject before the match must be the speaker, or absent
  (chat messages drop "I": "cant sleep, keep seeing her face");
- ``strict``: as ``subject``, and the clause must not mention another person at all
  (behaviours whose wording is also clinical: "i looked up the dose").

Levels: ``crisis`` escalates on one message; ``support`` offers human support; a
``hint`` is not enough alone, but its ``weight`` adds to the conversation's
suicide signal, which escalates to crisis when hints build up over turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from guardrails.types import Category, CssrsItem, Level

Attribution = Literal["explicit", "subject", "strict"]
RuleLevel = Literal["crisis", "support", "hint"]
Scope = Literal["clause", "sentence"]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    level: RuleLevel
    category: Category
    cssrs: CssrsItem | None = None
    weight: float = 0.0  # contribution to the accumulated suicide signal
    attribution: Attribution = "explicit"
    scope: Scope = "clause"  # "sentence" for patterns that span a "but"
    unless: re.Pattern[str] | None = None  # in the same sentence, cancels the match

    @property
    def escalation(self) -> Level:
        return {"crisis": Level.CRISIS, "support": Level.SUPPORT, "hint": Level.NONE}[self.level]


def _r(
    name: str,
    pattern: str,
    level: RuleLevel,
    category: Category,
    cssrs: CssrsItem | None = None,
    *,
    weight: float | None = None,
    attribution: Attribution = "explicit",
    scope: Scope = "clause",
    unless: str | None = None,
) -> Rule:
    default = {"crisis": 1.0, "support": 0.0, "hint": 0.4}[level]
    return Rule(
        name,
        re.compile(pattern),
        level,
        category,
        cssrs,
        default if weight is None else weight,
        attribution,
        scope,
        re.compile(unless) if unless else None,
    )


SI = Category.SUICIDAL_IDEATION
INTENT = Category.SUICIDAL_INTENT
SH = Category.SELF_HARM
HTO = Category.HARM_TO_OTHERS
IMP = Category.IMPAIRMENT
DIS = Category.ACUTE_DISTRESS
C = CssrsItem

_ME = r"(?:i|me|myself)"
_PEOPLE = (
    r"(?:every ?(?:one|body)|they|my (?:family|kids|children|wife|husband|partner|team|"
    r"colleagues|parents|mum|mom|dad|boyfriend|girlfriend)|the (?:team|kids|ward|world)|"
    r"people|the world|everybody|all of them|my patients)"
)
_SUBSTANCE = (
    r"(?:diazepam|morphine|oramorph|oxycodone|oxy|fentanyl|lorazepam|midazolam|ketamine|"
    r"codeine|tramadol|propofol|benzos?|opioids|opiates|controlled drugs|cds|temazepam|"
    r"zopiclone|insulin|pills|tablets|meds|drugs|vials|ampoules|amps)"
)
_DRINK = r"(?:drinks?|beers?|wine|vodka|gin|whiskey|whisky|pints?|shots?|glasses)"
_SHIFT = (
    r"(?:on shift|at work|on the ward|before (?:my |the )?shift|before work|"
    r"(?:my |the )?shift (?:starts|in)|in (?:an|a couple of|two|\d+) hours?|"
    r"(?:start|starting|on) (?:at|in|nights|tonight|today|this morning)|at the hospital|"
    r"during (?:my |the )?shift|with patients|on call|on nights)"
)

# Ordinary reasons for being away, or for looking a dose up, that cancel a match.
_AWAY = (
    r"\b(?:annual leave|on leave|on holiday|holiday|day off|days off|week off|mat leave|"
    r"maternity leave|paternity leave|course|conference|moving|emigrating|new job|rotation|"
    r"placement|secondment|travelling|retiring|retirement|locum|contract (?:ends|finishes|is up)|"
    r"(?:new|next) (?:job|post|trust|hospital)|jury service|study leave|sick leave|honeymoon|"
    r"graduation|(?:baby|babies)(?:'s| is| are)? due|due date|having (?:my|a|an) (?:\w+ ){0,2}"
    r"(?:out|done|removed))\b"
)
# Hyperbole about trivial grievances ("i'll kill whoever took the last teabag").
_TRIVIAL_GRIEVANCE = (
    r"\bwhoever (?:took|ate|nicked|stole|pinched|designed|invented|made|moved|left|used|"
    r"drank|wrote|set|keeps|booked|planned)\b|\bthe (?:person|people|idiot|genius|one|guy|"
    r"manager) (?:who|that) (?:designed|invented|made|wrote|booked|planned|took|ate|moved|"
    r"left|keeps|set|parked)\b|\b(?:ate|nicked|stole|pinched|took|forgot|"
    r"finished) (?:my|the last|our|the) (?:leftovers|lunch|yoghurt|yogurt|teabags?|biscuits?|"
    r"milk|food|sandwich|pens?|scissors|charger|bins|chocolate|coffee|cake)\b|\bforgets? the"
    r" bins\b|\bif (?:he|she|they|anyone|someone) (?:moves?|changes?|swaps?|touches?) "
    r"(?:the|my|our) (?:rota|shifts?|desk|mug|chair|locker|stuff|lunch|parking)\b"
)
# Controlled drugs handled by the book, not diverted.
_PROPER_HANDLING = (
    r"\b(?:as per|per|following) (?:policy|protocol|procedure)\b|\blocked (?:drawer|cupboard|"
    r"cabinet|locker|box)\b|\bfor destruction\b|\bto pharmacy\b|\bwith a witness\b|"
    r"\bin the (?:cd|controlled drugs?|drug) (?:cupboard|safe|fridge|room)\b|\buntil pharmacy\b"
)
_BENIGN_PURPOSE = (
    r"\bfor (?:my |the |a |an |our )?(?:headache|migraine|back|back pain|period pain|cold|"
    r"hay fever|teaching|exam|exams|revision|session|audit|lecture|course|poster|presentation|"
    r"paper|referral|chart|drug chart|students?|juniors?|protocol|guideline|policy|quiz|"
    r"finals|membership|mrcp|mrcs|frca|osce|nomogram|tox|toxbase|pharmacy|query|handover|"
    r"dissertation|thesis|essay|assignment|journal club|sailing|climbing|scouts)\b|"
    r"\bfor (?:my |the |a |an |our )?\w+ (?:referral|exam|teaching|audit|query|session|course)\b|"
    r"\b(?:toxbase|bnf|nomogram|antidote|dissertation|thesis|journal club|to give|to draw up|"
    r"to prescribe|to infuse|to administer|cd (?:book|check|register)|left in the|revising|"
    r"studying|toxicology|pharmacology|safe|pregnan\w*|breastfeeding|interact\w*|allerg\w*|"
    r"side effects?|contraindicat\w*|compatib\w*|loading doses?|with (?:the )?pharmac\w+)\b|"
    # money, errands, research methods and tests of one's own
    r"\b(?:costs?|price|prices|fees?|salary|wages?|tax|pension|overtime|rent|mortgage|petrol|"
    r"parking|car park|calories|childcare|nursery|annual leave|study (?:days|leave)|flights?|"
    r"tickets?|recipe|in pay|save (?:money|on)|write-?up|qualitative|quantitative|methodology|"
    r"research methods|grounded theory|literature review|lit review|statistics|stats|"
    r"(?:blood |nerve conduction )?test|scan|biopsy|smear|tattoo|piercing|filling|extraction|"
    r"endoscopy|colonoscopy|coil|epidural|stitches|vaccine|jab)\b"
)

# Anything a clinician could take or use on themself: the controlled drugs above, and the
# medicines and means that C-SSRS preparatory acts name (saving up tablets, buying means).
_MEANS_DRUG = (
    r"(?:diazepam|morphine|oramorph|oxycodone|oxy|fentanyl(?: patches)?|lorazepam|midazolam|"
    r"midaz|ketamine|codeine|co-?codamol|tramadol|propofol|benzos?|opioids|opiates|temazepam|"
    r"zopiclone|zopi|insulin(?: pens?)?|paracetamol|amitriptyline|nortriptyline|sertraline|"
    r"citalopram|fluoxetine|mirtazapine|venlafaxine|antidepressants|quetiapine|olanzapine|"
    r"lithium|propranolol|digoxin|potassium|kcl|sux|suxamethonium|rocuronium|vecuronium|"
    r"barbiturates|pentobarbital|nembutal|sleeping (?:pills|tablets)|sleepers|painkillers|"
    r"sniper|weedkiller|paraquat|rat poison|sodium nitrite|"
    r"pills?|tablets?|meds|medication|drugs|vials|ampoules|amps|repeats|repeat prescriptions|"
    r"prescriptions?|scripts)"
)
# Drugs a clinician has no reason to keep at home or in a locker.
_HOSPITAL_DRUG = (
    r"(?:potassium|kcl|sux|suxamethonium|rocuronium|vecuronium|propofol|midazolam|ketamine|"
    r"fentanyl|morphine|diamorphine|oxycodone|vials|ampoules|amps)"
)
# A method, a place or a tool named in an aborted or interrupted attempt.
_MEANS_THING = (
    r"(?:pills|tablets|meds|rope|noose|belt|cord|ligature|hose|blade|razor|knife|syringe|"
    r"bridge|ledge|roof|railings?|tracks|train|cliffs?|sniper|insulin|engine running)"
)
# The same, but a train caught is a journey: "i bottled it and got the train".
_MEANS_STOP = _MEANS_THING.replace(
    "tracks|train|",
    "tracks|(?<!got the )(?<!get the )(?<!caught the )(?<!catch the )(?<!took the )"
    "(?<!take the )(?<!missed the )(?<!last )(?<!next )train|",
)
# Ordinary reasons for buying rope, a hose or charcoal.
_BENIGN_BUY = (
    r"\b(?:bbq|barbecue|barbeque|garden|washing line|camping|tent|climbing|boat|sailing|"
    r"party|balloons|allotment|car wash|lawn|weeds|mice|rats|pests?|farm|tow|towing|"
    r"dog lead|swing|pool|aquarium|fish tank|greenhouse|plants|fire ?pit|chiminea|log burner|"
    r"wood burner|camp ?fire|bonfire|smoker|jet ?wash|pressure wash\w*|clays?|clay pigeons?|"
    r"shooting (?:club|range|ground)|gun club|deer|safety razor)\b"
)
# Teaching and assessment talk about the warning signs themselves.
_TEACHING = (
    r"\b(?:teaching|training|lecture|study day|c-?ssrs|warning signs|risk factors|screening|"
    r"assessment|simulation|sim|asked (?:him|her|them) (?:whether|if|about)|recognising|"
    r"recognizing)\b"
)
# Driving into town is an errand: "thinking of driving into town after handover".
_ERRAND_PLACE = (
    r"(?! (?:town|work|london|the (?:city|town|village|centre|city centre|office|hospital|"
    r"car park|station|garage|drive|driveway|services|countryside|sunset|school|nursery|"
    r"supermarket))\b)"
)
# Dyeing spelt "dying": "thinking of dying my hair".
_DYE_OBJECT = (
    r"(?:my|it|the|her|his|their|your) (?:\w+ )?(?:hair|fringe|beard|roots|eyebrows|brows|"
    r"lashes|tips|ends|clothes|shirt|t-?shirt|jeans|shoes|trainers|scrubs)\b"
)
# "go on" as an errand or a rota: "i can not go on leave till march", "go on nights".
_GO_ON_ERRAND = (
    r"(?! (?:nights|days|lates|earlies|leave|annual leave|holiday|holidays|call|strike|"
    r"placement|rotation|shifts?|about|and on|(?:a|the|that|this|my|our|another) (?:\w+ )?"
    r"(?:course|diet|date|trip|holiday|cruise|night out|run|walk|break|rota|ward|shift|nights|"
    r"placement|rotation|training|study day|strike|call|list|waiting list|register|bank|"
    r"scheme|programme|program|pill|stage|website|app|system|journey|rides?|tour|retreat|leave"
    r"))\b)"
)
# "carry on with the phd", "keep going with the agency": a task, not living.
_WITH_TASK = r"(?! with (?:the|this|that|my|our|a|an) (?!life\b|living\b|everything\b|it all\b)\w+)"
# A meeting or call that "went on" is what "end it" means: "the call went on and on, i
# just wanted to end it".
_IT_REFERENT = (
    r"\b(?:call|meeting|conversation|chat|discussion|interview|session|lecture|game|film|match|"
    r"consultation|appointment|tutorial|debate|argument|row|mdt|huddle|ward round|handover) "
    r"(?:went|was going|had gone|kept going|dragged|drags|ran|was running|overran|went into|"
    r"hit|reached)\b"
)

# Giving things away for ordinary reasons: moving, clearing out, outgrowing, retiring.
_DECLUTTER = (
    r"\b(?:moving|move|moved|emigrating|new (?:flat|house|place|home)|smaller (?:flat|house|place)|"
    r"downsiz\w+|declutter\w*|clear(?:ing)? ?out|charity shop|vinted|ebay|outgrown|"
    r"(?:do|does|did) not fit|retire\w*|retiring|upgraded|new baby|maternity|wedding|"
    r"windowsills?|allerg\w+|landlord|skills lab|raffle|fundraiser|jumble|donat\w+|"
    r"hand-?me-?downs|minimalis\w+|spring clean\w*|charity|lost \w+ (?:stone|kilos?|pounds)|"
    r"too (?:big|small)|students?|qualified|graduat\w+|(?:bought|got) a new (?:one|\w+)|new one)\b"
)
# Mistakes and ordinary mishaps, not self-poisoning.
_ACCIDENTAL = (
    r"\b(?:by mistake|(?<!not )accidentally|(?<!not )by accident|drug error|medication error|"
    r"datix|naloxone given)\b"
)
# A goodbye for an ordinary leaving, a death someone else is facing, or a pet put to sleep.
_ORDINARY_GOODBYE = (
    r"\b(?:leaving (?:card|do|party|drinks|present|collection)|farewell|last shift|"
    r"end of life|dying|palliative|hospice|passed away|funeral|vet|birthdays?|anniversary|"
    r"christmas|wedding|thank you|thank-you|pen ?pals?|put (?:him|her|them) to "
    r"sleep|put (?:him|her) down|deployed|deployment|flight|airport|first day|school trip|"
    r"rotation|placement|diwali|eid|hanukkah|chanukah|easter|new year|mother'?s day|"
    r"father'?s day|mothers day|fathers day|valentine\w*|vaisakhi|thanksgiving|get well|"
    r"congratulations|graduation|retirement|post ?mortem|autopsy|condolences?|sympathy)\b"
)
# After the speaker is gone: wording of preparations made for after a death.
_AFTER_ME = (
    r"(?:(?:for|after|once|when) i am (?:gone|dead|not here|not around)(?! (?:next (?:week|"
    r"month|year|weekend)|during|over (?:christmas|easter|the (?:weekend|holidays|summer))|for "
    r"(?:a|the|two|three|\d+) (?:days?|weeks?|nights?|months?|shifts?|fortnight|weekend))\b)|"
    r"for after i "
    r"(?:go|die|am gone|have gone)|for whoever finds me|so (?:nobody|no one|noone|no body) has to "
    r"(?:deal with|sort out|clean up) (?:a |the |anything|any )?(?:mess )?(?:after (?:me|i)\b|"
    r"when i))"
)
# The same, strong enough without a preparatory verb before it.
_AFTER_ME_STRONG = (
    r"(?:for whoever finds me|for after i (?:go|die|am gone|have gone)|so (?:nobody|no one|"
    r"noone|no body) has to (?:deal with|sort out|clean up) (?:a |the |anything|any )?(?:mess )?"
    r"(?:after (?:me|i)\b|when i))"
)
# Stopping oneself at the last moment (an aborted attempt when a means is named with it).
_STOPPED = (
    r"(?:lost my nerve|bottled it|chickened out|talked myself (?:out of it|down)|stopped myself|"
    r"could not go through with it|did not go through with it|climbed (?:back|down)|got down)"
)
# Taking a medicine, and the amounts that make it an overdose rather than a dose.
_INGEST = r"(?:took|taken|take|swallowed|downed|necked|drank|injected(?: myself with)?)"
_AMOUNT = (
    r"(?:(?:a |an |the )?(?:whole|entire|rest of|more than double|double|load of|bunch of|"
    r"lot of|fistful of|handful of|handfuls of|loads of|too many|way too many|[1-9]\d|thirty|"
    r"forty|fifty|twenty|all|every one of|all of|extra of))"
)
_FILL = r"(?:the|a|an|of|whole|entire|strip|box|packet|pack|bottle|tub|jar|blister|sleeping)"
# Words that make "took ... on purpose" an errand, not a medicine.
_NOT_ERRAND = (
    r"(?:(?!\b(?:shifts?|leave|hours|days?|time|break|gloves|chocolates?|sweets|biscuits|cake|"
    r"patients?|bloods?|calls?|photos?|notes?|bins?|keys?|car|kids|word|go at|way|route|road|"
    r"bus|train|detour|stairs|lift)\b)[^.])"
)

# What a clinician does about other people's self-harm: "the self-harm teaching", "a
# self-harm assessment", "a self-harm wound". After "my" the words always count.
_SH_CLINICAL = (
    r"(?:patients?|assessments?|incidents?|presentations?|admissions?|attend[ae]\w*|"
    r"teaching|training|sessions?|safety plans?|polic(?:y|ies)|audits?|referrals?|team|"
    r"pathway|cases?|leaflets?|services?|clinic|lectures?|modules?|reviews?|screens?|"
    r"screening|protocols?|guidelines?|studies|research|data|rates?|figures|numbers|"
    r"statistics|nurses?|liaison|practitioners?|leads?|specialists?|workers?|bundle|"
    r"care plans?|prevention|awareness|week|display|champions?)"
)

RULES: tuple[Rule, ...] = (
    # --- suicidal ideation: passive (C-SSRS Q1, wish to be dead) -------------------
    _r(
        "wish_dead",
        r"\bi (?:just |really |sometimes |honestly )?(?:wish|wished|want|wanted|would like)"
        r" (?:i (?:was|were|could be) |to be |to )?(?:dead|die|be dead|not exist|stop existing)\b"
        r"(?! (?:at home|in (?:my own bed|hospital|peace|the hospice|a hospice)|peacefully|with "
        r"dignity|when my time|of old age|old|on (?:this|that|the) hill|as (?:a|an) \w+))",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "not_wake_up",
        r"\b(?:(?:go|went|fall|falling) to sleep|sleep) and (?:not|never) wake up|"
        r"\b(?:hope|hoping|wish|wishing|pray|praying) i (?:just |simply |really |honestly |"
        r"sometimes )?(?:do not|will not|would not|never|"
        r"did not|could not|would never)? ?(?:wake|woke) up\b(?! (?:before|till|until|early|late|"
        r"in time|at \d|during the night|in the night|with a (?:hangover|headache)|hungover|"
        r"to (?:the|an) (?:alarm|noise)))|\bnever want to wake up|"
        r"\b(?:to see if i would|so (?:that )?i would|hoping i would) (?:just )?(?:not|never) "
        r"(?:wake|woke) up\b(?! (?:late|early|in time|again at))|"
        rf"(?<!does )\bnot (?:want|wanting) to wake up|\bwould not mind (?:if i )?(?:not waking up|"
        rf"(?:if i )?did not wake up|dying(?! {_DYE_OBJECT})|being dead|(?:if i )?died)|"
        r"\bif i (?:did not|do not) wake up (?:that would|it would|i would) be (?:ok|okay|fine"
        r"|a relief|alright)",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "want_to_die_informal",
        r"(?<!you )(?<!you just )(?<!feet )(?<!legs )(?<!back )(?<!knees )(?<!body )(?<!brain )"
        r"(?<!eyes )(?<!phone )(?<!laptop )(?<!battery )(?<!plants )"
        r"\b(?:want|wanting|wnt) (?:to|2|ta) (?:just )?(?:die|be dead)\b"
        r"(?! (?:at home|in (?:hospital|the hospice|a hospice|peace|their|her|his)|peacefully|"
        r"with dignity|on (?:this|that|the) hill|of|laughing|for|old|when my time|in my own bed))|"
        r"\bi (?:wan|won|go) (?:just )?(?:die|kpai|end (?:am|my life))\b|\bmake i (?:just )?die\b|"
        r"\bgusto ko (?:na |nang )?(?:mamatay|mawala)\b|\bayoko (?:na|nang) (?:mabuhay|"
        r"mabuhay pa)\b|\bmagpapakamatay (?:na )?ako\b|\bpagod na (?:ako )?(?:mabuhay|sa buhay)\b",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "better_off_dead",
        r"\b(?:better off dead|rather be dead|would rather die|be better dead)\b"
        r"(?! than (?:wear|sing|eat|dance|sit through|fill in|use|watch|listen to|do (?:the|a|an|"
        r"another|that) (?:\w+ )?(?:rota|audit|karaoke|quiz|presentation|night shift|nights?|"
        r"christmas|bank holiday|weekend|ward round|paperwork|teaching|course|exam|on ?call|"
        r"run)\b))",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "better_off_without_me",
        rf"\b(?:better off|easier|happier|better) (?:without me|if i (?:was|were|am) (?:not\b"
        rf"(?! (?:the|a|an|on|in charge|so|as|that|always|doing|working|covering|holding|carrying|"
        rf"running|leading|here (?:on|at (?!all)|for (?:the|a|\w+day)|till|until|tonight|"
        rf"tomorrow|every)|there (?:for|on|at|to))\b)|"
        rf"gone|dead|not here|not around)|with me gone|once i am gone|when i am gone)|"
        rf"\b{_PEOPLE} (?:would|will|might) (?:be|do) (?:fine|ok|okay|better) without me\b"
        rf"(?! (?:for (?:a|an|the|one|two|\d+|this|that|today|tonight|tomorrow|now|once)|today|"
        rf"tonight|tomorrow|this (?:week|afternoon|morning|evening|weekend)|on (?:\w+day|nights|"
        rf"the)|while|till|until)\b)",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "burden",
        r"\bi am (?:just |only |nothing but |such )?a (?:burden|waste of space)\b|"
        r"\bburden (?:to|on) (?:everyone|everybody|my family|them|people)",
        "hint",
        SI,
        weight=0.6,
    ),
    _r(
        "no_one_would_miss",
        r"\b(?:no ?one|nobody|noone|no body) (?:would|will|is going to|would even|will even)"
        r" (?:miss me|notice (?:if|when) i|care (?:if|when) i|even notice (?:if|when) i|"
        r"notice i (?:was|am) gone)"
        r"(?! (?:left (?:the|my) (?:audit|notes|paperwork|forms?|emails?|rota|washing|dishes|"
        r"bins|charting|discharges?)|(?:took|wore|had|used|swapped|skipped|moved|changed|brought|"
        r"ate|finished|started|missed|forgot|did|parked|sat|nipped|popped) (?:the|a|an|my|some|"
        r"off|early|late|out|in|trainers|jeans)\b(?! (?:world|planet|earth|tablets|pills|lot|"
        r"life|own life)\b)))",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "not_be_here",
        r"\bi (?:will not|would not|may not|might not|am not going to|do not think i will) be"
        r" (?:here|around|a problem|a burden|your problem|anyone's problem)"
        r"(?: (?:for|to) (?:anyone|anybody|you|them|everyone|my family|the team))?"
        r"(?: for| much| very)* (?:much )?(?:longer|long|anymore|any more|next (?:week|month)|"
        r"by (?:then|christmas|next))|\bnot be (?:around|here) (?:much|for) (?:much )?longer",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        unless=_AWAY,
    ),
    _r(
        "not_want_to_live",
        rf"\b(?:do not|no longer|not sure i|not sure if i|never) (?:really )?(?:want|wanted|"
        rf"feel like i want) to (?:be here\b(?! (?:at (?:\d+\w*|night|midnight|christmas|the "
        rf"weekend)|till|until|on (?:a |my |the )?(?:\w+day|christmas|nights|weekends?|bank "
        rf"holiday)|all (?:night|day|weekend))\b)|live\b(?! (?:in|near|with|abroad|on|at|next to|"
        rf"through|somewhere|there)\b(?! (?:this|the|a) (?:world|body|pain|state|way|hell|guilt)"
        rf"\b| (?:pain|fear|myself|it|this|that|guilt|what|shame)\b| my (?:body|head|skin|self|"
        rf"guilt)\b))|"
        rf"be alive|exist|go on\b{_GO_ON_ERRAND}|carry on\b{_WITH_TASK}|keep going\b{_WITH_TASK}|"
        rf"be around\b(?! (?:when|while|if|during|him|her|them|people|anyone|kids|patients|"
        rf"children|that|the)\b))|\bdo not want to be (?:here|alive|around) any ?more",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "no_reason_to_live",
        r"\b(?:no (?:reason|point|purpose) (?:in |to |for )?(?:living|live|being alive|"
        r"going on(?! about\b| and on\b)|carrying on|being here|keep going|existing|"
        r"me being here|life)|"
        r"nothing (?:left )?to live for|what is the point (?:in|of) (?:living|going on|"
        r"carrying on|being alive|life|me\b(?! (?:being there|being in (?:the|that|this)|going "
        r"(?:in|to|there)|saying|doing|asking|trying|writing|coming|bothering|turning up|speaking|"
        r"raising|filling|reporting|telling|arguing|explaining|applying|studying|revising|staying"
        r" late)\b)|my life|being here|existing|any of it anymore|"
        r"anything any ?more)|tired of (?:living\b(?! out of\b| in (?:a|an|the|this) (?:flat|"
        r"house|bedsit|box|shoebox|city|town|hostel|caravan|van|house ?share|dump|tent)\b| with "
        r"(?:my |the )?(?:parents|mum|dad|in-?laws|flatmates?|housemates?)\b| on (?:a|the|my) "
        r"(?:overdraft|sofa|couch)\b| (?:paycheque|payday|hand) to (?:paycheque|payday|mouth)\b)|"
        r"life|being alive|existing|being here\b(?! (?:at (?:\d|one|two|three|four|five|six|seven"
        r"|eight|nine|ten|eleven|twelve|midnight|night|the weekend)|till|until|so late|late|after "
        r"hours|on (?:my )?(?:days? off|weekends?|christmas))\b)))",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "no_way_out",
        r"\b(?:can not|can't|do not|could not) (?:see|find) (?:a|any) (?:way out|way forward|"
        r"future|end to (?:it|this))(?! with (?:the|this|that|our|a|an) (?!life\b|pain\b|"
        r"illness\b|depression\b|feelings?\b)\w+| (?:in|for) (?:nursing|medicine|midwifery|the "
        r"(?:nhs|job|trust|profession|specialty|ward|team|service)|this (?:job|trust|hospital|"
        r"career|profession|specialty|ward|team|place|relationship)|my (?:career|job|specialty))"
        r"\b)|\b(?:no|only) way out\b(?! of (?:the|this|that|a) (?:\w+ )?(?:building|car park|"
        r"hospital|department|ward|unit|room|site|estate|basement|lift|corridor|city|town|village|"
        r"maze|contract|deal|traffic|queue)\b| (?:is|was) (?:through|via|past|by)\b)|"
        rf"\bcan not go on\b{_GO_ON_ERRAND}|"
        r"\bcan not (?:carry|keep) (?:on|going) (?:like this|living)",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "end_it_all",
        r"\b(?:end|ending|ended) (?:it all|everything|things|my life|it for good|my own life)"
        r"(?! (?:with|between) )"
        r"|\b(?:want|wanted|wanting|going|planning|plan|tempted|about) to end it\b"
        r"(?! (?:with|there|early|on|for|off|here))|\bjust end it\b(?! (?:with|there|early))",
        "crisis",
        SI,
        C.THOUGHTS,
        attribution="subject",
        # "end it" about a call or meeting that went on; never the stronger wordings
        unless=r"^(?!.*\bend(?:ing|ed)? (?:it all|everything|things|my life|it for good|my own "
        rf"life)\b).*{_IT_REFERENT}",
    ),
    # --- suicidal thoughts (C-SSRS Q2) -------------------------------------------
    _r(
        "kill_myself",
        r"\b(?:kill|killing|killed|off|offing|unalive|unaliving|unalived) "
        r"(?:myself|my self)\b(?! (?:trying to|tripping|slipping|falling (?:over|down|off)|working|"
        r"running around|rushing|grafting)\b)|\b(?:top|topping) (?:myself|my self)\b(?! up\b)|"
        r"\btake my (?:own )?life\b|\btaking my (?:own )?life\b|"
        r"\b(?:going to|will|want to|might|about to|literally|just|to|gonna) kms\b|"
        r"\bwant to unalive\b",
        "crisis",
        SI,
        C.THOUGHTS,
    ),
    _r(
        "suicidal_self",
        r"\bwish(?:ing)? for (?:my (?:own )?)?death\b|"
        r"\b(?:i am|i have been|i was|been|feel|feeling|felt|getting|get) (?:really |quite |a bit"
        r" |so |pretty |kind of |kinda |very |actively |passively )?s(?:ui|u|iu)c+i?i?d(?:i?al|le"
        r"|el)\b|\bs(?:ui|u|iu)c+i?i?d(?:i?al|le|el) (?:thoughts|ideas|feelings|ideation)\b"
        r"(?! (?:module|training|teaching|lecture|session|screening|screen|questions?|assessment|"
        r"risk|policy|audit|research|study|studies|rates?|data|(?:is|are|was|were) (?:documented|"
        r"recorded|under-?reported|often|common|a symptom)|has its own|in (?:(?:new|older|young|"
        r"teenage|adolescent|elderly|pregnant|postnatal|our|the|\w+) )?(?:mums|mothers|adults|"
        r"patients|men|women|people|doctors|nurses|students|survivors|children|teenagers|"
        r"adolescents|clinicians|staff|veterans|population))\b)|"
        rf"\b(?:think|thinking|thought|thoughts) (?:about|of) (?:suicide\b(?! as an? (?:spectrum|"
        rf"continuum|concept|topic|subject|public health)| (?:prevention|awareness|risk|rates?|"
        rf"statistics|policy|training|screening)\b)|dying(?! {_DYE_OBJECT})|death|not being"
        rf" here|not existing|disappearing for good|ending it|how to die|not waking up)",
        "crisis",
        SI,
        C.THOUGHTS,
        attribution="subject",
    ),
    # --- method, intent, plan (C-SSRS Q3-Q5) ---------------------------------------
    _r(
        "method",
        r"\b(?:think|thinking|thought|wonder|wondering|wondered|imagine|imagining|pictured|"
        r"picturing) (?:about |of )?(?:how (?:i would|i could|to) (?:do it\b(?! (?:without (?:the "
        r"|a |an )?(?:ultrasound|scan|machine|kit|equipment|reg|registrar|consultant|senior|"
        r"supervisor|help|guide ?wire|sedation)|under ultrasound)\b)|die|end it)|"
        rf"(?:driving|swerving|steering|crashing) (?:my car )?(?:into|off|in front){_ERRAND_PLACE}|"
        r"(?:jumping|stepping|walking) (?:off|in front|into|from)(?! (?:the |a )?(?:(?:high|top|"
        r"diving|spring) ?board|pool|deep end|ball pit|bed|action|new)\b)|(?:taking|swallowing) "
        r"(?:all|everything|the lot|a load|a bunch)|overdosing|an overdose|hanging myself|"
        r"(?:just )?(?:not )?(?:stopping|pulling over) on the (?:bridge|tracks))",
        "crisis",
        INTENT,
        C.METHOD,
        attribution="subject",
    ),
    _r(
        "method_self_action",
        r"\bi (?:could|might|want to|wanted to|nearly|almost|am going to|will) (?:just )?"
        r"(?:overdose|od|take (?:all|everything|the lot)(?! (?:(?:of )?(?:my|the|our) )?(?:leave|"
        r"annual leave|holidays?|days? off|study leave|toil|lieu|breaks?|calls?|bloods|notes|"
        r"patients|bins|rubbish|credit|blame|shifts?|nights|overtime|cakes?|biscuits|leftovers|"
        r"chocolates?|food|sweets|stuff|things|kids)\b| (?:home|back|to|in|out)\b)|"
        rf"drive (?:my car )?(?:into{_ERRAND_PLACE}|off (?=(?:the|a|an) ))|"
        r"crash (?:the|my) car|jump (?:off|in front|from)|step in front|hang myself)",
        "crisis",
        INTENT,
        C.METHOD,
    ),
    _r(
        "plan",
        r"\bi (?:have|have got|have made|made|got) (?:a|my) plan\b(?! b\b| for (?:the|my|our|"
        r"this|next|a) (?:\w+ )?(?:shift|patient|day|week|rota|holiday|career|revision|teaching|"
        r"session|ward round|handover|debrief|audit|project|course|exam|presentation|meeting|"
        r"wedding|party|move|kids|baby|return|garden|kitchen|house|flat|money|christmas|birthday|"
        r"leaving do|study|studying|portfolio|interview|training|appraisal|revalidation)\b| "
        r"(?:with|about|around) (?:the|my|our) (?:\w+ )?(?:manager|supervisor|mentor|team|"
        r"consultant|gp|occupational health|oh|matron|educator|return|rota|hours|childcare|exam|"
        r"revision|career|training)\b)|\bi know (?:exactly )?how i"
        r" (?:would|will|am going to) do it\b(?! (?:differently|better)\b)|"
        r"\bi (?:have )?(?:picked|chosen|set) a (?:date|day|time|place)\b(?! for (?:the|my|our|"
        r"a|\w+'s) (?:\w+ )?(?:wedding|holiday|leaving|exam|"
        r"interview|retirement|party|move|birthday|leaving do|operation|surgery|appraisal|course|"
        r"christening|baptism|naming|engagement|hen|stag|reunion|barbecue|bbq|debrief|meeting|"
        r"huddle|teaching|audit|presentation|viva|driving test|trip|night out|drinks|induction|"
        r"training|session|celebration|dinner|lunch|meal|visit)\b)|"
        r"\bworked out how (?:i would|to) do it\b(?! (?:with|around|alongside) (?:the |my |our |"
        r"a )?(?:new )?(?:rota|shifts?|nursery|childcare|school run|kids|baby|job|course|studies|"
        r"exam|budget|money|hours)\b)",
        "crisis",
        INTENT,
        C.PLAN,
    ),
    _r(
        "intent",
        r"\bi (?:am going to|will|intend to|am planning to|plan to) (?:do it|go through with it|"
        r"end it(?! (?:with|there|early)\b)|act on it)\b(?! (?:tomorrow at work|on shift|"
        r"properly|right))",
        "crisis",
        INTENT,
        C.INTENT,
        # "it" named in the sentence: an application, a transfer, feedback, a form, a meeting
        unless=rf"\b(?:apply\w*|application|promotion|transfer|revalidation|feedback|"
        rf"advice|suggestion|(?:the|that|this) form|(?:the|that|this) (?:meeting|call|class|"
        rf"subscription|membership|contract) i mean)\b|{_IT_REFERENT}",
    ),
    _r(
        "denial_but",
        r"\b(?:not|never) (?:going to|planning to|about to|do) (?:do anything|act on it|do it|"
        r"kill myself|hurt myself|anything stupid|anything silly)\b.{0,40}\b(?:but|though)\b",
        "crisis",
        SI,
        C.THOUGHTS,
        scope="sentence",
    ),
    # --- behaviour (C-SSRS Q6): preparatory acts, aborted, interrupted and actual attempts
    # Wording from the C-SSRS definitions (Posner et al. 2011): "preparatory acts or
    # behavior", "aborted or self-interrupted attempt", "interrupted attempt", "actual
    # attempt". Whose act it is comes from the attribution of each rule; the ``unless``
    # patterns hold the work, teaching and household reasons for the same words.
    _r(
        "looked_up_means",
        r"(?:\bi (?:have |am |keep |had |just )?(?:worked out|calculated|checked|"
        r"been working out|(?:have )?done the (?:maths|math|sums) on|did the (?:maths|math|sums)"
        r" on) |\b(?:checked|worked out|calculated) (?=how (?:much|many) of my)|\b(?:looked up|loo"
        r"king up|googled|googling|searched|searched for|searching for|"
        r"read up on|reading up on|been reading about|reading about|read about|researched|"
        r"researching|looked into|looking into|been looking at|watched videos (?:on|about)|"
        r"watching videos (?:on|about)|asked (?:chatgpt|google|ai)) )"
        r"(?:how (?:much|many)|the lethal|lethal|what dose|which (?:drugs|pills|tablets)|"
        r"the fatal|fatal|what would|what it would take|ways to|"
        r"how to (?:die|kill|end (?:it|my life|things)|do it|overdose|od\b|hang|tie a (?:noose|"
        r"knot that)|not wake|make it (?:painless|quick)|go (?:painlessly|quietly)|slit|jump|"
        r"gas|drown|poison|make it look like)|doses\b|overdoses?\b|painless ways|(?:the )?(?:quick"
        r"est|"
        r"easiest|best|surest|least painful|most painless) (?:ways?|methods?) (?:to (?:die|go\b(?! "
        r"to| home| there| back| in| about| for| on| through| into| abroad| part| out| away| with|"
        r" over)|end|do it|kill|overdose)|of (?:dying|ending|killing|doing it)"
        r")|(?:suicide )?methods\b|suicide (?:forums?|sites?)|"
        r"(?:when|where) the (?:fast|non-stopping|non stopping|express|freight) trains|how long it "
        r"takes\b(?! (?:for (?:the|a|my|your|an) (?!pills|tablets|overdose|body\b)|to (?:heal|"
        r"recover|arrive|get|cook|defrost|boil|drive|walk|qualify|train|learn|settle|adjust|go "
        r"down))\b)|"
        r"(?:where )?the (?:highest|tallest|nearest high) (?:bridge|cliff|building|car park)|(?:wh"
        r"ether|if) (?:you|i) would feel it|(?:whether|if) it would hurt|"
        r"(?:the |a )?(?:exact |lethal |fatal |toxic )?dose for my (?:own )?weight|my own "
        r"(?:\w+ )?dose\b)",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="strict",
        unless=_BENIGN_PURPOSE,
    ),
    _r(
        "access_to_means",
        rf"\b(?:keep|keeping|kept|stash|stashing|stashed|hid|hidden|hiding|taken|took|taking|"
        rf"brought|bringing|been saving|saving|stockpiling|stockpiled|hoarding|collected|"
        rf"collecting|pocketed|pocketing|walked out with|went home with|sneaked|snuck|smuggled)"
        rf" (?:some |a few |the |spare |extra |leftover |left over |my |some of (?:the|my) |"
        rf"two |three |a couple of |a box of |a vial of |an amp of |amps of |vials of )*"
        rf"{_MEANS_DRUG}\b.{{0,40}}(?:locker|at home|home|my bag|my car|drawer|bedside|pocket|"
        rf"in case|just in case|for (?:myself|me|later|when)|my house|my flat)|"
        rf"\b(?:stockpil\w+|hoard\w+|saving up|saved up|been saving|squirrel+(?:ing|ed)|"
        rf"stash\w*|kept back|keeping back|been keeping back|gathered up|been collecting|"
        rf"saved every|saving every|saved all) "
        rf"(?:up |away )?(?:all |every |some |a few |enough |loads of |a load of |the |my |"
        rf"of my |those |these |the leftover |leftover )*{_MEANS_DRUG}\b|"
        rf"\b(?:a |my )?(?:stash|stockpile|hoard|jar|drawer full) of (?:my )?{_MEANS_DRUG}\b|"
        rf"\benough {_MEANS_DRUG} (?:put aside|saved|set aside|hidden|stashed|to do it)|"
        # putting medicines aside is stockpiling when they build up over time
        rf"\b(?:putting|put|been putting|setting|set|been setting|keeping|been keeping|"
        rf"slipping|been slipping) (?:my |the |some |a few |of my )*{_MEANS_DRUG} "
        rf"(?:aside|away|to one side)\b.{{0,50}}\b(?:for (?:weeks|months|a while|ages)|"
        rf"(?:a lot|loads|lots|plenty) of them|(?:building|piling|adding) up|add up|enough)\b|"
        rf"\b(?:bought|buy|buying|ordered|ordering|got hold of|getting hold of|sourced|"
        rf"purchased|have got|i have|got|don buy|don get) (?:a |some |the |a length of |a bag of "
        rf"|a bottle of |more )?(?:rope|hose|hosepipe|charcoal|helium|gun(?! (?:licen[cs]e|"
        rf"certificate|club|range|safe|cabinet)\b)|shotgun|rifle|"
        rf"razor blades?|sniper|weedkiller|paraquat|rat poison|sodium nitrite|nitrite|nembutal|"
        rf"pentobarbital|exit bag)\b|"
        rf"\b(?:bought|buying|buy|got) {_MEANS_DRUG} (?:from|in|at) (?:\w+ )?(?:different|"
        rf"several|two|three|four|five|multiple|a few|loads of) (?:different )?(?:shops|chemists|"
        rf"pharmacies|supermarkets|places)|\b(?:went|been|going) (?:to|round) (?:three|four|five|"
        rf"several|different|a few|multiple) (?:different )?(?:chemists|pharmacies|shops|"
        rf"supermarkets) (?:\w+ )?(?:for|to get|to buy) {_MEANS_DRUG}\b|"
        rf"\b(?:a box of |some |the |a vial of |vials of |amps of )?{_HOSPITAL_DRUG} (?:is |are )?"
        rf"(?:in|under) my (?:locker|bag|car|drawer|pocket|bedside|house|flat|kitchen|fridge)\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="strict",
        unless=(
            rf"{_PROPER_HANDLING}|{_BENIGN_BUY}|\breturned (?:it|them|the)\b|\bhanded (?:it|them)"
            rf" (?:back|in)\b|\bby (?:mistake|accident)\b|\bdatix\b|\b(?:found|room search|"
            rf"searched|confiscated|amnesty|shortage|out of stock)\b|\bfrom (?:the )?(?:pharmacy|"
            rf"chemist|gp|surgery|dispensary)\b|\bfor (?:my |the |a )?(?:headaches?|migraines?|"
            r"period pain|back pain|hay fever|emergencies)\b|\b(?:community|district|syringe driv"
            r"er|"
            rf"home visits?|paramedic|ambulance|drug bag|grab bag|response bag|hems|gp bag|"
            rf"doctor's bag|on call bag)\b|"
            # a patient's history, or one's own medicines kept so as not to miss a dose
            rf"\bknown to (?:cmht|camhs|crisis|the crisis team|home treatment|mental health|the "
            rf"mental health team|services|psych)\b|\b(?:before|on|prior to) admission\b|"
            rf"\bin case (?:i am |i get |i have to stay )?(?:late|stuck|delayed|held up|kept late|"
            rf"kept back)\b|\b(?:miss|missing|forget|forgetting) (?:a|my) dose\b"
        ),
    ),
    _r(
        "giving_away",
        r"\b(?:giving|gave|given|been giving|give|handing out|handed out) (?:away )?(?:all )?"
        r"(?:my|some of my|most of my|all of my) (?:good |best |favourite |favorite )?(?:things|"
        r"stuff|belongings|possessions|clothes|books|records|guitar|jewellery|jewelry|plants|"
        r"dog|cat|pets?|stethoscope|watch|ring|bike|savings|games|collection)(?: away)?\b|"
        r"\bgiving (?:my )?(?:things|stuff) away",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
        unless=rf"{_DECLUTTER}|{_TEACHING}|{_AWAY}|\b(?:the|new|our|my) (?:cat|kitten|puppy|dog)"
        rf" (?:eats|chews|keeps|ate|chewed|knocks|destroys|is allergic)\b|\blibrar(?:y|ies)\b|"
        rf"\bfood bank\b|\bbook swap\b|\bfinished my (?:degree|course|exams|training|masters|msc|"
        rf"phd)\b|\bfor (?:the|a) (?:week|weekend|fortnight|month|summer)\b|\bwhile i (?:do|work|"
        rf"am on) (?:nights|lates|days|a run)\b|\b(?:dog|pet|cat) ?"
        rf"sit\w*|\b(?:tall|big|old) enough\b",
    ),
    _r(
        "goodbye_letters",
        r"\b(?:written|wrote|writing|write|left) (?:a |some )?(?:letters?|notes?|cards?) "
        r"(?:to|for) (?:my |the (?=(?:kids|children|boys|girls|wife|husband)\b))?(?:kids|"
        r"children|son|daughter|family|partner|wife|husband|"
        r"parents|mum|mom|dad|sister|brother|boyfriend|girlfriend|everyone|loved ones)\b"
        r"(?! (?:about|for (?:school|christmas|their|his|her)|of (?:the|a|my|our) (?:patient|"
        r"deceased|man|woman|lady|baby|child|boy|girl)|saying (?:that )?i (?:would|will|am|was)"
        r" (?:be )?(?:late|back|home|out|working|on)|to (?:pick|get|buy|feed|take|remember|"
        r"defrost|collect|sign|walk|book|grab|order|cook|empty|water|clean|wash|fetch|tidy)|"
        r"asking|reminding|(?:for them )?to (?:open|read) (?:on|at|when) (?:their|they)))|"
        r"\bgoodbye (?:letters?|notes?|messages?)\b|\bsaid (?:my )?goodbyes\b"
        r"(?! (?:to|at) (?:the|a|my|our|her|his) (?:patients?|"
        r"team|ward|colleagues?|leaving|family|hospice|unit))|\bsuicide note\b|"
        r"\b(?:notes?|letters?|voice ?notes?|videos?|emails?) (?:for|to) (?:whoever finds me|"
        r"(?:\w+ ){0,3}explaining (?:why|it was not|everything))|"
        r"\bsaying goodbyes? (?:to (?:people|everyone|everybody|them|you all) )?in my head\b|"
        r"\bsaying goodbye without (?:saying it|them knowing|anyone knowing)|"
        r"\bit was (?:basically |really |kind of |sort of |my way of saying )?(?:a )?goodbye\b"
        r"(?! (?:card|party|do|present|lunch|drinks|speech|cake|to)\b)|"
        r"\b(?:like|as if|as though) (?:it was|it is|it were|this was) (?:the|my) last time\b|"
        r"\blike i (?:would|will) (?:not|never) see (?:them|him|her|you|it) again\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
        unless=rf"{_ORDINARY_GOODBYE}|{_AWAY}|{_TEACHING}",
    ),
    _r(
        "for_after_me",
        rf"\b(?:arranged|arranging|sorted|sorting|organised|organized|asked|wrote|written|"
        rf"writing|left|leaving|recorded|made|making|set up|given|gave|cleaned|paid off|"
        rf"passwords|letters?|notes?|list)\b.{{0,60}}{_AFTER_ME}|{_AFTER_ME_STRONG}",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        unless=rf"{_AWAY}|\b(?:funeral plan|pension|deployed|deployment|retire\w*|old age|"
        rf"when i am old|grandchildren)\b",
    ),
    _r(
        "cancelling_future",
        rf"\b(?:cancel\w*|did not renew|not renewing|stopped paying|did not book|no point (?:in )?"
        rf"(?:booking|renewing|planning|buying|paying|fixing|making plans|signing up|starting))\b"
        rf"(?![^.]{{0,200}}(?:{_AWAY}|\b(?:on (?:nights|call|shift|days|lates|earlies)|working|"
        r"rotas?)\b))"
        r"[^.]{0,80}\bi (?:will not|am not going to|would not) be (?:here|around)\b"
        r"(?! (?:enough|much (?:in|at|on)|often|in the (?:evenings|mornings|day))\b)",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        scope="sentence",
    ),
    _r(
        "affairs_in_order",
        r"\b(?:sorted|sorting|put|putting|getting|got|made|making|updated|updating|wrote|"
        r"written|did|done) (?:out |all )?(?:my )?(?:will|affairs|life insurance|passwords"
        r" for)(?: in order| out)?\b(?! (?:you|power))|\bmy affairs (?:are )?in order\b",
        "hint",
        INTENT,
        C.BEHAVIOUR,
        weight=0.7,
        attribution="subject",
    ),
    _r(
        "scouting_place",
        r"\b(?:went|drove|walked|been|go|going|gone|stood|sat|looked) (?:back )?(?:to|up to|out"
        r" to|up|over|down|at|on) (?:the )?(?:top of the )?(?:\w+ )?(?:bridge|cliffs?|cliff path|t"
        r"racks|"
        r"quarry|multi ?storey|car park roof|car park|stairwell|roof|top floor|reservoir|viaduct|"
        r"level crossing)\b.{0,70}\b(?:working out (?:the height|the drop|how high|where to "
        r"(?:climb|jump|go over)|how i would)|to check (?:the )?(?:height|drop|it)|the height|the "
        r"drop|how high|where (?:to|i would|i could)|how i would|how to do it|nobody would "
        r"(?:see|find)|to do it|to find a (?:place|spot)|a place nobody)|\b(?:found|picked|"
        r"chose|chosen) (?:the |a )?(?:best |right |perfect |good )?(?:spot|place) (?:on|at|"
        r"near|by|off) the (?:cliff|bridge|tracks|quarry|river|railway)|\b(?:a |the )?place "
        r"(?:where )?nobody would (?:see|find) me\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="strict",
        unless=rf"{_TEACHING}|\bcar park\b[^.]*\bto find a (?:spot|space)\b(?![^.]*\b(?:nobody|"
        rf"no one|jump|do it|height|drop)\b)|\b(?:paddle ?board\w*"
        rf"|kayak\w*|canoe\w*|wild swim\w*|open water|fishing|sailing|windsurf\w*|where to park)\b|"
        rf"\b(?:barriers?|prevention|signage|signal|sunset|walk|lunch|"
        rf"traffic|meet|picnic|photos?)\b",
    ),
    _r(
        "rehearsal",
        r"\b(?:dry|practice|trial) run (?:at home|last night|with the (?:rope|belt|cord|pills|"
        r"tablets|ligature|hose))|\bpractised (?:it )?with the (?:belt|rope|cord|ligature|"
        r"hose)|\btested (?:whether|if|that) (?:the )?(?:beam|banister|bannister|hook|rail|"
        r"loft hatch|door|pipe) (?:\w+ ){0,4}?(?:would|could) (?:hold|take) (?:my )?weight|\b(?:be"
        r"lt|cord|rope|noose|ligature) (?:round|around|over) my (?:neck|head)\b|\b(?:bag|scarf|"
        r"cable|lead) (?:round|around|over) my (?:neck|head)\b(?! (?:all (?:shift|day|night|week)|"
        r"because|in the (?:rain|cold|wind|sun|snow)|to keep)\b)|"
        r"\b(?:rope|noose|cord|belt) (?:up )?(?:over|on|round) the (?:beam|banister|bannister|"
        r"rail|hook|loft hatch|door)\b|\bput the noose up\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
        unless=rf"{_TEACHING}|\b(?:osce|exam|presentation|interview|drill|patient|audit|"
        rf"(?:half )?marathon|10k|5k|fun run|parkrun|triathlon|race|commute|school run|route|"
        rf"speech|recital|concert|performance|viva|driving test)\b",
    ),
    _r(
        "aborted_attempt",
        r"\b(?:got|went|made it|came) as far as (?:counting|lining|laying|setting|putting|tying|"
        r"writing (?:the|a|my) note\b(?! (?:before|when|and then) the (?:bleep|pager|phone|crash|"
        r"buzzer))|taking (?:the )?(?:first|some)|swallowing|holding|popping|"
        r"crushing|filling the bath|standing on|the (?:bridge|edge|ledge|roof|railings?|tracks|"
        r"platform|cliffs?|top floor|car with))|"
        r"\b(?:had|held|holding) (?:the |my |all the |all my )?(?:pills|tablets|meds|blade|knife|"
        r"razor|rope|belt|cord|sniper) (?:in my hands?|to my (?:wrist|neck|throat)|against my "
        r"(?:wrist|neck|skin))|"
        r"\b(?:lined|laid|counted|popped|set|put|emptied|tipped) (?:(?:them|all of them|them all|"
        r"all|every one|the|my|pills|tablets|meds) )+(?:out|up)\b.{0,40}\b(?:on (?:the |my )?"
        r"(?:kitchen table|table|bed|floor|counter|worktop|bedside|side|duvet)|in front of me|"
        r"(?:and|then) (?:just )?(?:sat|stared|stopped|flushed|put them back)|at \d|"
        r"at (?:midnight|night))|\b(?:had|got) (?:the |my |all the |all my )?(?:pills|tablets|"
        r"blade|razor|rope|noose|hose|knife|sniper) and (?:the |my |a )?(?:\w+ ){0,2}(?:ready|"
        r"lined up|laid out)\b|\b(?:pills|tablets|meds) (?:all )?(?:counted|lined|laid|set) "
        r"(?:out|up) (?:on|in front)|"
        r"\bin the garage with the engine (?:running|on)|(?<!washed the car )(?<!wash the car )"
        r"(?<!washing the car )(?<!garden )(?<!plants )(?<!lawn )(?<!veg )(?<!patio )(?<!pool )"
        r"(?<!flowers )\bwith the hose\b|"
        r"\b(?:climbed|got|went) (?:over|onto|on to|up on) the (?:railings?|barrier|parapet|"
        r"ledge)|\bhalfway over the (?:railings?|barrier|parapet|edge)|"
        r"\b(?:on|at) the edge of the (?:\w+ ){0,2}(?:roof|bridge|cliff|multi ?storey|building|"
        r"top floor|balcony)|(?<!parked )(?<!park )\bon the (?:ledge\b(?! of (?!the (?:bridge|roof|"
        r"building|car park|"
        r"cliff|balcony|multi)))|parapet|wrong side of the (?:railings?|barrier|"
        r"fence))\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
        unless=rf"{_TEACHING}|\b(?:dosette|nomad|blister pack for|drug round|cd check|"
        rf"controlled drug check|pyxis|omnicell|the patient|a patient|refused|for the ward|"
        rf"for discharge|charity|abseil|zip ?line|sponsored)\b|\bfor a (?:photo|selfie|picture)\b|"
        rf"\b(?:pay|ticket|parking) machine\b|\bparking ticket\b|\b(?:tunic|uniform|scrubs|"
        rf"outfit|clothes|trousers|shoes|lanyard|presents|gifts|toys|cutlery|plates|ingredients|"
        rf"seedlings)\b|\b(?:nearly|almost) (?:told|"
        rf"said|quit|resigned|walked|emailed|complained|reported|cried|swore|shouted|punched|"
        rf"screamed|lost it)\b",
    ),
    _r(
        "nearly_did_it",
        r"\bi (?:very |so )?(?:nearly|almost) (?:went through with it|did it\b(?! (?:wrong|the "
        r"wrong|again|twice|right|properly|myself|for|on the wrong|backwards|without|in (?:under|"
        r"less than|record|one go|\d+ (?:minutes|hours|seconds|mins|hrs)))))|\bi (?:was"
        r"|came) (?:so |this |"
        r"very )?close to (?:going through with it|doing it (?:last night|tonight|yesterday|"
        r"this (?:morning|week|weekend)))",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        unless=rf"{_TEACHING}|\b(?:nearly|almost) (?:told|said|quit|resigned|walked|emailed|"
        rf"complained|reported|cried|swore|shouted|punched|screamed|lost it|handed|gave|left|"
        rf"rang|phoned|sent|booked|bought|applied|signed)\b|\b(?:10k|ten k|5k|five k|marathon|"
        rf"parkrun|park run|triathlon|couch to 5k|skydive|bungee|race|personal best|pb)\b",
    ),
    _r(
        "aborted_means",
        rf"\bi (?:just |then )?{_STOPPED}\b[^.]{{0,80}}\b{_MEANS_STOP}\b|"
        rf"\b{_MEANS_STOP}\b[^.]{{0,80}}\bi (?:just |then )?{_STOPPED}\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        scope="sentence",
        # a job on the roof, a ride or a thrill chickened out of
        unless=r"\b(?:gutters?|aerial|satellite dish|solar panels?|roof tiles|slates|zip ?line|"
        r"bungee|abseil\w*|rollercoaster|skydive|climbing wall|kite|football|frisbee)\b",
    ),
    _r(
        "interrupted_attempt",
        r"\b(?:came home|got home|got back|came back|walked in|came in|came into|walked into|"
        r"knocked|rang|called|turned up|found me|stopped me|interrupted me|woke up|started "
        r"barking|started crying|key went in the door)\b[^,.]{0,40}\bbefore i (?:could|had|did)"
        r" (?:take (?:them|it|the (?:pills|tablets|rest|lot))|swallow|jump|go through with it|"
        r"inject|finish (?:it|taking)|tie|step|do it\b(?! (?:properly|again|right|myself|for "
        r"(?:her|him|them|me)|on my own|first)\b))|"
        r"\b(?:found|caught|stopped) me (?:with|on|at|in) (?:the |my |a )?(?:\w+ )?(?:tablets|"
        r"pills|rope|belt|cord|ligature|knife|blade|noose|hose|empty packets|bridge|ledge|roof|"
        r"railings?|tracks|cliffs?)\b(?! (?:trolley|round|cupboard|fridge|chart))|"
        r"\bfound me (?:\w+ ){0,4}with (?:the |my |all the )?(?:empty )?(?:packets|tablets|pills|"
        r"rope|belt|cord|ligature|blade|bottle)\b(?! (?:trolley|round|cupboard|fridge|chart))|"
        r"\b(?:talked|talk|talking) me down (?:off|from) (?:the |a )?(?:\w+ )?(?:bridge|ledge|"
        r"roof|edge|railings?|cliffs?|top|platform)\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
    ),
    _r(
        "attempt",
        rf"\bi (?:have )?(?:tried|attempted|had a go at|made an attempt) (?:to |at )?(?:kill "
        rf"myself|end it\b(?! (?:with|between|there|early|off|here|politely|on a|nicely|amicably|"
        rf"kindly|gently|professionally|on good terms))|end it "
        rf"all|end things|end my life|take my (?:own )?life|overdose|od\b|hang myself|gas myself|"
        rf"drown myself|poison myself|jump (?:off|from|in front)|ending it\b(?! with)|ending my"
        rf" life|suicide)|\bi (?:have )?attempted(?= (?:last (?:year|month|week|night|time|"
        rf"summer|winter|spring|autumn)|in (?:19|20)\d\d|in (?:january|february|march|april|may|"
        rf"june|july|august|september|october|november|december)|when i was|after (?:the|my))\b)|"
        rf"\bmy (?:last |first |second |third |previous |recent )?(?:suicide )?attempts?\b"
        rf"(?! (?:(?:at|to|with)\b(?! \d)|on\b(?! my)|went in\b|was (?:fine|successful|better|"
        rf"easier|quicker|smoother|a success)\b|got (?:it|the|blood|a flashback)\b))|"
        rf"\battempts? on my (?:own )?life\b|"
        rf"\b(?:pumped my stomach|my stomach (?:was |got )?pumped)\b(?! as a (?:kid|child))|"
        rf"\bhad me on (?:the )?(?:nac|parvolex|acetylcysteine)\b|"
        rf"\bi (?:have )?injected myself with (?!(?:my |the |some )?(?:insulin|flu|covid|b12|"
        rf"vaccine|enoxaparin|clexane|heparin|fragmin|methotrexate|humira|adalimumab|hormones|"
        rf"hcg|ovitrelle|fertility|epi ?pen|adrenaline|saline|my (?:dose|meds|jab))\b)|"
        rf"\bi (?:have )?(?:took|taken|had|swallowed|downed|necked) (?:an? )?(?:overdose|od)\b|"
        rf"\bi (?:have )?(?:overdosed|od'?d|od'?ed|oded)\b(?! on (?!(?:my |some |the |a |an )?"
        rf"(?:own )?{_MEANS_DRUG}\b|my\b|purpose|\w+day\b|\w+ (?:night|morning|evening)\b))"
        rf"(?! (?:the|a|an|him|her|them|that|this|his|my patient|patients?|mr|mrs|ms|name)\b)|"
        rf"\bnag-?overdose ako\b|\bi (?:have )?(?:hung|hanged) myself\b|\bi (?:have )?(?:made|"
        r"had) an attempt\b(?!(?: (?:this|last|yesterday|today|earlier|again|once|twice|morning|"
        r"afternoon|evening|night|week))* (?:at|to)\b)|\bi (?:took|have taken) (?:too many "
        r"(?:pills|tablets)|a "
        rf"handful of {_MEANS_DRUG})",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        unless=rf"{_ACCIDENTAL}|\bas a (?:kid|child)\b",
    ),
    _r(
        "self_poisoning",
        rf"\b{_INGEST} (?:my (?:own )?{_AMOUNT} (?:{_FILL} )*|(?:the )?(?:{_AMOUNT}|(?:a |the )?"
        rf"(?:whole )?(?:strip|box|packet|pack|bottle|tub|jar|blister pack)s? of) (?:{_FILL} )*"
        rf"my (?:own )?(?:{_FILL} )*(?:\w+ )?){_MEANS_DRUG}\b|"
        rf"\b{_INGEST} (?:the first |a |another )handful\b(?! of (?!(?:my |the )?{_MEANS_DRUG}))|"
        rf"\bafter (?:taking|swallowing) (?:the lot|everything i had|them all|all of them)\b|"
        rf"\b(?:(?:downed|necked|swallowed) (?:all )?|took all )my (?:\w+ )?(?:meds|tablets|pills)"
        rf" with "
        rf"(?:wine|vodka|gin|alcohol|booze|beer|whisky|whiskey|rum)\b|"
        rf"\b{_INGEST} (?:the )?{_AMOUNT} (?:{_FILL} )*{_MEANS_DRUG}\b(?=[^.]{{0,60}}\b(?:my|"
        rf"me|myself|i)\b)|\bi (?:have |had |just |then )?{_INGEST} (?:the )?{_AMOUNT} "
        rf"(?:{_FILL} )*{_MEANS_DRUG}\b|"
        rf"\b(?:swallowed|downed|necked) (?:the lot|the whole (?:lot|pack|packet|box|bottle|"
        rf"strip)|everything (?:in|from) the (?:bathroom )?(?:cupboard|cabinet|drawer|house)|"
        rf"everything i had|all of them|them all)|\b(?:took|taken|swallowed) (?:everything|all)"
        rf" (?:in|from) the (?:bathroom )?(?:cupboard|cabinet|drawer)|\bself[ -]poisoned\b"
        rf"(?! with (?:her|his|their)\b)|"
        rf"\b(?:drank|drink|drunk|swallowed|took) (?:some |the )?(?:sniper|weedkiller|paraquat|"
        rf"bleach|antifreeze|rat poison|sodium nitrite)\b|\bwoke up in (?:a ?(?:and|&) ?e|resus|"
        rf"icu|itu|hospital) after (?:taking|swallowing|the (?:pills|tablets|overdose))",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
        unless=rf"{_ACCIDENTAL}|\bas a (?:kid|child)\b|\b(?:for (?:the|my|a) (?:headache|"
        rf"migraine|pain|back|cold|period|toothache)|as (?:usual|prescribed|normal)|to the (?:ward|"
        rf"patient|bay|side room|discharge lounge|pharmacy)|(?:told|showed|rang|called|asked|"
        rf"texted) me|bed \d+|bay \d+|came in|brought in|presented|\d+ ?(?:yo|y/o|year old)|"
        rf"out of the|drug round|trolley|dosette|nomad|back to|home (?:for|to)|for (?:my|the|"
        rf"her|his) (?:mum|mom|dad|nan|gran|son|daughter|kids?|partner|wife|husband|neighbour))\b",
    ),
    _r(
        "attempt_on_purpose",
        rf"(?:^|\bi )(?:(?:have|had|just|then|actually|might have|may have|probably|possibly|"
        rf"kind of|sort of|last night|yesterday|on \w+|so|and|honestly|tbh|ngl|yeah|well) )*"
        rf"(?:took|taken|swallowed|downed|necked|(?:had|drank)(?! (?:way )?(?:too much|a lot|a few "
        rf"more|extra|double|more than)\b)|injected|od'?d|overdosed)\b"
        rf"{_NOT_ERRAND}{{0,40}}?\b(?:too many|too much|more than|extra|double|a few more|a lot|"
        rf"all of them|them all|the lot|the rest|the whole|everything|a load|a bunch|handful|"
        rf"{_MEANS_DRUG}|them(?! (?:to|round|around|for a|along|outside|inside|through|over|"
        rf"into)\b))\b{_NOT_ERRAND}{{0,60}}?(?<!not )(?<!never )\b(?:on purpose|"
        rf"deliberately|intentionally|(?:it )?was not an accident|was no accident|wanted it to "
        rf"work|meant it)\b|"
        rf"(?:^|\bi )(?:deliberately|intentionally) (?:took|swallowed|downed|necked|drank|"
        rf"injected|overdosed)\b{_NOT_ERRAND}{{0,30}}?\b(?:too many|too much|more than|double|"
        rf"a load|a bunch|handful|the lot|everything|{_MEANS_DRUG})\b|"
        rf"(?:^|\bi )(?:(?:then|just|so|and) )*(?:drove|steered|aimed|crashed|swerved) (?:my car |"
        rf"the car |my )?(?:at|into|towards) (?:the |a )?(?:\w+ )?(?:wall|tree|bridge|pillar|"
        rf"barrier|lorry|truck|oncoming|bus|central reservation)\b[^.]{{0,40}}\b(?:on purpose|"
        rf"deliberately|intentionally|swerved at the last|last second|last minute|meant it|it "
        rf"was not (?:black ice|an accident))|"
        rf"^(?:it |that |the \w+ )?(?:was|is) (?:not|no) (?:an )?accident\b[^.]{{0,30}}\bi "
        rf"(?:took|swallowed|downed|necked|drank|injected|overdosed|od'?d)\b(?: (?:them|all|"
        rf"the lot|everything|too many|an overdose|(?:all )?(?:the |my )?{_MEANS_DRUG})\b|$)",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        scope="sentence",
    ),
    # --- self-harm -----------------------------------------------------------------
    _r(
        "self_harm",
        r"\b(?:cut|cutting|cuts|burn|burning|burnt|burned|scratch|scratching|scratched|hit|"
        r"slice|slicing|sliced|carve|carving|carved|starve|starving|"
        r"hitting|punch|punching|hurt|hurting|harm|harming|harmed|bash|bashing) myself\b"
        r"(?! (?:on|in) the \w+ (?:on|with) (?:the|a|an|my)\b| on (?:an?|the) (?:ampoule|vial|"
        r"glass|tin|can|paper|sharps|needle|door|cupboard)|(?![^.,]*\b(?:on purpose|deliberately|"
        r"intentionally)\b)(?: on (?:a|an|the|some) (?!(?:arms?|"
        r"legs?|wrists?|thighs?|stomach|skin|chest|hips?|ankles?|hands?|face|body|inside|"
        r"purpose)\b)| (?:shaving|cooking|gardening|lifting|moving|carrying|pushing|pulling|"
        r"transferring|turning|rolling|reaching|bending|twisting|slipping|tripping|falling|"
        r"running|playing|training|making|opening|closing|climbing|cleaning|chopping|slicing)\b))|"
        r"\b(?:punish|punishing) myself\b(?! (?:over|for|about)\b)|"
        rf"(?<!my )(?<!deliberate )(?<!repeat )(?<!repeated )\bself[ -]?harm(?:ing|ed)?\b(?! "
        rf"(?:risk )?(?:{_SH_CLINICAL}|wounds?|lacerations?|injur(?:y|ies)|cuts?)\b| in (?:under|"
        rf"over|young|teen|adolescent|children|kids|students|men|women|girls|boys|\d)| on "
        rf"the rise\b| among\b| and suicide (?:prevention|awareness|policy|training|teaching|week|"
        rf"strategy|risk)\b)|"
        r"(?<=my )self[ -]?harm(?:ing|ed)?\b|"
        r"\b(?:cut|cutting|burning|burned|burnt|scratching) "
        r"(?:my|on my) (?:arms?|legs?|wrists?|thighs?|skin|stomach)\b(?! on (?:a|an|the|some)\b"
        r"(?![^.,]*\b(?:on purpose|deliberately|intentionally)\b)|"
        r"[^.]{0,30}\b(?:eczema|dermatitis|psoriasis|rash|hives|itch\w*|allerg\w*|hand gel|"
        r"chickenpox|bites)\b)|(?<!hair )\bcut again\b|"
        r"\b(?:started|start|starting) (?:cutting|self harming|harming) again\b|"
        r"\b(?:urge|urges|wish|want|wanting|need) to (?:cut|self harm|hurt myself|harm myself)"
        r"\b(?! (?:the|it|down|back|corners|costs|him|her|them|through|out|in|off|up|a|an|some|"
        r"ties|loose|my (?!(?:arms?|legs?|wrists?|thighs?|skin|stomach|body|face|hands?)\b)\w+)"
        r"\b)",
        "crisis",
        SH,
        attribution="subject",
    ),
    # --- harm to others --------------------------------------------------------------
    _r(
        "harm_to_others",
        r"\bi (?:am going to|am gonna|will|swear i will|want to|really want to|am about to|"
        r"could actually|am seriously going to|have thought about how to|have thought about "
        r"how i would) (?:really |actually |seriously )?(?:hurt|kill|hit|punch|stab|harm|"
        r"attack|strangle|batter|smash|beat up|deck|glass|run over) (?:him|her|them|that|this|"
        r"the|someone|somebody|my|one of|his|whoever)\b(?! (?:for a|for some|back|neck|knee|"
        r"shoulder|wrist|ankle|hand|foot|feet|hip|eyes|ears|voice|chances)| (?:\w+ )?(?:gym|hay|"
        r"sack|road|shops|books|bar|pub|town|wall|ground|jackpot|deadline|snooze|button|targets?|"
        r"goals?|spot|nail|pillow|showers?|sales|beach|slopes|pool|motorway|notes|list|backlog|"
        r"paperwork|discharges?|summaries|emails?|inbox|exams?|osce|interview|audit|presentation|"
        r"teaching|halls|fish|ball|bell|steps|step count|pb|record|high notes?|chorus|karaoke|"
        r"dance ?floor)\b)|"
        r"\b(?:fantasi[sz]e|fantasi[sz]ing|fantasi[sz]ed|dream|dreaming|planning|thinking) "
        r"(?:about|of) (?:hurting|killing|stabbing|attacking|strangling|harming) (?:him|her|"
        r"them|that|the|someone|my)\b(?! ?self\b)|\bbrought (?:a|my) (?:knife|weapon|bat)\b",
        "crisis",
        HTO,
        unless=_TRIVIAL_GRIEVANCE,
    ),
    # --- impairment ------------------------------------------------------------------
    _r(
        "substance_on_shift",
        rf"\b(?:had|have had|downed|necked|sank|sunk) (?:a few |a couple of |some |two |three "
        rf"|four |several |a |a bottle of |half a bottle of |a load of )?{_DRINK}\b(?! of (?:water|"
        rf"coffee|espresso|tea|juice|squash|milk|blood|o neg\w*|o negative|plasma|saline|fluids?|"
        rf"platelets|ffp|red cells)\b).{{0,50}}"
        rf"{_SHIFT}|\b(?:drank|been drinking|was drinking|am drinking)\b(?![^.]{{0,30}}\b(?:water|"
        rf"coffee|tea|juice|squash|milk|fluids?|electrolytes?|energy drinks?|red bull|lucozade|"
        rf"coke|pepsi|smoothies?)\b).{{0,50}}{_SHIFT}|"
        rf"\b(?:i am|i was|i have been|still|bit|"
        rf"quite|pretty|properly) (?:still |a bit |quite |pretty |properly |really )?"
        rf"(?:drunk|tipsy|hungover|high|stoned|wasted|hammered|buzzed|pissed|off my face)"
        rf"\b.{{0,50}}{_SHIFT}|{_SHIFT}.{{0,40}}\b(?:i am|still|a bit|quite) (?:still |a bit |"
        rf"quite )?(?:drunk|tipsy|high|stoned|wasted|hammered)\b|\b(?:vodka|wine|gin|alcohol|"
        rf"booze|spirits|cider|beer|rum|whisky|whiskey) (?:in|from) (?:my|a) (?:water bottle|"
        rf"locker|flask|coffee cup)\b|\b(?:drink|drinking) (?:in|from) (?:my|a) locker\b",
        "crisis",
        IMP,
        attribution="subject",
        unless=r"\b(?:flu|covid|vaccin\w*|jabs?|booster|immunis\w*|hep(?:atitis)? b)\b",
    ),
    _r(
        "diversion",
        rf"\b(?:took|take|taking|taken|used|use|using|helped myself to|pocketed|pocketing|"
        rf"pinched|nicked|keeping|kept) (?:some of |some |a bit of |a few |the )?(?:the )?"
        rf"(?:ward'?s?|patients?'?s?|patient'?s|spare|leftover|left over|wasted|waste|returned|"
        rf"cd|controlled|discarded|unused) (?:cupboard )?{_SUBSTANCE}\b(?! (?:back|keys?|book|"
        rf"register|count|check|cupboard|trolley|fridge|over|round)\b| to (?:the |her |his |"
        rf"their )?(?:bed|bay|bedside|patient|theatre)\b| in (?:her|his|their|the) (?:bedside )?"
        rf"(?:locker|pod|cabinet)\b| (?:\w+ )?for (?:the |a )?(?:teaching|training|sim|"
        rf"simulation|demo\w*|practice)\b)|"
        rf"\b(?:took|take|taking|used|using) (?:some |a few )?{_SUBSTANCE} (?:from|out of) "
        rf"(?:the )?(?:ward|cd cupboard|drug cupboard|cupboard|pyxis|omnicell|stock|work)\b|"
        rf"\bon (?:something|diazepam|benzos|opioids) (?:to get through|on shift|at work)",
        "crisis",
        IMP,
        attribution="subject",
        unless=_PROPER_HANDLING,
    ),
    _r(
        "exhaustion_danger",
        r"\b(?:fell|falling|fall|nodded|nodding|dozed|dozing|drifting) (?:off |asleep )?"
        r"(?:asleep )?(?:at the wheel|while driving|driving home|on the drive|on the motorway|"
        r"during (?:the )?(?:drug round|obs|handover|surgery|the case|the procedure|a case|"
        r"resus)|while (?:giving|drawing up|checking|prescribing|charting|cannulating|"
        r"operating)|mid (?:sentence|drug round|handover))|\bso (?:tired|exhausted|wrecked) i"
        r" (?:nearly|almost) (?:gave|drew up|crashed|killed|hurt|missed|made)|\b(?:not|have not|"
        r"had no|barely) slept (?:in|for) (?:two|three|four|\d+|a couple of) (?:days|nights)"
        r".{0,60}(?:shift|on call|working|nights|theatre|drive)",
        "support",
        IMP,
        attribution="subject",
    ),
    _r(
        "drinking_to_cope",
        r"\b(?:drinking|drink|drank) (?:more|too much|a lot|heavily|every night|each night|"
        r"most nights|to (?:sleep|cope|switch off|forget|numb|get through))|\b(?:bottle|bottles)"
        r" of wine (?:a|every|each) night|\b(?:need|needing|needed) a drink to (?:sleep|cope|"
        r"switch off|get through)|\b(?:taking|using|popping|took) (?:sleeping pills|pills|"
        r"diazepam|zopiclone|benzos|something) (?:every night|to (?:sleep|cope|get through|"
        r"switch off))",
        "support",
        IMP,
        weight=0.1,
        attribution="subject",
    ),
    # --- acute distress (support) -----------------------------------------------------
    _r(
        "panic",
        r"\bpanic attacks?\b|\b(?:having|had|get|getting) panic\b|\bhyperventilat\w*|"
        r"\b(?:can not|could not) (?:breathe|stop shaking|stop crying|stop my hands shaking)\b",
        "support",
        DIS,
        attribution="subject",
    ),
    _r(
        "not_coping",
        r"\b(?:not|barely|hardly|struggling to|can not|could not|unable to) (?:really )?"
        r"(?:coping|cope|function|functioning|keep it together|hold it together|get out of bed"
        r"|face (?:going in|work|it any ?more))\b|\bfalling apart\b|\bfall(?:ing)? to pieces\b|"
        r"\bbreaking down\b|\bbroke down\b|\b(?:at|reached|past) (?:breaking point|my limit|the"
        r" end of my tether)\b|\bcan not (?:do|take) (?:this|it|much more|any ?more)\b"
        r"(?: any ?more)?|\b(?:losing|lost) (?:my mind|it completely|the plot)\b|"
        r"\bfeel (?:like i am )?(?:going crazy|going mad)\b|\bmental breakdown\b|"
        r"\bnervous breakdown\b",
        "support",
        DIS,
        weight=0.2,
        attribution="subject",
    ),
    _r(
        "trauma_symptoms",
        r"\bnightmares?\b|\bflash ?backs?\b|\bkeep (?:seeing|hearing|replaying|reliving) (?:his|"
        r"her|their|the|that) (?:face|body|eyes|screams?|scream|voice|mum|mother|dad)\b|"
        r"\b(?:can not|could not|have not been able to) (?:sleep|eat|stop thinking about it|"
        r"switch off|get (?:it|her|him|them) out of my head)\b|\b(?:have not|not|barely) slept"
        r" (?:properly |well )?(?:in|for|since) (?:days|weeks|a week|\d+|two|three|four)\b|"
        r"\b(?:jumpy|on edge|hypervigilant)\b(?! of the bed)|\bfeel(?:ing)? (?:completely |so |"
        r"totally |just )?numb\b|\b(?:dread|dreading) (?:going (?:in|back|to work)|work|my "
        r"(?:next )?shifts?|the (?:next )?shift|tomorrow)\b|\bcrying (?:every day|all the time|"
        r"in the car|in the toilets?|in the loos?|myself to sleep|every night|every shift|"
        r"constantly)\b|\bcan not stop crying\b",
        "support",
        DIS,
        weight=0.1,
        attribution="subject",
    ),
    _r(
        "quitting",
        r"\b(?:thinking|thought|think) (?:about|of) (?:quitting|leaving (?:nursing|medicine|the"
        r" profession|healthcare|the job|for good)|handing in my notice|giving (?:it all |it )?up"
        r"|walking away from)|\b(?:want|going) to quit\b|\bhand(?:ing)? in my notice\b",
        "support",
        DIS,
        attribution="subject",
    ),
    _r(
        "burnout_self",
        r"\b(?:burnt|burned) out\b|\b(?:i am|i feel|feeling|totally|completely) (?:so |totally |"
        r"completely )?(?:burnt|burned) out\b|\bburnout\b",
        "support",
        DIS,
        attribution="subject",
    ),
    # --- hints: not enough alone, they build up across turns -------------------------
    _r(
        "hopeless",
        r"\b(?:feel|feeling|felt|i am|i am just|so) (?:so |completely |totally |utterly |really "
        r")?(?:hopeless|worthless|empty inside|like a failure|like a waste of space|"
        r"like nothing|trapped)\b|\bwhat is the point\b(?! (?:of (?:this|that|the) "
        r"(?:form|meeting|audit|policy|rota|training|email)))|\bno point (?:in )?(?:anything|"
        r"trying|any of it)\b|\b(?:nothing|it) (?:will never|is never going to) get better\b",
        "hint",
        SI,
        weight=0.45,
        attribution="subject",
    ),
    _r(
        "tired_of_it_all",
        r"\btired of (?:it all|everything|all of it|fighting|trying)\b|\bi am done with "
        r"(?:it all|everything|all of it)\b|\bwant (?:it all|everything|all of it|the pain|"
        r"this|it) to (?:stop|end|be over)\b(?! (?:so i can go home|for today))|"
        r"\b(?:want|wanted|wish i could) (?:to )?(?:disappear|vanish|not be here)\b|"
        r"\bcan not see the point\b",
        "hint",
        SI,
        weight=0.45,
        attribution="subject",
    ),
)

# "joking" or "kidding" marks humour, but "not joking" says the opposite.
JOKING = r"\b(?<!not )(?<!not even )(?<!no )(?<!n't )(?<!nt )(?<!never )(?:joking|kidding)\b"

# Words that say the clause is not about the speaker's own risk: idioms and dark humour.
IDIOMS = re.compile(
    r"\b(?:die|died|dying|dead) (?:of|from|with) (?:embarrassment|shame|boredom|laughter|"
    r"laughing|cringe|hunger|thirst|exhaustion)\b|\bkill (?:for|me now)\b|\bshoot me now\b|"
    r"\bkilling (?:me|us|it)\b|\bdead on my feet\b|\bdying for (?:a|some)\b|"
    r"\b(?:lol|lmao|haha+|jk)\b|😂|🤣|" + JOKING + r"|\bkill (?:me|myself) (?:if|when) i "
    r"(?:ever )?(?:have to|see|hear)\b|\bwant to die (?:laughing|of)\b|\bcould have died\b|"
    r"\bover my dead body\b|\bkill (?:this|that|the) (?:shift|rota|paperwork|audit)\b|"
    r"\bkill(?:ed|ing)? (?:myself|my self) (?:laughing|with laughter)\b|\bkms (?:if|when)\b|"
    r"\bhill (?:i|to|worth) (?:\w+ ){0,3}die on\b|\bdie on (?:this|that|the) hill\b"
)

# Someone other than the speaker as a subject (for attribution walk-back).
# "name" is the [NAME] placeholder left by de-identification.
THIRD_PARTY = frozenset(
    """
    he she they him her his hers them their theirs himself herself themselves patient
    patients pt pts man woman boy girl lady gentleman guy mum mom mother dad father son
    daughter wife husband partner relative relatives family brother sister child children
    kid kids baby toddler teenager colleague colleagues nurse nurses doctor doctors
    registrar consultant reg sho fy1 f1 junior juniors student students someone somebody
    people friend friends resident residents client clients mrs mr ms miss dr gp carer
    carers parents parent grandmother grandfather granny grandad nan fiancé fiance boyfriend
    girlfriend who name lad lads bloke blokes chap fella gent men women mate mates cousin
    uncle aunt auntie nephew niece neighbour neighbor manager surgeon paramedic midwife hca
    physio pharmacist anaesthetist locum crewmate officer widow widower infant newborn
    regulars attender attenders inpatient inpatients outpatient outpatients teen teens
    adolescent adolescents youngster youngsters
    """.split()  # noqa: SIM905 - a word list reads better as text
)
FIRST_PERSON = frozenset(["i", "me", "my", "myself", "mine"])
REPORTING = re.compile(
    r"\b(?:said|says|say|saying|told (?:me|us|the \w+|him|her|them)|tells (?:me|us)|"
    r"kept saying|keeps saying|was saying|screamed|shouted|yelled|wrote|texted|asked|"
    r"asking|whispered|cried|mentioned|admitted|disclosed|threatened|stated|claimed|"
    r"reported|told|states|stating|verbali[sz]ed|verbali[sz]ing|voiced|voicing|expressed|"
    r"expressing|reports|stressed|stressing|explained|explaining|insisted|insisting|"
    r"repeated|repeating)\b"
)
NEGATION = frozenset(["not", "never", "no", "nothing", "neither", "nor"])
