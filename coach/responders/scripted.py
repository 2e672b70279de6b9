"""The scripted responder: the coach's embedded default, which needs no language model.

Each reply has up to three parts: a reflection built from the clinician's own words (the
event they named, a short phrase turned into the second person, the feelings the
recogniser found), one open question for the stage from the versioned question bank
(never repeated in a session), and, now and then, one insight or practice summarised from
a retrieved passage with its citation. Special turns: the opening, "just listen" (no
question), entering a stage (a short bridge), and the close.

Replies are deterministic for a given session id, turn and seed. Every reply is put
through the same reply check the engine runs; a draft that fails it is rebuilt more
plainly (without the echoed phrase, then without the insight) until one passes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from coach.echo import plan_of
from coach.incidents import PRIORITY, Incident, incident_for, session_incident
from coach.questions import Question, QuestionBank, load_question_bank
from coach.reflect import build_reflection
from coach.reflection_templates import (
    ReflectionTemplates,
    count_sentences,
    fill,
    load_reflection_templates,
)
from coach.types import Passage, Reply, ResponseRequest, Stage, TokenSink, TurnView
from guardrails.reply_check import check_reply
from guardrails.types import ReplyVerdict

__all__ = ["InsightSummary", "ScriptedResponder", "short_citation", "summarise_passage"]

_MAX_TEXT: Final = 8000  # characters of a message that are read
_MAX_SENTENCES: Final = {"full": 5, "quick": 3}
_CITED: Final = re.compile(r"\[[A-Za-z]{0,3}\d{1,3}\]")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Which kinds of passage suit an insight in each stage (lower rank first).
_STAGE_KINDS: Final[dict[str, dict[str, int]]] = {
    "feelings": {"evidence": 0, "concept": 0, "framework": 1, "practice": 1, "document": 2},
    "sense-making": {"concept": 0, "evidence": 0, "framework": 0, "document": 1, "practice": 2},
    "self-compassion": {"practice": 0, "concept": 1, "evidence": 1, "document": 2},
    "next-step": {"practice": 0, "framework": 1, "concept": 1, "evidence": 1, "document": 2},
}
# Stages where an insight waits until the stage is under way (the first turn listens).
_INSIGHT_AFTER_ENTRY: Final = frozenset({"feelings", "sense-making"})
# Cards that speak most directly to an incident: preferred among equally suitable passages.
_INCIDENT_CARDS: Final[dict[str, frozenset[str]]] = {
    "medication_error": frozenset(
        {"second-victim", "second-victim-recovery-stages", "second-victim-support-tiers"}
    ),
    "near_miss": frozenset({"second-victim", "second-victim-recovery-stages"}),
    "moral_distress": frozenset(
        {
            "moral-distress-and-injury",
            "being-with-unfixable-suffering",
            "compassion-across-the-system",
        }
    ),
    "patient_death": frozenset({"being-with-unfixable-suffering", "name-it-to-tame-it"}),
    "paediatric_death": frozenset({"being-with-unfixable-suffering", "name-it-to-tame-it"}),
    "resuscitation": frozenset({"stop5-hot-debrief", "being-with-unfixable-suffering"}),
    "aggression": frozenset({"grounding-practice", "hypo-hyper-engagement"}),
    "restraint": frozenset({"grounding-practice", "moral-distress-and-injury"}),
    "exhaustion": frozenset({"burnout-explained", "resilience-reservoir", "going-home-checklist"}),
    "patient_suicide": frozenset({"being-with-unfixable-suffering", "asking-for-peer-support"}),
    "bad_news": frozenset({"being-with-unfixable-suffering", "empathic-distress-vs-compassion"}),
    "colleague_conflict": frozenset({"compassionate-leadership", "asking-for-peer-support"}),
}

# ----------------------------------------------------------------------------- citations

_YEAR: Final = re.compile(r"\((\d{4})[a-z]?\)")
_SURNAME: Final = re.compile(
    r"(?:^|,\s*|&\s*)((?:[A-Z][a-z]+ )?[A-Z][\w'\u00c0-\u024f-]+), (?:[A-Z]\.\s?-?)+"
)
_SPLIT_CITATIONS: Final = re.compile(r";\s+(?=[A-Z])")


def short_citation(citation: str, fallback: str = "") -> str:
    """A brief in-text form of a reference: "Neff, 2003", "Neff & Germer, 2013",
    "Seppala et al., 2014", "World Health Organization, 2013", or the start of a title."""
    text = " ".join(citation.split())
    if not text or text.startswith(("card:", "/", "file:")) or re.match(r"^[A-Za-z]:\\", text):
        return fallback
    year = _YEAR.search(text)
    head = text[: year.start()] if year else ""
    surnames = _SURNAME.findall(head) if year else []
    if year and surnames:
        many = len(surnames) > 2 or "et al" in head
        if many:
            return f"{surnames[0]} et al., {year.group(1)}"
        names = " & ".join(surnames)
        return f"{names}, {year.group(1)}"
    if year and ":" not in head and len(head.split()) <= 8:
        return f"{head.split(',')[0].strip()}, {year.group(1)}"
    if year and len(head.split(",")[0].split()) <= 6 and ":" not in head.split(",")[0]:
        return f"{head.split(',')[0].strip()}, {year.group(1)}"
    title = re.split(r"[:.(]", text, maxsplit=1)[0].strip()
    if 1 <= len(title.split()) <= 8:
        return title
    return fallback or " ".join(title.split()[:6])


# ----------------------------------------------------------------------------- passages

_MARKDOWN: Final = re.compile(r"\*\*|__|`|^#+\s*", re.MULTILINE)
_LIST_MARK: Final = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+", re.MULTILINE)
_MARKER: Final = re.compile(r"\s*\[(\d{1,2})\]")
_SENTENCE_SPLIT: Final = re.compile(r"(?<=[.!])\s+(?=[A-Z\"'(])")
_DANGLING: Final = re.compile(
    r"^(?:This|These|That|Those|It|They|He|She|Such|Both|None|Some people now|Here|"
    r"Participants|Several)\b"
)
_PRACTICE_WORDS: Final = re.compile(
    r"\b(?:minutes?|pause|breath\w*|feet|wish\w*|notice|steps?|practice|optional)\b", re.I
)


@dataclass(frozen=True)
class InsightSummary:
    """One or two sentences taken from a passage, closed with its brief citation."""

    text: str  # sentences, ending with the citation and passage id
    sentences: int
    cite: str  # "(Neff, 2003) [S1]"


def _sentences_of(text: str) -> list[str]:
    text = _LIST_MARK.sub("", _MARKDOWN.sub("", text))
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\S)", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            found.extend(s.strip() for s in _SENTENCE_SPLIT.split(paragraph) if s.strip())
    return found


def _usable(sentence: str) -> bool:
    words = len(_MARKER.sub("", sentence).split())
    plain = _MARKER.sub("", sentence)
    return (
        6 <= words <= 40
        and "?" not in plain
        and plain.count('"') % 2 == 0
        and "[" not in plain
        and "]" not in plain
        and plain.rstrip().endswith((".", "!"))
    )


def summarise_passage(passage: Passage, max_sentences: int = 1) -> InsightSummary | None:
    """One or two sentences taken from the passage (citation markers removed), closed with
    a short citation and the passage id, e.g. "... (Neff, 2003) [S1]"."""
    sentences = _sentences_of(passage.text[:6000])
    if not sentences:
        return None
    in_brief = passage.heading.lower().endswith("in brief")
    scored: list[tuple[float, int]] = []
    for order, sentence in enumerate(sentences):
        if not _usable(sentence):
            continue
        score = 1.0 / (order + 1)
        if in_brief and order == 0:
            score += 3
        if _DANGLING.match(sentence):
            score -= 2
        if passage.kind == "practice" and _PRACTICE_WORDS.search(sentence):
            score += 1
        if passage.kind in {"evidence", "concept", "framework"} and _MARKER.search(sentence):
            score += 1
        if len(sentence.split()) > 30:
            score -= 1
        scored.append((score, order))
    if not scored:
        return None
    _, best = max(scored, key=lambda item: (item[0], -item[1]))
    chosen = [sentences[best]]
    follower = sentences[best + 1] if best + 1 < len(sentences) else ""
    if (
        max_sentences >= 2
        and follower
        and _usable(follower)
        and len(" ".join([*chosen, follower]).split()) <= 40
    ):
        chosen.append(follower)
    markers = [int(m) for s in chosen for m in _MARKER.findall(s)]
    citations = [c for c in _SPLIT_CITATIONS.split(passage.citation.strip()) if c.strip()]
    reference = citations[0] if citations else ""
    if markers and 1 <= markers[0] <= len(citations):
        reference = citations[markers[0] - 1]
    source = short_citation(reference, fallback=passage.title.strip())
    body = " ".join(_MARKER.sub("", s).strip() for s in chosen).rstrip(" .!")
    cite = f"({source}) [{passage.id}]" if source else f"[{passage.id}]"
    return InsightSummary(f"{body} {cite}.", len(chosen), cite)


# ----------------------------------------------------------------------------- responder


@dataclass
class _Draft:
    """The parts of one reply, so a plainer version can be rebuilt when a check fails."""

    parts: list[str] = field(default_factory=list)
    question: Question | None = None
    passage: Passage | None = None
    insight_kind: str = ""


def _after_colon(sentence: str, passage: Passage) -> str:
    """A sentence placed after a colon starts in lower case, unless it opens with a name:
    a word in capitals or with digits, a surname from the citation, or two capitalised
    words in a row ("Kristin Neff")."""
    words = sentence.split()
    if not words:
        return sentence
    first = words[0].strip(",;:")
    second = words[1] if len(words) > 1 else ""
    name_like = (
        first.isupper()
        or any(ch.isdigit() for ch in first)
        or re.sub(r"'s$", "", first) in passage.citation
        or (second[:1].isupper() and second != "I")
    )
    return sentence if name_like else sentence[:1].lower() + sentence[1:]


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text[:_MAX_TEXT]).replace("\ufffd", " ")


def _start(text: str) -> str:
    return " ".join(text.lower().split()[:2])


class ScriptedResponder:
    """Writes warm, concise debrief replies from templates, the question bank and the
    retrieved passages. ``seed`` varies the wording between deployments while keeping each
    session reproducible; ``checker`` is the reply check (the guardrail by default)."""

    name = "scripted"

    def __init__(
        self,
        bank: QuestionBank | None = None,
        *,
        seed: int | str = 0,
        templates: ReflectionTemplates | None = None,
        checker: Callable[[str], ReplyVerdict] | None = None,
    ) -> None:
        self.bank = bank if bank is not None else load_question_bank()
        self.templates = templates if templates is not None else load_reflection_templates()
        self.seed = seed
        self.checker = checker or check_reply

    # --------------------------------------------------------------------- entry point

    def respond(self, request: ResponseRequest, on_token: TokenSink | None = None) -> Reply:
        text = _clean(request.text)
        earlier = [_clean(t.text) for t in request.history if t.role == "clinician"]
        coach_turns = [t for t in request.history if t.role == "coach"]
        incident = session_incident(earlier, text, [t.text for t in coach_turns])
        if incident is None:
            incident = self._incident_from_questions(request.asked)
        attempt = 1 if not request.feedback else 2
        rng = random.Random(
            f"{self.seed}|{request.session_id}|{request.turn_index}|{request.stage}|{attempt}"
        )
        question = self._question(request, incident, rng)
        passage = self._passage(request, incident, coach_turns)
        reply_text, draft, fallback = self._checked(
            request, text, incident, question, passage, coach_turns, rng
        )
        if on_token is not None:
            words = reply_text.split(" ")
            for index, word in enumerate(words):
                on_token(word if index == len(words) - 1 else word + " ")
        notes = {
            "stage": request.stage,
            "question_bank": str(self.bank.version),
            "templates": str(self.templates.version),
        }
        if incident is not None:
            notes["incident"] = incident.label
            notes["incident_key"] = incident.key
        if draft.passage is not None:
            notes["insight_kind"] = draft.insight_kind
        if fallback:
            notes["fallback"] = fallback
        used = draft.passage
        return Reply(
            text=reply_text,
            question_id=draft.question.id if draft.question else None,
            cited=(used.id,) if used else (),
            insight_id=(used.card_id or used.chunk_id) if used else None,
            responder=self.name,
            notes=notes,
            attempts=attempt,
        )

    # --------------------------------------------------------------------- choices

    def _incident_from_questions(self, asked: Sequence[str]) -> Incident | None:
        """The incident the session's incident-specific questions were asked for: the last
        memory left once the story has scrolled out of the history."""
        votes: dict[str, int] = {}
        for question_id in asked:
            try:
                question = self.bank.get(question_id)
            except KeyError:
                continue
            for key in question.incidents:
                votes[key] = votes.get(key, 0) + 1
        if not votes:
            return None
        best = max(votes.values())
        return incident_for(next(k for k in PRIORITY if votes.get(k) == best))

    def _question(
        self, request: ResponseRequest, incident: Incident | None, rng: random.Random
    ) -> Question | None:
        if request.listen_only:
            return None
        opening = self._is_opening(request)
        if request.stage == "close" and not self._closing_under_way(request):
            return None
        keys = incident.keys if incident else ()
        entering = request.stage_changed or opening
        specific, general = self.bank.candidates(
            request.stage, request.mode, keys, request.asked, opening=opening, entering=entering
        )
        # Variants for the leading incident first, then for the others it involves.
        specific.sort(key=lambda q: min(keys.index(k) for k in q.incidents if k in keys))
        if request.stage == "next-step":
            plan = plan_of(_clean(request.text))
            if plan is not None and plan.with_someone:
                # They have already named someone to talk to: do not ask who again.
                specific = [q for q in specific if not q.text.startswith("Who ")]
                general = [q for q in general if not q.text.startswith("Who ")] or general
        if specific:
            return specific[0] if entering else rng.choice(specific)
        if general:
            return general[0] if entering else rng.choice(general)
        return None

    def _passage(
        self, request: ResponseRequest, incident: Incident | None, coach_turns: Sequence[TurnView]
    ) -> Passage | None:
        kinds = _STAGE_KINDS.get(request.stage)
        if kinds is None or request.listen_only or request.feedback or not request.passages:
            return None
        if request.stage in _INSIGHT_AFTER_ENTRY and (
            request.stage_changed or request.mode == "quick"
        ):
            return None  # these wait until the stage is under way; a quick debrief skips them
        last = coach_turns[-1] if coach_turns else None
        if last is not None and _CITED.search(last.text):
            return None  # at most one insight every couple of turns
        used = set(request.insights_used)
        liked: set[str] = set()
        for key in incident.keys if incident else ():
            liked |= _INCIDENT_CARDS.get(key, frozenset())
        ranked: list[tuple[int, int, int, Passage]] = []
        for order, passage in enumerate(request.passages):
            if passage.kind not in kinds or not passage.id.strip() or not passage.text.strip():
                continue
            if (passage.card_id and passage.card_id in used) or passage.chunk_id in used:
                continue
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,12}", passage.id):
                continue
            affinity = 0 if passage.card_id in liked else 1
            ranked.append((kinds[passage.kind], affinity, order, passage))
        for *_, passage in sorted(ranked, key=lambda item: item[:3]):
            if summarise_passage(passage) is not None:
                return passage
        return None

    # --------------------------------------------------------------------- composition

    def _checked(
        self,
        request: ResponseRequest,
        text: str,
        incident: Incident | None,
        question: Question | None,
        passage: Passage | None,
        coach_turns: Sequence[TurnView],
        rng: random.Random,
    ) -> tuple[str, _Draft, str]:
        """The first draft that passes the reply check, from richest to plainest."""
        plans = [
            (True, passage, True, ""),
            (False, passage, True, "no_detail"),
            (True, None, True, "no_insight"),
            (False, None, True, "plain"),
            (False, None, False, "minimal"),
        ]
        seen: set[str] = set()
        for use_detail, use_passage, use_event, label in plans:
            draft = self._compose(
                request,
                text,
                incident if use_event else None,
                question,
                use_passage,
                coach_turns,
                random.Random(rng.random()),
                use_detail=use_detail,
            )
            reply = " ".join(p for p in draft.parts if p)
            if reply in seen:
                continue
            seen.add(reply)
            if self._acceptable(reply, request.listen_only):
                return reply, draft, label
        return self._last_resort(request, question)

    def _acceptable(self, reply: str, listen_only: bool) -> bool:
        marks = reply.count("?")
        if marks > 1 or (listen_only and marks):
            return False
        return self.checker(reply).passed

    def _last_resort(
        self, request: ResponseRequest, question: Question | None
    ) -> tuple[str, _Draft, str]:
        if request.listen_only or question is None:
            reply = f"Thank you for telling me. {self.templates.listen[0]}"
            return reply, _Draft(parts=[reply]), "last_resort"
        reply = f"Thank you for telling me. {question.render(None)}"
        if self.checker(reply).passed:
            return reply, _Draft(parts=[reply], question=question), "last_resort"
        reply = f"Thank you for telling me. {self.templates.listen[0]}"
        return reply, _Draft(parts=[reply]), "last_resort"

    def _compose(
        self,
        request: ResponseRequest,
        text: str,
        incident: Incident | None,
        question: Question | None,
        passage: Passage | None,
        coach_turns: Sequence[TurnView],
        rng: random.Random,
        *,
        use_detail: bool,
    ) -> _Draft:
        t = self.templates
        mode = request.mode
        budget = _MAX_SENTENCES[mode]
        event = incident.reference if incident else None
        earlier_coach = [turn.text.lower() for turn in coach_turns]
        last_start = _start(earlier_coach[-1]) if earlier_coach else ""
        draft = _Draft(question=question)

        if self._is_opening(request):
            opening = rng.choice(t.opening.full if mode == "full" else t.opening.quick)
            draft.parts.append(opening)
            if text.strip():
                reflection = build_reflection(
                    text,
                    request.emotions,
                    t,
                    rng,
                    event=event,
                    max_sentences=1,
                    use_detail=use_detail,
                )
                draft.parts.append(reflection.text)
            draft.parts.append(question.render(event) if question else rng.choice(t.listen))
            return draft

        closing = request.stage == "close" and not self._closing_under_way(request)
        bridge = ""
        if request.stage_changed and not closing and not request.listen_only and mode == "full":
            bridge = rng.choice(t.bridges.get(request.stage, ("",)))
        summary = None
        if passage is not None and not closing:
            # A practice is named in a sentence of its own, so its summary keeps to one.
            room = budget - 2 - (1 if passage.kind == "practice" else 0)
            summary = summarise_passage(passage, max_sentences=2 if room >= 3 else 1)
        if summary is not None:
            bridge = ""  # offering an insight moves the conversation on by itself

        insight = ""
        if summary is not None and passage is not None:
            insight, draft.insight_kind = self._insight_text(
                request.stage, mode, passage, summary, rng
            )
            draft.passage = passage
        close_text = ""
        if closing:
            close_text = fill(
                rng.choice(t.close.full if mode == "full" else t.close.quick),
                event=event or "what happened",
            )
        tail = (
            count_sentences(bridge)
            + count_sentences(insight)
            + count_sentences(close_text)
            + 1  # the question, or the listening line that takes its place
        )
        room = max(1, min(2 if mode == "full" else 1, budget - tail))
        asked = question.render(event) if question is not None else ""
        previous = earlier_coach[-1] if earlier_coach else ""
        # Name the event once: not when the question or closing words already do, nor
        # straight after a reply that did.
        elsewhere = event is not None and any(
            event in part for part in (asked, close_text, previous)
        )
        reflection = build_reflection(
            text,
            request.emotions,
            t,
            rng,
            event=event,
            max_sentences=room,
            use_detail=use_detail,
            avoid_details=earlier_coach,
            avoid_start=last_start,
            used_starts=[_start(earlier) for earlier in earlier_coach],
            name_event=not elsewhere,
            plan=plan_of(text) if request.stage in ("next-step", "close") and use_detail else None,
        )
        if closing:
            # The closing words acknowledge the whole conversation; a reflection is kept
            # only when it carries something of the clinician's own.
            if reflection.detail or reflection.feelings:
                draft.parts.append(reflection.text)
            draft.parts.append(close_text)
            return draft
        draft.parts.append(reflection.text)
        if bridge:
            # A bridge that does not open with the same word as the reflection.
            first = reflection.text.split(" ", 1)[0].lower()
            options = t.bridges.get(request.stage, (bridge,))
            bridge = rng.choice([b for b in options if not b.lower().startswith(first)] or options)
        draft.parts.extend([bridge, insight])
        if request.listen_only:
            draft.parts.append(rng.choice(t.listen))
        elif question is not None:
            draft.parts.append(asked)
        else:
            draft.parts.append(rng.choice(t.no_question))
        return draft

    def _insight_text(
        self, stage: Stage, mode: str, passage: Passage, summary: InsightSummary, rng: random.Random
    ) -> tuple[str, str]:
        t = self.templates.insight
        title = " ".join(passage.title.split()).replace('"', "'")
        if passage.kind == "practice" and title:
            if mode == "quick":
                return fill(
                    rng.choice(t.practice_quick), title=title, cite=summary.cite
                ), "practice"
            return fill(rng.choice(t.practice), title=title, summary=summary.text), "practice"
        options = t.support if stage == "next-step" else t.idea
        return fill(rng.choice(options), summary=_after_colon(summary.text, passage)), passage.kind

    # --------------------------------------------------------------------- turn kinds

    @staticmethod
    def _is_opening(request: ResponseRequest) -> bool:
        return request.turn_index == 0 and request.stage == "check-in" and not request.history

    @staticmethod
    def _closing_under_way(request: ResponseRequest) -> bool:
        """Has the coach already given its closing words (so the clinician is still
        talking in the close stage)?"""
        return any(t.role == "coach" and t.stage == "close" for t in request.history)
