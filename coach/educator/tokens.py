"""The per-clinician token in theme records: ``HMAC-SHA256(secret, user id)``, 128 bits.

Why a token at all: the k rule counts *distinct clinicians* in a cell (one clinician's
ten debriefs must not make a cell look like ten people), and an opt-out must remove a
clinician's records. Both need the same clinician to map to the same value.

Why keyed: a plain hash of a user id can be reversed by hashing every known user id. With
the key (``<data_dir>/theme-secret``, mode 0600, generated once, never shown, kept apart
from the theme database), a token cannot be tied to anyone by someone who holds only the
theme database or an export (and exports never contain tokens anyway).

The trade-off: whoever holds both the key and the list of user ids (a server
administrator) can recompute a clinician's token and pick out their theme records:
which weeks they debriefed, incident types and themes, never text or sessions.
Deleting the key makes every stored token unlinkable for good; delete the theme database
(``<data_dir>/themes.db``) with it, because distinct-clinician counts would otherwise treat
a clinician's old and new records as two people and publish cells too early.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "theme-secret"
_MIN_SECRET_CHARS = 32


class TokenKeyError(RuntimeError):
    pass


def secret_path(data_dir: Path) -> Path:
    return data_dir / SECRET_FILE


def load_or_create_secret(data_dir: Path) -> bytes:
    """The theme key in ``<data_dir>/theme-secret``, created (0600) when absent."""
    path = secret_path(data_dir)
    try:
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
            if len(value) < _MIN_SECRET_CHARS:
                raise TokenKeyError(
                    f"{path} holds a key shorter than {_MIN_SECRET_CHARS} characters; delete "
                    "it together with themes.db in the same folder to start again"
                )
            return value.encode("utf-8")
        data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        return value.encode("utf-8")
    except FileExistsError:  # another process created it first
        return load_or_create_secret(data_dir)
    except OSError as exc:
        raise TokenKeyError(
            f"cannot read or create the theme key {path} ({exc}); check COACH_DATA_DIR is writable"
        ) from exc


def clinician_token(secret: bytes, user_id: str) -> str:
    """The clinician's token: 32 hex digits, the same for the same account and key."""
    if not user_id:
        raise ValueError("a theme record needs a signed-in account (empty user id)")
    digest = hmac.new(secret, b"clinician:" + user_id.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def session_marker(secret: bytes, session_id: str) -> str:
    """Marks a session as already turned into themes, without saying which record it
    became (the marker is stored apart from the records, with nothing joining them)."""
    digest = hmac.new(secret, b"session:" + session_id.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]
