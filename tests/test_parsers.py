"""Parsers: Markdown, plain text, HTML and PDF into heading-scoped sections, and the
errors a person gets for files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from knowledge.parsers import SUPPORTED_SUFFIXES, ParseError, parse_bytes
from knowledge.types import ParsedDocument
from tests.fixtures_docs import encrypt_pdf, make_pdf


def md(text: str, name: str = "note.md") -> ParsedDocument:
    return parse_bytes(Path(name), text.encode("utf-8"))


def txt(text: str, name: str = "note.txt") -> ParsedDocument:
    return parse_bytes(Path(name), text.encode("utf-8"))


def html(text: str, name: str = "page.html") -> ParsedDocument:
    return parse_bytes(Path(name), text.encode("utf-8"))


def all_text(doc: ParsedDocument) -> str:
    return "\n\n".join(s.text for s in doc.sections)


def by_heading(doc: ParsedDocument) -> dict[tuple[str, ...], str]:
    return {s.headings: s.text for s in doc.sections}


# -- Markdown ------------------------------------------------------------------------


def test_markdown_front_matter_becomes_metadata_and_gives_the_title() -> None:
    doc = md(
        "---\n"
        "title: Grounding after a code\n"
        "kind: practice\n"
        "stages: [feelings, close]\n"
        "---\n"
        "# A different first heading\n\n"
        "Breathe out slowly.\n"
    )
    assert doc.metadata == {
        "title": "Grounding after a code",
        "kind": "practice",
        "stages": ["feelings", "close"],
    }
    assert doc.title == "Grounding after a code"
    assert "title:" not in all_text(doc)
    assert all_text(doc) == "Breathe out slowly."


def test_markdown_headings_build_paths_and_a_new_h2_resets_the_h3() -> None:
    doc = md(
        "# Guide\n\nIntro words.\n\n"
        "## First\n\nFirst words.\n\n"
        "### Detail\n\nDetail words.\n\n"
        "## Second\n\nSecond words.\n\n"
        "# Appendix\n\nAppendix words.\n"
    )
    assert [(s.headings, s.text) for s in doc.sections] == [
        (("Guide",), "Intro words."),
        (("Guide", "First"), "First words."),
        (("Guide", "First", "Detail"), "Detail words."),
        (("Guide", "Second"), "Second words."),
        (("Appendix",), "Appendix words."),
    ]
    assert doc.title == "Guide"


def test_markdown_title_is_the_first_h1_when_front_matter_has_none() -> None:
    doc = md("---\nkind: concept\n---\nSome words first.\n\n# The Real Title\n\nBody.\n")
    assert doc.title == "The Real Title"


def test_markdown_title_falls_back_to_the_file_stem() -> None:
    doc = md("A first paragraph about night shifts.\n\n## Later on\n\nMore.\n", "shift-notes.md")
    assert doc.title == "shift-notes"
    assert doc.sections[0].headings == ("shift-notes",)


def test_markdown_lists_and_code_blocks_keep_their_text() -> None:
    doc = md(
        "# Steps\n\n"
        "- notice your breathing\n"
        "- name one feeling\n\n"
        "1. first numbered\n"
        "2. second numbered\n\n"
        "```text\nbox breathing: in 4, hold 4\n```\n\n"
        "    indented code line\n"
    )
    text = all_text(doc)
    for piece in (
        "notice your breathing",
        "name one feeling",
        "first numbered",
        "second numbered",
        "box breathing: in 4, hold 4",
        "indented code line",
    ):
        assert piece in text
    assert "- notice your breathing" in text  # list items stay recognisable as items


def test_markdown_inline_markup_is_reduced_to_text() -> None:
    doc = md(
        "# Notes\n\nThis is **very important** and *gentle*, see "
        "[the guide](https://example.org/guide) or `grounding()`.\n"
    )
    assert all_text(doc) == "This is very important and gentle, see the guide or grounding()."


def test_markdown_inline_markup_in_headings_is_reduced_to_text() -> None:
    doc = md("# Why **rest** matters\n\n## See [the guide](https://example.org)\n\nBody.\n")
    assert doc.title == "Why rest matters"
    assert doc.sections[0].headings == ("Why rest matters", "See the guide")


def test_markdown_front_matter_with_windows_line_endings_is_read() -> None:
    doc = md("---\r\ntitle: Windows Note\r\nkind: practice\r\n---\r\n# Heading\r\n\r\nBody.\r\n")
    assert doc.metadata == {"title": "Windows Note", "kind": "practice"}
    assert doc.title == "Windows Note"
    assert [(s.headings, s.text) for s in doc.sections] == [(("Heading",), "Body.")]


# -- plain text ------------------------------------------------------------------------


def test_text_headings_are_standalone_short_capitalised_lines_or_hash_lines() -> None:
    doc = txt(
        "Coping With Night Shifts\n\n"
        "Sleep in a dark room.\n\n"
        "What Helps?\n\n"
        "Talking to a colleague.\n\n"
        "# after the shift\n"
        "Write three lines in a notebook.\n"
    )
    assert doc.title == "Coping With Night Shifts"
    assert [(s.headings, s.text) for s in doc.sections] == [
        (("Coping With Night Shifts",), "Sleep in a dark room."),
        (("What Helps?",), "Talking to a colleague."),
        (("after the shift",), "Write three lines in a notebook."),
    ]


def test_text_hard_wrapped_lines_are_reflowed_and_hyphenation_mended() -> None:
    doc = txt(
        "Notes\n\n"
        "After a difficult conversation it helps to\n"
        "pause, and to offer yourself some compas-\n"
        "sion before the next patient.\n\n"
        "A second paragraph\nstays separate.\n"
    )
    assert all_text(doc) == (
        "After a difficult conversation it helps to pause, and to offer yourself "
        "some compassion before the next patient.\n\nA second paragraph stays separate."
    )


def test_text_lines_that_read_as_sentences_are_not_headings() -> None:
    long_line = "When the shift ended I sat in the car park for twenty minutes before driving home"
    doc = txt(
        f"Reflections\n\n{long_line}\n\nIt Was Late.\n\n"
        "lowercase line alone\n\nThe end came quietly.\n"
    )
    assert [s.headings for s in doc.sections] == [("Reflections",)]
    text = doc.sections[0].text
    for line in (long_line, "It Was Late.", "lowercase line alone"):
        assert line in text


def test_text_windows_line_endings_are_handled() -> None:
    doc = txt("Title Here\r\n\r\nFirst line\r\nsecond line.\r\n")
    assert [(s.headings, s.text) for s in doc.sections] == [
        (("Title Here",), "First line second line.")
    ]


# -- HTML ----------------------------------------------------------------------------


def test_html_drops_scripts_styles_navigation_and_footers() -> None:
    doc = html(
        "<html><head><title>Page</title><style>p { color: red }</style>"
        "<script>var trackingCode = 1;</script></head><body>"
        "<nav><a href='/'>Home menu</a></nav>"
        "<p>Visible paragraph.</p>"
        "<noscript>Enable javascript</noscript>"
        "<footer>Copyright footer</footer>"
        "<script>alert('x')</script></body></html>"
    )
    text = all_text(doc)
    assert text == "Visible paragraph."
    for hidden in ("trackingCode", "color", "Home menu", "Copyright", "alert", "javascript"):
        assert hidden not in text


def test_html_headings_make_sections_and_title_comes_from_title_tag() -> None:
    doc = html(
        "<html><head><title>Debrief Guide</title></head><body>"
        "<p>Before any heading.</p>"
        "<h1>Main</h1><p>Main text.</p>"
        "<h2>Part A</h2><p>A text.</p>"
        "<h3>Deep</h3><p>Deep text.</p>"
        "<h2>Part B</h2><p>B text.</p>"
        "<h6>Tiny</h6><p>Tiny text.</p>"
        "</body></html>"
    )
    assert doc.title == "Debrief Guide"
    assert [(s.headings, s.text) for s in doc.sections] == [
        (("Debrief Guide",), "Before any heading."),
        (("Main",), "Main text."),
        (("Main", "Part A"), "A text."),
        (("Main", "Part A", "Deep"), "Deep text."),
        (("Main", "Part B"), "B text."),
        (("Main", "Part B", "Tiny"), "Tiny text."),
    ]


def test_html_title_falls_back_to_first_h1_then_file_stem() -> None:
    assert html("<body><h1>Only Heading</h1><p>x y</p></body>").title == "Only Heading"
    assert html("<body><h2>Sub</h2><p>x y</p></body>", "my-page.html").title == "my-page"


def test_html_list_items_and_table_cells_are_kept() -> None:
    doc = html(
        "<body><h1>T</h1><ul><li>Breathe slowly</li><li>Drink water</li></ul>"
        "<table><tr><th>Sign</th><th>Meaning</th></tr>"
        "<tr><td>Irritability</td><td>Possible fatigue</td></tr></table></body>"
    )
    text = all_text(doc)
    assert "- Breathe slowly" in text
    assert "- Drink water" in text
    for cell in ("Sign", "Meaning", "Irritability", "Possible fatigue"):
        assert cell in text


def test_html_nested_divs_do_not_duplicate_text() -> None:
    doc = html(
        "<body><div><div><section><div>Said exactly once.</div></section></div>"
        "<div><p>Also once.</p></div></div></body>"
    )
    text = all_text(doc)
    assert text.count("Said exactly once.") == 1
    assert text.count("Also once.") == 1


def test_html_text_beside_nested_blocks_is_not_lost() -> None:
    doc = html(
        "<body><h1>Care</h1>Loose intro words."
        "<div>Div lead-in.<p>Inner paragraph.</p>Div tail.</div>"
        "<ul><li>Outer item<ul><li>inner item</li></ul></li></ul></body>"
    )
    assert [s.headings for s in doc.sections] == [("Care",)]
    text = doc.sections[0].text
    order = [
        "Loose intro words.",
        "Div lead-in.",
        "Inner paragraph.",
        "Div tail.",
        "- Outer item",
        "- inner item",
    ]
    positions = [text.find(piece) for piece in order]
    assert -1 not in positions, text
    assert positions == sorted(positions)
    assert text.count("Inner paragraph.") == 1


def test_html_without_block_elements_still_yields_its_text() -> None:
    doc = html("<html><body>Just <b>some</b> loose <span>words</span></body></html>")
    assert doc.sections
    text = all_text(doc)
    for word in ("Just", "some", "loose", "words"):
        assert word in text


def test_html_markup_the_parser_rejects_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="HTML"):
        html("<![foo bar]> hello")


# -- PDF -------------------------------------------------------------------------------

GUIDE_PAGES = [
    [
        ("h1", "Grounding After A Hard Shift"),
        (
            "p",
            "Sit comfortably and notice the breath going in and out for a few minutes "
            "before the next patient arrives on the ward and asks for your help.",
        ),
        ("h2", "Noticing The Body"),
        ("p", "Scan the shoulders and the jaw for tension and let it soften."),
    ],
    [
        ("h2", "Kindness Toward Yourself"),
        ("p", "Speak to yourself as you would speak to a trusted colleague."),
    ],
]


def test_pdf_text_comes_back_from_every_page_and_headings_split_sections() -> None:
    doc = parse_bytes(Path("guide.pdf"), make_pdf(GUIDE_PAGES))
    sections = by_heading(doc)
    assert set(sections) == {
        ("Grounding After A Hard Shift",),
        ("Noticing The Body",),
        ("Kindness Toward Yourself",),
    }
    first = sections[("Grounding After A Hard Shift",)]
    assert first.startswith("Sit comfortably and notice the breath")
    assert first.endswith("asks for your help.")
    assert "\n" not in first  # the wrapped lines were reflowed
    assert sections[("Noticing The Body",)] == (
        "Scan the shoulders and the jaw for tension and let it soften."
    )
    assert sections[("Kindness Toward Yourself",)] == (
        "Speak to yourself as you would speak to a trusted colleague."
    )
    assert doc.title == "Grounding After A Hard Shift"


def test_pdf_metadata_title_is_used() -> None:
    doc = parse_bytes(Path("guide.pdf"), make_pdf(GUIDE_PAGES, title="Shift Recovery Guide"))
    assert doc.title == "Shift Recovery Guide"


def test_pdf_without_compression_parses_too() -> None:
    doc = parse_bytes(Path("plain.pdf"), make_pdf(GUIDE_PAGES, compress=False))
    assert "trusted colleague" in all_text(doc)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4\nthis is not really a pdf at all", id="garbage-after-header"),
        pytest.param(b"%PDF-1.7\n%%EOF", id="header-and-eof-only"),
        pytest.param(make_pdf(GUIDE_PAGES)[:700], id="truncated"),
    ],
)
def test_malformed_pdf_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError, match="malformed PDF"):
        parse_bytes(Path("broken.pdf"), data)


def test_pdf_with_a_corrupted_stream_filter_is_a_parse_error() -> None:
    data = make_pdf(GUIDE_PAGES)
    assert b"/FlateDecode" in data
    corrupted = data.replace(b"/FlateDecode", b"/FlateDecodX")  # same length: offsets hold
    with pytest.raises(ParseError, match="malformed PDF"):
        parse_bytes(Path("broken.pdf"), corrupted)


def test_non_pdf_with_pdf_suffix_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a PDF"):
        parse_bytes(Path("letter.pdf"), b"Dear colleague, this is plain text.")


def test_encrypted_pdf_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="encrypted"):
        parse_bytes(Path("locked.pdf"), encrypt_pdf(make_pdf(GUIDE_PAGES)))


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "], ids=["empty", "whitespace"])
def test_empty_files_are_reported_as_empty(suffix: str, data: bytes) -> None:
    with pytest.raises(ParseError, match="is empty"):
        parse_bytes(Path(f"blank{suffix}"), data)


@pytest.mark.parametrize("suffix", [".md", ".txt", ".html"])
def test_binary_file_is_a_parse_error(suffix: str) -> None:
    with pytest.raises(ParseError, match="binary"):
        parse_bytes(Path(f"photo{suffix}"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")


@pytest.mark.parametrize("suffix", [".md", ".txt", ".html"])
def test_non_utf8_text_names_utf8_in_the_message(suffix: str) -> None:
    with pytest.raises(ParseError, match="UTF-8") as info:
        parse_bytes(Path(f"menu{suffix}"), b"The caf\xe9 downstairs is open late.")
    assert "0xe9" in str(info.value)


def test_unsupported_suffix_lists_the_supported_ones() -> None:
    with pytest.raises(ParseError) as info:
        parse_bytes(Path("report.docx"), b"PK\x03\x04 some zip")
    message = str(info.value)
    assert "'.docx'" in message
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message


def test_missing_suffix_is_named_in_the_message() -> None:
    with pytest.raises(ParseError, match="no extension"):
        parse_bytes(Path("README"), b"hello")


@pytest.mark.parametrize(
    "front_matter",
    [
        pytest.param("title: [unclosed\n", id="unclosed-list"),
        pytest.param("title: a\n  bad: indent\n", id="bad-indent"),
        pytest.param("reviewed: 2024-13-45\n", id="impossible-date"),
    ],
)
def test_malformed_yaml_front_matter_is_a_parse_error(front_matter: str) -> None:
    with pytest.raises(ParseError, match="malformed YAML front matter"):
        md(f"---\n{front_matter}---\n# Title\n\nBody.\n")


def test_front_matter_that_is_not_a_mapping_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a YAML mapping"):
        md("---\n- just\n- a list\n---\nBody.\n")


def test_markdown_with_only_front_matter_has_no_text() -> None:
    with pytest.raises(ParseError, match="has no text"):
        md("---\ntitle: Empty inside\nkind: concept\n---\n\n\n")


def test_html_with_only_dropped_elements_has_no_text() -> None:
    with pytest.raises(ParseError, match="has no text"):
        html("<html><head><script>var x = 1;</script></head><body><nav>Menu</nav></body></html>")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("bom.md", "# Bom Title\n\nBody text."),
        ("bom.txt", "Bom Title\n\nBody text."),
        ("bom.html", "<title>Bom Title</title><p>Body text.</p>"),
    ],
)
def test_utf8_bom_is_accepted(name: str, body: str) -> None:
    doc = parse_bytes(Path(name), b"\xef\xbb\xbf" + body.encode())
    assert doc.title == "Bom Title"
    assert all_text(doc) == "Body text."
    assert "\ufeff" not in doc.title + all_text(doc)


def test_utf8_bom_before_front_matter_is_accepted() -> None:
    doc = parse_bytes(Path("bom.md"), b"\xef\xbb\xbf---\nkind: practice\n---\nBody text.\n")
    assert doc.metadata == {"kind": "practice"}
    assert all_text(doc) == "Body text."


# -- property: any text either parses to something or is a ParseError -------------------

_ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8"),  # every character that UTF-8 can encode
    max_size=300,
)
_MARKUPISH = st.lists(
    st.sampled_from(
        [
            "# ",
            "## ",
            "---\n",
            "\n",
            "\n\n",
            "- ",
            "```",
            "<p>",
            "</p>",
            "<h2>",
            "<div>",
            "<script>",
            "<!--",
            "-->",
            "<![",
            "&amp;",
            "Word ",
            "words. ",
            "é😀中文",
            "\x00",
            "\x0b\x0c\x1c",
            "\u2028",
            ": [",
            "title: x\n",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from([".md", ".txt", ".html"]),
    text=st.one_of(_ANY_TEXT, _MARKUPISH),
)
@example(suffix=".html", text="<![foo bar]> x")
@example(suffix=".md", text="---\nd: 2024-13-45\n---\nx")
@example(suffix=".txt", text="\x00")
@example(suffix=".md", text="\u2028\u2029\x85 \x1c")
def test_any_text_parses_or_raises_parse_error(suffix: str, text: str) -> None:
    try:
        doc = parse_bytes(Path(f"x{suffix}"), text.encode("utf-8"))
    except ParseError as exc:
        assert str(exc)
        return
    assert doc.sections
    assert any(s.text.strip() for s in doc.sections)
    assert all(s.headings for s in doc.sections)
