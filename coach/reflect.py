"""Reflections built from the clinician's own words: the event they described (echoed
through ``coach.echo``), the feelings they named, in the versioned wording of
``coach.reflection_templates``.

Nothing here guesses at feelings: ``feeling_phrases`` uses only the emotions the
recogniser found in the message.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coach.echo import Plan, key_phrases, off_task, self_blaming
from coach.incidents import find_cues
from coach.reflection_templates import ReflectionTemplates, fill
from coach.types import EmotionScore

__all__ = ["Reflection", "build_reflection", "feeling_phrases", "join_phrases"]

# ----------------------------------------------------------------------------- feelings


def feeling_phrases(
    emotions: Sequence[EmotionScore], *, min_score: float = 0.7, limit: int = 2
) -> list[str]:
    """The phrases of the strongest emotions the clinician expressed, without duplicates.
    Below 0.7 an emotion is only the classifier's guess, so it is not reflected."""
    phrases: list[str] = []
    for emotion in sorted(emotions, key=lambda e: -e.score):
        phrase = " ".join(emotion.phrase.split()).strip(" .,")
        if emotion.score < min_score or not phrase or phrase in phrases:
            continue
        if len(phrase) > 40 or not re.fullmatch(r"[A-Za-z' -]+", phrase):
            continue
        phrases.append(phrase)
        if len(phrases) == limit:
            break
    return phrases


def join_phrases(phrases: Sequence[str]) -> str:
    """Join feelings: "sad", "sad and guilty", "sad, guilty and frightened"."""
    items = [p for p in phrases if p]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# ----------------------------------------------------------------------------- reflection


@dataclass(frozen=True)
class Reflection:
    """The reflective opening of a reply, and what went into it."""

    text: str
    detail: str | None = None
    feelings: tuple[str, ...] = ()
    event_named: bool = False


def _pick(
    options: Sequence[str],
    rng: random.Random,
    avoid_start: str,
    values: dict[str, str],
    used_starts: frozenset[str] = frozenset(),
) -> str:
    """A filled template, preferring one whose first two words differ from ``avoid_start``
    and, where possible, from every opening in ``used_starts``."""
    rendered = [fill(option, **values) for option in options]
    fresh = [r for r in rendered if _start(r) != avoid_start]
    unused = [r for r in fresh if _start(r) not in used_starts]
    return rng.choice(unused or fresh or rendered)


def _start(text: str) -> str:
    return " ".join(text.lower().split()[:2])


def build_reflection(
    text: str,
    emotions: Sequence[EmotionScore],
    templates: ReflectionTemplates,
    rng: random.Random,
    *,
    event: str | None = None,
    max_sentences: int = 2,
    use_detail: bool = True,
    avoid_details: Iterable[str] = (),
    avoid_start: str = "",
    used_starts: Iterable[str] = (),
    name_event: bool = True,
    plan: Plan | None = None,
) -> Reflection:
    """One or two sentences reflecting what the clinician said: a detail in their own
    words, the feelings they named, the event, or (when none is there) a plain
    acknowledgement. ``avoid_start``: how the previous reply began (lower case);
    ``used_starts``: how earlier replies began, avoided where the wording allows.
    ``name_event``: false when another part of the reply already names the event.
    ``plan``: a next step they named, reflected in place of a detail."""
    r = templates.reflect
    feelings = feeling_phrases(emotions)
    felt = join_phrases(feelings)
    details = key_phrases(text, avoid=avoid_details, feelings=feelings) if use_detail else []
    detail = details[0] if details else None
    detail_has_event = bool(detail and find_cues(detail))
    if not name_event:
        event = None
    if plan is not None:
        detail = None
    values = {
        "detail": detail or "",
        "feelings": felt,
        "event": event or "",
        "plan": plan.phrase if plan else "",
    }
    sentences: list[str] = []
    event_named = False

    starts = frozenset(used_starts)

    def add(options: Sequence[str]) -> None:
        if sentences:
            sentences.append(_pick(options, rng, _start(sentences[-1]), values))
        else:
            sentences.append(_pick(options, rng, avoid_start, values, starts))

    plan_used = plan is not None and (max_sentences >= 2 or not felt)
    if plan_used:
        add(r.plan)
        if felt:
            add(r.feelings)
    elif detail and felt:
        if max_sentences >= 2:
            add(r.detail)
            if event and not detail_has_event:
                add(r.feelings_event)
                event_named = True
            else:
                add(r.feelings)
        else:
            add(r.detail_feelings)
    elif detail:
        add(r.detail)
    elif felt:
        if event:
            add(r.feelings_event)
            event_named = True
        else:
            add(r.feelings)
    elif off_task(text):
        add(r.redirect)
    elif event and text.strip():
        add(r.event)
        event_named = True
    elif not text.strip():
        add(r.empty)
    else:
        add(r.plain)
    if self_blaming(text) and len(sentences) < max_sentences:
        add(r.self_blame)
    return Reflection(
        text=" ".join(sentences),
        detail=plan.phrase if plan is not None and plan_used else detail,
        feelings=tuple(feelings),
        event_named=event_named,
    )
