"""`coach guard check|redact --jsonl FILE`: one JSON object per line, bad lines named."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()


def run(
    args: list[str], tmp_path: Path, lines: list[bytes]
) -> tuple[int, list[dict[str, object]], str]:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(app, [*args, "--jsonl", str(path)])
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, out, result.stderr


def test_check_classifies_each_line_with_history(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "I wish I was dead"}).encode(),
        json.dumps({"text": "my patient took an overdose"}).encode(),
        json.dumps(
            {"text": "I sorted my will out", "history": ["tired of everything", "what's the point"]}
        ).encode(),
    ]
    code, out, _ = run(["guard", "check"], tmp_path, lines)
    assert code == 0
    assert [o["escalation"] for o in out] == ["crisis", "none", "crisis"]
    assert out[0]["categories"] == ["suicidal_ideation"]
    assert out[0]["text"] == "I wish I was dead"
    assert all({"text", "escalation", "categories", "reasons"} <= o.keys() for o in out)


def test_malformed_lines_get_an_error_and_the_rest_go_on(tmp_path: Path) -> None:
    lines = [
        b"{not json",
        json.dumps({"text": "I'm not coping"}).encode(),
        b"\xff\xfe binary",
        json.dumps({"txt": "wrong key"}).encode(),
        json.dumps({"text": "ok", "history": "not a list"}).encode(),
        json.dumps(["a list"]).encode(),
    ]
    code, out, err = run(["guard", "check"], tmp_path, lines)
    assert code == 1
    assert [o.get("line") for o in out] == [1, 2, 3, 4, 5, 6]
    assert out[1]["escalation"] == "support"
    assert "not valid JSON" in str(out[0]["error"])
    assert "UTF-8" in str(out[2]["error"])
    assert '"text"' in str(out[3]["error"])
    assert "history" in str(out[4]["error"])
    assert "in.jsonl:1" in err and "5 line(s)" in err


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["guard", "check", "--jsonl", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "--jsonl" in result.stderr


def test_redact_prints_text_redacted_and_entities(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "Mrs Okafor's son rang on 07700 900123"}).encode()]
    code, out, _ = run(["guard", "redact"], tmp_path, lines)
    assert code == 0
    assert out[0]["text"] == "Mrs Okafor's son rang on 07700 900123"
    redacted = str(out[0]["redacted"])
    assert "Okafor" not in redacted and "900123" not in redacted
    assert "[NAME]" in redacted and "[PHONE]" in redacted
    labels = {e["label"] for e in out[0]["entities"]}  # type: ignore[attr-defined]
    assert {"NAME", "PHONE"} <= labels
