"""Builds the coach's real parts from ``Settings``: one embedder shared by retrieval, the
risk bank and emotion recognition; the session store (chosen by
``coach.storage_backends``: SQLite under the data directory, or PostgreSQL); the responder
chain (generative when ``COACH_LLM`` names a model, always backed by the scripted coach).
"""

from __future__ import annotations

import logging

from coach.emotions.recognizer import build_emotion_recognizer
from coach.graph import GraphDeps
from coach.responders.base import Responder
from coach.responders.checked import CheckedResponder
from coach.responders.generative import GenerativeResponder
from coach.responders.scripted import ScriptedResponder
from coach.settings import Settings
from coach.storage_backends import session_store
from guardrails.guard import Guard
from guardrails.reply_check import ReplyChecker
from knowledge.base import KnowledgeBase
from knowledge.embedder import Embedder, build_embedder
from knowledge.store import ChromaStore

log = logging.getLogger(__name__)


def build_responder(settings: Settings) -> Responder:
    """The configured model (or the scripted coach), checked, with the scripted coach as
    the fallback for failed checks, model errors and timeouts."""
    scripted = ScriptedResponder()
    generative = GenerativeResponder.from_settings(settings)
    primary: Responder = scripted if generative is None else generative
    return CheckedResponder(primary, scripted, ReplyChecker())


def build_knowledge(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    return KnowledgeBase(
        ChromaStore.from_settings(settings),
        embedder if embedder is not None else build_embedder(settings),
        chunk_words=settings.chunk_words,
        overlap_words=settings.chunk_overlap_words,
        max_file_bytes=settings.max_file_bytes,
        rrf_k=settings.rrf_k,
        candidate_pool=settings.candidate_pool,
        revision_check_seconds=settings.revision_check_seconds,
    )


def build_deps(settings: Settings) -> GraphDeps:
    embedder = build_embedder(settings)
    knowledge = build_knowledge(settings, embedder)
    return GraphDeps(
        guard=Guard.from_settings(settings, embedder),
        responder=build_responder(settings),
        store=session_store(settings),
        emotions=build_emotion_recognizer(settings, embedder),
        retriever=knowledge,
        passages_per_turn=settings.passages_per_turn,
        max_message_chars=settings.max_message_chars,
    )
