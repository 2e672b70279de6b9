"""The coach's speed on this machine: scripted turn latency (warm, the full graph with
the default guard, retrieval and emotion recognition), and the time from `make run`
(already installed) to a server that answers.

Run with `make bench` (or `python -m benchmarks.bench_coach`). Writes
benchmarks/results/coach.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from coach.engine import Coach
from coach.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = [
    [
        "Tired, a bit shaky.",
        "A man arrested on the ward and we couldn't get him back after forty minutes.",
        "His wife arrived just as we stopped. I had to take her to the relatives' room.",
        "I feel sad and guilty, like I missed something.",
        "That's it really.",
        "The team was brilliant, that helped. Being two nurses down made it harder.",
        "I keep wondering if the obs were charted late.",
        "I came into nursing to be there for people at the worst moments.",
        "I'd tell a colleague they did all they could.",
        "I'll talk to my ward manager and ask for a team debrief.",
    ],
    [
        "Not great honestly.",
        "I gave a patient the wrong dose of insulin on a night shift.",
        "She was fine in the end, but I only noticed at handover.",
        "Ashamed. Frightened I'll be struck off.",
        "The labels looked almost the same and I was covering two bays.",
        "Nobody shouted at me, the sister was kind.",
        "I care a lot about getting things right.",
        "Maybe I'm being too hard on myself.",
        "I'll fill in the incident report with my educator.",
        "Thanks.",
    ],
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def turn_latency(repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), llm="scripted")
        coach = Coach.from_settings(settings)
        coach.warm_up()
        coach.turn("warmup-session-0", "A first message to warm every part.")
        times: list[float] = []
        for _ in range(repeats):
            for conversation in CONVERSATIONS:
                session = uuid.uuid4().hex
                coach.start(session)
                for message in conversation:
                    start = time.perf_counter()
                    coach.turn(session, message)
                    times.append((time.perf_counter() - start) * 1000)
    return {
        "turns": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_to_ready(timeout: float = 180.0) -> float:
    """Seconds from starting `make run` to the login page answering."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "COACH_DATA_DIR": data_dir, "COACH_PORT": str(port)}
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["make", "-s", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while time.perf_counter() - start < timeout:
                if proc.poll() is not None:
                    raise RuntimeError(f"`make run` exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        if r.status == 200:
                            return time.perf_counter() - start
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                time.sleep(0.2)
            raise RuntimeError(f"no answer on port {port} within {timeout:.0f} s")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    results: dict[str, object] = {"scripted_turn": turn_latency(args.repeats)}
    results["make_run_to_ready_s"] = round(run_to_ready(), 2)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "coach.json").write_text(json.dumps(results, indent=2))
    turn = results["scripted_turn"]
    assert isinstance(turn, dict)
    print(f"| measure | value |  ({turn['turns']} scripted turns, warm)")
    print("|---|---|")
    print(f"| scripted turn p50 | {turn['p50_ms']:.1f} ms |")
    print(f"| scripted turn p95 | {turn['p95_ms']:.1f} ms |")
    print(f"| `make run` to ready | {results['make_run_to_ready_s']} s |")


if __name__ == "__main__":
    main()
