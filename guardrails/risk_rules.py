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
    r"(?:new|next) (?:job|post|trust|hospital))\b"
)
# Hyperbole about trivial grievances ("i'll kill whoever took the last teabag").
_TRIVIAL_GRIEVANCE = (
    r"\bwhoever (?:took|ate|nicked|stole|pinched|designed|invented|made|moved|left|used|"
    r"drank|wrote|set|keeps|booked|planned)\b|\b(?:ate|nicked|stole|pinched|took|forgot|"
    r"finished) (?:my|the last|our|the) (?:leftovers|lunch|yoghurt|yogurt|teabags?|biscuits?|"
    r"milk|food|sandwich|pens?|scissors|charger|bins|chocolate|coffee|cake)\b|\bforgets? the"
    r" bins\b"
)
# Controlled drugs handled by the book, not diverted.
_PROPER_HANDLING = (
    r"\b(?:as per|per|following) (?:policy|protocol|procedure)\b|\blocked (?:drawer|cupboard|"
    r"cabinet|locker|box)\b|\bfor destruction\b|\bto pharmacy\b|\bwith a witness\b"
)
_BENIGN_PURPOSE = (
    r"\bfor (?:my |the |a |an |our )?(?:headache|migraine|back|back pain|period pain|cold|"
    r"hay fever|teaching|exam|exams|revision|session|audit|lecture|course|poster|presentation|"
    r"paper|referral|chart|drug chart|students?|juniors?|protocol|guideline|policy|quiz|"
    r"finals|membership|mrcp|mrcs|frca|osce)\b"
)

