"""Header-aware chunking: size limits, section boundaries, overlap and completeness."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.chunking import chunk_document, chunk_section
from knowledge.types import ParsedDocument, Section


def sentences(prefix: str, count: int, seed: int = 0) -> str:
    """``count`` ordinary sentences of 5 to 25 words; every word is unique
    (``<prefix><n>``), so where each word went can be traced exactly."""
    rng = random.Random(seed)
    out: list[str] = []
    n = 0
    for _ in range(count):
        length = rng.randint(5, 25)
        words = [f"{prefix}{n + i}" for i in range(length)]
        n += length
        out.append(" ".join(words).capitalize() + rng.choice([".", "!", "?"]))
    return " ".join(out)


def paragraphs(prefix: str, count: int, per_paragraph: int = 6) -> str:
    """Paragraphs of sentences; words unique across the whole text."""
    text = sentences(prefix, count * per_paragraph, seed=count)
    words = text.split(" ")
    size = len(words) // count
    return "\n\n".join(" ".join(words[i : i + size]) for i in range(0, len(words), size))


def check_pieces(source: str, chunks: list[str], max_words: int, overlap: int) -> None:
    """The chunks of ``source`` (whose words are all distinct) are at most
    ``max_words`` long, each starts with at most ``overlap`` words carried over from
    the end of the one before, and, carried words aside, give back every word of
    ``source`` exactly once and in order."""
    expected = source.split()
    assert len(set(expected)) == len(expected), "the helper needs distinct words"
    assert chunks
    rebuilt: list[str] = []
    previous: list[str] = []
    for number, chunk in enumerate(chunks):
        words = chunk.split()
        assert 0 < len(words) <= max_words, (number, len(words))
        carried = 0
        while carried < len(words) and words[carried] in rebuilt:
            carried += 1
        assert carried <= overlap, (number, carried)
        if carried:
            assert words[:carried] == previous[-carried:], number  # real continuity
        fresh = words[carried:]
        assert fresh, f"chunk {number} adds nothing new"
        assert not set(fresh) & set(rebuilt), f"chunk {number} repeats words inside itself"
        rebuilt.extend(fresh)
        previous = words
    assert rebuilt == expected


# -- sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("max_words", "overlap"), [(40, 8), (60, 0), (100, 20), (160, 30)])
def test_no_chunk_exceeds_max_words_and_nothing_is_lost(max_words: int, overlap: int) -> None:
    text = paragraphs("w", 12)
    chunks = chunk_section(text, max_words, overlap)
    assert len(chunks) > 1
    check_pieces(text, chunks, max_words, overlap)


def test_short_section_is_one_chunk_unchanged() -> None:
    text = "One short paragraph.\n\nAnd another one."
    assert chunk_section(text, 50, 10) == [text]


def test_paragraph_breaks_are_kept_inside_a_chunk() -> None:
    text = "First paragraph here.\n\nSecond paragraph here."
    assert chunk_section(text, 100, 5) == ["First paragraph here.\n\nSecond paragraph here."]


def test_chunks_are_cut_at_paragraph_boundaries_when_paragraphs_fit() -> None:
    first = " ".join(f"a{i}" for i in range(30)) + "."
    second = " ".join(f"b{i}" for i in range(30)) + "."
    chunks = chunk_section(f"{first}\n\n{second}", 40, 0)
    assert chunks == [first, second]


def test_long_paragraph_is_cut_at_sentence_ends() -> None:
    text = sentences("s", 30, seed=3)
    chunks = chunk_section(text, 50, 0)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.rstrip()[-1] in ".!?", chunk[-40:]
    check_pieces(text, chunks, 50, 0)


# -- overlap --------------------------------------------------------------------------------


def test_consecutive_chunks_overlap_with_the_tail_of_the_previous_chunk() -> None:
    text = sentences("o", 60, seed=7)
    max_words, overlap = 80, 15
    chunks = chunk_section(text, max_words, overlap)
    assert len(chunks) >= 5
    overlaps = []
    for before, after in itertools.pairwise(chunks):
        b, a = before.split(), after.split()
        shared = next((k for k in range(min(len(a), len(b)), 0, -1) if a[:k] == b[-k:]), 0)
        assert shared <= overlap
        overlaps.append(shared)
    assert any(overlaps), "an overlap was asked for but no chunk carries one"
    check_pieces(text, chunks, max_words, overlap)


def test_zero_overlap_means_no_repeated_words() -> None:
    text = sentences("z", 40, seed=2)
    chunks = chunk_section(text, 50, 0)
    words = " ".join(chunks).split()
    assert words == text.split()


def test_one_huge_paragraph_without_punctuation_is_still_split() -> None:
    text = " ".join(f"word{i}" for i in range(5000))
    max_words, overlap = 100, 20
    chunks = chunk_section(text, max_words, overlap)
    assert len(chunks) >= 5000 // max_words
    check_pieces(text, chunks, max_words, overlap)
    # every boundary carries exactly the asked-for overlap
    for before, after in itertools.pairwise(chunks):
        assert after.split()[:overlap] == before.split()[-overlap:]


@pytest.mark.parametrize("length", [101, 130, 179, 180, 181, 250])
def test_a_long_sentence_slightly_over_the_limit_has_no_doubled_overlap(length: int) -> None:
    text = " ".join(f"t{i}" for i in range(length))
    check_pieces(text, chunk_section(text, 100, 20), 100, 20)


def test_long_sentence_between_short_ones() -> None:
    long_sentence = " ".join(f"l{i}" for i in range(230)) + "."
    text = f"Short one here. {long_sentence} Another short one. Last of all."
    check_pieces(text, chunk_section(text, 60, 10), 60, 10)


@pytest.mark.parametrize("overlap", [10, 15])
def test_overlap_not_below_max_words_still_loses_nothing(overlap: int) -> None:
    text = " ".join(f"q{i}" for i in range(57))
    chunks = chunk_section(text, 10, overlap)
    assert all(len(c.split()) <= 10 for c in chunks)
    assert " ".join(chunks).split() == text.split()


# -- sections -------------------------------------------------------------------------------


def test_chunks_never_mix_two_sections_and_keep_their_heading_path() -> None:
    doc = ParsedDocument(
        title="Guide",
        sections=(
            Section(("Guide", "Feelings"), paragraphs("f", 4)),
            Section(("Guide", "Next steps"), "Just one short line."),
            Section(("Guide", "Sense making", "Detail"), paragraphs("m", 3)),
        ),
    )
    pieces = chunk_document(doc, 60, 10)
    by_heading: dict[str, list[str]] = {}
    for piece in pieces:
        by_heading.setdefault(piece.heading, []).append(piece.text)
    assert list(by_heading) == [
        "Guide > Feelings",
        "Guide > Next steps",
        "Guide > Sense making > Detail",
    ]
    for heading, prefix in [("Guide > Feelings", "f"), ("Guide > Sense making > Detail", "m")]:
        for text in by_heading[heading]:
            assert all(w.lower().startswith(prefix) for w in text.split()), text[:80]
    assert by_heading["Guide > Next steps"] == ["Just one short line."]
    check_pieces(doc.sections[0].text, by_heading["Guide > Feelings"], 60, 10)
    check_pieces(doc.sections[2].text, by_heading["Guide > Sense making > Detail"], 60, 10)


def test_empty_heading_parts_are_left_out_of_the_heading() -> None:
    doc = ParsedDocument(title="T", sections=(Section(("", "Only"), "Body words."),))
    assert [p.heading for p in chunk_document(doc, 50, 5)] == ["Only"]


# -- properties ---------------------------------------------------------------------------

_WORD = st.sampled_from(
    ["calm", "Shift", "night", "ward", "Kind", "breath", "you", "The", "(note)", "é", "😀"]
)
_TOKEN = st.one_of(
    _WORD,
    _WORD.map(lambda w: w + "."),
    _WORD.map(lambda w: w + "?"),
    st.just("\n\n"),
)


@settings(max_examples=100, deadline=None)
@given(
    tokens=st.lists(_TOKEN, min_size=1, max_size=400),
    max_words=st.integers(min_value=5, max_value=60),
    data=st.data(),
)
def test_chunks_cover_every_input_word_in_order(
    tokens: list[str], max_words: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=max_words // 2), label="overlap")
    text = " ".join(tokens)
    words = text.split()
    chunks = chunk_section(text, max_words, overlap)
    if not words:
        assert chunks == []
        return
    flat = " ".join(chunks).split()
    position = 0
    for word in flat:  # input words must be a subsequence of the chunk words
        if position < len(words) and word == words[position]:
            position += 1
    assert position == len(words)
    assert all(0 < len(c.split()) <= max_words for c in chunks)
    assert len(flat) - len(words) <= overlap * (len(chunks) - 1)


@settings(max_examples=100, deadline=None)
@given(
    shape=st.lists(
        st.tuples(st.integers(min_value=1, max_value=120), st.sampled_from([" ", ". ", "\n\n"])),
        min_size=1,
        max_size=12,
    ),
    max_words=st.integers(min_value=8, max_value=80),
    data=st.data(),
)
def test_distinct_words_are_each_kept_once_apart_from_real_overlap(
    shape: list[tuple[int, str]], max_words: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=max_words // 2), label="overlap")
    parts: list[str] = []
    n = 0
    for length, separator in shape:
        run = [f"W{n + i}" for i in range(length)]
        n += length
        parts.append(" ".join(run) + separator)
    text = "".join(parts).strip()
    check_pieces(text, chunk_section(text, max_words, overlap), max_words, overlap)
