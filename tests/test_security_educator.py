"""Security, point 3: every educator route (the dashboard, its JSON and the CSV export,
and any route added under ``/educator`` later) refuses clinicians (403) and callers who
are not signed in, or whose token is forged or expired (401); and a clinician reaches only
their own ``/my-themes``.

Built on the app fixture of ``tests/test_educator_routes.py``, whose own tests cover the
role coming from the users file rather than the token, and an educator being unable to
open a clinician's transcript."""

# coach.app.testing points Chainlit at a temporary app folder, so it is imported first.
# ruff: noqa: I001
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from coach.app.testing import chat_session  # noqa: F401 (sets CHAINLIT_APP_ROOT first)

from tests.test_educator_routes import _as, client, seeded  # noqa: F401 (fixtures)

SECRET = "x" * 48  # the sign-in secret the fixture sets


def educator_routes() -> list[tuple[str, str]]:
    """(method, path) of every route served under /educator."""
    from chainlit.server import app

    found = []
    for route in app.router.routes:
        path = getattr(route, "path", "")
        if path == "/educator" or path.startswith("/educator/"):
            found += [(method, path) for method in sorted(getattr(route, "methods", ()))]
    return found


def _token(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    now = datetime.now(UTC)
    body = {"identifier": "edu.one", "metadata": {"role": "educator"}, "iat": now}
    body.update(claims)
    body.setdefault("exp", now + timedelta(hours=1))
    return jwt.encode(body, secret, algorithm=algorithm)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_educator_route_refuses_clinicians_and_strangers(client: Any) -> None:  # noqa: F811
    http, _, _ = client
    routes = educator_routes()
    paths = {path for _, path in routes}
    assert {"/educator", "/educator/themes.json", "/educator/themes.csv"} <= paths
    refused_tokens = {
        "no token": {},
        "garbage": _bearer("not-a-token"),
        "another secret": _bearer(_token({}, secret="y" * 48)),
        "expired": _bearer(_token({"exp": datetime.now(UTC) - timedelta(minutes=1)})),
        "unsigned": _bearer(_token({}, secret="", algorithm="none")),
    }
    for method, path in routes:
        # the educator gets the page, so the refusals below are the check, not a broken route
        allowed = http.request(method, path, headers=_as("edu.one"))
        assert allowed.status_code == 200, (method, path)
        for label, headers in refused_tokens.items():
            answer = http.request(method, path, headers=headers)
            assert answer.status_code == 401, (method, path, label)
        for who in ("nurse.one", "nurse.unknown"):
            answer = http.request(method, path, headers=_as(who))
            assert answer.status_code == 403, (method, path, who)
            assert "debriefs" not in answer.headers.get("content-disposition", "")
            assert "family,key" not in answer.text and '"cells"' not in answer.text


def test_the_csv_export_goes_to_educators_only(client: Any) -> None:  # noqa: F811
    http, _, _ = client
    exported = http.get("/educator/themes.csv", headers=_as("admin.one"))
    assert exported.status_code == 200 and exported.text.startswith("family,key")
    for headers in ({}, _as("nurse.one"), _as("nurse.one", role="admin")):
        refused = http.get("/educator/themes.csv", headers=headers)
        assert refused.status_code in (401, 403)
        assert "attachment" not in refused.headers.get("content-disposition", "")
        assert "family,key" not in refused.text


def test_a_clinician_reaches_only_their_own_theme_settings(client: Any) -> None:  # noqa: F811
    http, _, recorder = client
    # naming someone else, in the query or the form, changes only the caller's own setting
    done = http.post(
        "/my-themes?user=nurse.two&identifier=nurse.two",
        data={"choice": "out", "user": "nurse.two", "identifier": "nurse.two"},
        headers=_as("nurse.one"),
    )
    assert done.status_code == 200 and "opted out" in done.text
    assert recorder.opted_out("nurse.one") and not recorder.opted_out("nurse.two")
    theirs = http.get("/my-themes?user=nurse.one", headers=_as("nurse.two"))
    assert theirs.status_code == 200 and "counted" in theirs.text and "opted out" not in theirs.text
    # an educator's choice is theirs alone too
    http.post("/my-themes", data={"choice": "out", "user": "nurse.two"}, headers=_as("edu.one"))
    assert recorder.opted_out("edu.one") and not recorder.opted_out("nurse.two")
    # and no one who is not signed in changes anything
    for headers in ({}, _bearer(_token({"identifier": "nurse.two"}, secret="y" * 48))):
        refused = http.post("/my-themes", data={"choice": "out"}, headers=headers)
        assert refused.status_code == 401
    assert not recorder.opted_out("nurse.two")
