"""A Chroma server client whose requests time out.

chromadb's HTTP client waits forever (``httpx.Client(timeout=None)``), so a Chroma server
that hangs, or a network that drops packets, would hold a debrief turn for good. This
client first checks the server's heartbeat with a deadline, then gives chromadb's own
client the same deadline on every later request (``COACH_CHROMA_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

from typing import Any

import httpx


class ChromaTimeout(ConnectionError):
    """The Chroma server did not answer in time."""


def timed_http_client(host: str, port: int, *, ssl: bool, timeout: float) -> Any:
    """``chromadb.HttpClient(host, port, ssl)`` whose requests give up after ``timeout``
    seconds."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    scheme = "https" if ssl else "http"
    try:  # chromadb's own first requests have no deadline: only a live server gets them
        httpx.get(f"{scheme}://{host}:{port}/api/v2/heartbeat", timeout=timeout).raise_for_status()
    except httpx.TimeoutException as exc:
        raise ChromaTimeout(f"no answer within {timeout:g} s") from exc
    client = chromadb.HttpClient(
        host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False)
    )
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise RuntimeError("this chromadb version keeps its HTTP session elsewhere")
    session.timeout = httpx.Timeout(timeout)
    return client
