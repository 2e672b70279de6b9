"""`make load` in small: a few clinicians through one whole debrief each, at the same time,
over the chat socket against a real `coach run` (hashing embedder, rules-only risk screen,
to start fast). Exercises coach.app.client and benchmarks.load end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.load import SCRIPTS, main, problems
from coach.app import wording
from coach.app.client import Reply, ShownMessage

CLINICIANS = len(SCRIPTS)  # one clinician per script


@pytest.mark.integration
def test_clinicians_debrief_at_once_without_errors(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    argv = [
        "--sessions", str(CLINICIANS), "--debriefs", "1", "--duration", "120",
        "--think", "0.05", "--ramp", "0.5", "--fast",
        "--data-dir", str(tmp_path / "data"), "--out", str(out),
    ]  # fmt: skip

    status = main(argv)

    results = json.loads(out.read_text(encoding="utf-8"))
    assert status == 0, results["error_samples"]
    assert results["errors"] == 0
    assert results["debriefs_completed"] == results["debriefs_started"] == CLINICIANS
    # Seven messages and End debrief each; every message was found in the saved chat.
    assert results["turns"] == sum(len(script) + 1 for script in SCRIPTS)
    latency = results["turn_latency"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["max_ms"]
    rss = results["server_rss_mb"]
    assert 0 < rss["start"] <= rss["peak"] and rss["end"] <= rss["peak"]


def reply(text: str, *, acknowledged: bool = True, error: bool = False) -> Reply:
    message = ShownMessage(
        id="m1", author="Coach", type="assistant_message", text=text, is_error=error
    )
    return Reply(
        text=text,
        messages=(message,),
        actions=(),
        acknowledged=acknowledged,
        complete=True,
        latency_s=0.1,
    )


def test_the_load_counts_unsaved_messages_empty_answers_and_error_messages() -> None:
    assert problems(reply("What stays with you most?")) == []
    assert problems(reply("What stays with you most?", acknowledged=False)) == [
        "the message was not acknowledged (not saved)"
    ]
    assert problems(reply("  ")) == ["no answer text"]
    assert problems(reply("KeyError('x')", error=True)) == ["error message: \"KeyError('x')\""]
    [failure] = problems(reply(wording.SOMETHING_WENT_WRONG))
    assert failure.startswith("the coach reported a failure")
