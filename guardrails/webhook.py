"""Notify an organisation's on-call peer supporter, only after the clinician consents.

The request body is the escalation event (ids, time, level, categories; never message
text) plus an optional callback contact the clinician chose to give, signed with
HMAC-SHA256 of the body: header ``X-Coach-Signature: sha256=<hex>``. Failures come back
as a :class:`NotifyResult` the UI can show; nothing here raises into the chat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import uuid4

from guardrails.events import EscalationEvent, EventLog
from guardrails.resources import WebhookConfig

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Coach-Signature"
NotifyStatus = Literal["sent", "failed", "declined", "expired", "unknown"]

MESSAGES: dict[NotifyStatus, str] = {
    "sent": "Your request has been sent. The on-call peer supporter has been asked to "
    "contact you. If you need someone sooner, the numbers below are there for you now.",
    "failed": "We could not reach the peer supporter. Please use one of the numbers below; "
    "they are there for you right now.",
    "declined": "Nothing has been sent. The numbers below are there whenever you want them.",
    "expired": "That request has expired and nothing was sent. You can ask again, or use "
    "one of the numbers below.",
    "unknown": "Nothing was sent: that request was already answered or is not known. "
    "The numbers below are there for you now.",
}

_PHONE = re.compile(
    r"^(?:(?:ext\.?|extension|x|bleep|pager)\s*[0-9]{2,8}"
    r"|\+?[0-9][0-9 ().-]{2,30}(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")


class WebhookConfigError(ValueError):
    """The webhook in ``COACH_ORG_CONFIG`` cannot be used as configured."""


def sign(body: bytes, secret: bytes) -> str:
    """The ``X-Coach-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: bytes, signature: str) -> bool:
    """Constant-time check of an ``X-Coach-Signature`` header (for receivers and tests)."""
    return hmac.compare_digest(sign(body, secret), signature)


def check_callback_contact(contact: str | None) -> str | None:
    """A phone number, extension, bleep or email address, or ``None``; anything else (such as
    free text) is refused so the payload cannot carry what the clinician wrote."""
    if contact is None:
        return None
    value = contact.strip()
    if not (_PHONE.match(value) or _EMAIL.match(value)):
        raise ValueError("callback contact must be a phone number or an email address")
    return value


def resolve_secret(config: WebhookConfig, environ: Mapping[str, str]) -> bytes:
    """The shared secret from the environment variable named by ``webhook.secret_env``.
    Pass ``os.environ`` from the entry point."""
    value = environ.get(config.secret_env, "")
    if len(value) < 16:
        raise WebhookConfigError(
            f"COACH_ORG_CONFIG webhook.secret_env names {config.secret_env}, but that "
            "environment variable is unset or shorter than 16 characters. Set it to the "
            "shared secret agreed with the receiver, or remove the webhook section."
        )
    return value.encode("utf-8")


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a signed payload is never forwarded elsewhere


class UrllibTransport:
    """POST with ``urllib.request``: a timeout, and retries with exponential backoff on
    5xx responses and connection errors. Never raises."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect())

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        if not url.lower().startswith(("https://", "http://")):
            return DeliveryResult(ok=False, attempts=0, error="webhook url must be http(s)")
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self.retries + 2):
            request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    status = int(response.status)
                if 200 <= status < 300:
                    return DeliveryResult(ok=True, attempts=attempt, status_code=status)
                error = f"HTTP {status}"
                retry = status >= 500
            except urllib.error.HTTPError as exc:
                status, error = exc.code, f"HTTP {exc.code}"
                retry = exc.code >= 500
            except (urllib.error.URLError, OSError) as exc:  # includes timeouts
                status, error = None, f"{type(exc).__name__}: {exc}"
                retry = True
            if not retry or attempt > self.retries:
                return DeliveryResult(ok=False, attempts=attempt, status_code=status, error=error)
            self._sleep(self.backoff * 2 ** (attempt - 1))
        return DeliveryResult(ok=False, attempts=self.retries + 1, status_code=status, error=error)


@dataclass(frozen=True)
class PendingNotification:
    """A notification waiting for the clinician's answer. Nothing has been sent."""

    pending_id: str
    event: EscalationEvent
    callback_contact: str | None
    created: float  # monotonic seconds


