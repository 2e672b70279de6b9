"""Peer-supporter webhook: the consent rule, the signed payload and the real transport."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guardrails.events import EscalationEvent, MemoryEventLog
from guardrails.resources import WebhookConfig
from guardrails.types import Category, CssrsItem, Level
from guardrails.webhook import (
    SIGNATURE_HEADER,
    DeliveryResult,
    Notifier,
    UrllibTransport,
    WebhookConfigError,
    check_callback_contact,
    resolve_secret,
    sign,
    verify,
)

SECRET = b"a-shared-secret-of-32-characters"
URL = "https://peer.example.org/hook"


def _event() -> EscalationEvent:
    return EscalationEvent(
        session="sess_0123456789abcdef",
        level=Level.CRISIS,
        categories=(Category.SUICIDAL_IDEATION, Category.IMPAIRMENT),
        cssrs=(CssrsItem.THOUGHTS,),
        source="input_guard",
    )


@dataclass
class FakeTransport:
    result: DeliveryResult = field(default_factory=lambda: DeliveryResult(True, 1, 200))
    calls: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        self.calls.append((url, body, dict(headers)))
        return self.result


class ExplodingTransport:
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        raise RuntimeError("boom")


# --- the consent rule --------------------------------------------------------------


def test_nothing_is_sent_before_consent_and_once_after() -> None:
    transport = FakeTransport()
    notifier = Notifier(URL, SECRET, transport)
    pending = notifier.request(_event())
    assert transport.calls == []
    result = notifier.consent(pending.pending_id)
    assert result.ok and result.status == "sent"
    assert len(transport.calls) == 1
    again = notifier.consent(pending.pending_id)  # consent is single-use
    assert again.status == "unknown" and not again.ok
    assert len(transport.calls) == 1


def test_decline_sends_nothing_ever() -> None:
    transport = FakeTransport()
    notifier = Notifier(URL, SECRET, transport)
    pending = notifier.request(_event())
    declined = notifier.decline(pending.pending_id)
    assert declined.status == "declined" and "Nothing has been sent" in declined.message
    assert notifier.consent(pending.pending_id).status == "unknown"
    assert transport.calls == []


def test_unknown_pending_id_sends_nothing() -> None:
    transport = FakeTransport()
    assert Notifier(URL, SECRET, transport).consent("0" * 32).status == "unknown"
    assert transport.calls == []


def test_expired_requests_are_not_sent() -> None:
    now = [1000.0]
    transport = FakeTransport()
    notifier = Notifier(URL, SECRET, transport, pending_ttl_seconds=60, clock=lambda: now[0])
    pending = notifier.request(_event())
    now[0] += 61
    assert notifier.consent(pending.pending_id).status == "expired"
    assert transport.calls == []


def test_payload_is_signed_and_holds_only_the_event_and_callback() -> None:
    transport = FakeTransport()
    notifier = Notifier(URL, SECRET, transport, organisation="St Example's")
    event = _event()
    pending = notifier.request(event, callback_contact=" +44 20 7946 0000 ")
    notifier.consent(pending.pending_id)
    url, body, headers = transport.calls[0]
    assert url == URL
    assert headers[SIGNATURE_HEADER] == sign(body, SECRET)
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert verify(body, SECRET, headers[SIGNATURE_HEADER])
    assert not verify(body, b"another-secret-entirely-00000000", headers[SIGNATURE_HEADER])
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {"type", "organisation", "event", "callback_contact"}
    assert payload["callback_contact"] == "+44 20 7946 0000"
    assert payload["organisation"] == "St Example's"
    sent = payload["event"]
    assert sent["event_id"] == event.event_id
    assert sent["session"] == event.session
    assert sent["level"] == "crisis"
    assert sent["categories"] == ["suicidal_ideation", "impairment"]
    assert sent["consented_to_contact"] is True
    assert "text" not in sent and "message" not in sent


@pytest.mark.parametrize(
    "contact",
    [
        "07700 900123",
        "+1 (888) 409-0141",
        "0300 0303 300 ext 12",
        "ext 4455",
        "bleep 2345",
        "me@example.org",
        None,
    ],
)
def test_callback_contact_accepts_numbers_and_emails(contact: str | None) -> None:
    assert check_callback_contact(contact) == (contact.strip() if contact else None)


@pytest.mark.parametrize(
    "contact",
    ["please call me, I can't cope", "call my wife Jane", "", "x" * 300],
)
def test_callback_contact_refuses_free_text(contact: str) -> None:
    notifier = Notifier(URL, SECRET, FakeTransport())
    with pytest.raises(ValueError, match="phone number or an email"):
        notifier.request(_event(), callback_contact=contact)


def test_delivery_failure_returns_a_result_the_ui_can_show() -> None:
    log = MemoryEventLog()
    transport = FakeTransport(result=DeliveryResult(False, 3, 503, "HTTP 503"))
    notifier = Notifier(URL, SECRET, transport, log=log)
    result = notifier.consent(notifier.request(_event()).pending_id)
    assert not result.ok and result.status == "failed"
    assert "could not reach the peer supporter" in result.message
    assert "numbers below" in result.message
    assert result.attempts == 3 and result.status_code == 503
    recorded = log.recent()[0]
    assert recorded.consented_to_contact and not recorded.notified


def test_a_crashing_transport_never_raises_into_the_chat() -> None:
    notifier = Notifier(URL, SECRET, ExplodingTransport())
    result = notifier.consent(notifier.request(_event()).pending_id)
    assert result.status == "failed"


def test_consent_is_recorded_in_the_event_log() -> None:
    log = MemoryEventLog()
    notifier = Notifier(URL, SECRET, FakeTransport(), log=log)
    event = _event()
    notifier.consent(notifier.request(event).pending_id)
    [recorded] = log.recent()
    assert recorded.event_id == event.event_id
    assert recorded.consented_to_contact and recorded.notified


def test_secret_comes_from_the_named_environment_variable() -> None:
    config = WebhookConfig(url=URL, secret_env="PEER_HOOK_SECRET")
    assert resolve_secret(config, {"PEER_HOOK_SECRET": SECRET.decode()}) == SECRET
    for environ in ({}, {"PEER_HOOK_SECRET": "short"}):
        with pytest.raises(WebhookConfigError, match="PEER_HOOK_SECRET") as err:
            resolve_secret(config, environ)
        assert "COACH_ORG_CONFIG" in str(err.value)
    notifier = Notifier.from_config(
        config, {"PEER_HOOK_SECRET": SECRET.decode()}, transport=FakeTransport()
    )
    assert notifier.url == URL


def test_empty_secret_is_refused() -> None:
    with pytest.raises(WebhookConfigError):
        Notifier(URL, b"", FakeTransport())


# --- the real transport against a local server -------------------------------------


@dataclass
class Server:
    url: str
    requests: list[tuple[dict[str, str], bytes]]
    respond: list[Callable[[BaseHTTPRequestHandler], None]]


def _status(code: int) -> Callable[[BaseHTTPRequestHandler], None]:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        if code in (301, 302, 307, 308):
            handler.send_header("Location", "http://127.0.0.1:9/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return send


def _slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)
    _status(200)(handler)


@pytest.fixture
def server() -> Iterator[Server]:
    requests: list[tuple[dict[str, str], bytes]] = []
    respond: list[Callable[[BaseHTTPRequestHandler], None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            requests.append((dict(self.headers.items()), body))
            (respond.pop(0) if respond else _status(200))(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/hook", requests, respond)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _no_sleep(_: float) -> None:
    pass


def test_real_transport_delivers_a_verifiable_signed_payload(server: Server) -> None:
    transport = UrllibTransport(timeout=2, sleep=_no_sleep)
    notifier = Notifier(server.url, SECRET, transport)
    pending = notifier.request(_event(), callback_contact="ext 4455")
    assert server.requests == []
    result = notifier.consent(pending.pending_id)
    assert result.ok and result.attempts == 1 and result.status_code == 200
    [(headers, body)] = server.requests
    assert verify(body, SECRET, headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["event"]["level"] == "crisis"
    assert payload["callback_contact"] == "ext 4455"
    assert "text" not in payload and "text" not in payload["event"]
    assert headers["X-Coach-Event-Id"] == payload["event"]["event_id"]


def test_real_transport_retries_5xx_with_backoff(server: Server) -> None:
    server.respond.extend([_status(500), _status(502)])
    sleeps: list[float] = []
    transport = UrllibTransport(timeout=2, backoff=0.5, sleep=sleeps.append)
    result = transport.post(server.url, b"{}", {"Content-Type": "application/json"})
    assert result.ok and result.attempts == 3
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_real_transport_gives_up_after_two_retries(server: Server) -> None:
    server.respond.extend([_status(500)] * 5)
    result = UrllibTransport(timeout=2, sleep=_no_sleep).post(server.url, b"{}", {})
    assert not result.ok and result.attempts == 3 and result.status_code == 500
    assert len(server.requests) == 3


def test_real_transport_does_not_retry_4xx_or_follow_redirects(server: Server) -> None:
    server.respond.extend([_status(401), _status(302)])
    transport = UrllibTransport(timeout=2, sleep=_no_sleep)
    refused = transport.post(server.url, b"{}", {})
    assert not refused.ok and refused.attempts == 1 and refused.status_code == 401
    redirected = transport.post(server.url, b"{}", {})
    assert not redirected.ok and redirected.attempts == 1 and redirected.status_code == 302
    assert len(server.requests) == 2


def test_timeout_returns_a_failure_result(server: Server) -> None:
    server.respond.extend([_slow] * 3)
    notifier = Notifier(server.url, SECRET, UrllibTransport(timeout=0.2, sleep=_no_sleep))
    started = time.monotonic()
    result = notifier.consent(notifier.request(_event()).pending_id)
    assert time.monotonic() - started < 3
    assert result.status == "failed" and result.attempts == 3
    assert "could not reach the peer supporter" in result.message


def test_connection_refused_is_retried_then_reported() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends
    sleeps: list[float] = []
    result = UrllibTransport(timeout=1, sleep=sleeps.append).post(
        f"http://127.0.0.1:{port}/hook", b"{}", {}
    )
    assert not result.ok and result.attempts == 3 and result.status_code is None
    assert len(sleeps) == 2


def test_non_http_urls_are_refused_without_a_request() -> None:
    result = UrllibTransport(sleep=_no_sleep).post("file:///etc/passwd", b"{}", {})
    assert not result.ok and result.attempts == 0
