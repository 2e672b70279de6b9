"""Reading the ``--jsonl`` input of ``coach guard``: one JSON object per line.

A malformed line, or one whose text is over the message limit (COACH_MAX_MESSAGE_CHARS),
yields a ``LineError`` naming the line and what is wrong; the other lines go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True)
class GuardInput:
    line: int
    text: str
    history: tuple[str, ...]


@dataclass(frozen=True)
class LineError:
    line: int
    error: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "error": self.error}


def _parse(number: int, raw: bytes, max_chars: int | None) -> GuardInput | LineError:
    if len(raw) > MAX_LINE_BYTES:
        return LineError(number, f"line is {len(raw)} bytes; the limit is {MAX_LINE_BYTES}")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineError(number, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
    try:
        item = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(item, dict):
        return LineError(number, 'expected a JSON object like {"text": "..."}')
    text = item.get("text")
    if not isinstance(text, str):
        return LineError(number, 'missing "text" (a string)')
    if not text.strip():
        return LineError(number, '"text" is empty')
    if max_chars is not None and len(text) > max_chars:
        return LineError(
            number,
            f'"text" is {len(text):,} characters, over the {max_chars:,} limit for one '
            "message (COACH_MAX_MESSAGE_CHARS); split it into shorter messages",
        )
    history = item.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        return LineError(number, '"history" must be a list of strings (earlier messages)')
    return GuardInput(number, text, tuple(history))


def read_jsonl(
    stream: BinaryIO, *, max_chars: int | None = None
) -> Iterator[GuardInput | LineError]:
    """Each non-blank line of ``stream`` as an input or an error for that line; a text
    longer than ``max_chars`` is an error."""
    for number, raw in enumerate(stream, start=1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        yield _parse(number, raw, max_chars)
