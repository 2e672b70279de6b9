"""A real ``chroma run`` server on loopback for the tests (from the chromadb package).

``ChromaServer.start`` picks a free port and waits for the heartbeat; ``restart`` stops
it and starts it again on the same folder and port (a server restart, as an operator
would do one); ``settings`` gives an app instance's ``Settings`` pointing at it, with a
collection of the test's own so tests sharing the server never see each other's chunks.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from coach.settings import Settings

START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_command() -> Path:
    exe = Path(sys.executable).with_name("chroma")
    if exe.exists():
        return exe
    found = shutil.which("chroma")
    if found is None:
        raise RuntimeError(
            "the chroma command (from the chromadb package) is missing: run make setup"
        )
    return Path(found)


@dataclass
class ChromaServer:
    path: Path
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, path: Path) -> ChromaServer:
        server = cls(path, _free_port())
        server._launch()
        return server

    def _launch(self) -> None:
        self.proc = subprocess.Popen(
            [str(chroma_command()), "run", "--path", str(self.path),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"chroma run did not start within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self._launch()

    def settings(
        self, data_dir: Path, collection: str | None = None, **changes: object
    ) -> Settings:
        """An instance's settings on this server (a fresh collection unless named)."""
        return Settings(
            data_dir=data_dir,
            chroma_host="127.0.0.1",
            chroma_port=self.port,
            collection=collection or f"test-{uuid.uuid4().hex[:12]}",
            **changes,  # type: ignore[arg-type]
        )
