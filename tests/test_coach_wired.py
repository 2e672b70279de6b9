"""The coach as `Coach.from_settings` wires it (scripted responder, shipped emotion model,
SQLite sessions, embedded chromadb; the hashing embedder and rules keep it fast), tried
as a new user would on five different incidents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.engine import Coach
from coach.settings import Settings
from guardrails.reply_check import check_reply

INCIDENTS: dict[str, tuple[list[str], re.Pattern[str]]] = {
    "death after resuscitation": (
        [
            "Shaky, to be honest.",
            "A man in his seventies arrested on the ward and we did CPR for forty minutes.",
            "We couldn't get him back. His wife arrived just after we stopped.",
            "I feel sad and guilty that I didn't spot he was deteriorating.",
        ],
        re.compile(r"resus|cpr|arrest|death|died|lost|his wife", re.I),
    ),
    "medication error": (
        [
            "Not great.",
            "I gave the wrong dose of insulin to a patient on a night shift.",
            "She was okay in the end but I only noticed at handover.",
            "I'm ashamed and frightened I'll lose my registration.",
        ],
        re.compile(r"insulin|dose|error|medication|mistake", re.I),
    ),
    "aggressive relative": (
        [
            "Still a bit wound up.",
            "A patient's son screamed at me and threatened me at the nurses' station.",
            "Security took twenty minutes to come.",
            "I was frightened and angry.",
        ],
        re.compile(r"son|threat|screamed|shout|relative|security", re.I),
    ),
    "futile care": (
        [
            "Tired.",
            "We've kept a frail 94-year-old on full escalation for weeks and it feels wrong.",
            "Nobody will have the conversation with the family about stopping.",
            "I feel angry and helpless.",
        ],
        re.compile(r"escalation|futile|wrong|family|care|conversation", re.I),
    ),
    "child's death": (
        [
            "Numb.",
            "A four-year-old died in resus after drowning and I told the parents.",
            "His mum's scream is all I can hear.",
            "I'm heartbroken, I have a son the same age.",
        ],
        re.compile(r"child|four-year-old|parents|mum|scream|news|boy|son", re.I),
    ),
}


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    data_dir = tmp_path_factory.mktemp("coach-data")
    settings = Settings(data_dir=data_dir, embedder="hashing", risk_classifier="rules")
    return Coach.from_settings(settings)


@pytest.mark.parametrize("incident", sorted(INCIDENTS))
def test_five_incidents_each_get_replies_that_fit(coach: Coach, incident: str) -> None:
    messages, fits = INCIDENTS[incident]
    session = "wired-" + re.sub(r"\W", "-", incident)
    opening = coach.start(session, user_id="tester")
    replies = [opening.text]
    for message in messages:
        result = coach.turn(session, message, user_id="tester")
        assert result.level.value == "none"
        replies.append(result.text)
    for reply in replies:
        assert check_reply(reply).passed, reply
        assert reply.count("?") <= 1, reply
    event_replies = replies[2:]
    assert any(fits.search(r) for r in event_replies), (incident, event_replies)
    assert len(set(replies)) == len(replies), "no reply is repeated word for word"
    state = coach.load(session)
    assert state is not None and len(state.asked) == len(set(state.asked))


def test_a_named_feeling_is_reflected(coach: Coach) -> None:
    coach.start("wired-feelings-0001")
    coach.turn("wired-feelings-0001", "A patient died on my shift.")
    result = coach.turn("wired-feelings-0001", "I feel so guilty about it.")
    assert "guilty" in result.text


def test_script_mode_through_the_real_wiring(tmp_path: Path) -> None:
    script = tmp_path / "turns.json"
    script.write_text(json.dumps(INCIDENTS["death after resuscitation"][0] + ["/skip", "/end"]))
    env = {
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_EMBEDDER": "hashing",
        "COACH_RISK_CLASSIFIER": "rules",
    }
    result = CliRunner().invoke(app, ["chat", "--script", str(script)], env=env)
    assert result.exit_code == 0, result.output
    turns = json.loads(result.stdout)
    assert len(turns) == 7
    assert any(t["sources"] for t in turns), "grounded stages cite the knowledge cards"
    cited = [s for t in turns for s in t["sources"]]
    assert all(s["citation"] and s["title"] for s in cited)
    assert turns[-1]["ended"] and "## Action plan" in turns[-1]["summary"]
