"""The built-in knowledge cards: schema, coverage, citations, and our own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.cards import CardError, load_builtin_cards, parse_card
from knowledge.types import CARD_KINDS, STAGES

CARDS = load_builtin_cards()
BY_ID = {c.meta.id: c for c in CARDS}


def body(card_id: str) -> str:
    return BY_ID[card_id].raw.decode("utf-8")


def test_at_least_25_cards_with_every_kind_and_stage() -> None:
    assert len(CARDS) >= 25
    assert {c.meta.kind for c in CARDS} == set(CARD_KINDS)
    assert {s for c in CARDS for s in c.meta.stages} == set(STAGES)


# Each idea the seed documents carry, or the issue asks for, and the card that holds it
# (with words that must appear there).
COVERAGE = {
    "compassion-resilience": ["three"],
    "resilience-reservoir": ["reservoir"],
    "quadruple-aim": ["Triple Aim", "Quadruple Aim", "Bodenheimer"],
    "compassion-fatigue-signs": ["compassion fatigue"],
    "hypo-hyper-engagement": ["Back", "2015", "hypo", "hyper"],
    "get-through-warning-sign": ["five patients"],
    "buried-intention": ["intention"],
    "being-with-unfixable-suffering": ["accept"],
    "soft-skills-not-soft": ["soft"],
    "compassion-training-medical-students": ["Weingartner", "2019", "model"],
    "loving-kindness-evidence": ["Seppala", "2014", "ten"],
    "compassionate-care-outcomes": ["readmission"],
    "compassionate-leadership": ["listen", "shared", "empath", "help"],
    "compassion-across-the-system": ["boundar"],
    "compassion-vs-detachment": ["Deleo", "2014", "detachment", "self-compassion"],
    "trust-and-healing-relationships": ["trust"],
    "compassion-challenges": ["time"],
    "self-care-and-supportive-workplace": ["self-care"],
    "self-compassion-pause": ["Neff"],
    "grounding-practice": ["ground"],
    "loving-kindness-practice": ["loving-kindness"],
    "asking-for-peer-support": ["peer"],
    "talk-debrief": ["TALK"],
    "stop5-hot-debrief": ["STOP5", "OK-STOP"],
    "gibbs-reflective-cycle": ["Gibbs", "1988", "action plan"],
    "psychological-first-aid": ["look", "listen", "link"],
    "second-victim-support-tiers": ["tier"],
    "debriefing-cautions": ["WHO", "NICE", "NG116"],
}


@pytest.mark.parametrize(("card_id", "words"), sorted(COVERAGE.items()))
def test_every_required_idea_has_its_card(card_id: str, words: list[str]) -> None:
    assert card_id in BY_ID, f"missing card {card_id}"
    text = body(card_id).lower()
    for word in words:
        assert word.lower() in text, f"{card_id} does not mention {word!r}"


def test_practices_offer_short_numbered_steps() -> None:
    practices = [c for c in CARDS if c.meta.kind == "practice"]
    assert len(practices) >= 4
    for card in practices:
        text = card.raw.decode("utf-8")
        assert "## Steps" in text, card.meta.id
        assert re.search(r"^1\. ", text, re.MULTILINE), card.meta.id


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.meta.id)
def test_every_citation_marker_points_at_a_listed_source(card: object) -> None:
    meta = card.meta  # type: ignore[attr-defined]
    text = card.raw.decode("utf-8").split("\n---", 1)[1]  # type: ignore[attr-defined]
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", text)}
    assert markers, f"{meta.id} makes claims without any [n] citation"
    assert markers <= set(range(1, len(meta.sources) + 1)), f"{meta.id}: {sorted(markers)}"
    assert markers == set(range(1, len(meta.sources) + 1)), f"{meta.id} lists an uncited source"
    for source in meta.sources:
        assert source.url is None or source.url.startswith("https://")


def test_sections_are_header_scoped_and_summaries_are_short() -> None:
    for card in CARDS:
        assert len(card.document.sections) >= 3, card.meta.id  # summary + 2 headed sections
        assert len(card.meta.summary.split()) <= 60, card.meta.id
        assert "[" not in card.meta.summary, card.meta.id


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_cards_are_written_in_our_own_words(seeds_dir: Path) -> None:
    seed_shingles: set[tuple[str, ...]] = set()
    for seed in seeds_dir.glob("*.txt"):
        seed_shingles |= _shingles(seed.read_text(encoding="utf-8"))
    assert seed_shingles
    for card in CARDS:
        prose = card.raw.decode("utf-8").split("\n---", 1)[1]
        copied = _shingles(prose) & seed_shingles
        assert not copied, f"{card.meta.id} copies seed text: {' '.join(sorted(copied)[0])}"


def test_a_malformed_card_is_refused_with_its_file_name() -> None:
    good = body("grounding-practice").encode("utf-8")
    with pytest.raises(CardError, match=r"wrong-name\.md"):
        parse_card(good, "wrong-name.md")
    bad_kind = good.replace(b"kind: practice", b"kind: poem")
    with pytest.raises(CardError, match=r"grounding-practice\.md"):
        parse_card(bad_kind, "grounding-practice.md")
    no_sources = re.sub(rb"sources:.*?\n---", b"sources: []\n---", good, flags=re.DOTALL)
    with pytest.raises(CardError):
        parse_card(no_sources, "grounding-practice.md")
