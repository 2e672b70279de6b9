"""Accounts for password sign-in: a YAML file of usernames, roles and salted scrypt hashes.

The file (default ``<data_dir>/users.yaml``, mode 0600) never holds a password, only
``scrypt$n$r$p$salt$hash`` strings. Checks are constant-time, and an unknown username
costs the same scrypt work as a known one, so timing does not reveal who has an account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import yaml

Role = Literal["clinician", "educator", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,63}$")
MIN_PASSWORD_CHARS = 12
FILE_VERSION = 1

# scrypt cost: 16 MiB of memory and ~50 ms per check on one core.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024


class UsersFileError(ValueError):
    """The users file cannot be read, or a change to it is not allowed."""


def parse_role(value: str) -> Role:
    """``value`` as a role, or an error naming the roles."""
    for role in get_args(Role):
        if role == value:
            return role  # type: ignore[no-any-return]
    raise UsersFileError(f"role {value!r} is not one of {', '.join(ROLES)}")


def normalise_username(name: str) -> str:
    """Usernames are compared case-insensitively; the stored form is lower case."""
    value = name.strip().lower()
    if not USERNAME.match(value):
        raise UsersFileError(
            f"username {name!r} is not allowed: use 2-64 characters, letters, digits and "
            ". _ @ + - (starting with a letter or digit)"
        )
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash: ``scrypt$n$r$p$salt$hash`` (base64 parts)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=_MAXMEM
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


# Checked against when the username is unknown, so the time taken is the same.
_DUMMY_HASH = hash_password("not a real password", salt=b"\0" * 16)


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a ``hash_password`` string."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def generate_password() -> str:
    """A random password for a first account (about 96 bits)."""
    return secrets.token_urlsafe(12)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UsersFileError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")


@dataclass(frozen=True)
class UserRecord:
    """One account as stored."""

    username: str
    role: Role
    password_hash: str
    created: str
    category: str = ""  # role category for anonymised themes (coach.educator), optional

    def as_yaml(self) -> dict[str, str]:
        entry = {
            "username": self.username,
            "role": self.role,
            "password": self.password_hash,
            "created": self.created,
        }
        if self.category:
            entry["category"] = self.category
        return entry


@dataclass(frozen=True)
class Account:
    """A signed-in clinician, educator or admin, as the chat app sees them."""

    identifier: str
    role: Role
    provider: Literal["password", "header"]

    @property
    def metadata(self) -> dict[str, str]:
        return {"role": self.role, "provider": self.provider}


_LOCK = threading.Lock()


class UsersFile:
    """Reads and writes the users file. Every change rewrites it atomically (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> dict[str, UserRecord]:
        if not self.path.is_file():
            return {}
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise UsersFileError(
                f"cannot read the users file {self.path} ({exc}); fix it, or move it away "
                "and add accounts again with `coach users add`"
            ) from exc
        entries = raw.get("users", []) if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            raise UsersFileError(
                f"{self.path} must hold a mapping with a 'users' list (see `coach users add`)"
            )
        users: dict[str, UserRecord] = {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise UsersFileError(f"{self.path}: users[{i}] is not a mapping")
            try:
                name = normalise_username(str(entry["username"]))
                role = parse_role(str(entry.get("role", "clinician")))
                password_hash = str(entry["password"])
            except KeyError as exc:
                raise UsersFileError(f"{self.path}: users[{i}] has no {exc.args[0]!r}") from exc
            except UsersFileError as exc:
                raise UsersFileError(f"{self.path}: users[{i}]: {exc}") from exc
            users[name] = UserRecord(
                name,
                role,
                password_hash,
                str(entry.get("created", "")),
                str(entry.get("category", "") or ""),
            )
        return users

    def _save(self, users: dict[str, UserRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": FILE_VERSION,
            "users": [u.as_yaml() for u in sorted(users.values(), key=lambda u: u.username)],
        }
        text = (
            "# Debrief Coach accounts (password sign-in). Passwords are stored as salted\n"
            "# scrypt hashes only. Manage with `coach users add|passwd|remove|list`.\n"
            + yaml.safe_dump(body, sort_keys=False)
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, self.path)

    def add(
        self, username: str, password: str, role: Role = "clinician", category: str = ""
    ) -> UserRecord:
        name = normalise_username(username)
        role = parse_role(role)
        check_new_password(password)
        with _LOCK:
            users = self.load()
            if name in users:
                raise UsersFileError(
                    f"{name} already has an account; change its password with "
                    f"`coach users passwd {name}`"
                )
            record = UserRecord(
                name,
                role,
                hash_password(password),
                datetime.now(UTC).isoformat(timespec="seconds"),
                category,
            )
            users[name] = record
            self._save(users)
        return record

    def set_password(self, username: str, password: str) -> None:
        name = normalise_username(username)
        check_new_password(password)
        with _LOCK:
            users = self.load()
            if name not in users:
                raise UsersFileError(f"no account named {name}; add it with `coach users add`")
            old = users[name]
            users[name] = UserRecord(
                name, old.role, hash_password(password), old.created, old.category
            )
            self._save(users)

    def remove(self, username: str) -> None:
        name = normalise_username(username)
        with _LOCK:
            users = self.load()
            if users.pop(name, None) is None:
                raise UsersFileError(f"no account named {name}")
            self._save(users)

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account, if the password is right; ``None`` otherwise (same cost either way)."""
        try:
            name = normalise_username(username)
        except UsersFileError:
            name = ""
        record = self.load().get(name) if name else None
        ok = verify_password(password, record.password_hash if record else _DUMMY_HASH)
        if record is None or not ok:
            return None
        return Account(record.username, record.role, "password")


def default_users_path(data_dir: Path, users_file: Path | None) -> Path:
    return users_file if users_file is not None else data_dir / "users.yaml"


def ensure_first_account(users: UsersFile) -> tuple[str, str] | None:
    """On a fresh machine (no users file, or no accounts), create a clinician account and
    return its username and generated password, to be shown once. ``None`` otherwise."""
    if users.exists() and users.load():
        return None
    password = generate_password()
    users.add("clinician", password, "clinician")
    return "clinician", password
