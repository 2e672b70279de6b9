"""Reading the answer to the direct question about suicide.

When a support reply ends with ``support.ask_directly`` ("are you having any thoughts of
suicide, or of not wanting to be alive?"), the clinician's next message is read as an
answer first. A yes in any form, including a hedged one ("sometimes", "maybe", "a bit"),
is a crisis: the C-SSRS screener counts any such thoughts (Posner et al. 2011), and the
crisis reply only offers people and asks before anything is sent. A plain no lets the
debrief go on. Anything else is screened as usual.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final, Literal

from guardrails.normalize import normalise
from guardrails.types import Category, CssrsItem, Level, RiskAssessment

Answer = Literal["yes", "no", "unclear"]

# The text is normalised first: lower case, contractions expanded ("i'm" → "i am").
_NO: Final = re.compile(
    r"^(?:no+|nope|nah|never|not at all|not really|not like that|not that|absolutely not|"
    r"definitely not|god,? no|of course not|no way|none|nothing like that|not suicidal|"
    r"i am not|i do not|i have not|i have never|it is not (?:like )?that|"
    r"(?:maybe|perhaps|probably|i guess|i suppose|i think) not|"
    r"i am (?:fine|ok|okay|alright|all right|safe))\b"
)
# a no that turns into a yes: "no... well, sometimes", "not really, but lately yes"
_BUT_YES: Final = re.compile(
    r"\b(?:but|although|though|well|except)\b.*\b(?:yes|sometimes|maybe|a bit|a little|"
    r"i have|i do|at times)\b"
)
_YES: Final = re.compile(
    r"^(?:y(?:es|eah|ep|up|a)|aye|sometimes|occasionally|maybe|perhaps|possibly|a bit|"
    r"a little|kind of|kinda|sort of|i think so|i guess|i suppose|probably|honestly,? yes|"
    r"if i am honest|to be honest,? yes|at times|on and off|now and then|i do$|i am$|"
    r"i have$|i have had|i have been having|i have been thinking|i have thought|i do sometimes|"
    r"i am having|the thought has crossed|it has crossed|it crosses|passing thoughts?|"
    r"fleeting)\b"
)
# thoughts of suicide named in the answer itself ("thoughts of not waking up, yes")
_THOUGHTS: Final = re.compile(
    r"\b(?:thoughts? (?:of|about) (?:suicide|dying|death|ending it|not (?:being|waking)|"
    r"not wanting)|not wanting to (?:be alive|be here|live|wake up)|wish(?:ed)? i was dead|"
    r"better off dead|ending it|end it all|kill(?:ing)? myself)\b"
)


def read_answer(text: str) -> Answer:
    """``yes``, ``no`` or ``unclear``: the message read as an answer to the direct question."""
    said = normalise(text).strip(" .!,")
    if not said:
        return "unclear"
    if _NO.match(said):
        return "yes" if _BUT_YES.search(said) else "no"
    if _YES.match(said) or _THOUGHTS.search(said):
        return "yes"
    return "unclear"


def after_direct_question(text: str, assessment: RiskAssessment) -> RiskAssessment:
    """``assessment`` of a message that answers the direct question: raised to crisis when
    the answer is yes (never lowered)."""
    if assessment.level is Level.CRISIS or read_answer(text) != "yes":
        return assessment
    cssrs = assessment.cssrs if assessment.cssrs else (CssrsItem.THOUGHTS,)
    categories = tuple(dict.fromkeys((Category.SUICIDAL_IDEATION, *assessment.categories)))
    return replace(
        assessment,
        level=Level.CRISIS,
        categories=categories,
        cssrs=cssrs,
        reasons=(*assessment.reasons, "answered yes when asked directly about suicide"),
        ask_directly=False,
    )
