"""The chat app in a real browser: `coach run` as a subprocess (the real coach, with the
hashing embedder and the rules-only risk screen to start fast) driven by headless
Chromium through sign-in, a debrief with sources, a crisis and the summary.

Needs Debian's Chromium at /usr/bin/chromium (skipped cleanly without it); Playwright's
own browsers are never downloaded.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from coach.app.users import UsersFile

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER, PASSWORD = "nurse.browser", "a browser test password"
READY_TIMEOUT_S = 120
STEP_TIMEOUT_MS = 30_000

DEBRIEF = (
    "He was 58 and arrested on the ward in the night. We did CPR for forty minutes but "
    "we couldn't get him back.",
    "I was the one who found him. I keep replaying the moment I walked into the bay.",
    "I feel sad and heavy, and I keep asking myself whether I missed something.",
    "His observations had been fine at ten, and we were two nurses short that night.",
    "Looking back, the team did everything it could with what we had.",
    "I'd like to be kinder to myself about it, the way I would be to a colleague.",
    "I think I'll talk to my ward manager about the staffing that night.",
)
CRISIS = "I've been thinking everyone would be better off without me"


class Server:
    """`coach run` in a subprocess on a free port, with its log in the data folder."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.log = data / "server.log"
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.command = [
            sys.executable, "-c",
            "import sys; from coach.cli import main; sys.argv[0] = 'coach'; main()",
            "run", "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "CHAINLIT_"))}
        env.update(
            COACH_DATA_DIR=str(data),
            COACH_EMBEDDER="hashing",
            COACH_RISK_CLASSIFIER="rules",
            COACH_LOCALE="UK",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
        )
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _ready(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the app did not start; server log:\n{self.read_log()}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def read_log(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, prepare: Callable[[Path], object]
) -> Iterator[Server]:
    """The app on a fresh data folder that ``prepare`` fills (accounts, data), for a
    module's tests; skipped without Chromium or Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser test")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    data = tmp_path_factory.mktemp(name)
    prepare(data)
    app = Server(data)
    app.start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(
        tmp_path_factory,
        "coach-browser",
        lambda data: UsersFile(data / "users.yaml").add(USER, PASSWORD, "clinician"),
    )


def _assistant_count(page: Page) -> int:
    return page.locator('[data-step-type="assistant_message"]').count()


def _settle(page: Page, before: int) -> None:
    """Wait for a new coach message and for the coach to finish."""
    from playwright.sync_api import expect

    expect(page.locator('[data-step-type="assistant_message"]')).not_to_have_count(before)
    expect(page.locator("#chat-submit")).to_be_visible()
    page.wait_for_timeout(300)


def _send(page: Page, text: str) -> None:
    before = _assistant_count(page)
    page.locator("#chat-input").fill(text)
    page.locator("#chat-input").press("Enter")
    _settle(page, before)


def _click(page: Page, label: str) -> None:
    before = _assistant_count(page)
    page.get_by_role("button", name=label, exact=True).last.click()
    _settle(page, before)


def _sign_in(page: Page, url: str, username: str = USER) -> None:
    from playwright.sync_api import expect

    page.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    page.goto(url)
    page.locator("#email").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    expect(page.locator("#starters")).to_be_visible()


@contextlib.contextmanager
def _browser(server: Server) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser.new_page(viewport={"width": 1280, "height": 900})
            finally:
                browser.close()
    except Exception:
        print(f"server log:\n{server.read_log()}")
        raise


def _feedback(data: Path) -> list[tuple[int, str | None]]:
    with sqlite3.connect(data / "coach.db") as conn:
        return [(int(v), c) for v, c in conn.execute('SELECT "value", "comment" FROM feedbacks')]


def test_a_debrief_in_the_browser(server: Server) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    with _browser(server) as page:
        # (1) Sign in.
        _sign_in(page, server.url)

        # (2) A debrief from a starter, until a reply shows its sources.
        before = _assistant_count(page)
        page.locator("#starters").get_by_text("A patient died", exact=True).click()
        _settle(page, before)
        expect(page.get_by_role("button", name="End debrief")).to_be_visible()
        source = page.get_by_role("link", name=re.compile(r"^S\d+ · "))
        for text in DEBRIEF:
            if source.count():
                break
            _send(page, text)
        expect(source.first).to_be_visible()
        source.first.click()
        expect(page.get_by_text("Source:", exact=True).first).to_be_visible()

        # Thumbs up, with a comment that names someone: stored, de-identified.
        page.locator("button:has(svg.lucide-thumbs-up)").last.click()
        page.get_by_placeholder("Your feedback...").fill("Mrs Okafor's daughter would agree.")
        page.get_by_role("button", name="Submit feedback").click()
        page.wait_for_timeout(500)
        assert _feedback(server.data) == [(1, "[NAME]'s daughter would agree.")]

        # (3) A crisis: the support message and its buttons; "I'm safe" continues.
        _send(page, CRISIS)
        expect(page.get_by_role("button", name="See human support options")).to_be_visible()
        expect(page.get_by_role("button", name="I'm safe, continue")).to_be_visible()
        _click(page, "See human support options")
        expect(page.locator('a[href^="tel:"]').first).to_be_visible()
        _click(page, "I'm safe, continue")
        expect(page.get_by_role("button", name="Continue the debrief")).to_be_visible()
        _click(page, "Continue the debrief")

        # (4) End the debrief: the summary, and its file.
        _click(page, "End debrief")
        expect(page.get_by_text("Debrief reflection").first).to_be_visible()
        expect(page.locator('a[download="debrief-summary.md"]')).to_be_visible()
    print(f"browser debrief took {time.monotonic() - started:.1f}s")


def test_a_debrief_survives_a_restart(server: Server) -> None:
    from playwright.sync_api import expect

    with _browser(server) as page:
        _sign_in(page, server.url)
        before = _assistant_count(page)
        page.locator("#starters").get_by_text("A medication error", exact=True).click()
        _settle(page, before)
    server.stop()
    server.start()
    with _browser(server) as page:
        _sign_in(page, server.url)
        page.locator("#thread-history").get_by_text("I was involved in a medication").click()
        expect(page.get_by_text("Welcome back")).to_be_visible()
        said = page.locator('[data-step-type="user_message"]')
        expect(said.get_by_text("I keep going over it in my head")).to_be_visible()
        expect(page.get_by_role("button", name="End debrief")).to_be_visible()
        _send(page, "It was the wrong dose of insulin, and I only noticed at handover.")
