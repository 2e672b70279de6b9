"""The offline tone scorers and `coach evals score-tone`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from evals.tone import ToneScorer, TurnInput

CONTEXT = "I gave the wrong insulin on nights and I feel so ashamed. My manager wants a meeting."
REFLECTION = (
    "It sounds like the insulin error on nights has left you feeling ashamed, and the "
    "meeting with your manager is weighing on you. That makes sense. What feels hardest "
    "about it right now?"
)
ADVICE = "You should write a reflective statement and make sure you double check insulin next time."
MINIMISING = "At least the patient was fine, so don't worry too much. What happened next?"
DIAGNOSING = "It sounds like you have PTSD from this. How are you sleeping?"
JUDGING = "You should have checked the chart before giving it. What happened next?"


@pytest.fixture(scope="module")
def scorer() -> ToneScorer:
    return ToneScorer()


def score(scorer: ToneScorer, response: str, **kw: object) -> dict[str, float]:
    return scorer.score(TurnInput(CONTEXT, response, **kw)).scores  # type: ignore[arg-type]


def test_a_validating_reflection_with_one_open_question_scores_well(scorer: ToneScorer) -> None:
    result = scorer.score(TurnInput(CONTEXT, REFLECTION))
    assert result.scores["validation"] == 1.0
    assert result.scores["reflection"] >= 0.9  # names insulin, nights, manager, meeting
    assert result.scores["exploration"] == 1.0
    assert result.scores["one_question"] == 1.0
    assert all(result.scores[k] == 1.0 for k in ("no_advice", "no_judgement", "no_minimising"))
    assert result.overall > 0.8


@pytest.mark.parametrize(
    ("response", "scorer_name"),
    [
        (ADVICE, "no_advice"),
        (MINIMISING, "no_minimising"),
        (DIAGNOSING, "no_diagnosis"),
        (JUDGING, "no_judgement"),
        ("Take a break and drink some water.", "no_advice"),
        ("What happened? Who was there? How did you feel?", "one_question"),
    ],
)
def test_each_problem_is_caught_and_drags_the_overall_down(
    scorer: ToneScorer, response: str, scorer_name: str
) -> None:
    result = scorer.score(TurnInput(CONTEXT, response))
    assert result.scores[scorer_name] == 0.0
    assert result.overall < scorer.score(TurnInput(CONTEXT, REFLECTION)).overall / 2
    if scorer_name != "one_question":
        assert scorer_name in result.notes  # the report can say why


def test_self_blame_reflected_back_is_not_judgement(scorer: ToneScorer) -> None:
    reflected = "You feel that you should have noticed sooner, and that weighs on you."
    assert score(scorer, reflected)["no_judgement"] == 1.0
    assert score(scorer, "You should have noticed sooner.")["no_judgement"] == 0.0


def test_advice_offered_with_permission_is_marked_down_less(scorer: ToneScorer) -> None:
    unsolicited = score(scorer, "Try writing down what happened tonight.")["no_advice"]
    offered = score(
        scorer,
        "If it feels right, try writing down what happened tonight. It's up to you.",
    )["no_advice"]
    assert unsolicited == 0.0 and offered > 0.5


def test_exploration_prefers_open_questions(scorer: ToneScorer) -> None:
    assert score(scorer, "What was that like for you?")["exploration"] == 1.0
    assert score(scorer, "Did you tell anyone?")["exploration"] < 0.5
    assert score(scorer, "That sounds hard.")["exploration"] == 0.0
    assert "exploration" not in score(scorer, "That sounds hard.", expects_question=False)


def test_reflection_needs_their_words_not_just_a_frame(scorer: ToneScorer) -> None:
    echoed = score(scorer, "You gave the wrong insulin and you feel ashamed.")["reflection"]
    generic = score(scorer, "You are going through something.")["reflection"]
    none = score(scorer, "What happened then?")["reflection"]
    assert echoed > generic > none == 0.0


def test_citation_faithfulness_checks_the_cited_passage(scorer: ToneScorer) -> None:
    passage = (
        "When a patient is harmed by an error, the clinicians involved often suffer too, "
        "with guilt, replaying and self-doubt."
    )
    supported = "Clinicians involved in an error often suffer guilt and self-doubt [S1]."
    unsupported = "Most errors are caused by a lack of sleep and poor rotas [S1]."
    dangling = "Clinicians involved in an error often suffer guilt and self-doubt [S2]."
    passages = {"S1": passage}
    assert score(scorer, supported, passages=passages)["citation_faithfulness"] == 1.0
    assert score(scorer, unsupported, passages=passages)["citation_faithfulness"] == 0.0
    assert score(scorer, dangling, passages=passages)["citation_faithfulness"] == 0.0
    assert "citation_faithfulness" not in score(scorer, "No citation here.", passages=passages)


def test_stage_adherence_reads_the_question(scorer: ToneScorer) -> None:
    assert (
        score(scorer, "In your own words, what happened?", stage="story")["stage_adherence"] == 1.0
    )
    off = score(scorer, "Who could you reach out to this week?", stage="story")
    assert off["stage_adherence"] == 0.0
    assert (
        score(scorer, "Who could you reach out to this week?", stage="next-step")["stage_adherence"]
        == 1.0
    )
    assert "stage_adherence" not in score(scorer, "What happened?")


def test_length_and_readability(scorer: ToneScorer) -> None:
    plain_reply = score(scorer, REFLECTION)["length_readability"]
    too_short = score(scorer, "Okay.")["length_readability"]
    dense = score(
        scorer,
        "Notwithstanding institutional considerations, organisational accountability "
        "mechanisms necessitate comprehensive multidisciplinary documentation "
        "procedures encompassing interdisciplinary communication responsibilities.",
    )["length_readability"]
    assert plain_reply > 0.9 and too_short < 0.6 and dense < 0.6


def test_score_tone_cli(tmp_path: Path) -> None:
    lines = [
        {"context": CONTEXT, "response": REFLECTION},
        {"context": CONTEXT, "response": ADVICE},
        {"context": CONTEXT},
        "not json",
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", "utf-8"
    )
    result = CliRunner().invoke(app, ["evals", "score-tone", "--jsonl", str(path)])
    assert result.exit_code == 1  # two lines could not be scored
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    good, bad = out[0], out[1]
    assert set(good["scores"]) >= {"validation", "reflection", "no_advice", "length_readability"}
    assert all(0.0 <= v <= 1.0 for v in good["scores"].values())
    assert good["overall"] > bad["overall"]
    assert "response" in out[2]["error"] and "error" in out[3]
    assert "2 line(s) could not be scored" in result.stderr


def test_score_tone_cli_names_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evals", "score-tone", "--jsonl", str(tmp_path / "x")])
    assert result.exit_code == 2 and "is not a file" in result.stderr