@dataclass(frozen=True)
class NotifyResult:
    status: NotifyStatus
    message: str  # for the UI
    attempts: int = 0
    status_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def build_payload(
    event: EscalationEvent, callback_contact: str | None, organisation: str | None
) -> bytes:
    """The exact bytes that are signed and sent."""
    payload = {
        "type": "debrief_coach.peer_support_request",
        "organisation": organisation,
        "event": json.loads(event.model_dump_json()),
        "callback_contact": callback_contact,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Notifier:
    """The consent gate: :meth:`request` holds a notification, only :meth:`consent`
    sends it, :meth:`decline` drops it."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        transport: WebhookTransport | None = None,
        *,
        organisation: str | None = None,
        log: EventLog | None = None,
        pending_ttl_seconds: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret:
            raise WebhookConfigError("the webhook shared secret is empty; see webhook.secret_env")
        self.url = url
        self._secret = secret
        self._transport = transport or UrllibTransport()
        self._organisation = organisation
        self._log = log
        self._ttl = pending_ttl_seconds
        self._clock = clock
        self._pending: dict[str, PendingNotification] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        config: WebhookConfig,
        environ: Mapping[str, str],
        *,
        organisation: str | None = None,
        log: EventLog | None = None,
        transport: WebhookTransport | None = None,
    ) -> Notifier:
        return cls(
            config.url,
            resolve_secret(config, environ),
            transport or UrllibTransport(timeout=config.timeout_seconds),
            organisation=organisation,
            log=log,
        )

    def request(
        self, event: EscalationEvent, *, callback_contact: str | None = None
    ) -> PendingNotification:
        """Hold a notification until the clinician answers. Sends nothing."""
        pending = PendingNotification(
            pending_id=uuid4().hex,
            event=event,
            callback_contact=check_callback_contact(callback_contact),
            created=self._clock(),
        )
        with self._lock:
            self._pending[pending.pending_id] = pending
        return pending

    def decline(self, pending_id: str) -> NotifyResult:
        with self._lock:
            found = self._pending.pop(pending_id, None)
        return NotifyResult("declined" if found else "unknown", MESSAGES["declined"])

    def consent(self, pending_id: str) -> NotifyResult:
        """Send the held notification. Never raises; failures return a result to show."""
        with self._lock:
            pending = self._pending.pop(pending_id, None)
        if pending is None:
            return NotifyResult("unknown", MESSAGES["unknown"])
        if self._clock() - pending.created > self._ttl:
            return NotifyResult("expired", MESSAGES["expired"])
        event = pending.event.model_copy(update={"consented_to_contact": True})
        try:
            body = build_payload(event, pending.callback_contact, self._organisation)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "debrief-coach-webhook/1",
                "X-Coach-Event-Id": event.event_id,
                SIGNATURE_HEADER: sign(body, self._secret),
            }
            delivery = self._transport.post(self.url, body, headers)
        except Exception as exc:  # a broken transport must not break the chat
            log.warning("peer-support webhook failed: %s", type(exc).__name__)
            delivery = DeliveryResult(ok=False, attempts=1, error=type(exc).__name__)
        if not delivery.ok:
            log.warning("peer-support webhook not delivered: %s", delivery.error)
        self._record(event.model_copy(update={"notified": delivery.ok}))
        status: NotifyStatus = "sent" if delivery.ok else "failed"
        return NotifyResult(status, MESSAGES[status], delivery.attempts, delivery.status_code)

    def _record(self, event: EscalationEvent) -> None:
        if self._log is None:
            return
        try:
            self._log.record(event)
        except Exception:
            log.exception("could not record the escalation event")


ConsentGate = Notifier
