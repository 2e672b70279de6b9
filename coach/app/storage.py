"""Element storage inside the chat database: each element's content becomes a ``data:`` URL
kept in its ``elements`` row.

The coach's elements are small and hold no identifiers (knowledge passages, the support
options, the summary built from de-identified text), so keeping them in the row means a
conversation's sources and summary file survive a restart, follow a PostgreSQL database
to another server, and go when the thread is deleted, with no file store to manage.
"""

from __future__ import annotations

import base64
from typing import Any

from chainlit.data.storage_clients.base import BaseStorageClient

MAX_INLINE_BYTES = 512 * 1024


class ElementTooLargeError(ValueError):
    """An element is too large to keep inline."""


def data_url(data: bytes | str, mime: str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_INLINE_BYTES:
        raise ElementTooLargeError(
            f"an element of {len(raw):,} bytes is over the {MAX_INLINE_BYTES:,} kept inline"
        )
    return f"data:{mime or 'application/octet-stream'};base64,{base64.b64encode(raw).decode()}"


class InlineStorageClient(BaseStorageClient):
    """``upload_file`` returns a ``data:`` URL and no object key, so Chainlit stores the URL
    in the element's row and reads it back as is."""

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        return {"object_key": None, "url": data_url(data, mime)}

    async def delete_file(self, object_key: str) -> bool:
        return True

    async def get_read_url(self, object_key: str) -> str:
        raise LookupError(f"inline elements have no stored object ({object_key!r})")

    async def close(self) -> None:
        return None
