"""Accounts for password sign-in: usernames, roles and salted scrypt hashes.

``Accounts`` is the seam. ``UsersFile`` is the embedded default: a YAML file (default
``<data_dir>/users.yaml``, mode 0600). ``SqlAccounts`` keeps the same records in the
PostgreSQL table ``coach_accounts`` (``COACH_DATABASE_URL``), shared by every instance.
Neither ever holds a password, only ``scrypt$n$r$p$salt$hash`` strings. Checks are
constant-time, and an unknown username costs the same scrypt work as a known one, so
timing does not reveal who has an account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, get_args

import yaml
from sqlalchemy import Connection, text

from coach import database

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


class Accounts(Protocol):
    """Where accounts are kept (``UsersFile`` or ``SqlAccounts``)."""

    @property
    def location(self) -> str:
        """Where the accounts live, for messages."""
        ...

    def exists(self) -> bool: ...

    def load(self) -> dict[str, UserRecord]: ...

    def find(self, username: str) -> UserRecord | None:
        """The account named ``username`` (any case), or ``None``."""
        ...

    def add(
        self, username: str, password: str, role: Role = "clinician", category: str = ""
    ) -> UserRecord: ...

    def set_password(self, username: str, password: str) -> None: ...

    def remove(self, username: str) -> None: ...

    def authenticate(self, username: str, password: str) -> Account | None: ...


def _new_record(username: str, password: str, role: str, category: str) -> UserRecord:
    name = normalise_username(username)
    checked = parse_role(role)
    check_new_password(password)
    return UserRecord(
        name,
        checked,
        hash_password(password),
        datetime.now(UTC).isoformat(timespec="seconds"),
        category,
    )


def _already(name: str) -> UsersFileError:
    return UsersFileError(
        f"{name} already has an account; change its password with `coach users passwd {name}`"
    )


def _signed_in(record: UserRecord | None, password: str) -> Account | None:
    """The account when ``password`` is right; the same scrypt work when there is none."""
    ok = verify_password(password, record.password_hash if record else _DUMMY_HASH)
    if record is None or not ok:
        return None
    return Account(record.username, record.role, "password")


def _lookup_name(username: str) -> str:
    try:
        return normalise_username(username)
    except UsersFileError:
        return ""


_LOCK = threading.Lock()


class UsersFile:
    """Reads and writes the users file. Every change rewrites it atomically (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def find(self, username: str) -> UserRecord | None:
        name = _lookup_name(username)
        return self.load().get(name) if name else None

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
        record = _new_record(username, password, role, category)
        with _LOCK:
            users = self.load()
            if record.username in users:
                raise _already(record.username)
            users[record.username] = record
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
        name = _lookup_name(username)
        return _signed_in(self.load().get(name) if name else None, password)


_POSTGRES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS coach_accounts (
    username      TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created       TEXT NOT NULL,
    category      TEXT NOT NULL DEFAULT ''
)""",
)
_COLUMNS = "username, role, password_hash, created, category"


class SqlAccounts:
    """Accounts in PostgreSQL (table ``coach_accounts``, created on first use), shared by
    every instance: an account added or a password changed on one is in force on all."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = database.engine(url)

    @property
    def location(self) -> str:
        return f"the coach_accounts table of {database.shown(self.url)}"

    def _begin(self) -> AbstractContextManager[Connection]:
        database.ensure_tables(self._engine, "accounts", _POSTGRES_SCHEMA, UsersFileError)
        return database.transaction(self._engine, UsersFileError)

    @staticmethod
    def _record(row: tuple[str, str, str, str, str]) -> UserRecord:
        return UserRecord(row[0], parse_role(row[1]), row[2], row[3], row[4])

    def exists(self) -> bool:
        return True  # the table is created on first use

    def load(self) -> dict[str, UserRecord]:
        with self._begin() as db:
            rows = db.execute(text(f"SELECT {_COLUMNS} FROM coach_accounts ORDER BY username"))
            return {row[0]: self._record(tuple(row)) for row in rows}

    def find(self, username: str) -> UserRecord | None:
        name = _lookup_name(username)
        if not name:
            return None
        with self._begin() as db:
            row = db.execute(
                text(f"SELECT {_COLUMNS} FROM coach_accounts WHERE username = :name"),
                {"name": name},
            ).first()
        return None if row is None else self._record(tuple(row))

    def add(
        self, username: str, password: str, role: Role = "clinician", category: str = ""
    ) -> UserRecord:
        record = _new_record(username, password, role, category)
        with self._begin() as db:
            added = db.execute(
                text(
                    f"INSERT INTO coach_accounts ({_COLUMNS}) VALUES"
                    " (:username, :role, :password_hash, :created, :category)"
                    " ON CONFLICT (username) DO NOTHING"
                ),
                {
                    "username": record.username,
                    "role": record.role,
                    "password_hash": record.password_hash,
                    "created": record.created,
                    "category": record.category,
                },
            )
        if added.rowcount == 0:
            raise _already(record.username)
        return record

    def set_password(self, username: str, password: str) -> None:
        name = normalise_username(username)
        check_new_password(password)
        with self._begin() as db:
            changed = db.execute(
                text("UPDATE coach_accounts SET password_hash = :hash WHERE username = :name"),
                {"hash": hash_password(password), "name": name},
            )
        if changed.rowcount == 0:
            raise UsersFileError(f"no account named {name}; add it with `coach users add`")

    def remove(self, username: str) -> None:
        name = normalise_username(username)
        with self._begin() as db:
            removed = db.execute(
                text("DELETE FROM coach_accounts WHERE username = :name"), {"name": name}
            )
        if removed.rowcount == 0:
            raise UsersFileError(f"no account named {name}")

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account, if the password is right; ``None`` otherwise (same cost either way)."""
        return _signed_in(self.find(username), password)


def default_users_path(data_dir: Path, users_file: Path | None) -> Path:
    return users_file if users_file is not None else data_dir / "users.yaml"


def ensure_first_account(users: Accounts) -> tuple[str, str] | None:
    """On a fresh machine (no users file, or no accounts), create a clinician account and
    return its username and generated password, to be shown once. ``None`` otherwise,
    also when another instance starting at the same moment created it first."""
    if users.exists() and users.load():
        return None
    password = generate_password()
    try:
        users.add("clinician", password, "clinician")
    except UsersFileError:
        if users.find("clinician") is None:
            raise
        return None
    return "clinician", password
