"""The /educator routes on Chainlit's real FastAPI app: educators and admins see the
dashboard (HTML, JSON, CSV) with suppression applied; clinicians and strangers are
refused; and an educator cannot open anyone's transcript through Chainlit's own routes."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from coach.app.testing import chat_session  # sets CHAINLIT_APP_ROOT first

from chainlit.user import User

from coach.app.datalayer import DeidentifyingDataLayer
from coach.app.schema import ensure_schema
from coach.educator.recorder import ThemeRecorder
from coach.educator.routes import install_educator_routes
from coach.educator.store import ThemeStore
from coach.educator.synthetic import REPORT_DAY, Seeded, seed_database
from tests.educator_support import check_shown, planned_cells, shown_in_csv, shown_in_html

ROLES = {"edu.one": "educator", "admin.one": "admin", "nurse.one": "clinician"}
TRANSCRIPT = "I keep thinking about the night Mr [NAME] arrested on bay four."


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_database(tmp_path_factory.mktemp("themes-routes"))


async def _clinician_thread(layer: DeidentifyingDataLayer) -> str:
    chat_session()
    user = await layer.create_user(User(identifier="nurse.one", metadata={"role": "clinician"}))
    assert user is not None
    await layer.create_user(User(identifier="edu.one", metadata={"role": "educator"}))
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="A hard night", user_id=user.id)
    await layer.create_step(
        {
            "id": str(uuid.uuid4()),
            "threadId": thread_id,
            "type": "user_message",
            "name": "nurse.one",
            "output": TRANSCRIPT,
            "streaming": False,
            "metadata": {},
            "createdAt": "2026-01-01T00:00:00Z",
        }
    )
    return thread_id


@pytest.fixture
def client(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, str, ThemeRecorder]]:
    """Chainlit's app with password sign-in, our data layer and the educator routes, over
    the synthetic themes (as of the report day)."""
    import chainlit.data as chainlit_data
    from chainlit.config import config
    from chainlit.server import app
    from fastapi.testclient import TestClient

    import coach.educator.routes as routes

    url = f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    run(ensure_schema(url))
    layer = DeidentifyingDataLayer(url)
    thread_id = run(_clinician_thread(layer))
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "x" * 48)
    monkeypatch.setattr(config.code, "password_auth_callback", lambda *_: None)
    monkeypatch.setattr(chainlit_data, "_data_layer", layer)
    monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)

    class ReportDay(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return cls.combine(REPORT_DAY, datetime.min.time(), tz)

    monkeypatch.setattr(routes, "datetime", ReportDay)
    recorder = ThemeRecorder(ThemeStore(tmp_path / "themes.db"), b"r" * 48)
    saved = list(app.router.routes)
    install_educator_routes(
        app,
        records=seeded.recorder.store.records,
        k=5,
        role_of=lambda who: ROLES.get(who, "clinician"),
        recorder=lambda: recorder,
    )
    try:
        yield TestClient(app), thread_id, recorder
    finally:
        app.router.routes[:] = saved


def _as(identifier: str, role: str | None = None) -> dict[str, str]:
    from chainlit.auth import create_jwt

    metadata = {"role": role or ROLES.get(identifier, "clinician")}
    token = create_jwt(User(identifier=identifier, metadata=metadata))
    return {"Authorization": f"Bearer {token}"}


def test_an_educator_sees_the_dashboard_with_charts(client: Any, seeded: Seeded) -> None:
    http, _, _ = client
    truth = planned_cells(seeded.planned)
    page = http.get("/educator", headers=_as("edu.one"))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    for section in ("over-time", "emotions", "factors", "escalations"):
        assert f'id="{section}"' in html
    assert html.count('<svg class="chart') >= 5 and "<script" not in html
    assert check_shown(shown_in_html(html), truth, 5) > 50
    weekly = http.get("/educator?period=2025-Q3&by=week&role=nurse", headers=_as("admin.one"))
    assert weekly.status_code == 200
    assert check_shown(shown_in_html(weekly.text), truth, 5) > 20
    assert "patient suicide" not in html and "paramedic" not in html


def test_json_and_csv_exports_apply_suppression(client: Any, seeded: Seeded) -> None:
    http, _, _ = client
    truth = planned_cells(seeded.planned)
    data = http.get("/educator/themes.json?by=week", headers=_as("edu.one"))
    assert data.status_code == 200
    body = data.json()
    assert body["k"] == 5 and body["total"]["debriefs"] == len(seeded.planned)
    exported = http.get("/educator/themes.csv?by=week&role=nurse", headers=_as("edu.one"))
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="themes.csv"'
    assert check_shown(shown_in_csv(exported.text), truth, 5) > 20
    bad = http.get("/educator/themes.json?role=paramedic", headers=_as("edu.one"))
    assert bad.status_code == 400 and "role" in bad.json()["detail"]
    bad = http.get("/educator/themes.json?by=fortnight", headers=_as("edu.one"))
    assert bad.status_code == 400


def test_clinicians_and_strangers_are_refused(client: Any) -> None:
    http, _, _ = client
    for path in ("/educator", "/educator/themes.json", "/educator/themes.csv"):
        mine = http.get(path, headers=_as("nurse.one"))
        assert mine.status_code == 403, path
        assert "educators and admins" in mine.text
        assert http.get(path).status_code == 401
        assert http.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    # the role is the users file's, not whatever the sign-in token carries
    forged = http.get("/educator", headers=_as("nurse.one", role="educator"))
    assert forged.status_code == 403
    assert "Sign in" in http.get("/educator").text


def test_an_educator_cannot_open_a_clinicians_transcript(client: Any) -> None:
    http, thread_id, _ = client
    edu, nurse = _as("edu.one"), _as("nurse.one")
    # the clinician can (so these routes do serve the transcript to its author)...
    own = http.get(f"/project/thread/{thread_id}", headers=nurse)
    assert own.status_code == 200 and TRANSCRIPT in own.text
    # ...the educator cannot, by any of Chainlit's thread routes
    assert http.get(f"/project/thread/{thread_id}", headers=edu).status_code == 401
    element = f"/project/thread/{thread_id}/element/{uuid.uuid4()}"
    assert http.get(element, headers=edu).status_code == 401
    assert http.get(f"/project/share/{thread_id}", headers=edu).status_code == 404
    listed = http.post(
        "/project/threads", json={"pagination": {"first": 20}, "filter": {}}, headers=edu
    )
    assert listed.status_code == 200 and thread_id not in listed.text
    assert TRANSCRIPT not in listed.text
    rename = {"threadId": thread_id, "name": "read by an educator"}
    assert http.put("/project/thread", json=rename, headers=edu).status_code == 401
    # and the dashboard has no way to a transcript either
    page = http.get("/educator", headers=edu).text
    assert thread_id not in page and "/project/thread" not in page and "[NAME]" not in page


def test_a_clinician_can_opt_out_of_themes(client: Any) -> None:
    http, _, recorder = client
    page = http.get("/my-themes", headers=_as("nurse.one"))
    assert page.status_code == 200 and "counted" in page.text
    assert http.get("/my-themes").status_code == 401
    other_site = http.post(
        "/my-themes",
        data={"choice": "out"},
        headers={**_as("nurse.one"), "Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403 and not recorder.opted_out("nurse.one")
    done = http.post("/my-themes", data={"choice": "out"}, headers=_as("nurse.one"))
    assert done.status_code == 200 and "opted out" in done.text
    assert recorder.opted_out("nurse.one")
    back = http.post("/my-themes", data={"choice": "in"}, headers=_as("nurse.one"))
    assert back.status_code == 200 and not recorder.opted_out("nurse.one")
