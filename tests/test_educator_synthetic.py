"""The seeded synthetic database: its themes come out as planned, the CLI prints the
expected aggregates, and no cell under k appears in the JSON, the CSV or the HTML report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.educator.store import ThemeStore
from coach.educator.synthetic import REPORT_DAY, Seeded, plan, seed_database
from tests.educator_support import check_shown, planned_cells, shown_in_csv, shown_in_html

K = 5
TODAY = REPORT_DAY.isoformat()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_database(tmp_path_factory.mktemp("themes-seeded"))


@pytest.fixture
def env(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("COACH_", "CHAINLIT_")):
            monkeypatch.delenv(name)
    store = seeded.recorder.store
    assert isinstance(store, ThemeStore)  # seeded into a data folder, so SQLite
    data = store.path.parent
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    yield data


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, ["educator", *args])
    assert result.exit_code == 0, result.output
    return result


def test_the_plan_is_deterministic_and_has_small_groups() -> None:
    first, again = plan(), plan()
    assert first == again
    assert plan(seed=8) != first
    users = {p.user for p in first}
    assert len(users) == 48
    rare = {p.user for p in first if p.incident == "patient_suicide"}
    assert len(rare) == 2  # always under k


def test_every_synthetic_debrief_gets_the_themes_planned_for_it(seeded: Seeded) -> None:
    tokens = {p.user: seeded.recorder.token(p.user) for p in seeded.planned}
    expected = sorted(p.record(tokens[p.user]).model_dump_json() for p in seeded.planned)
    stored = sorted(r.model_dump_json() for r in seeded.recorder.store.records())
    assert stored == expected
    assert seeded.sweep.recorded == len(seeded.planned)


def test_themes_json_shows_the_expected_aggregates(env: Path, seeded: Seeded) -> None:
    truth = planned_cells(seeded.planned)
    report = json.loads(invoke("themes", "--json", "--today", TODAY, "--no-sweep").output)
    assert report["k"] == K
    assert report["total"]["debriefs"] == len(seeded.planned) == 98
    incidents = {r["key"]: r["debriefs"] for r in _family(report, "incident")["rows"]}
    assert incidents["patient_death"] == truth[("incident", "patient_death", "all", "all")].debriefs
    assert "patient_suicide" not in incidents
    assert report["roles"] == ["doctor", "nurse", "all"]  # midwives (4) and paramedics (2) hidden
    assert report["columns"] == ["2025-07", "2025-08", "2025-09"]


def test_no_cell_under_k_in_any_json_view(env: Path, seeded: Seeded) -> None:
    truth = planned_cells(seeded.planned)
    numbers = 0
    for by in ("week", "month", "quarter"):
        for role in ("all", "nurse", "doctor"):
            out = invoke(
                "themes", "--json", "--by", by, "--role", role, "--today", TODAY, "--no-sweep"
            )
            report = json.loads(out.output)
            period = report["query"]["period"]
            shown = {}
            for table in [{"rows": [report["total"]]}, *report["families"]]:
                for row in table["rows"]:
                    shown[(row["family"], row["key"], period, role)] = row["debriefs"]
                    for column, value in zip(report["columns"], row["over_time"], strict=True):
                        shown[(row["family"], row["key"], column, role)] = value
            numbers += check_shown(shown, truth, K)
    assert numbers > 200  # the check is not vacuous


def test_small_roles_and_periods_cannot_be_asked_for(env: Path) -> None:
    for args in (["--role", "paramedic"], ["--role", "midwife"], ["--period", "2024-Q1"]):
        result = CliRunner().invoke(app, ["educator", "themes", "--today", TODAY, *args])
        assert result.exit_code == 2
        assert "error:" in result.output


def test_report_writes_html_csv_and_json_with_nothing_under_k(
    env: Path, seeded: Seeded, tmp_path: Path
) -> None:
    truth = planned_cells(seeded.planned)
    out = tmp_path / "report"
    invoke("report", "--out", str(out), "--by", "week", "--today", TODAY, "--no-sweep")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "<script" not in page and "http" not in page
    assert check_shown(shown_in_html(page), truth, K) > 50
    assert check_shown(shown_in_csv((out / "themes.csv").read_text()), truth, K) > 50
    assert json.loads((out / "themes.json").read_text())["query"]["by"] == "week"
    for rare in ("patient_suicide", "patient suicide", "paramedic", "midwife"):
        for name in ("index.html", "themes.csv", "themes.json"):
            assert rare not in (out / name).read_text(), (rare, name)


def test_the_seed_script_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "seed_themes.py"), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "Seeded 98 synthetic debriefs of 48 clinicians" in done.stdout
    assert (tmp_path / "themes.db").is_file() and (tmp_path / "coach.db").is_file()


def _family(report: dict[str, Any], family: str) -> dict[str, Any]:
    return next(t for t in report["families"] if t["family"] == family)
