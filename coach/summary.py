"""The summary a clinician keeps: a structured reflection with Gibbs-style headings, so
it can go into a CPD or revalidation portfolio. Built from the de-identified state only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from coach.responders.scripted import short_citation
from coach.state import DebriefState
from coach.types import Stage
from guardrails.resources import Resource

MAX_SECTION_CHARS = 600
_HELPED = re.compile(r"\b(help(?:ed|ful|s)?|support(?:ed|ive)?|went well|good|grateful)\b", re.I)
_HINDERED = re.compile(
    r"\b(hinder\w*|harder|hard|difficult|didn'?t|did not|couldn'?t|wasn'?t|no one|nobody|"
    r"short[- ]staffed|understaffed|staffing|short|(?:nurses?|staff|doctors?|people) down|"
    r"delay\w*|late|pressure|rushed|busy|covering|on my own|alone|interrupt\w*|"
    r"missing|broken|lack\w*|too (?:many|much|few))\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

GIBBS = (
    ("Description", "What happened"),
    ("Feelings", "What I felt"),
    ("Evaluation", "What helped and what hindered"),
    ("Analysis", "Insight"),
    ("Action plan", "My next step"),
)


@dataclass(frozen=True)
class Summary:
    what_happened: str
    feelings: tuple[str, ...]
    feelings_notes: str
    helped: tuple[str, ...]
    hindered: tuple[str, ...]
    insight: tuple[str, ...]
    references: tuple[str, ...]
    reflection: str  # self-compassion and values, in the clinician's words
    next_step: str
    resources: tuple[str, ...]
    stage_reached: Stage
    escalated: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_markdown(self, *, title: str = "Debrief reflection", date: str = "") -> str:
        none = "_Not discussed._"
        lines = [f"# {title}"]
        if date:
            lines.append(
                f"_{date}. De-identified: names, dates and other identifiers are "
                "replaced with placeholders._"
            )
        else:
            lines.append(
                "_De-identified: names, dates and other identifiers are replaced "
                "with placeholders._"
            )
        lines += ["", "## Description: what happened", self.what_happened or none, ""]
        lines.append("## Feelings")
        if self.feelings:
            lines.append("Feelings named: " + ", ".join(self.feelings) + ".")
        lines.append(self.feelings_notes or ("" if self.feelings else none))
        lines += ["", "## Evaluation: what helped and what hindered"]
        lines.append("**What helped:** " + ("; ".join(self.helped) if self.helped else "not noted"))
        lines.append("")
        lines.append(
            "**What hindered:** " + ("; ".join(self.hindered) if self.hindered else "not noted")
        )
        lines += ["", "## Analysis: insight"]
        lines += [f"- {item}" for item in self.insight] or [none]
        if self.references:
            lines += ["", "References:"]
            lines += [f"- {ref}" for ref in self.references]
        if self.reflection:
            lines += ["", self.reflection]
        lines += ["", "## Action plan: my next step", self.next_step or none, ""]
        lines.append("## Support and resources")
        lines += [f"- {item}" for item in self.resources] or ["- Your peer support team"]
        return "\n".join(line for line in lines if line is not None).strip() + "\n"


def _clip(text: str, limit: int = MAX_SECTION_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _stage_text(state: DebriefState, *stages: Stage) -> str:
    return _clip(" ".join(t.text for t in state.clinician_turns if t.stage in stages))


def _resource_line(resource: Resource) -> str:
    contact = f": {resource.contact}" if resource.contact else ""
    return f"{resource.name}{contact}"


def build_summary(state: DebriefState, resources: Sequence[Resource] = ()) -> Summary:
    """Sections come from the stages the clinician's messages were answering."""
    story = _stage_text(state, "story") or _stage_text(state, "check-in")
    sense = [
        s.strip()
        for t in state.clinician_turns
        if t.stage == "sense-making"
        for s in _SENTENCE.split(t.text)
        if s.strip()
    ]
    hindered = tuple(_clip(s, 240) for s in sense if _HINDERED.search(s))
    helped = tuple(_clip(s, 240) for s in sense if _HELPED.search(s) and s not in hindered)
    insight = tuple(
        f"{note.title} ({short_citation(note.citation, 'own document')})" for note in state.insights
    )
    references = tuple(
        dict.fromkeys(
            ref.strip().rstrip(".") + "."
            for note in state.insights
            for ref in note.citation.split("; ")
            if ref.strip() and not ref.startswith(("card:", "/"))
        )
    )
    shown = [
        *[r for r in resources if r.organisation],
        *[r for r in resources if not r.organisation and r.kind in ("clinician", "peer")],
        *[r for r in resources if not r.organisation and r.kind == "crisis"][:1],
    ][:5]
    return Summary(
        what_happened=story,
        feelings=tuple(state.emotions),
        feelings_notes=_stage_text(state, "feelings"),
        helped=helped,
        hindered=hindered,
        insight=insight,
        references=references,
        reflection=_stage_text(state, "self-compassion"),
        next_step=_stage_text(state, "next-step"),
        resources=tuple(_resource_line(r) for r in shown),
        stage_reached=state.stage,
        escalated=state.peak_level != "none",
    )
