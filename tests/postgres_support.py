"""A throwaway PostgreSQL cluster for the tests, from Debian's ``postgresql`` package.

``PostgresCluster.start`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when the
tests run as root) on a data folder and a unix-socket folder under a fresh temporary
folder, listening on 127.0.0.1 on a free port with a random password; ``stop`` stops it
and removes everything. ``create_database`` makes the run's database on it, and
``reset_schema`` empties a database between tests (dropping and recreating its ``public``
schema is much quicker than a database per test).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

INSTALL_HINT = (
    "PostgreSQL's initdb and pg_ctl were not found under /usr/lib/postgresql/*/bin; "
    "run `make postgres` (installs Debian's postgresql package), or set "
    "COACH_TEST_POSTGRES_URL to a disposable database (its tables are dropped)"
)
SERVER_SETTINGS = (
    # A disposable cluster: durability off, for speed.
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)


class PostgresUnavailable(RuntimeError):
    pass


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl."""
    found = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            try:
                found.append((int(bin_dir.parent.name), bin_dir))
            except ValueError:
                continue
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """Run as ``postgres`` when we are root (the server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresCluster:
    bin_dir: Path
    root: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        """The superuser's URL for the ``postgres`` database."""
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, bin_dir: Path, *, timeout: float = 60.0) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="coach-postgres-"))
        password = secrets.token_hex(16)
        (root / "pwfile").write_text(password + "\n", encoding="utf-8")
        (root / "socket").mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
            for child in root.iterdir():
                shutil.chown(child, "postgres", "postgres")
        cluster = cls(bin_dir, root, 0, password)
        try:
            cluster._run(
                [
                    str(bin_dir / "initdb"),
                    "--pgdata", str(cluster.data),
                    "--username", "postgres",
                    "--pwfile", str(root / "pwfile"),
                    "--auth-local", "peer" if os.geteuid() == 0 else "trust",
                    "--auth-host", "scram-sha-256",
                    "--encoding", "UTF8",
                    "--no-sync",
                ],
                timeout,
            )  # fmt: skip
            for attempt in range(3):  # a free port can be taken before the server binds it
                cluster.port = _free_port()
                options = " ".join(
                    [
                        "-c listen_addresses=127.0.0.1",
                        f"-p {cluster.port}",
                        f"-k {root / 'socket'}",
                        *(f"-c {s}" for s in SERVER_SETTINGS),
                    ]
                )
                started = subprocess.run(
                    _as_owner(
                        [
                            str(bin_dir / "pg_ctl"),
                            "--pgdata", str(cluster.data),
                            "--log", str(root / "server.log"),
                            "--options", options,
                            "--wait", "--timeout", str(int(timeout)),
                            "start",
                        ]
                    ),
                    capture_output=True,
                    text=True,
                    timeout=timeout + 10,
                )  # fmt: skip
                if started.returncode == 0:
                    break
                if attempt == 2:
                    raise PostgresUnavailable(
                        f"pg_ctl start failed: {started.stderr.strip()}\n{cluster.log_tail()}"
                    )
            cluster._wait_ready(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, command: list[str], timeout: float) -> None:
        done = subprocess.run(
            _as_owner(command), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"{Path(command[0]).name} failed: {done.stderr.strip()}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=5):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"the test cluster did not accept a connection: {exc}"
                    ) from exc
                time.sleep(0.2)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.root / "server.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_owner(
                    [str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data), "--mode",
                     "immediate", "--wait", "stop"]
                ),
                capture_output=True,
                timeout=60,
                check=False,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def create_database(admin_url: str, prefix: str = "coach_test") -> str:
    """A new, empty database on the server of ``admin_url``; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url`` (closing whatever is still connected to it)."""
    name = make_url(url).database
    assert name is not None, "the URL names no database"
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def reset_schema(url: str) -> None:
    """Empty the database of ``url``: every table, index and sequence in ``public`` goes."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+asyncpg://``...) as a plain libpq URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
