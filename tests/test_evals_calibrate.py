"""`coach evals calibrate`: on a tiny made-up folder in the same formats (always), and on
the real labelled data in ../shared (skipped when it is absent)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from evals.calibrate import CalibrationError, calibrate_all, render_markdown


def _made_up_data(root: Path) -> Path:
    """Three prompts, a few MI sentences and one ESConv conversation, written here."""
    (root / "pair").mkdir(parents=True)
    rows = [
        {
            "prompt": "I keep missing my insulin because my shifts change every week.",
            "hq1": "Your changing shifts make it hard to keep to a routine with your insulin.",
            "hq2": "You want to stay on top of your insulin, and the rota gets in the way.",
            "mq1": "You miss doses sometimes.",
            "lq1": "You should set an alarm on your phone.",
            "lq2": "Do you have a pill box?",
            "lq3": "Just try harder, it is your health.",
            "lq4": "Make sure you take it at the same time every day.",
            "lq5": "Have you tried asking for fixed shifts?",
        },
        {
            "prompt": "My mum keeps telling me to lose weight and it makes me want to eat more.",
            "hq1": "When your mum comments on your weight, you feel pushed the other way.",
            "hq2": "You feel criticised by your mum, and food becomes a way to cope with that.",
            "mq1": "Your mum talks about your weight.",
            "lq1": "You need to ignore her and go on a diet.",
            "lq2": "Is she right?",
            "lq3": "Stop blaming your mum.",
            "lq4": "Try eating more vegetables.",
            "lq5": "You should talk to a dietitian.",
        },
    ]
    with (root / "pair" / "pair_data.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mi = root / "mi_welivita_pu_2023"
    (mi / "mi_gold").mkdir(parents=True)
    (mi / "pp_template").mkdir()
    with (mi / "mi_gold" / "test_output.csv").open("w", newline="", encoding="utf-8") as f:
        table = csv.writer(f)
        table.writerow(
            ["Text", "Ground truth (index)", "Ground truth", "Prediction (index)", "Prediction"]
        )
        table.writerow(
            [
                "You should see your doctor about this.",
                9,
                "Advise without Permission",
                9,
                "Advise without Permission",
            ]
        )
        table.writerow(["Stop making excuses.", 10, "Confront", 10, "Confront"])
        table.writerow(
            ["It sounds like you are exhausted.", 2, "Simple Reflection", 2, "Simple Reflection"]
        )
        table.writerow(["You have done so well to get this far.", 6, "Affirm", 6, "Affirm"])
    (mi / "pp_template" / "advise_test.jsonl").write_text(
        json.dumps(
            {
                "prompt": "You should be careful.\n\n###\n\n",
                "completion": " I would encourage you to be careful. END",
            }
        )
        + "\n",
        "utf-8",
    )
    (root / "esconv").mkdir()
    dialog = [
        {"speaker": "usr", "text": "I lost my job and I feel useless."},
        {"speaker": "sys", "strategy": "Question", "text": "What happened at work?"},
        {"speaker": "usr", "text": "They let half of us go."},
        {
            "speaker": "sys",
            "strategy": "Reflection of feelings",
            "text": "It sounds like you feel useless since losing your job.",
        },
        {
            "speaker": "sys",
            "strategy": "Providing Suggestions",
            "text": "You should update your CV and apply for a few jobs this week.",
        },
    ]
    (root / "esconv" / "test.json").write_text(json.dumps({"dialog": dialog}) + "\n", "utf-8")
    return root


def test_calibrate_on_made_up_data(tmp_path: Path) -> None:
    report = calibrate_all(_made_up_data(tmp_path / "tone"))
    pair = report["pair"]
    assert pair["prompts"] == 2 and pair["pairs"]["high_vs_low"] == 20
    assert pair["pairwise_accuracy"]["high_vs_low"] == 1.0  # these are easy on purpose
    mi = report["mi_welivita_pu_2023"]["directive_vs_reflective"]
    assert mi["n"] == 4 and mi["precision"] == 1.0 and mi["recall"] == 1.0
    assert report["mi_welivita_pu_2023"]["rephraser_pairs"]["pp_template"]["advice_flagged"] == 1.0
    es = report["esconv"]
    assert es["turns"] == 3 and es["accuracy"] == 1.0
    text = render_markdown(report, tmp_path / "tone")
    assert "| high vs low | 20 | 1.000 |" in text and "meets the target" in text


def test_cli_calibrate_writes_the_doc(tmp_path: Path) -> None:
    data = _made_up_data(tmp_path / "tone")
    doc, figures = tmp_path / "CALIBRATION.md", tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["evals", "calibrate", "--data", str(data), "--doc", str(doc), "--json", str(figures)]
    )
    assert result.exit_code == 0, result.output
    assert "PAIR" in doc.read_text("utf-8")
    assert json.loads(figures.read_text("utf-8"))["summary"]["pair_high_vs_low"] == 1.0


def test_calibrate_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="not a folder"):
        calibrate_all(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CalibrationError, match="holds none of"):
        calibrate_all(tmp_path / "empty")
    (tmp_path / "partial" / "pair").mkdir(parents=True)
    with pytest.raises(CalibrationError, match=r"pair_data\.csv is missing"):
        calibrate_all(tmp_path / "partial")


@pytest.mark.shared_data
def test_pair_ranking_on_the_real_data(shared_dir: Path) -> None:
    """The issue's target: high-quality reflections above low ones >= 0.85 of the time."""
    tone = shared_dir / "data" / "tone"
    if not (tone / "pair" / "pair_data.csv").is_file():
        pytest.skip("../shared/data/tone/pair is absent")
    from evals.calibrate import calibrate_pair
    from evals.tone import ToneScorer

    pair = calibrate_pair(tone / "pair", ToneScorer())
    accuracy = pair["pairwise_accuracy"]
    assert pair["prompts"] >= 300
    assert accuracy["high_vs_low"] >= 0.85
    assert accuracy["medium_vs_low"] >= 0.8
    assert pair["mean_overall"]["high"] > pair["mean_overall"]["low"]


@pytest.mark.shared_data
def test_mi_directive_detection_on_the_real_data(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "tone" / "mi_welivita_pu_2023"
    if not (folder / "mi_gold" / "test_output.csv").is_file():
        pytest.skip("../shared/data/tone/mi_welivita_pu_2023 is absent")
    from evals.calibrate import calibrate_mi
    from evals.tone import ToneScorer

    mi = calibrate_mi(folder, ToneScorer())
    binary = mi["directive_vs_reflective"]
    assert binary["precision"] >= 0.85 and binary["f1"] >= 0.6
    assert mi["flag_rate_by_label"]["Simple Reflection"] <= 0.05
