"""Test doubles for the whole coach, shipped in the package: a coach wired with the
rules-only risk screen, an in-memory session store and event log, the lexicon emotion
recogniser and a hashing-embedder knowledge base over the built-in cards. Everything
is deterministic and needs no model, database or network.
"""

from __future__ import annotations

from collections.abc import Sequence

from coach.emotions.base import EmotionRecognizer, LexiconEmotionRecognizer
from coach.engine import Coach
from coach.graph import GraphDeps, Retriever
from coach.responders.base import Responder
from coach.responders.fakes import FixedResponder
from coach.sessions import MemorySessionStore, SessionStore
from coach.types import Mode
from guardrails.deid import Deidentifier
from guardrails.events import EventLog, MemoryEventLog
from guardrails.guard import Guard
from guardrails.reply_check import ReplyChecker
from guardrails.resources import Resource, load_resources
from guardrails.risk import RiskClassifier, RuleRiskClassifier
from knowledge.base import KnowledgeBase
from knowledge.embedder import HashingEmbedder
from knowledge.store import InMemoryStore


def fake_guard(
    *,
    classifier: RiskClassifier | None = None,
    events: EventLog | None = None,
    resources: Sequence[Resource] | None = None,
    locale: str = "UK",
) -> Guard:
    return Guard(
        classifier or RuleRiskClassifier(),
        Deidentifier(),
        ReplyChecker(),
        resources if resources is not None else load_resources().for_locale(locale),
        events if events is not None else MemoryEventLog(),
    )


def card_knowledge() -> KnowledgeBase:
    """The built-in cards in an in-memory store with the hashing embedder."""
    return KnowledgeBase(InMemoryStore(), HashingEmbedder())


def fake_coach(
    *,
    responder: Responder | None = None,
    store: SessionStore | None = None,
    guard: Guard | None = None,
    emotions: EmotionRecognizer | None = None,
    retriever: Retriever | None = None,
    with_knowledge: bool = True,
    mode: Mode = "full",
    max_message_chars: int = 8000,
) -> Coach:
    if retriever is None and with_knowledge:
        retriever = card_knowledge()
    deps = GraphDeps(
        guard=guard or fake_guard(),
        responder=responder or FixedResponder(),
        store=store or MemorySessionStore(),
        emotions=emotions or LexiconEmotionRecognizer(),
        retriever=retriever,
        max_message_chars=max_message_chars,
    )
    return Coach(deps, default_mode=mode)
