"""Risk detection: each clinician message is classified, with the conversation so
far as context, into ``none``, ``support`` or ``crisis``.

``RuleRiskClassifier`` is the offline default: the rule table in ``risk_rules.py``
plus first-person attribution (a patient's suicide is clinical talk, not the
clinician's risk), negation, reported speech, idioms, and a suicide signal that
accumulates over turns, so hints spread over several messages still escalate.
``RaiseOnlyClassifier`` adds an optional second opinion (e.g. a chat model) that can
raise a level but never lower it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from guardrails.normalize import clauses, normalise, sentences
from guardrails.risk_rules import (
    FIRST_PERSON,
    IDIOMS,
    JOKING,
    NEGATION,
    REPORTING,
    RULES,
    THIRD_PARTY,
    Rule,
)
from guardrails.types import Category, CssrsItem, Level, RiskAssessment

log = logging.getLogger(__name__)

CLAUSE_RULES = tuple(r for r in RULES if r.scope == "clause")
SENTENCE_RULES = tuple(r for r in RULES if r.scope == "sentence")

_TOKEN = re.compile(r"[a-z0-9]+")
_HUMOUR = re.compile(rf"\b(?:lol|lmao|haha+|jk)\b|😂|🤣|{JOKING}")
_CONDITIONAL = re.compile(r"\b(?:if i ever|what if i|if i were to|hypothetically)\b")
_WE = frozenset({"we", "us", "our", "ours"})

DECAY = 0.8  # how much of the earlier signal carries into the next turn
CRISIS_THRESHOLD = 1.0
SUPPORT_THRESHOLD = 0.5
HISTORY_TURNS = 12  # earlier clinician messages taken into account
DOWNGRADED_WEIGHT = 0.5  # a crisis phrase softened by humour or a conditional


@runtime_checkable
class RiskClassifier(Protocol):
    """Anything that turns a message (and the conversation so far) into a verdict."""

    def assess(self, text: str, history: Sequence[str] = ()) -> RiskAssessment: ...


class RiskOpinion(Protocol):
    """A second opinion on one message, e.g. from a chat model. May raise, never lower."""

    def level(self, text: str, history: Sequence[str]) -> Level: ...


@dataclass(frozen=True)
class Opinion:
    level: Level
    concern: bool = False  # a sign of suicidal thinking below the opinion's crisis bar
    reason: str = ""  # why, when the opinion can say more than its level


@runtime_checkable
class DetailedOpinion(Protocol):
    """An opinion that can also say "ask about suicide directly" (the risk model)."""

    def opinion(self, text: str, history: Sequence[str]) -> Opinion: ...


@dataclass(frozen=True)
class Hit:
    rule: Rule
    softened: bool  # humour or a hypothetical: counts as a hint, not a crisis

    @property
    def level(self) -> Level:
        if self.softened and self.rule.level == "crisis":
            return Level.SUPPORT
        return self.rule.escalation

    @property
    def weight(self) -> float:
        return DOWNGRADED_WEIGHT if self.softened else self.rule.weight


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


# A bed, bay or cubicle number ("bed 6", "bay 3") or an age and sex ("34f", "72 yo") names a
# patient the way a pronoun does.
_PLACES = frozenset({"bed", "beds", "bay", "bays", "cubicle", "cubicles", "cube", "resus"})
_NOT_A_PLACE_NUMBER = frozenset({"hours", "hrs", "mins", "minutes", "days", "weeks", "nights"})
_AGE_SEX = re.compile(r"\d{2}(?:m|f|yo|yof|yom)")


def _person(tokens: Sequence[str], i: int) -> str | None:
    """'self', 'other' or None for the token at ``i``."""
    token = tokens[i]
    if token in FIRST_PERSON:
        return "self"
    if token in THIRD_PARTY or token in _WE or _AGE_SEX.fullmatch(token):
        return "other"
    if token == "yo" and i > 0 and tokens[i - 1].isdigit():
        return "other"
    if (
        token.isdigit()
        and i > 0
        and tokens[i - 1] in _PLACES
        and (i + 1 >= len(tokens) or tokens[i + 1] not in _NOT_A_PLACE_NUMBER)
    ):
        return "other"
    return None


def _subject(tokens_before: Sequence[str]) -> str | None:
    """'self', 'other' or None: the nearest person word before the match."""
    for i in range(len(tokens_before) - 1, -1, -1):
        who = _person(tokens_before, i)
        if who is not None:
            return who
    return None


def _next_person(tokens_after: Sequence[str]) -> str | None:
    """The first person word after a quote ("- the man in bed 4", "my patient": other)."""
    for i, token in enumerate(tokens_after):
        after = tokens_after[i + 1] if i + 1 < len(tokens_after) else ""
        if token in ("my", "our") and after in THIRD_PARTY:
            return "other"
        who = _person(tokens_after, i)
        if who is not None:
            return who
    return None


# Quotation marks: an opening one after a space, colon or dash, a closing one before a space
# or punctuation (an apostrophe inside a word is neither).
_OPEN_QUOTE = re.compile(r"(?:^|(?<=[\s(:\-]))[\"'](?=\w)")
_CLOSE_QUOTE = re.compile(r"(?<=[\w.,!?])[\"'](?=[\s.,;:!?)\-]|$)")


def _quotes(sentence: str, opened: bool) -> list[tuple[int, int]]:
    """Spans of quoted words in a sentence; ``opened`` when it began with an opening quote
    (which ``sentences`` strips), so a first unmatched closing quote ends a span at 0."""
    marks = sorted(
        [(m.start(), "open", m.group()) for m in _OPEN_QUOTE.finditer(sentence)]
        + [(m.start(), "close", m.group()) for m in _CLOSE_QUOTE.finditer(sentence)]
    )
    spans: list[tuple[int, int]] = []
    start: tuple[int, str] | None = (0, "") if opened else None
    for pos, kind, char in marks:
        if start is None and kind == "open":
            start = (pos, char)
        elif start is not None and kind == "close" and start[1] in ("", char):
            spans.append((start[0], pos))
            start = None
    if start is not None and start[1]:
        spans.append((start[0], len(sentence)))
    return spans


def _quoted_other(sentence: str, spans: Sequence[tuple[int, int]], at: int) -> bool:
    """Whether position ``at`` lies in words quoted from someone else: the quote is framed
    by another person ("bed 6 all night: \"…\"", "\"…\" - the man in bay 4") or was
    overheard. A quote framed by the speaker ("i keep thinking '…'") stays theirs."""
    for start, end in spans:
        if start <= at < end:
            outside = sentence[:start]
            reporting = list(REPORTING.finditer(outside))
            if reporting:  # "i told him '…'" is the speaker's; "my mum said '…'" is not
                speaker = _subject(_tokens(outside[: reporting[-1].start()]))
                if speaker is not None:
                    return speaker == "other"
            who = _subject(_tokens(outside))
            # "overheard in the waiting room: '…'", "the slides say '…'"
            if who is None and (_OVERHEARD.search(outside) or _TEACHING_QUOTE.search(outside)):
                return True
            if re.search(r"\b(?:taught|teach|teaching) (?:\w+ ){0,4}that\s*$", outside):
                return True  # "i taught the new starters that '…' needs a follow-up question"
            if who is None:
                who = _next_person(_tokens(sentence[end + 1 :]))
            return who == "other"
    return False


_OVERHEARD = re.compile(r"\boverheard\b")
# Words quoted as teaching material: "lecture notes say '…'", "taught the students that '…'".
_TEACHING_QUOTE = re.compile(
    r"\b(?:taught|teach|teaching|lectures?|slides?|notes say|role ?play|scenario|case study|"
    r"students|screener|leaflet|poster)\b"
)
# "Majors board: …", "Handover: …", "The warning signs slide: …": a list of patients or
# teaching points, not the speaker's own news (unless the speaker names themself).
_LIST_FRAME = re.compile(
    r"^(?:[a-z]+ ){0,3}(?:board|handover|admissions|referrals|caseload|census|presentations|"
    r"attendances|triage list|take list|post ?take|slide|warning signs|risk factors|"
    r"red flags)\s*:"
)
# "item one on the screener": the screener's wording, not the speaker's.
_SCREENER_ITEM = re.compile(
    r"\b(?:item|question) (?:one|two|three|four|five|six|seven|eight|nine|\d+) (?:on|of|in) the "
    r"(?:screener|c-?ssrs|questionnaire|phq-?9|scale|tool|form)\b"
)
# "…, according to her sister", "…, per the psych note": someone else's account.
_ACCORDING = re.compile(r"\b(?:according to|per) (?:her|his|their|the|a|an)\b")


def _reported(before: str, previous_clause: str) -> bool:
    """Whether the match sits in speech reported from someone else ("she said ...")."""
    for context in (before, previous_clause):
        found = list(REPORTING.finditer(context))
        if not found:
            continue
        last = found[-1]
        tail = re.sub(r"[\s,:'\"]|\bthat\b", "", context[last.end() :])
        if context is previous_clause and tail:
            continue
        who = _subject(_tokens(context[: last.start()]))
        if who == "other":
            return True
        if who == "self":
            return False
    return False


# "not joking", "no joke", "not even kidding" stress what follows; they negate nothing in it
_EMPHASIS = re.compile(
    r"\b(?:(?:not|never|no)(?: even)? (?:joking|kidding|lying|exaggerating)|no joke|"
    r"not (?:a|even a) joke)\b"
)


# "not having any thoughts of …", "never had any real urges to …": a denial further back
_DENIED_THOUGHT = re.compile(
    r"\b(?:no|not|never|nor)(?: (?:having|had|have|got|get|getting|any|real|really|ever|"
    r"been|actual|serious|such|the|a))*(?: (?:thoughts?|plans?|intentions?|urges?|ideas?|"
    r"desires?|wish)(?: (?:of|to|about))?)?\s*$"
)


def _negated(before: str) -> bool:
    before = _EMPHASIS.sub(" ", before)
    return any(t in NEGATION for t in _tokens(before)[-3:]) or bool(_DENIED_THOUGHT.search(before))


# words that leave a denial open: "not tonight", "not yet", "probably not", "but…"
_HEDGE = re.compile(
    r"\b(?:but|yet|though|although|except|unless|probably|maybe|might|sometimes|"
    r"not sure|tonight|today|for now|right now|at the moment|any ?more|lately|still|"
    r"promise|i think|i guess|kind of|sort of)\b|\?"
)


# the speaker's own risk in the words a denial uses ("I'm not suicidal")
_DENIABLE = re.compile(
    r"\b(?:suicid\w*|(?:kill|hurt|harm)(?:ing)? myself|self ?-?harm\w*|unalive\w*|"
    r"end(?:ing)? (?:it all|my life|things)|take my (?:own )?life|want(?:ing)? to die|"
    r"be(?:ing)? dead)\b"
)


_DENIAL_PATTERNS = (*(r.pattern for r in CLAUSE_RULES if r.level == "crisis"), _DENIABLE)


def denies_crisis(text: str, hits: Sequence[Hit] | None = None) -> bool:
    """The speaker rules their own risk out in plain words ("I'm not going to hurt myself
    or anything", "no, I'm not having any thoughts of harming myself"): crisis wording
    that the rules cancel only because it is negated, no crisis the rules let stand, and
    no hedge that leaves the denial open ("not tonight", "probably not", "…but").
    ``hits``: the rules' hits on ``text``, when the caller has them already."""
    norm = normalise(text)
    if _HEDGE.search(norm) or _HUMOUR.search(norm):
        return False
    denied = False
    for sentence in sentences(norm):
        for clause in clauses(sentence):
            for pattern in _DENIAL_PATTERNS:
                for match in pattern.finditer(clause):
                    if not set(_tokens(clause[: match.start()])) & NEGATION:
                        return False  # crisis wording that is not denied
                    denied = True
    found = message_hits(text) if hits is None else hits
    return denied and all(h.level is not Level.CRISIS for h in found)


def _reported_after(following: str) -> bool:
    """'"i want to die," she said', '"…," the man in bay four said': the next clause
    reports someone else's speech."""
    words = _tokens(following)[:6]
    if not words or (words[0] not in THIRD_PARTY and words[0] != "the"):
        return False
    return bool(REPORTING.search(" ".join(words)))


def _clause_hits(
    clause: str,
    previous: Sequence[str],
    following: str = "",
    sentence: str = "",
    offset: int = 0,
    quotes: Sequence[tuple[int, int]] = (),
) -> list[Hit]:
    hits: list[Hit] = []
    context = sentence or clause  # humour ("..., haha") and exceptions span the sentence
    frame = _LIST_FRAME.match(context) if sentence else None
    screener = bool(_SCREENER_ITEM.search(context))
    humour = bool(_HUMOUR.search(context))
    conditional = bool(_CONDITIONAL.search(clause))
    idiom_spans = [m.span() for m in IDIOMS.finditer(clause)]
    if _reported_after(following):
        return hits
    for rule in CLAUSE_RULES:
        for match in rule.pattern.finditer(clause):
            start, end = match.span()
            if any(s < end and start < e for s, e in idiom_spans):
                continue
            before = clause[:start]
            if _negated(before):
                continue
            if rule.unless is not None and rule.unless.search(context):
                continue
            if _reported(before, previous[-1] if previous else ""):
                continue
            if quotes and _quoted_other(context, quotes, offset + start):
                continue
            if (
                screener
                and rule.attribution == "explicit"
                and _subject(_tokens(before)) is None
                and not FIRST_PERSON & set(_tokens(match.group()))
            ):
                continue  # "not wanting to wake up is item one on the screener"
            if rule.attribution != "explicit":
                who = _subject(_tokens(before))
                if who is None:  # look back through the sentence's earlier clauses
                    for earlier in reversed(previous):
                        who = _subject(_tokens(earlier))
                        if who is not None:
                            break
                if who is None and (screener or (frame and offset + start >= frame.end())):
                    who = "other"  # a list, a slide or a screener item names no one
                if who == "other":
                    continue
                if rule.attribution == "strict" and any(
                    t in THIRD_PARTY or t in _WE for t in _tokens(clause)
                ):
                    continue
            hits.append(Hit(rule, softened=humour or conditional))
            break  # one hit per rule per clause
    return hits


def _told_by_other(after: str) -> bool:
    """'took them all on purpose, she told me later', '…, according to her sister': the
    rest of the sentence says whose account it is."""
    return bool(_ACCORDING.search(after)) or any(_reported_after(c) for c in clauses(after))


def _sentence_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for rule in SENTENCE_RULES:
        match = rule.pattern.search(sentence)
        if not match:
            continue
        before = sentence[: match.start()]
        if _negated(before) or _reported(before, ""):
            continue
        if rule.unless is not None and rule.unless.search(sentence):
            continue
        # a dropped subject ("took the lot on purpose") is the speaker unless told otherwise
        if not re.match(r"\s*i\b", match.group()) and _told_by_other(sentence[match.end() :]):
            continue
        hits.append(Hit(rule, softened=bool(_HUMOUR.search(sentence))))
    return hits


def message_hits(text: str) -> list[Hit]:
    """Every rule that fires on one message, after attribution."""
    hits: list[Hit] = []
    norm = normalise(text)
    # whether each sentence began with an opening quote, which ``sentences`` strips
    opened = [
        bool(re.match(r"[\"'](?=\w)", raw.lstrip(" ,")))
        for raw in re.split(r"[.!?;\n]+", norm)
        if raw.strip(" ,\"'")
    ]
    for n, sentence in enumerate(sentences(norm)):
        hits.extend(_sentence_hits(sentence))
        quotes = _quotes(sentence, n < len(opened) and opened[n])
        parts = clauses(sentence)
        cursor = 0
        for i, clause in enumerate(parts):
            following = parts[i + 1] if i + 1 < len(parts) else ""
            offset = sentence.find(clause, cursor)
            cursor = offset + len(clause) if offset >= 0 else cursor
            hits.extend(
                _clause_hits(clause, parts[:i], following, sentence, max(offset, 0), quotes)
            )
    return hits


def _signal(hits: Sequence[Hit]) -> float:
    weights = sorted((h.weight for h in hits), reverse=True)
    if not weights:
        return 0.0
    return min(1.0, weights[0] + 0.25 * sum(weights[1:]))


@dataclass(frozen=True)
class _Turn:
    level: Level
    hits: tuple[Hit, ...]
    signal: float


class RuleRiskClassifier:
    """The offline default: rules with first-person attribution, accumulated over turns."""

    def _turn(self, text: str) -> _Turn:
        hits = tuple(message_hits(text))
        level = Level.highest(*(h.level for h in hits))
        return _Turn(level, hits, _signal(hits))

    def assess(self, text: str, history: Sequence[str] = ()) -> RiskAssessment:
        cumulative = 0.0
        earlier_crisis = False
        for earlier in list(history)[-HISTORY_TURNS:]:
            turn = self._turn(earlier)
            cumulative = turn.signal + DECAY * cumulative
            earlier_crisis = earlier_crisis or turn.level is Level.CRISIS
        now = self._turn(text)
        cumulative = min(1.0 + DECAY, now.signal + DECAY * cumulative)

        level = now.level
        reasons = [f"{h.rule.name}{' (softened)' if h.softened else ''}" for h in now.hits]
        categories = [h.rule.category for h in now.hits if h.level is not Level.NONE]
        if now.signal > 0 and cumulative >= CRISIS_THRESHOLD and level is not Level.CRISIS:
            level = Level.CRISIS
            reasons.append(f"accumulated: suicide signal {cumulative:.2f} over recent turns")
            categories.extend(h.rule.category for h in now.hits)
        elif cumulative >= SUPPORT_THRESHOLD and level is Level.NONE:
            level = Level.SUPPORT
            reasons.append(f"accumulated: suicide signal {cumulative:.2f} over recent turns")
            categories.extend(h.rule.category for h in now.hits)
        if earlier_crisis and level is Level.NONE:
            level = Level.SUPPORT
            reasons.append("earlier message in this conversation was a crisis")
        cssrs: list[CssrsItem] = [
            h.rule.cssrs
            for h in now.hits
            if h.rule.cssrs is not None
            and not h.softened
            and (h.level is Level.CRISIS or level is Level.CRISIS)
        ]
        if level is Level.CRISIS and not cssrs and Category.SUICIDAL_IDEATION in categories:
            cssrs.append(CssrsItem.WISH_TO_BE_DEAD)
        # a hint of suicidal thinking, a crisis phrase softened by humour or a hypothetical,
        # or hints adding up over turns: worth asking about suicide directly
        suicide_sign = cumulative >= SUPPORT_THRESHOLD or any(
            h.rule.level == "hint" or (h.softened and h.rule.level == "crisis") for h in now.hits
        )
        return RiskAssessment(
            level=level,
            categories=tuple(dict.fromkeys(categories)),
            cssrs=tuple(sorted(set(cssrs), key=list(CssrsItem).index)),
            reasons=tuple(dict.fromkeys(reasons)),
            score=now.signal,
            cumulative=min(1.0, cumulative),
            ask_directly=level is Level.SUPPORT and suicide_sign,
        )


class RaiseOnlyClassifier:
    """A primary classifier plus a second opinion that may only raise the level."""

    def __init__(self, primary: RiskClassifier, opinion: RiskOpinion) -> None:
        self._primary = primary
        self._opinion = opinion

    def assess(self, text: str, history: Sequence[str] = ()) -> RiskAssessment:
        first = self._primary.assess(text, history)
        if first.level is Level.CRISIS:
            return first  # nothing to raise; do not wait on a model
        try:
            if isinstance(self._opinion, DetailedOpinion):
                opinion = self._opinion.opinion(text, history)
            else:
                opinion = Opinion(self._opinion.level(text, history))
        except Exception as exc:  # the second opinion is optional; never block on it
            log.warning("risk second opinion unavailable: %s", type(exc).__name__)
            return replace(first, reasons=(*first.reasons, "second opinion unavailable"))
        second = opinion.level
        if second.rank <= first.level.rank:
            if first.level is Level.SUPPORT and opinion.concern and not first.ask_directly:
                return replace(first, ask_directly=True)
            return first
        return replace(
            first,
            level=second,
            categories=first.categories or (Category.ACUTE_DISTRESS,),
            reasons=(
                *first.reasons,
                f"second opinion raised the level to {second.value}",
                *((opinion.reason,) if opinion.reason else ()),
            ),
            ask_directly=second is Level.SUPPORT and (first.ask_directly or opinion.concern),
        )
