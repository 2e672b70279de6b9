"""Who is signed in: password sign-in against the accounts, or a header set by an SSO proxy.

Header sign-in (``COACH_AUTH=header``) trusts whatever the named header says, so it must
only be used behind a reverse proxy that authenticates people and always sets (or strips)
that header itself; never expose such a deployment directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from coach.app.users import Account, Accounts, Role, UsersFileError

_HEADER_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def password_account(users: Accounts, username: str, password: str) -> Account | None:
    """The account for a username and password, or ``None`` (wrong, unknown or unreadable)."""
    try:
        return users.authenticate(username, password)
    except UsersFileError:
        return None


def header_account(
    headers: Mapping[str, str], header: str, users: Accounts | None = None
) -> Account | None:
    """The account named by ``header`` (case-insensitive lookup in ``headers``).

    The role comes from the accounts when the person has an entry there, else
    ``clinician``. Values that are not a plain user name or email are refused.
    """
    value = _lookup(headers, header)
    if value is None:
        return None
    value = value.strip()
    if not _HEADER_VALUE.match(value):
        return None
    identifier = value.lower()
    role: Role = "clinician"
    if users is not None:
        try:
            record = users.find(identifier)
        except UsersFileError:
            record = None
        if record is not None:
            role = record.role
    return Account(identifier, role, "header")


def _lookup(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, item in headers.items():
        if key.lower() == wanted:
            return item
    return None
