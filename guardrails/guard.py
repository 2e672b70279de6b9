"""The guard every message passes: risk screening and de-identification on the way
in, reply checks on the way out, escalation content and events when risk is found.

Nothing here needs the LLM, the vector store or a database: escalation replies come
from package data, so they work when everything else is down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.settings import Settings
from coach.storage_backends import event_log
from guardrails import normalize
from guardrails.deid import Deidentifier, storable
from guardrails.direct_question import after_direct_question
from guardrails.escalation import EscalationReply, crisis_reply, support_reply
from guardrails.events import EscalationEvent, EventLog, EventSource
from guardrails.reply_check import ReplyChecker
from guardrails.resources import Resource, load_resources
from guardrails.risk import RaiseOnlyClassifier, RiskClassifier, RiskOpinion, RuleRiskClassifier
from guardrails.types import Level, Redaction, ReplyVerdict, RiskAssessment
from knowledge.embedder import Embedder, MemoEmbedder, build_embedder

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

# The rest of a message longer than the rules read at once is screened in windows.
WINDOW_CHARS = 5_000
WINDOW_OVERLAP = 1_000  # characters shared by neighbouring windows


def build_classifier(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    chat_model: BaseChatModel | None = None,
) -> RiskClassifier:
    """The risk screen ``COACH_RISK_CLASSIFIER`` asks for, with the chat model's second
    opinion on top when ``COACH_RISK_SECOND_OPINION`` is on.

    - ``rules``: the rules alone.
    - ``hybrid`` (default): the rules, plus the trained risk model (``risk_model.py``),
      which may raise a message to support or crisis, plus the risk bank's vote, which
      may raise it to support; neither can lower a level.

    If the model's weights are missing or malformed, the error names the command that
    rebuilds them and the screen falls back to the rules plus the risk bank's vote
    (capped at support, so crisis stays the rules' decision). If the embedding model
    cannot load, the rules carry on alone. Either way the log says so.

    The second opinion (``second_opinion.py``) is asked only about messages the screen
    puts below crisis, and may only raise them. It must answer within
    ``COACH_LLM_TIMEOUT_SECONDS``; a timeout, a model error or an answer without a
    ``LEVEL:`` line leaves the screen's level as it is. ``chat_model`` replaces the
    model ``COACH_LLM`` names (tests); without either, ``ConfigError`` names
    ``COACH_LLM``."""
    if not settings.risk_second_opinion:
        return _risk_screen(settings, embedder)
    from guardrails.second_opinion import ChatRiskOpinion, ModelCompletion

    # the model first: a setting to fix is reported before any model loads
    model = chat_model if chat_model is not None else second_opinion_model(settings)
    opinion = ChatRiskOpinion(ModelCompletion(model, settings.llm_timeout_seconds))
    log.info("risk screen: the chat model's second opinion may raise levels, never lower them")
    return SecondOpinionClassifier(_risk_screen(settings, embedder), opinion)


class _Assessed:
    """A classifier that answers with an assessment already made."""

    def __init__(self, assessment: RiskAssessment) -> None:
        self._assessment = assessment

    def assess(self, text: str, history: Sequence[str] = ()) -> RiskAssessment:
        return self._assessment


class SecondOpinionClassifier(RaiseOnlyClassifier):
    """The risk screen with the chat model's second opinion on top (raise-only, as
    ``RaiseOnlyClassifier``), able to say which of the two set the level."""

    def __init__(self, screen: RiskClassifier, opinion: RiskOpinion) -> None:
        super().__init__(screen, opinion)
        self.screen = screen
        self.opinion = opinion

    def assess(self, text: str, history: Sequence[str] = ()) -> RiskAssessment:
        return self.assess_with_source(text, history)[0]

    def assess_with_source(
        self, text: str, history: Sequence[str] = ()
    ) -> tuple[RiskAssessment, EventSource]:
        """The assessment, and ``second_opinion`` when the chat model raised its level
        (else ``input_guard``: the screen's own level)."""
        first = self.screen.assess(text, history)
        found = RaiseOnlyClassifier(_Assessed(first), self.opinion).assess(text, history)
        raised = found.level.rank > first.level.rank
        return found, "second_opinion" if raised else "input_guard"


def second_opinion_model(settings: Settings) -> BaseChatModel:
    """The chat model ``COACH_LLM`` names, built for screening (temperature 0, the same
    timeout and length limits); ``ConfigError`` naming ``COACH_LLM`` if it names none.
    Building it never contacts the model."""
    from coach.llm.models import ConfigError, build_chat_model

    model = build_chat_model(settings.model_copy(update={"llm_temperature": 0.0}))
    if model is None:
        raise ConfigError(
            "COACH_RISK_SECOND_OPINION=true asks a chat model for a second opinion on risk, "
            f"but COACH_LLM is {settings.llm.strip()!r} (no model): set COACH_LLM to "
            "local-tiny, ollama:<model>, openai:<model>, anthropic:<model> or "
            "openai-compatible:<model> (with COACH_LLM_BASE_URL), "
            "or set COACH_RISK_SECOND_OPINION=false"
        )
    return model


def _risk_screen(settings: Settings, embedder: Embedder | None) -> RiskClassifier:
    """The rules, or the ``hybrid`` chain (see :func:`build_classifier`)."""
    rules = RuleRiskClassifier()
    if settings.risk_classifier == "rules":
        return rules
    from guardrails.risk_bank import RiskBank
    from guardrails.risk_model import RiskModel, RiskModelUnavailable, load_model_file

    # one memo for the model and the bank: both embed the message's sentences
    base = embedder if embedder is not None else build_embedder(settings)
    chosen = base if isinstance(base, MemoEmbedder) else MemoEmbedder(base)
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
        self._rules = RuleRiskClassifier()  # for the rest of a message too long to read at once

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
        assessment, source = self._assess(text, history)
        if answers_direct_question:
            answered = after_direct_question(text, assessment)
            if answered.level.rank > assessment.level.rank:  # a yes: the guard's reading
                source = "input_guard"
            assessment = answered
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
            event = self._record(assessment, session, source)
        return Screening(assessment, redaction, escalation, event)

    def _assess(self, text: str, history: Sequence[str]) -> tuple[RiskAssessment, EventSource]:
        """The classifier's assessment of the whole text, and who set its level (the
        chat model's second opinion, or the screen). The risk rules read the first
        ``normalize.MAX_CHARS`` characters of a text; the rest of a longer one is read by
        the rules in overlapping windows (short, since the rules' cost grows with the
        square of a run-on sentence), and the highest level found wins, so a disclosure
        at the end of a long message is not missed."""
        source: EventSource = "input_guard"
        if isinstance(self.classifier, SecondOpinionClassifier):
            found, source = self.classifier.assess_with_source(text, history)
        else:
            found = self.classifier.assess(text, history)
        if len(text) <= normalize.MAX_CHARS or found.level is Level.CRISIS:
            return found, source
        step = WINDOW_CHARS - WINDOW_OVERLAP
        for start in range(normalize.MAX_CHARS - WINDOW_OVERLAP, len(text), step):
            window = self._rules.assess(text[start : start + WINDOW_CHARS], history)
            if window.level.rank > found.level.rank:
                found, source = window, "input_guard"
            if found.level is Level.CRISIS:
                break
        return found, source

    def _record(
        self, assessment: RiskAssessment, session: str, source: EventSource = "input_guard"
    ) -> EscalationEvent | None:
        """Record the escalation; the reply never waits on the log (a log that is down,
        or a session id it cannot take, is logged and the reply goes out regardless)."""
        try:
            event = EscalationEvent.from_assessment(assessment, session=session, source=source)
            self.events.record(event)
        except Exception:
            log.exception("could not record an escalation event; the reply goes out regardless")
            return None
        return event

    def check_reply(self, reply: str) -> ReplyVerdict:
        return self.checker.check(reply)
