"""The educator dashboard and the clinician's theme opt-out, on Chainlit's FastAPI app.

:func:`install_educator_routes` puts these routes ahead of Chainlit's own (its catch-all
route would otherwise serve the chat's web page for them):

- ``GET /educator`` (HTML), ``/educator/themes.json``, ``/educator/themes.csv``: for
  the ``educator`` and ``admin`` roles only; filters ``period``, ``by`` and ``role``.
  Each response is a published report (:func:`coach.educator.report.publish`): settled
  against the release ledger in the recorder's theme store, and recorded in it;
- ``GET /my-themes`` and ``POST /my-themes`` (``choice=out|in``): any signed-in person
  sees what is collected and can opt out (which deletes their records) or back in.

Sign-in is Chainlit's: the cookie the chat sets, or a Bearer token, checked by
``chainlit.auth.get_current_user``. The role is looked up for each request with
``role_of`` (the users file), so a role removed there applies at once, whatever the
sign-in token says.

The module does not use ``from __future__ import annotations``: FastAPI reads the route
handlers' annotations at run time.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from coach.educator.page import refusal_page, render_page
from coach.educator.recorder import ThemeRecorder
from coach.educator.records import ThemeRecord
from coach.educator.report import Query, ThemeReport, ViewError, publish, to_csv
from coach.educator.store import ThemeStoreError

EDUCATOR_ROLES = frozenset({"educator", "admin"})
RoleOf = Callable[[str], str]

MY_THEMES_TEXT = (
    "When a debrief ends, or a day after it was left, the coach keeps a short, anonymous "
    "note of its themes for the educators who support your team: the kind of incident, the "
    "emotions and system factors named (from fixed lists, never your words), whether "
    "support was offered, how far the debrief went, how long it took, your role category "
    "and the week. It keeps no transcript, no session and no name. Educators only ever "
    "see totals from at least {k} different clinicians."
)


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def check_educator(user: Any, role_of: RoleOf) -> str:
    """The signed-in educator's or admin's identifier, or :class:`Refused`."""
    identifier = getattr(user, "identifier", None)
    if not identifier:
        raise Refused(401, "Sign in to see the educator dashboard.")
    role = role_of(str(identifier))
    if role not in EDUCATOR_ROLES:
        raise Refused(
            403,
            "The educator dashboard is for educators and admins. Ask an admin to give your "
            "account the educator role (coach users add NAME --role educator).",
        )
    return str(identifier)


def install_educator_routes(
    app: Any,
    *,
    records: Callable[[], list[ThemeRecord]],
    k: int,
    role_of: RoleOf,
    recorder: Callable[[], ThemeRecorder | None] = lambda: None,
) -> None:
    """Serve ``/educator`` and ``/my-themes`` ahead of Chainlit's routes."""
    from chainlit.auth import get_current_user, reuseable_oauth
    from chainlit.config import config
    from fastapi import Depends, HTTPException, Request
    from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from fastapi.routing import APIRoute

    root = config.run.root_path

    async def signed_in(token: Annotated[str | None, Depends(reuseable_oauth)]) -> Any:
        """The signed-in user, or ``None`` (no token, or a bad or expired one)."""
        if not token:
            return None
        try:
            return await get_current_user(token)
        except HTTPException:
            return None

    async def report_for(request: Request) -> ThemeReport:
        params = request.query_params
        try:
            query = Query(
                period=params.get("period", "all"),
                by=params.get("by", "month"),  # type: ignore[arg-type]
                role=params.get("role", "all"),
            )
        except ValueError as exc:
            raise Refused(400, f"bad filter: use by=week|month|quarter ({exc})") from None
        today = datetime.now(UTC).date()
        themes = recorder()  # its store holds the release ledger
        ledger = themes.store if themes is not None else None
        try:
            return await asyncio.to_thread(publish, records, k, query, today=today, ledger=ledger)
        except ViewError as exc:
            raise Refused(400, str(exc)) from None
        except ThemeStoreError as exc:
            raise Refused(503, str(exc)) from None

    def guarded(
        render: Callable[[ThemeReport], Response], html: bool
    ) -> Callable[..., Awaitable[Response]]:
        async def endpoint(request: Request, user: Annotated[Any, Depends(signed_in)]) -> Response:
            try:
                check_educator(user, role_of)
                report = await report_for(request)
            except Refused as refused:
                if html:
                    return HTMLResponse(
                        refusal_page(refused.status, refused.detail), refused.status
                    )
                return JSONResponse({"detail": refused.detail}, status_code=refused.status)
            response = render(report)
            response.headers["Cache-Control"] = "no-store"
            return response

        return endpoint

    def page(report: ThemeReport) -> Response:
        return HTMLResponse(render_page(report, base=f"{root}/educator"))

    def as_json(report: ThemeReport) -> Response:
        return JSONResponse(report.model_dump(mode="json"))

    def as_csv(report: ThemeReport) -> Response:
        return PlainTextResponse(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="themes.csv"'},
        )

    async def my_themes(request: Request, user: Annotated[Any, Depends(signed_in)]) -> Response:
        identifier = getattr(user, "identifier", None)
        if not identifier:
            return HTMLResponse(refusal_page(401, "Sign in to see your theme settings."), 401)
        themes = recorder()
        if themes is None or not themes.enabled:
            return HTMLResponse(_my_page(k, None, root))
        out = await asyncio.to_thread(themes.opted_out, str(identifier))
        return HTMLResponse(_my_page(k, out, root))

    async def set_my_themes(request: Request, user: Annotated[Any, Depends(signed_in)]) -> Response:
        identifier = getattr(user, "identifier", None)
        if not identifier:
            return HTMLResponse(refusal_page(401, "Sign in to change your theme settings."), 401)
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
            return HTMLResponse(refusal_page(403, "That request came from another site."), 403)
        themes = recorder()
        if themes is None:
            return HTMLResponse(_my_page(k, None, root), 503)
        body = (await request.body()).decode("utf-8", "replace")
        choice = next(iter(parse_qs(body).get("choice", [])), None)
        if choice == "out":
            await asyncio.to_thread(themes.opt_out, str(identifier))
        elif choice == "in":
            await asyncio.to_thread(themes.opt_in, str(identifier))
        else:
            return HTMLResponse(refusal_page(400, "Choose choice=out or choice=in."), 400)
        return HTMLResponse(_my_page(k, choice == "out", root, changed=True))

    routes = [
        APIRoute(f"{root}/educator", guarded(page, True), methods=["GET"]),
        APIRoute(f"{root}/educator/themes.json", guarded(as_json, False), methods=["GET"]),
        APIRoute(f"{root}/educator/themes.csv", guarded(as_csv, False), methods=["GET"]),
        APIRoute(f"{root}/my-themes", my_themes, methods=["GET"]),
        APIRoute(f"{root}/my-themes", set_my_themes, methods=["POST"]),
    ]
    for route in reversed(routes):
        app.router.routes.insert(0, route)


