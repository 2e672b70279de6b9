"""``coach run`` as a child process on this machine, for the load benchmark and the tests
that drive the chat app over its socket: a data folder of its own, a free port, its log
in the data folder, and its own process group so it can be stopped, or killed outright
to test a crash, together with anything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

READY_TIMEOUT_S = 180.0
# Starts fast (no embedding model, rules-only risk screen) for tests.
FAST_ENV: dict[str, str] = {"COACH_EMBEDDER": "hashing", "COACH_RISK_CLASSIFIER": "rules"}
OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


class ServerError(RuntimeError):
    """The chat app did not start, or stopped on its own."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def coach_command() -> list[str]:
    """``coach`` next to this interpreter (the .venv's), else the same through Python."""
    script = Path(sys.executable).with_name("coach")
    if script.is_file():
        return [str(script)]
    code = "import sys; from coach.cli import main; sys.argv[0] = 'coach'; main()"
    return [sys.executable, "-c", code]


class LocalServer:
    """``coach run --host H --port P`` on ``data_dir``; ``env`` adds ``COACH_*`` settings
    (the caller's own ``COACH_*`` and ``CHAINLIT_*`` variables are not passed on)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.log_path = self.data_dir / "server.log"
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "CHAINLIT_"))
        }
        self.env = {**inherited, **OFFLINE_ENV, **(env or {}), "COACH_DATA_DIR": str(self.data_dir)}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServerError("the chat app is not running: call start() first")
        return self.proc.pid

    def start(self, timeout: float = READY_TIMEOUT_S) -> float:
        """Start it and wait until it answers (the coach is loaded by then); returns the
        seconds that took."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [*coach_command(), "run", "--host", self.host, "--port", str(self.port)]
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        while not self.ready():
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise ServerError(f"`coach run` exited with {code}; its log:\n{self.log_tail()}")
            if time.monotonic() - started > timeout:
                self.stop()
                raise ServerError(
                    f"`coach run` did not answer at {self.url} within {timeout:.0f} s; "
                    f"its log:\n{self.log_tail()}"
                )
            time.sleep(0.25)
        return time.monotonic() - started

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """``kill -9`` the server's whole process group (a crash: nothing is flushed)."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self, timeout: float = 20.0) -> None:
        """Stop it as Ctrl+C would, then kill what is left."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return text[-chars:]

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
