"""The educator dashboard in a real browser: `coach run` over a seeded synthetic database,
driven by headless Chromium. An educator signed in to the chat opens /educator and sees
the charts (and filters them); a clinician is refused; a stranger is asked to sign in.

Reuses the server and browser harness of tests/test_browser.py (Debian's Chromium at
/usr/bin/chromium; skipped cleanly without it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from coach.app.users import UsersFile
from coach.educator.store import ThemeStore
from coach.educator.synthetic import seed_database
from tests.test_browser import (
    STEP_TIMEOUT_MS,
    Server,
    _assistant_count,
    _browser,
    _click,
    _settle,
    _sign_in,
    serve,
)

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.browser

EDUCATOR, CLINICIAN = "edu.browser", "nurse.dashboard"
PASSWORD = "a browser test password"


def _prepare(data: Path) -> None:
    seed_database(data)
    users = UsersFile(data / "users.yaml")
    users.add(EDUCATOR, PASSWORD, "educator")
    users.add(CLINICIAN, PASSWORD, "clinician", "nurse")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(tmp_path_factory, "coach-educator-browser", _prepare)


def test_an_educator_sees_the_charts(server: Server) -> None:
    from playwright.sync_api import expect

    with _browser(server) as page:
        _sign_in(page, server.url, EDUCATOR)
        response = page.goto(f"{server.url}/educator")
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", name="Debrief themes for educators")).to_be_visible()
        charts = page.locator("svg.chart")
        expect(charts.first).to_be_visible()
        assert charts.count() >= 5
        for section in ("Themes over time", "Emotions", "System factors", "Escalations"):
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
        # charts are images with a name, and they draw real numbers
        expect(
            page.get_by_role("img", name="Emotions, all weeks on record, all roles")
        ).to_be_visible()
        assert page.locator("svg.chart rect.bar").count() > 10
        assert page.locator("svg.line-chart circle.point").count() > 3
        assert page.locator("td[data-suppressed]").count() > 0
        assert "patient suicide" not in page.content()

        # filter to nurses, by week: the page follows the filter
        page.locator("#filter-role").select_option("nurse")
        page.locator("#filter-by").select_option("week")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/educator?*role=nurse*")
        expect(page.get_by_text("all weeks on record · nurse · over time by week")).to_be_visible()
        expect(page.locator("svg.chart").first).to_be_visible()

        # the CSV export, with the same sign-in cookie
        exported = page.request.get(f"{server.url}/educator/themes.csv?role=nurse")
        assert exported.status == 200
        assert exported.text().startswith("family,key,label,period,role,debriefs,note")


def test_a_clinician_is_refused_and_a_stranger_asked_to_sign_in(server: Server) -> None:
    from playwright.sync_api import expect

    with _browser(server) as page:
        page.set_default_timeout(STEP_TIMEOUT_MS)
        response = page.goto(f"{server.url}/educator")
        assert response is not None and response.status == 401
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()

        _sign_in(page, server.url, CLINICIAN)
        response = page.goto(f"{server.url}/educator")
        assert response is not None and response.status == 403
        expect(page.get_by_role("alert")).to_contain_text("for educators and admins")
        assert page.locator("svg.chart").count() == 0
        assert page.request.get(f"{server.url}/educator/themes.json").status == 403

        # the clinician's own debrief, ended in the chat, becomes one theme record
        themes = ThemeStore(server.data / "themes.db")
        before = themes.count()
        deaths = sum(r.incident == "patient_death" for r in themes.records())
        page.goto(server.url)
        count = _assistant_count(page)
        page.locator("#starters").get_by_text("A patient died", exact=True).click()
        _settle(page, count)
        _click(page, "End debrief")
        expect(page.get_by_text("Debrief reflection").first).to_be_visible()
        assert themes.count() == before + 1
        assert sum(r.incident == "patient_death" for r in themes.records()) == deaths + 1
