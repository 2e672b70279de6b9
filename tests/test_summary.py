"""The keepable summary: Gibbs headings, sections from the right stages, nothing else."""

from __future__ import annotations

from coach.state import DebriefState, InsightNote, Turn
from coach.summary import build_summary
from guardrails.resources import load_resources


def _state() -> DebriefState:
    state = DebriefState(session_id="session-0001", emotions=["sad", "guilty"])
    said = [
        ("story", "message", "A patient, [NAME], arrested during handover."),
        ("story", "disclosure", "Everyone would be better off without me."),
        ("feelings", "message", "Mostly I feel I let him down."),
        (
            "sense-making",
            "message",
            "The crash team came fast, that helped. The monitor was "
            "broken, which made it harder. We were two nurses down.",
        ),
        ("self-compassion", "message", "I became a nurse to make a difference."),
        ("next-step", "message", "I'll book a chat with the practice educator."),
    ]
    for stage, kind, text in said:
        state.add(Turn(role="clinician", text=text, stage=stage, kind=kind))  # type: ignore[arg-type]
    state.insights = [
        InsightNote(
            key="c",
            title="Second victim support",
            citation="Scott, S. D., Hirschinger, L. E., Cox, K. R., et al. (2009). The natural "
            "history of recovery for the healthcare provider second victim. Qual Saf Health "
            "Care, 18(5), 325-330.; Wu, A. W. (2000). Medical error: the second victim. BMJ, "
            "320, 726-727.",
        )
    ]
    return state


def test_sections_come_from_their_stages() -> None:
    summary = build_summary(_state(), load_resources().for_locale("UK"))
    assert summary.what_happened == "A patient, [NAME], arrested during handover."
    assert summary.feelings == ("sad", "guilty")
    assert summary.helped == ("The crash team came fast, that helped.",)
    assert summary.hindered == (
        "The monitor was broken, which made it harder.",
        "We were two nurses down.",
    )
    assert summary.next_step == "I'll book a chat with the practice educator."
    assert summary.insight == ("Second victim support (Scott et al., 2009)",)
    assert len(summary.references) == 2 and summary.references[1].startswith("Wu, A. W.")
    assert any("Practitioner Health" in r for r in summary.resources)


def test_markdown_has_gibbs_headings_and_leaves_out_disclosures() -> None:
    markdown = build_summary(_state()).to_markdown(date="21 November 2026")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert [h.split(":")[0] for h in headings] == [
        "## Description",
        "## Feelings",
        "## Evaluation",
        "## Analysis",
        "## Action plan",
        "## Support and resources",
    ]
    assert "better off without me" not in markdown
    assert "21 November 2026" in markdown


def test_an_empty_debrief_says_what_was_not_discussed() -> None:
    markdown = build_summary(DebriefState(session_id="session-0002")).to_markdown()
    assert markdown.count("_Not discussed._") >= 3


def test_long_sections_are_clipped() -> None:
    state = DebriefState(session_id="session-0003")
    state.add(Turn(role="clinician", text="word " * 1000, stage="story"))
    assert len(build_summary(state).what_happened) < 700
