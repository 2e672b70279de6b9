"""Sign-in: salted scrypt hashes checked in constant time, and header sign-in behind SSO."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coach.app.auth import header_account, password_account
from coach.app.users import (
    UsersFile,
    UsersFileError,
    ensure_first_account,
    hash_password,
    verify_password,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> UsersFile:
    users = UsersFile(tmp_path / "users.yaml")
    users.add("Nurse.One", PASSWORD, "clinician")
    users.add("educator1", PASSWORD + "!", "educator")
    return users


def test_hashes_are_salted_and_verified() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "scrypt$not-a-hash")
    assert not verify_password(PASSWORD, "md5$x$y$z$a$b")


def test_the_file_holds_no_password_and_is_private(users: UsersFile) -> None:
    text = users.path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "scrypt$" in text
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600


def test_password_sign_in(users: UsersFile) -> None:
    account = password_account(users, "nurse.one", PASSWORD)
    assert account is not None
    assert (account.identifier, account.role, account.provider) == (
        "nurse.one",
        "clinician",
        "password",
    )
    assert account.metadata == {"role": "clinician", "provider": "password"}
    assert password_account(users, "NURSE.ONE ", PASSWORD) is not None  # case-insensitive


@pytest.mark.parametrize(
    ("username", "password"),
    [("nurse.one", "wrong password!"), ("nobody", PASSWORD), ("", PASSWORD), ("nurse.one", "")],
)
def test_wrong_or_unknown_is_refused(users: UsersFile, username: str, password: str) -> None:
    assert password_account(users, username, password) is None


def test_a_broken_users_file_refuses_sign_in_with_a_fix(tmp_path: Path) -> None:
    broken = UsersFile(tmp_path / "users.yaml")
    broken.path.write_text("users: [oops", encoding="utf-8")
    assert password_account(broken, "nurse.one", PASSWORD) is None
    with pytest.raises(UsersFileError, match="coach users add"):
        broken.load()


def test_account_rules(users: UsersFile) -> None:
    with pytest.raises(UsersFileError, match="already has an account"):
        users.add("nurse.one", PASSWORD)
    with pytest.raises(UsersFileError, match="at least 12"):
        users.add("nurse.two", "short")
    with pytest.raises(UsersFileError, match="not allowed"):
        users.add("no spaces please", PASSWORD)
    users.set_password("nurse.one", "a brand new password")
    assert password_account(users, "nurse.one", PASSWORD) is None
    assert password_account(users, "nurse.one", "a brand new password") is not None
    users.remove("nurse.one")
    assert password_account(users, "nurse.one", "a brand new password") is None


def test_first_account_only_on_a_fresh_machine(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "data" / "users.yaml")
    created = ensure_first_account(users)
    assert created is not None
    username, password = created
    assert password_account(users, username, password) is not None
    assert ensure_first_account(users) is None


def test_header_sign_in(users: UsersFile) -> None:
    account = header_account({"x-forwarded-user": "Educator1"}, "X-Forwarded-User", users)
    assert account is not None
    assert (account.identifier, account.role, account.provider) == (
        "educator1",
        "educator",
        "header",
    )
    newcomer = header_account({"X-Forwarded-User": "sam@trust.nhs.uk"}, "X-Forwarded-User")
    assert newcomer is not None and newcomer.role == "clinician"
    assert header_account({}, "X-Forwarded-User", users) is None
    assert header_account({"X-Forwarded-User": "a b"}, "X-Forwarded-User") is None
    assert header_account({"X-Forwarded-User": "<script>"}, "X-Forwarded-User") is None
    assert header_account({"X-Remote-User": "nurse.one"}, "X-Forwarded-User") is None