def _my_page(k: int, opted_out: bool | None, root: str, *, changed: bool = False) -> str:
    from html import escape

    text = escape(MY_THEMES_TEXT.format(k=k))
    if opted_out is None:
        status = "<p>Theme collection is switched off on this server.</p>"
        form = ""
    else:
        status = (
            '<p id="theme-status">You have <strong>opted out</strong>: nothing about your '
            "debriefs is kept for educators, and earlier notes were deleted.</p>"
            if opted_out
            else '<p id="theme-status">Your debriefs are <strong>counted</strong> in the '
            "anonymous themes.</p>"
        )
        choice, label = ("in", "Count my debriefs again") if opted_out else (
            "out", "Opt out and delete my theme notes"
        )  # fmt: skip
        form = (
            f'<form method="post" action="{escape(root)}/my-themes">'
            f'<input type="hidden" name="choice" value="{choice}">'
            f'<button type="submit" id="theme-choice">{escape(label)}</button></form>'
        )
    done = '<p role="status">Saved.</p>' if changed else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Your debrief themes · Debrief Coach</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto">'
        f"<h1>Anonymous themes from your debriefs</h1><p>{text}</p>{done}{status}{form}"
        f'<p><a href="{escape(root) or "/"}">Back to the chat</a></p></body></html>'
    )
