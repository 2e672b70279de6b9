"""Whose feeling a cue is, and whether it is denied: the rules the lexicon applies to
each cue it finds in a sentence (a list of :func:`coach.emotions.text.words`).

- **Who.** The nearest person word before the cue decides: "I", "me", "we" and generic
  "you" are the clinician; "he", "they", "the family", "my colleague" and a "[NAME]"
  placeholder are someone else. A cue followed by "me" ("he scared me") is the
  clinician's. With no person word at all, the clinician is speaking of themself.
- **Denied.** A negator ("not", "don't", "never", "no", "without") up to four words
  before the cue, with no comma, "but" or person word in between, denies it. Phrases
  that only look negative ("can't stop crying", "never been so scared", "not just sad")
  do not.

Known limits: one sentence at a time, no parsing. "The family, I think, were angry" is
read as the clinician's anger; "it was devastating for the family" as the clinician's
grief; reported speech ("she said she felt guilty") follows the nearest person word.
"""

from __future__ import annotations

from enum import StrEnum


class Holder(StrEnum):
    """Who a cue speaks for, as far as these rules can tell."""

    CLINICIAN = "clinician"  # the person writing: the coach may reflect it
    DENIED = "denied"  # the clinician says they do not feel it
    OTHER = "other"  # someone else's feeling


INTENSIFIERS = frozenset(
    {
        "so",
        "really",
        "very",
        "completely",
        "totally",
        "absolutely",
        "utterly",
        "incredibly",
        "extremely",
        "deeply",
        "truly",
        "pretty",
        "quite",
        "super",
        "bloody",
        "fucking",
        "fking",
        "damn",
        "just",
        "honestly",
        "genuinely",
        "properly",
        "kind",
        "kinda",
        "sort",
        "sorta",
        "bit",
        "little",
    }
)
SELF_WORDS = frozenset(
    {"i", "me", "my", "myself", "mine", "we", "us", "our", "ourselves", "you", "your", "yourself"}
)
OTHER_WORDS = frozenset(
    {
        "he",
        "she",
        "they",
        "him",
        "her",
        "them",
        "his",
        "hers",
        "their",
        "theirs",
        "himself",
        "herself",
        "themselves",
        "[name]",
        "patient",
        "patients",
        "family",
        "families",
        "relative",
        "relatives",
        "wife",
        "husband",
        "partner",
        "son",
        "daughter",
        "mother",
        "father",
        "mum",
        "mom",
        "dad",
        "parent",
        "parents",
        "child",
        "children",
        "kid",
        "kids",
        "baby",
        "brother",
        "sister",
        "colleague",
        "colleagues",
        "nurse",
        "nurses",
        "doctor",
        "doctors",
        "consultant",
        "consultants",
        "registrar",
        "registrars",
        "resident",
        "residents",
        "intern",
        "interns",
        "attending",
        "surgeon",
        "surgeons",
        "paramedic",
        "paramedics",
        "student",
        "students",
        "manager",
        "managers",
        "boss",
        "matron",
        "team",
        "staff",
        "everyone",
        "everybody",
        "nobody",
        "someone",
        "somebody",
        "people",
        "man",
        "woman",
        "guy",
        "lady",
        "girl",
        "boy",
        "friend",
        "friends",
        "gp",
        "hca",
    }
)
NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "hardly",
        "don't",
        "didn't",
        "doesn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "can't",
        "couldn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "ain't",
    }
)
BARRIERS = frozenset({",", ";", ":", "!", "?", "but", "though", "although", "yet"})
FEEL_VERBS = frozenset(
    {
        "feel",
        "feels",
        "felt",
        "feeling",
        "seem",
        "seemed",
        "look",
        "looked",
        "get",
        "got",
        "getting",
        "become",
        "became",
    }
)
BE_VERBS = frozenset({"am", "is", "are", "was", "were", "be", "been", "being"})
AUXILIARIES = frozenset({"have", "has", "had", "would", "will", "could", "might", "must"})
NEGATION_REACH = 4
# A negator directly followed by one of these only looks negative.
_PSEUDO_NEXT = frozenset({"stop", "help", "just", "only", "wonder", "sure"})
_PERSONS = frozenset({"i", "we", "you", "me", "us"})
_CLAUSE_STARTS = BARRIERS | {"and", "or"}
_NEVER_INTENSIFIED = frozenset({"so", "more", "this", "that", "as"})


def content_positions(words: list[str]) -> list[int]:
    """Indices of the words that are not intensifiers (cues are matched on these)."""
    return [i for i, word in enumerate(words) if word not in INTENSIFIERS]


def after_state_word(words: list[str], content: list[int], start: int, end: int) -> bool:
    """Whether the cue at content positions ``start`` to ``end`` reads as a state: after a
    feeling verb ("felt empty"), "me" ("left me shattered"), or a first-person subject
    with an optional be-verb ("I was in shock", "we have been tired"); or standing alone
    as a clause of its own ("Tired.", "I'm ok, just tired"), but not before another word
    ("empty beds", "broken equipment")."""
    k = start - 1
    if k < 0 or words[content[k]] in _CLAUSE_STARTS:
        return end >= len(content) or words[content[end]] in BARRIERS
    word = words[content[k]]
    if word in FEEL_VERBS or word in _PERSONS:
        return True
    if word not in BE_VERBS:
        return False
    k -= 1
    while k >= 0 and (words[content[k]] in AUXILIARIES or words[content[k]] in BE_VERBS):
        k -= 1
    return k >= 0 and words[content[k]] in {"i", "we", "you"}


def _is_pseudo_negator(words: list[str], index: int) -> bool:
    following = words[index + 1 : index + 4]
    if following and following[0] in _PSEUDO_NEXT:
        return True
    return (
        words[index] == "never"
        and bool(following)
        and following[0] in {"been", "felt", "feel"}
        and any(w in _NEVER_INTENSIFIED for w in following[1:])
    )


def denied(words: list[str], content: list[int], start: int) -> bool:
    """Whether a negator governs the cue starting at content position ``start``."""
    for k in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        index = content[k]
        word = words[index]
        if word in BARRIERS:
            return False
        if word in NEGATORS:
            return not _is_pseudo_negator(words, index)
        if word in SELF_WORDS or word in OTHER_WORDS:
            return False
    return False


def holder(
    words: list[str], content: list[int], start: int, end: int, cue_words: tuple[str, ...]
) -> Holder:
    """Who the cue at content positions ``start`` to ``end`` (exclusive) speaks for."""
    if not SELF_WORDS.isdisjoint(cue_words):
        return Holder.DENIED if denied(words, content, start) else Holder.CLINICIAN
    following = words[content[end]] if end < len(content) else ""
    owner = Holder.CLINICIAN
    if following in {"me", "us", "myself"}:
        owner = Holder.CLINICIAN
    else:
        for k in range(start - 1, -1, -1):
            word = words[content[k]]
            if word in SELF_WORDS:
                break
            if word in OTHER_WORDS:
                owner = Holder.OTHER
                break
        else:
            if following in OTHER_WORDS:
                owner = Holder.OTHER
    if owner is Holder.OTHER:
        return owner
    return Holder.DENIED if denied(words, content, start) else Holder.CLINICIAN


def speaks_only_of_others(words: list[str]) -> bool:
    """A sentence that names someone else and never the clinician ("He was screaming
    at the nurses"): the classifier needs more evidence to reflect a feeling from it."""
    seen = set(words)
    return not seen.isdisjoint(OTHER_WORDS) and seen.isdisjoint(SELF_WORDS)
