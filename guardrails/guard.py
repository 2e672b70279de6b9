"""The guard every message passes: risk screening and de-identification on the way
in, reply checks on the way out, escalation content and events when risk is found.

Nothing here needs the LLM, the vector store or a database: escalation replies come
from package data, so they work when everything else is down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from coach.settings import Settings
from coach.storage_backends import event_log
from guardrails import normalize
from guardrails.deid import Deidentifier, storable
from guardrails.direct_question import after_direct_question
from guardrails.escalation import EscalationReply, crisis_reply, support_reply
from guardrails.events import EscalationEvent, EventLog
from guardrails.reply_check import ReplyChecker
from guardrails.resources import Resource, load_resources
from guardrails.risk import RaiseOnlyClassifier, RiskClassifier, RuleRiskClassifier
from guardrails.types import Level, Redaction, ReplyVerdict, RiskAssessment
from knowledge.embedder import Embedder, build_embedder

log = logging.getLogger(__name__)

WINDOW_OVERLAP = 1_000  # characters shared by neighbouring windows of a long message


def build_classifier(settings: Settings, embedder: Embedder | None = None) -> RiskClassifier:
    """The risk screen ``COACH_RISK_CLASSIFIER`` asks for.

    - ``rules``: the rules alone.
    - ``hybrid`` (default): the rules, plus the trained risk model (``risk_model.py``),
      which may raise a message to support or crisis, plus the risk bank's vote, which
      may raise it to support; neither can lower a level.

    If the model's weights are missing or malformed, the error names the command that
    rebuilds them and the screen falls back to the rules plus the risk bank's vote
    (capped at support, so crisis stays the rules' decision). If the embedding model
    cannot load, the rules carry on alone. Either way the log says so."""
    rules = RuleRiskClassifier()
    if settings.risk_classifier == "rules":
        return rules
    from guardrails.risk_bank import RiskBank
    from guardrails.risk_model import RiskModel, RiskModelUnavailable, load_model_file

    chosen = embedder if embedder is not None else build_embedder(settings)
    fallback = "screening with the rules and the risk bank's vote meanwhile"
    try:
        weights = load_model_file(settings.risk_model_path)
    except RiskModelUnavailable as exc:  # broken package data: an error, with its fix
        log.error("%s; %s", exc, fallback)
        weights = None
    if weights is not None:
        try:
            screen: RiskClassifier = RaiseOnlyClassifier(rules, RiskModel(chosen, weights))
            try:  # the bank's vote keeps its safety net: it may raise to support
                bank = RiskBank(chosen, cache_dir=settings.data_dir / "cache")
            except Exception as exc:
                log.warning("risk bank unavailable (%s); rules and model only", exc)
                return screen
            return RaiseOnlyClassifier(screen, bank)
        except RiskModelUnavailable as exc:  # e.g. COACH_EMBEDDER=hashing in tests
            log.warning("%s; %s", exc, fallback)
        except Exception as exc:  # the rules must keep working whatever the model does
            log.warning("risk model unavailable (%s); screening with rules only", exc)
            return rules
    try:
        bank = RiskBank(chosen, cache_dir=settings.data_dir / "cache")
    except Exception as exc:
        log.warning("risk bank unavailable (%s); screening with rules only", exc)
        return rules
    return RaiseOnlyClassifier(rules, bank)


@dataclass(frozen=True)
class Screening:
    """What the guard found in one clinician message."""

    assessment: RiskAssessment
    redaction: Redaction
    escalation: EscalationReply | None
    event: EscalationEvent | None

    @property
    def level(self) -> Level:
        return self.assessment.level


class Guard:
    def __init__(
        self,
        classifier: RiskClassifier,
        deidentifier: Deidentifier,
        checker: ReplyChecker,
        resources: Sequence[Resource],
        events: EventLog,
        *,
        peer_contact_available: bool = False,
    ) -> None:
        self.classifier = classifier
        self.deidentifier = deidentifier
        self.checker = checker
        self.resources = list(resources)
        self.events = events
        self.peer_contact_available = peer_contact_available

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Guard:
        directory = load_resources(settings.org_config)
        return cls(
            build_classifier(settings, embedder),
            Deidentifier(),
            ReplyChecker(),
            directory.for_locale(settings.locale),
            event_log(settings),
            peer_contact_available=directory.webhook is not None,
        )

    def screen(
        self,
        text: str,
        history: Sequence[str] = (),
        *,
        session: str,
        answers_direct_question: bool = False,
    ) -> Screening:
        """Classify and de-identify one message; on risk, build the escalation reply and
        record an event (level and categories only, never the text).

        ``answers_direct_question``: the coach's last reply asked directly about suicide,
        so a yes in any form makes this message a crisis (``direct_question``).

        Any text is screened whole, however long: characters no model or store takes
        (lone surrogates, NUL) become U+FFFD first, and text longer than the risk rules
        read at once is screened in overlapping windows."""
        text = storable(text)
        history = [storable(h) for h in history]
        assessment = self._assess(text, history)
        if answers_direct_question:
            assessment = after_direct_question(text, assessment)
        redaction = self.deidentifier.redact_all(text)
        escalation: EscalationReply | None = None
        event: EscalationEvent | None = None
        if assessment.level is Level.CRISIS:
            escalation = crisis_reply(
                self.resources,
                assessment.categories,
                peer_contact_available=self.peer_contact_available,
            )
        elif assessment.level is Level.SUPPORT:
            escalation = support_reply(
                self.resources,
                assessment.categories,
                ask_directly=assessment.ask_directly and not answers_direct_question,
            )
        if escalation is not None:
            event = self._record(assessment, session)
        return Screening(assessment, redaction, escalation, event)

    def _assess(self, text: str, history: Sequence[str]) -> RiskAssessment:
        """The classifier's assessment; for text longer than the rules read at once
        (``normalize.MAX_CHARS``), the highest of overlapping windows, so a disclosure at
        the end of a long message is not missed."""
        if len(text) <= normalize.MAX_CHARS:
            return self.classifier.assess(text, history)
        step = normalize.MAX_CHARS - WINDOW_OVERLAP
        found: RiskAssessment | None = None
        for start in range(0, len(text) - WINDOW_OVERLAP, step):
            window = self.classifier.assess(text[start : start + normalize.MAX_CHARS], history)
            if found is None or window.level.rank > found.level.rank:
                found = window
            if found.level is Level.CRISIS:
                break
        assert found is not None
        return found

    def _record(self, assessment: RiskAssessment, session: str) -> EscalationEvent | None:
        """Record the escalation; the reply never waits on the log (a log that is down,
        or a session id it cannot take, is logged and the reply goes out regardless)."""
        try:
            event = EscalationEvent.from_assessment(
                assessment, session=session, source="input_guard"
            )
            self.events.record(event)
        except Exception:
            log.exception("could not record an escalation event; the reply goes out regardless")
            return None
        return event

    def check_reply(self, reply: str) -> ReplyVerdict:
        return self.checker.check(reply)