RULES: tuple[Rule, ...] = (
    # --- suicidal ideation: passive (C-SSRS Q1, wish to be dead) -------------------
    _r(
        "wish_dead",
        r"\bi (?:just |really |sometimes |honestly )?(?:wish|wished|want|wanted|would like)"
        r" (?:i (?:was|were|could be) |to be |to )?(?:dead|die|be dead|not exist|stop existing)\b",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "not_wake_up",
        r"\b(?:(?:go|went|fall|falling) to sleep|sleep) and (?:not|never) wake up|"
        r"\b(?:hope|hoping|wish|wishing|pray|praying) i (?:just |simply |really |honestly |"
        r"sometimes )?(?:do not|will not|would not|never|"
        r"did not|could not|would never)? ?(?:wake|woke) up|\bnever want to wake up|"
        r"\bnot (?:want|wanting) to wake up|\bwould not mind (?:if i )?(?:not waking up|"
        r"(?:if i )?did not wake up|dying|being dead|(?:if i )?died)|"
        r"\bif i (?:did not|do not) wake up (?:that would|it would|i would) be (?:ok|okay|fine"
        r"|a relief|alright)",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "better_off_dead",
        r"\b(?:better off dead|rather be dead|would rather die|be better dead)\b",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "better_off_without_me",
        rf"\b(?:better off|easier|happier|better) (?:without me|if i (?:was|were|am) (?:not|"
        rf"gone|dead|not here|not around)|with me gone|once i am gone|when i am gone)|"
        rf"\b{_PEOPLE} (?:would|will|might) (?:be|do) (?:fine|ok|okay|better) without me",
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
        r"notice i (?:was|am) gone)",
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
        r"\b(?:do not|no longer|not sure i|not sure if i|never) (?:really )?(?:want|wanted|"
        r"feel like i want) to (?:be here|live|be alive|exist|go on|carry on|keep going|"
        r"be around)\b|\bdo not want to be (?:here|alive|around) any ?more",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
    ),
    _r(
        "no_reason_to_live",
        r"\b(?:no (?:reason|point|purpose) (?:in |to |for )?(?:living|live|being alive|"
        r"going on|carrying on|being here|keep going|existing|me being here|life)|"
        r"nothing (?:left )?to live for|what is the point (?:in|of) (?:living|going on|"
        r"carrying on|being alive|life|me|my life|being here|existing|any of it anymore|"
        r"anything any ?more)|tired of (?:living|life|being alive|existing|being here))",
        "crisis",
        SI,
        C.WISH_TO_BE_DEAD,
        attribution="subject",
    ),
    _r(
        "no_way_out",
        r"\b(?:can not|can't|do not|could not) (?:see|find) (?:a|any) (?:way out|way forward|"
        r"future|end to (?:it|this))|\bno way out\b|\bonly way out\b|\bcan not go on\b|"
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
    ),
    # --- suicidal thoughts (C-SSRS Q2) -------------------------------------------
    _r(
        "kill_myself",
        r"\b(?:kill|killing|killed|off|offing|top|topping) myself\b|\btake my (?:own )?life\b|"
        r"\btaking my (?:own )?life\b",
        "crisis",
        SI,
        C.THOUGHTS,
    ),
    _r(
        "suicidal_self",
        r"\bwish(?:ing)? for (?:my (?:own )?)?death\b|"
        r"\b(?:i am|i have been|i was|been|feel|feeling|felt|getting|get) (?:really |quite |a bit"
        r" |so |pretty |kind of |kinda |very |actively |passively )?suicidal\b|"
        r"\bsuicidal (?:thoughts|ideas|feelings|ideation)\b|"
        r"\b(?:think|thinking|thought|thoughts) (?:about|of) (?:suicide|dying|death|not being"
        r" here|not existing|disappearing for good|ending it|how to die|not waking up)",
        "crisis",
        SI,
        C.THOUGHTS,
        attribution="subject",
    ),
    # --- method, intent, plan (C-SSRS Q3-Q5) ---------------------------------------
    _r(
        "method",
        r"\b(?:think|thinking|thought|wonder|wondering|wondered|imagine|imagining|pictured|"
        r"picturing) (?:about |of )?(?:how (?:i would|i could|to) (?:do it|die|end it)|"
        r"(?:driving|swerving|steering|crashing) (?:my car )?(?:into|off|in front)|"
        r"(?:jumping|stepping|walking) (?:off|in front|into|from)|(?:taking|swallowing) "
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
        r"(?:overdose|od|take (?:all|everything|the lot)|drive (?:my car )?(?:into|off)|"
        r"crash (?:the|my) car|jump (?:off|in front|from)|step in front|hang myself)",
        "crisis",
        INTENT,
        C.METHOD,
    ),
    _r(
        "plan",
        r"\bi (?:have|have got|have made|made|got) (?:a|my) plan\b(?! for (?:the|my) "
        r"(?:shift|patient|day|week|rota|holiday|career|revision))|\bi know (?:exactly )?how i"
        r" (?:would|will|am going to) do it\b|\bi (?:have )?(?:picked|chosen|set) a (?:date|day"
        r"|time|place)\b(?! for (?:the|my|our) (?:wedding|holiday|leaving|exam|interview|"
        r"retirement|party|move|birthday|leaving do|operation|surgery|appraisal|course))|"
        r"\bworked out how (?:i would|to) do it",
        "crisis",
        INTENT,
        C.PLAN,
    ),
    _r(
        "intent",
        r"\bi (?:am going to|will|intend to|am planning to|plan to) (?:do it|go through with it|"
        r"end it|act on it)\b(?! (?:tomorrow at work|on shift|properly|right))",
        "crisis",
        INTENT,
        C.INTENT,
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
    # --- behaviour (C-SSRS Q6): preparation, access to means, attempts -------------
    _r(
        "looked_up_means",
        r"\bi (?:have |am |keep )?(?:looked up|googled|searched|searched for|read up on|"
        r"been reading about|researched|worked out|calculated|checked|been looking up|"
        r"looking up|been googling|googling|been searching for|been researching|"
        r"been working out) (?:how (?:much|many)|the lethal|lethal|what dose|"
        r"which (?:drugs|pills|tablets)|the fatal|fatal|what would|how long it takes|ways to|"
        r"how to|doses\b|overdoses?\b)",
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
        rf"collecting|pocketed|pocketing) (?:some |a few |the |spare |extra |leftover |"
        rf"left over |my |some of (?:the|my) )*{_SUBSTANCE}\b.{{0,40}}(?:locker|at home|home|"
        rf"my bag|my car|drawer|bedside|in case|just in case|for (?:myself|me|later|when))|"
        rf"\b(?:stockpiling|stockpiled|hoarding|saving up|saved up|been saving) (?:my |some |"
        rf"the )?{_SUBSTANCE}\b|\bbought (?:a |some )?(?:rope|a hose|charcoal)\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="strict",
    ),
    _r(
        "giving_away",
        r"\b(?:giving|gave|given|been giving) (?:away )?(?:all )?(?:my|some of my|most of my)"
        r" (?:things|stuff|belongings|possessions|clothes|books|records|guitar|jewellery|"
        r"jewelry|plants|dog|cat|pets?)(?: away)?\b|\bgiving (?:my )?(?:things|stuff) away",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
    ),
    _r(
        "goodbye_letters",
        r"\b(?:written|wrote|writing|write|left) (?:a |some )?(?:letters?|notes?|cards?) "
        r"(?:to|for) (?:my |the )?(?:kids|children|son|daughter|family|partner|wife|husband|"
        r"parents|mum|mom|dad|sister|brother|boyfriend|girlfriend|everyone|loved ones)\b"
        r"(?! (?:about|for (?:school|christmas|their birthday)|of (?:the|a|my|our) (?:patient|"
        r"deceased|man|woman|lady|baby|child|boy|girl)))|\bgoodbye (?:letters?|notes?|"
        r"messages?)\b|\bsaid (?:my )?goodbyes\b(?! (?:to|at) (?:the|a|my|our|her|his) (?:patient|"
        r"team|ward|colleague|leaving|family|hospice|unit))|\bsuicide note\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
        attribution="subject",
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
        "attempt",
        r"\bi (?:have )?(?:tried|attempted) (?:to (?:kill myself|end it|end my life|take my"
        r" (?:own )?life|overdose)|suicide)|\bi (?:took|have taken) (?:an overdose|too many"
        r" (?:pills|tablets)|a handful of)|\bmy (?:last |first )?(?:suicide )?attempt\b",
        "crisis",
        INTENT,
        C.BEHAVIOUR,
    ),
    # --- self-harm -----------------------------------------------------------------
    _r(
        "self_harm",
        r"\b(?:cut|cutting|cuts|burn|burning|burnt|burned|scratch|scratching|scratched|hit|"
        r"slice|slicing|sliced|carve|carving|carved|punish|punishing|starve|starving|"
        r"hitting|punch|punching|hurt|hurting|harm|harming|harmed|bash|bashing) myself\b|"
        r"\bself[ -]?harm(?:ing|ed)?\b|\b(?:cut|cutting|burning|burned|burnt|scratching) "
        r"(?:my|on my) (?:arms?|legs?|wrists?|thighs?|skin|stomach)\b|\bcut again\b|"
        r"\b(?:started|start|starting) (?:cutting|self harming|harming) again\b|"
        r"\b(?:urge|urges|wish|want|wanting|need) to (?:cut|self harm|hurt myself|harm myself)"
        r"\b(?! (?:the|it|down|back|corners|costs|him|her|them|through|out|in|off|up))",
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
        r"shoulder|wrist|ankle|hand|foot|feet|hip|eyes|ears|voice|chances))|"
        r"\b(?:fantasi[sz]e|fantasi[sz]ing|fantasi[sz]ed|dream|dreaming|planning|thinking) "
        r"(?:about|of) (?:hurting|killing|stabbing|attacking|strangling|harming) (?:him|her|"
        r"them|that|the|someone|my)\b|\bbrought (?:a|my) (?:knife|weapon|bat)\b",
        "crisis",
        HTO,
        unless=_TRIVIAL_GRIEVANCE,
    ),
    # --- impairment ------------------------------------------------------------------
    _r(
        "substance_on_shift",
        rf"\b(?:had|have had|downed|necked|sank|sunk) (?:a few |a couple of |some |two |three "
        rf"|four |several |a |a bottle of |half a bottle of |a load of )?{_DRINK}\b.{{0,50}}"
        rf"{_SHIFT}|\b(?:drank|been drinking|was drinking|am drinking)\b.{{0,50}}{_SHIFT}|"
        rf"\b(?:i am|i was|i have been|still|bit|"
        rf"quite|pretty|properly) (?:still |a bit |quite |pretty |properly |really )?"
        rf"(?:drunk|tipsy|hungover|high|stoned|wasted|hammered|buzzed|pissed|off my face)"
        rf"\b.{{0,50}}{_SHIFT}|{_SHIFT}.{{0,40}}\b(?:i am|still|a bit|quite) (?:still |a bit |"
        rf"quite )?(?:drunk|tipsy|high|stoned|wasted|hammered)\b|\b(?:drink|drinking|vodka|"
        rf"wine) (?:in|from) (?:my|a) (?:water bottle|locker|flask|coffee cup)\b",
        "crisis",
        IMP,
        attribution="subject",
    ),
    _r(
        "diversion",
        rf"\b(?:took|take|taking|taken|used|use|using|helped myself to|pocketed|pocketing|"
        rf"pinched|nicked|keeping|kept) (?:some of |some |a bit of |a few |the )?(?:the )?"
        rf"(?:ward'?s?|patients?'?s?|patient'?s|spare|leftover|left over|wasted|waste|returned|"
        rf"cd|controlled|discarded|unused) (?:cupboard )?{_SUBSTANCE}\b(?! (?:back|keys?|book|"
        rf"register|count|check|cupboard|trolley|fridge))|"
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

# Words that say the clause is not about the speaker's own risk: idioms and dark humour.
IDIOMS = re.compile(
    r"\b(?:die|died|dying|dead) (?:of|from|with) (?:embarrassment|shame|boredom|laughter|"
    r"laughing|cringe|hunger|thirst|exhaustion)\b|\bkill (?:for|me now)\b|\bshoot me now\b|"
    r"\bkilling (?:me|us|it)\b|\bdead on my feet\b|\bdying for (?:a|some)\b|"
    r"\b(?:lol|lmao|haha+|jk|joking|kidding)\b|😂|🤣|\bkill (?:me|myself) (?:if|when) i "
    r"(?:ever )?(?:have to|see|hear)\b|\bwant to die (?:laughing|of)\b|\bcould have died\b|"
    r"\bover my dead body\b|\bkill (?:this|that|the) (?:shift|rota|paperwork|audit)\b"
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
    """.split()  # noqa: SIM905 - a word list reads better as text
)
FIRST_PERSON = frozenset(["i", "me", "my", "myself", "mine"])
REPORTING = re.compile(
    r"\b(?:said|says|say|saying|told (?:me|us|the \w+|him|her|them)|tells (?:me|us)|"
    r"kept saying|keeps saying|was saying|screamed|shouted|yelled|wrote|texted|asked|"
    r"asking|whispered|cried|mentioned|admitted|disclosed|threatened|stated|claimed|"
    r"reported|told)\b"
)
NEGATION = frozenset(["not", "never", "no", "nothing", "neither", "nor"])
