"""The chat app under load: concurrent clinicians through whole debriefs over Chainlit's
socket, as the web page speaks it (``coach.app.client``).

By default it starts ``coach run`` on a free port with a temporary data folder (the
embedded defaults: the scripted coach, the real embedding model and risk screen), creates
one account per clinician, and runs ``--sessions`` clinicians for ``--duration`` seconds.
Each clinician signs in, opens a new debrief, talks through it (seven messages with a
short think time, from one of a few scripts), presses *End debrief*, checks that the saved
chat holds every message they sent, and starts the next debrief.

Any error fails the run (exit status 1): an exception, a timeout, a message the server did
not acknowledge, an answer without text, an error message, or a saved chat missing a
message. It prints a table and writes JSON (``--out``): debriefs, turns, errors, p50/p95/max
turn latency, and the server's memory (RSS with its child processes) at the start, at its
peak and at the end.

    make load
    .venv/bin/python -m benchmarks.load --sessions 50 --duration 120
    .venv/bin/python -m benchmarks.load --url http://127.0.0.1:8000 --password ... --pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from coach.app import wording
from coach.app.client import ChatSession, CoachClient, CoachClientError, Reply
from coach.app.localserver import FAST_ENV, LocalServer, ServerError
from coach.app.users import UsersFile
from coach.types import Control

DEFAULT_OUT = Path(".coach-data/load/results.json")
USER_PREFIX = "load.clinician"
PASSWORD = "load test password, not a secret"
END = wording.CONTROL_LABELS[Control.END]

# Clinicians' turns after a difficult shift, written for this benchmark (names made up).
SCRIPTS: tuple[tuple[str, ...], ...] = (
    (
        "Bit wobbly, to be honest. Just got in from a late.",
        "A man in bay 3 arrested just after visiting. We did CPR for half an hour but "
        "couldn't get him back.",
        "He'd been chatting to me about his allotment an hour before. His obs were fine at six.",
        "I keep going over whether I should have noticed something. I feel sick about it.",
        "I suppose the early warning score was normal, and I escalated as soon as he went grey.",
        "I'd tell a colleague they did all they could.",
        "I'd like to talk to the outreach nurse about it, maybe next shift.",
    ),
    (
        "Not great. I've barely slept.",
        "I gave the wrong insulin on a night shift. Long-acting instead of the short-acting.",
        "She went hypo around 4am, we treated it and she's fine now.",
        "I've done the incident report and my manager wants a meeting on Thursday.",
        "The two pens look almost the same and they were in the same drawer.",
        "Maybe I'm being too hard on myself.",
        "I think I'll ask my union rep to come to that meeting with me.",
    ),
    (
        "Still buzzing. Can't settle.",
        "A patient's son came onto the ward shouting about his mum's care and got in my face.",
        "Security took ages to come and the student nurse was behind me, upset.",
        "I was frightened, and angry that we're expected to take it.",
        "The team rallied round afterwards, that helped.",
        "I handled it as well as anyone could have.",
        "I've done a Datix and I'll ask someone to walk me to my car tonight.",
    ),
    (
        "Tired. Really tired.",
        "We've kept a very frail man on full support for three weeks and he isn't getting better.",
        "The family want everything done and nobody senior will have the conversation.",
        "Turning and suctioning him feels like I'm hurting him for nothing.",
        "I feel angry and sort of complicit.",
        "I came into nursing to be there for people at the worst moments.",
        "I could ask for an ethics review next week.",
    ),
)
# What the coach says when something failed on its side (an answer, but an error).
FAILURE_TEXTS = (wording.SOMETHING_WENT_WRONG,)
SUMMARY_TITLE = "Debrief reflection"  # heads the summary End debrief shows (coach/summary.py)


@dataclass(frozen=True)
class LoadOptions:
    sessions: int = 50
    duration_s: float = 120.0
    debriefs: int | None = None  # per clinician; None: as many as the duration allows
    think_s: float = 0.3  # mean pause before each turn (uniform 0 to twice this)
    ramp_s: float = 5.0  # clinicians start evenly over this
    timeout_s: float = 60.0  # per turn
    url: str | None = None  # a running server instead of starting one
    password: str = PASSWORD
    user_prefix: str = USER_PREFIX
    pid: int | None = None  # the running server's process, for its memory
    data_dir: Path | None = None  # for the started server (default: a temporary folder)
    fast: bool = False  # start the server with the hashing embedder and rules-only screen
    seed: int = 7


@dataclass
class Tally:
    """What the clinicians did and saw."""

    debriefs_started: int = 0
    debriefs_completed: int = 0
    ended_by_command: int = 0  # End debrief from the composer (a support reply had no button)
    turns: int = 0
    latencies_s: list[float] = field(default_factory=list)
    message_latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def error(self, who: str, what: str) -> None:
        self.errors.append(f"{who}: {what}")


class MemoryWatch:
    """The server's resident memory (its process and children), sampled every second."""

    def __init__(self, pid: int | None) -> None:
        self.process = psutil.Process(pid) if pid is not None else None
        self.start_mb: float | None = None
        self.peak_mb: float | None = None
        self.end_mb: float | None = None
        self.timeline: list[tuple[float, float]] = []  # (seconds in, MB) every 10 s
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> float | None:
        if self.process is None:
            return None
        try:
            processes = [self.process, *self.process.children(recursive=True)]
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
        except psutil.NoSuchProcess:
            return None
        mb = total / 2**20
        self.peak_mb = max(self.peak_mb or 0.0, mb)
        return mb

    async def _watch(self) -> None:
        started = time.monotonic()
        for tick in itertools.count():
            mb = self.sample()
            if mb is not None and tick % 10 == 0:
                self.timeline.append((round(time.monotonic() - started, 1), round(mb, 1)))
            await asyncio.sleep(1.0)

    def begin(self) -> None:
        self.start_mb = self.sample()
        self._task = asyncio.create_task(self._watch())

    async def finish(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.end_mb = self.sample()


def problems(reply: Reply) -> list[str]:
    """Why a turn counts as an error (empty when it is fine)."""
    found = []
    if not reply.acknowledged:
        found.append("the message was not acknowledged (not saved)")
    if not reply.text.strip():
        found.append("no answer text")
    for message in reply.errors:
        found.append(f"error message: {message.text[:120]!r}")
    for failure in FAILURE_TEXTS:
        if failure in reply.text:
            found.append(f"the coach reported a failure: {failure[:60]!r}")
    return found


async def debrief(
    chat: ChatSession,
    script: Sequence[str],
    options: LoadOptions,
    tally: Tally,
    who: str,
    rng: random.Random,
    deadline: float,
) -> int | None:
    """One debrief to its end; how many messages it sent (``None`` when time ran out)."""
    sent = 0
    for text in script:
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(rng.uniform(0, 2 * options.think_s))
        reply = await chat.send(text, timeout=options.timeout_s)
        sent += 1
        tally.turns += 1
        tally.latencies_s.append(reply.latency_s)
        tally.message_latencies_s.append(reply.latency_s)
        for problem in problems(reply):
            tally.error(who, f"after {text[:40]!r}: {problem}")
    await asyncio.sleep(rng.uniform(0, 2 * options.think_s))
    if END in [a.label for a in chat.actions()]:
        reply = await chat.press(END, timeout=options.timeout_s)
    else:  # a support reply carries its own buttons; the composer's /End always works
        reply = await chat.send("", command="End", timeout=options.timeout_s)
        sent += 1
        tally.ended_by_command += 1
    tally.turns += 1
    tally.latencies_s.append(reply.latency_s)
    ending = problems(reply)
    if SUMMARY_TITLE not in reply.text:
        ending.append("no summary")
    for problem in ending:
        tally.error(who, f"ending the debrief: {problem}")
    return sent


async def saved_messages(client: CoachClient, thread_id: str) -> int:
    thread = await client.thread(thread_id)
    return sum(1 for step in thread.get("steps") or [] if step.get("type") == "user_message")


async def clinician(
    index: int, options: LoadOptions, url: str, tally: Tally, deadline: float
) -> None:
    who = f"{options.user_prefix}{index:03d}"
    rng = random.Random(options.seed * 1000 + index)
    await asyncio.sleep(options.ramp_s * index / max(options.sessions, 1))
    done = 0
    async with CoachClient(url, timeout=options.timeout_s) as client:
        try:
            await client.sign_in(who, options.password)
        except (CoachClientError, OSError, TimeoutError) as exc:
            tally.error(who, f"sign-in: {exc!r}")
            return
        while time.monotonic() < deadline and (options.debriefs is None or done < options.debriefs):
            script = SCRIPTS[(index + done) % len(SCRIPTS)]
            tally.debriefs_started += 1
            chat: ChatSession | None = None
            try:
                chat = await client.open(timeout=options.timeout_s)
                sent = await debrief(chat, script, options, tally, who, rng, deadline)
                if sent is None:
                    break
                thread_id = await chat.wait_thread_id(options.timeout_s)
                tally.debriefs_completed += 1
                saved = await saved_messages(client, thread_id)
                if saved != sent:
                    tally.error(who, f"the saved chat holds {saved} of the {sent} messages sent")
            except (CoachClientError, OSError, TimeoutError) as exc:
                tally.error(who, f"debrief {done + 1}: {exc!r}")
            except Exception as exc:  # reported, and the clinician carries on
                tally.error(who, f"debrief {done + 1}: unexpected {exc!r}")
            finally:
                if chat is not None:
                    await chat.close()
            done += 1


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


async def drive(options: LoadOptions, url: str, pid: int | None) -> dict[str, Any]:
    """Run the clinicians against ``url``; the results (see the module doc)."""
    tally = Tally()
    memory = MemoryWatch(pid)
    memory.begin()
    started = time.monotonic()
    deadline = started + options.duration_s
    await asyncio.gather(
        *(clinician(i, options, url, tally, deadline) for i in range(options.sessions))
    )
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.0)  # let the server settle before the last sample
    await memory.finish()
    growth = (
        None
        if memory.start_mb is None or memory.end_mb is None
        else memory.end_mb - memory.start_mb
    )
    return {
        "sessions": options.sessions,
        "duration_s": round(elapsed, 1),
        "debriefs_started": tally.debriefs_started,
        "debriefs_completed": tally.debriefs_completed,
        "ended_by_command": tally.ended_by_command,
        "turns": tally.turns,
        "turns_per_s": round(tally.turns / elapsed, 2) if elapsed else None,
        "errors": len(tally.errors),
        "turn_latency": latency_summary(tally.latencies_s),
        "message_latency": latency_summary(tally.message_latencies_s),
        "server_rss_mb": {
            "start": _round(memory.start_mb),
            "peak": _round(memory.peak_mb),
            "end": _round(memory.end_mb),
            "growth": _round(growth),
            "timeline": memory.timeline,
        },
        "error_samples": tally.errors[:50],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def create_accounts(users: UsersFile, options: LoadOptions) -> None:
    """One clinician account per simulated clinician (as `coach users add` makes them)."""
    for index in range(options.sessions):
        users.add(f"{options.user_prefix}{index:03d}", options.password, "clinician")


def run_load(options: LoadOptions) -> dict[str, Any]:
    """Start the server unless ``options.url`` names one, run the load, stop the server."""
    machine = {"cpus": os.cpu_count(), "load_average_before": list(os.getloadavg())}
    if options.url is not None:
        results = asyncio.run(drive(options, options.url, options.pid))
        return {**results, "server": {"url": options.url}, "machine": _after(machine)}
    with tempfile.TemporaryDirectory(prefix="coach-load-") as temporary:
        data_dir = options.data_dir or Path(temporary)
        create_accounts(UsersFile(data_dir / "users.yaml"), options)
        server = LocalServer(data_dir, env=FAST_ENV if options.fast else {"COACH_LLM": "scripted"})
        ready_s = server.start()
        try:
            results = asyncio.run(drive(options, server.url, server.pid))
        finally:
            server.stop()
        log_tail = server.log_tail(4000) if results["errors"] else ""
    config = {"url": server.url, "ready_s": round(ready_s, 1), "fast": options.fast}
    return {**results, "server": config, "machine": _after(machine), "server_log_tail": log_tail}


def _after(machine: dict[str, Any]) -> dict[str, Any]:
    return {**machine, "load_average_after": list(os.getloadavg())}


def table(results: dict[str, Any]) -> str:
    turn, rss = results["turn_latency"], results["server_rss_mb"]
    debriefs = f"{results['debriefs_completed']} / {results['debriefs_started']}"
    latency = f"{turn['p50_ms']} / {turn['p95_ms']} / {turn['max_ms']} ms"
    rows = [
        ("clinicians (concurrent)", results["sessions"]),
        ("duration", f"{results['duration_s']} s"),
        ("debriefs completed / started", debriefs),
        ("turns", f"{results['turns']} ({results['turns_per_s']}/s)"),
        ("errors", results["errors"]),
        ("turn latency p50 / p95 / max", latency),
        ("server RSS start / peak / end", f"{rss['start']} / {rss['peak']} / {rss['end']} MB"),
        ("server RSS growth", f"{rss['growth']} MB"),
        (
            "machine",
            f"{results['machine']['cpus']} CPUs, load average before "
            f"{results['machine']['load_average_before'][0]:.1f}, after "
            f"{results['machine']['load_average_after'][0]:.1f}",
        ),
    ]
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> tuple[LoadOptions, Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=50, help="concurrent clinicians (50)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (120)")
    parser.add_argument(
        "--debriefs", type=int, default=None, help="debriefs per clinician (no limit)"
    )
    parser.add_argument("--think", type=float, default=0.3, help="mean think time, seconds (0.3)")
    parser.add_argument(
        "--ramp", type=float, default=5.0, help="seconds to start every clinician (5)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a turn may take (60)")
    parser.add_argument(
        "--url", help="a running server (its accounts must exist: --user-prefix 000..)"
    )
    parser.add_argument("--password", default=PASSWORD, help="the accounts' password (with --url)")
    parser.add_argument(
        "--user-prefix", default=USER_PREFIX, help="account names: PREFIX000, PREFIX001, ..."
    )
    parser.add_argument("--pid", type=int, help="the running server's process id, for its memory")
    parser.add_argument(
        "--data-dir", type=Path, help="data folder of the started server (default: temporary)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="start the server with the hashing embedder"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"results JSON ({DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.duration <= 0:
        parser.error("--sessions must be at least 1 and --duration positive")
    options = LoadOptions(
        sessions=args.sessions,
        duration_s=args.duration,
        debriefs=args.debriefs,
        think_s=args.think,
        ramp_s=args.ramp,
        timeout_s=args.timeout,
        url=args.url,
        password=args.password,
        user_prefix=args.user_prefix,
        pid=args.pid,
        data_dir=args.data_dir,
        fast=args.fast,
    )
    return options, args.out


def main(argv: Sequence[str] | None = None) -> int:
    options, out = parse(argv)
    try:
        results = run_load(options)
    except ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results["options"] = {
        k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()
    }
    results["options"].pop("password", None)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"results: {out}")
    for line in results["error_samples"][:10]:
        print(f"  error: {line}", file=sys.stderr)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
