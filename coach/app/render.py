"""How the coach's messages look in Chainlit: buttons, source elements, the support
options element (tappable ``tel:`` links) and the summary file.

Action names: ``control`` (payload ``{"control": Control}``) and ``support`` (payload
``{"action": guardrails.escalation.Action}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import chainlit as cl

from coach.app import wording
from coach.types import Control, Mode, Passage
from guardrails.escalation import Action as SupportAction
from guardrails.resources import Resource

CONTROL_ACTION = "control"
SUPPORT_ACTION = "support"
SUPPORT_OPTIONS_ELEMENT = "SupportOptions"  # public/elements/SupportOptions.jsx


@dataclass(frozen=True)
class DebriefView:
    """What the buttons depend on."""

    mode: Mode
    listen_only: bool
    ended: bool
    support_active: bool


def control_action(control: Control) -> cl.Action:
    return cl.Action(
        name=CONTROL_ACTION,
        payload={"control": control.value},
        label=wording.CONTROL_LABELS[control],
        tooltip=wording.CONTROL_TOOLTIPS.get(control, ""),
    )


def control_actions(view: DebriefView) -> list[cl.Action]:
    """Skip / just listen or guide me / quick or full / end; none once the debrief ended."""
    if view.ended:
        return []
    controls = [
        Control.SKIP_STAGE,
        Control.LISTEN_OFF if view.listen_only else Control.LISTEN_ON,
        Control.FULL if view.mode == "quick" else Control.QUICK,
        Control.END,
    ]
    return [control_action(c) for c in controls]


def turn_actions(own: Sequence[cl.Action], view: DebriefView) -> list[cl.Action]:
    """The buttons of the message that ends a turn: its own (a support offer's *See human
    support options*, say) and, while the debrief goes on, the debrief's controls. A
    crisis keeps only its own (support mode: *I'm safe, continue*, human support)."""
    if view.ended or view.support_active:
        return list(own)
    return [*own, *control_actions(view)]


def support_actions(actions: Sequence[SupportAction], *, peer_contact: bool) -> list[cl.Action]:
    """The escalation's buttons; "contact the peer supporter" only when it is configured."""
    shown = [a for a in actions if a is not SupportAction.CONTACT_PEER_SUPPORTER or peer_contact]
    return [
        cl.Action(
            name=SUPPORT_ACTION,
            payload={"action": a.value},
            label=wording.SUPPORT_LABELS[a],
        )
        for a in shown
    ]


def source_name(passage: Passage) -> str:
    return f"{passage.id} · {passage.title}"


def source_text(passage: Passage) -> str:
    heading = (
        f" ({passage.heading})" if passage.heading and passage.heading != passage.title else ""
    )
    return f"**{passage.title}**{heading}\n\n{passage.text}\n\n*Source:* {passage.citation}"


def source_elements(passages: Sequence[Passage]) -> list[cl.Text]:
    """One side element per passage, opened from the "Sources:" line."""
    return [cl.Text(name=source_name(p), content=source_text(p), display="side") for p in passages]


def with_sources_line(text: str, passages: Sequence[Passage]) -> str:
    """The reply, plus a line naming its sources (Chainlit links each name to its element)."""
    if not passages:
        return text
    return f"{text}\n\n{wording.SOURCES_LINE}{', '.join(source_name(p) for p in passages)}"


def resource_label(resource: Resource) -> str:
    if resource.how == "call":
        return f"Call {resource.contact}"
    if resource.how == "text":
        return f"Text {resource.contact}"
    return "Open website"


def resource_props(resources: Sequence[Resource], intro: str = "") -> dict[str, Any]:
    return {
        "intro": intro,
        "resources": [
            {
                "id": r.id,
                "name": r.name,
                "description": r.description,
                "hours": r.hours,
                "href": r.href,
                "label": resource_label(r),
                "web": r.how == "web",
            }
            for r in resources
        ],
    }


def support_options(resources: Sequence[Resource]) -> cl.CustomElement:
    return cl.CustomElement(
        name=SUPPORT_OPTIONS_ELEMENT, props=resource_props(resources), display="inline"
    )


def summary_file(markdown: str) -> cl.File:
    return cl.File(
        name=wording.SUMMARY_FILE,
        content=markdown.encode("utf-8"),
        mime="text/markdown",
        display="inline",
    )
