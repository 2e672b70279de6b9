"""Security, point 1: passwords are stored hashed. After `coach users add` and `coach users
passwd` the accounts (the users file, or PostgreSQL's table) hold only a salted scrypt hash
(a per-account salt, nothing reversible), a wrong password is refused, and every check
costs the same and compares in constant time.

The users file's mode (0600) and header sign-in are tested in ``tests/test_app_auth.py``."""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac
import urllib.parse
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import coach.app.users as users_module
from coach import storage_backends
from coach.settings import Settings
from tests.test_app_users_cli import accounts, env, invoke, stored  # noqa: F401 (env: fixture)

PASSWORD = "Night shift on Ward 7!"
NEW_PASSWORD = "A different one, 2026"


def reversible_forms(password: str) -> list[bytes]:
    """The password as typed and in forms it can be read back from (encodings, and the
    unsalted digests that lookup tables reverse)."""
    raw = password.encode("utf-8")
    forms = [
        raw,
        raw.lower(),
        raw.upper(),
        raw[::-1],
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
        base64.b32encode(raw),
        raw.hex().encode(),
        codecs.encode(password, "rot13").encode("utf-8"),
        urllib.parse.quote(password).encode(),
        urllib.parse.quote_plus(password).encode(),
        password.encode("utf-16-le"),
    ]
    for name in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(name, raw)
        forms += [digest.hexdigest().encode(), base64.b64encode(digest.digest())]
    return forms


def parts(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, digest = stored.split("$")
    assert scheme == "scrypt"
    return int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest)


def test_the_cli_stores_only_salted_scrypt_hashes(env: Path) -> None:  # noqa: F811
    for name in ("nurse.one", "nurse.two"):
        added = invoke("users", "add", name, "--password-stdin", stdin=PASSWORD + "\n")
        assert added.exit_code == 0, added.output
    users = accounts()
    raw = stored(users).encode()
    assert b"nurse.two" in raw
    for form in reversible_forms(PASSWORD):
        assert form not in raw, form

    records = users.load()
    one, two = parts(records["nurse.one"].password_hash), parts(records["nurse.two"].password_hash)
    for n, r, p, salt, digest in (one, two):
        assert n >= 2**14 and r >= 8 and p >= 1  # scrypt's interactive-login cost or more
        assert len(salt) >= 16 and len(digest) >= 32
        # the digest is scrypt of this password under this salt: a one-way hash, not a cipher
        again = hashlib.scrypt(
            PASSWORD.encode(), salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=2**26
        )
        assert hmac.compare_digest(again, digest)
    assert one[3] != two[3] and one[4] != two[4]  # per-account salts: same password, two hashes

    assert users.authenticate("nurse.one", PASSWORD) is not None
    for wrong in (PASSWORD + " ", PASSWORD.lower(), PASSWORD[:-1], "", NEW_PASSWORD):
        assert users.authenticate("nurse.one", wrong) is None, wrong


def test_a_changed_password_replaces_hash_and_salt(env: Path) -> None:  # noqa: F811
    for name in ("nurse.one", "nurse.two"):
        invoke("users", "add", name, "--password-stdin", stdin=PASSWORD + "\n")
    users = accounts()
    before = {name: r.password_hash for name, r in users.load().items()}
    changed = invoke("users", "passwd", "nurse.one", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert changed.exit_code == 0, changed.output
    after = {name: r.password_hash for name, r in users.load().items()}
    assert after["nurse.two"] == before["nurse.two"]
    assert parts(after["nurse.one"])[3] != parts(before["nurse.one"])[3]  # a fresh salt
    raw = stored(users).encode()
    assert after["nurse.one"].encode() in raw
    assert before["nurse.one"].encode() not in raw  # the old hash is gone
    for form in reversible_forms(PASSWORD) + reversible_forms(NEW_PASSWORD):
        assert form not in raw
    assert users.authenticate("nurse.one", PASSWORD) is None
    assert users.authenticate("nurse.one", NEW_PASSWORD) is not None
    assert users.authenticate("nurse.two", NEW_PASSWORD) is None


def test_every_check_costs_the_same_and_compares_in_constant_time(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = storage_backends.accounts(backend_settings)
    users.add("nurse.one", PASSWORD)
    kdf_calls: list[tuple[int, int, int]] = []
    compared: list[tuple[int, int]] = []

    def scrypt(password: bytes, **kwargs: Any) -> bytes:
        kdf_calls.append((kwargs["n"], kwargs["r"], kwargs["p"]))
        return hashlib.scrypt(password, **kwargs)

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(users_module, "hashlib", SimpleNamespace(scrypt=scrypt))
    monkeypatch.setattr(users_module, "hmac", SimpleNamespace(compare_digest=compare_digest))
    attempts = {
        "right": ("nurse.one", PASSWORD, True),
        "wrong, same length": ("nurse.one", PASSWORD[:-1] + "?", False),
        "wrong, shorter": ("nurse.one", "x", False),
        "unknown account": ("nobody.here", PASSWORD, False),
        "impossible name": ("no spaces allowed", PASSWORD, False),
    }
    costs = {}
    for label, (name, password, ok) in attempts.items():
        kdf_calls.clear()
        compared.clear()
        assert (users.authenticate(name, password) is not None) is ok, label
        assert len(kdf_calls) == 1, label  # one scrypt run, known account or not
        assert compared == [(32, 32)], label  # digests compared with hmac.compare_digest
        costs[label] = kdf_calls[0]
    assert len(set(costs.values())) == 1, costs  # and always at the same cost
