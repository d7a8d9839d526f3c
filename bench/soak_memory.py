"""``make soak-memory``: ``make run`` for half an hour at five times its pace, and every process's memory.

Runs ``run.py --sleep 1`` (what ``make run`` runs, the simulation five times faster than its
default of one step every 5 s) on a private platform of its own, with every piece on: the
stations connector, KSQL's table, the Faust worker, the status server with a page holding its
event stream open (a browser's), the simulation with all three lines and the weather. Every
``--every`` seconds (every second for the first ``--start-minutes``, where the start's short
peaks are) it samples the resident memory (RSS) of each process: the Kafka and Connect JVMs,
PostgreSQL with its children, our Schema Registry, REST Proxy and KSQL servers, the Faust worker,
the status server, the simulation and ``run.py`` itself, of the start's short-lived steps (the
storage format, the stations connector's and KSQL statements' set-up scripts), and of all of them
together. After the warm-up, each long-running one's RSS must stay within 10 % (its highest sample
against its lowest): a process whose memory grows with the run would, left running for days,
take the machine.

A page that several processes map counts once: in PostgreSQL's seven processes, which share
their program and their shared buffers, and in the total (the Python processes share the
interpreter's pages). Summing each process's RSS counted such a page once per process that had
touched it, a sum that grew as they touched more. Counting each page once needs root (the
physical page numbers in ``/proc/PID/pagemap``); otherwise the RSS of a group's processes are summed.

A 30-minute run writes ``bench/soak_memory.json`` (date, machine, commit, every sample) and
``images/soak_memory.svg`` (MiB over minutes, a line per process); a shorter one (``--minutes 3``
to try it) writes both into a temporary folder unless ``--output DIR`` says where.

    python -m bench.soak_memory [--minutes 30] [--warmup 5] [--every 10] [--start-every 1 --start-minutes 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

from bench.soak_orders import provenance
from bench.svg_chart import line_chart
from clients.endpoints import PROJECT_ROOT
from tests.support.pipeline import Filled, NotFull, Run, page_status, wait_full
from tests.support.processes import private_env

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "soak_memory.json"
CHART = PROJECT_ROOT / "images" / "soak_memory.svg"
FULL_RUN_MINUTES = 30.0
TOLERANCE = 0.10
SLEEP = 1.0
"""The simulation's seconds per step: five times its default pace (5 s)."""
PLATFORM = {
    "kafka-1": "Kafka",
    "connect": "Connect",
    "postgres": "PostgreSQL",
    "schema-registry": "Schema Registry",
    "rest-proxy": "REST Proxy",
    "ksql": "KSQL server",
}
"""The platform's services (names in its services.json) and how the results call them."""
APPLICATION = {"faust": "Faust worker", "server.py": "status server", "simulation.py": "simulation"}
"""The application's processes (a word of their command line) and how the results call them."""
SUPERVISOR = "run.py"
SET_UP = {
    "connector.py": "set-up: connector.py",
    "ksql.py": "set-up: ksql.py",
    "kafka.tools.StorageTool": "set-up: Kafka storage format",
    "initdb": "set-up: initdb",
}
"""The start's short-lived steps (a word of their command line), run.py's children until they end."""
OTHER = "set-up: other"
PROCESSES = [*PLATFORM.values(), *APPLICATION.values(), SUPERVISOR]
"""The long-running processes, whose memory must stay flat."""
TOTAL = "all processes"
SERIES = [*PROCESSES, *SET_UP.values(), OTHER, TOTAL]
PAGE = os.sysconf("SC_PAGE_SIZE")
PRESENT = 1 << 63
FRAME = (1 << 55) - 1
"""Bits of a /proc/PID/pagemap entry: the page is resident; its physical page number."""


@dataclass
class Samples:
    minutes: list[float] = field(default_factory=list)
    rss_mib: dict[str, list[float | None]] = field(default_factory=lambda: {name: [] for name in SERIES})

    def add(self, minute: float, rss: dict[str, float | None]) -> None:
        self.minutes.append(round(minute, 2))
        for name in SERIES:
            self.rss_mib[name].append(rss.get(name))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=FULL_RUN_MINUTES, help="how long to run (default 30)")
    parser.add_argument("--warmup", type=float, help="minutes left out of the check (default 5; half of a shorter run)")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples (default 10)")
    parser.add_argument(
        "--start-every", type=float, default=1.0, help="seconds between samples at the start (default 1)"
    )
    parser.add_argument(
        "--start-minutes", type=float, default=2.0, help="how long the start's sampling lasts (default 2)"
    )
    parser.add_argument("--output", type=Path, help="folder for the JSON and the SVG (default: see above)")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(5.0, args.minutes / 2)
    return args


def resident_pages(pid: int) -> set[int]:
    """The physical page numbers of the pages of a process that are resident (each 0 unless root)."""
    found: set[int] = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            start, end = (int(address, 16) // PAGE for address in line.split(maxsplit=1)[0].split("-"))
            try:
                pagemap.seek(start * 8)  # one 64-bit entry per page
                entries = array("Q", pagemap.read((end - start) * 8))
            except (OSError, ValueError):  # [vsyscall], beyond what pagemap serves
                continue
            found.update(entry & FRAME for entry in entries if entry & PRESENT)
    return found


def tree_pages(pid: int) -> list[set[int]] | None:
    """The resident pages of a process and of each of its children, or None when it is not running."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    pages = []
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):  # a child that ended between the listing and the reading
            pages.append(resident_pages(process.pid))
    return pages


def resident_mib(groups: list[list[set[int]]]) -> float | None:
    """MiB resident in the processes of ``groups``, a page mapped by several counted once.

    Without root every page number reads as 0: then each process's RSS is summed instead.
    """
    processes = [pages for group in groups for pages in group]
    if not processes:
        return None
    if any(0 in pages for pages in processes):
        return sum(len(pages) for pages in processes) * PAGE / 2**20
    return len(set().union(*processes)) * PAGE / 2**20


def sample(data_dir: Path, run_py: int) -> dict[str, float | None]:
    """Each process's RSS in MiB, and all of them together's: the platform's processes from its services file,
    every other child of run.py (the application's processes and the start's steps) by its command line, and
    run.py itself."""
    services = (
        json.loads((data_dir / "services.json").read_text())["services"]
        if (data_dir / "services.json").exists()
        else {}
    )
    platform = {services[name]["pid"]: title for name, title in PLATFORM.items() if name in services}
    pages: dict[str, list[set[int]] | None] = {title: tree_pages(pid) for pid, title in platform.items()}
    with contextlib.suppress(psutil.Error, OSError):
        pages[SUPERVISOR] = [resident_pages(run_py)]
        for child in psutil.Process(run_py).children():
            if child.pid not in platform:
                with contextlib.suppress(psutil.Error):  # it ended between the listing and the reading
                    title = title_of(child.cmdline())
                    pages[title] = [*(pages.get(title) or []), *(tree_pages(child.pid) or [])]
    rss = {title: resident_mib([group]) if group is not None else None for title, group in pages.items()}
    rss[TOTAL] = resident_mib([group for group in pages.values() if group is not None])
    return rss


def title_of(command: list[str]) -> str:
    """What the results call a child of run.py that is not one of the platform's services."""
    words = {Path(word).name for word in command}
    for word, title in {**APPLICATION, **SET_UP}.items():
        if word in words:
            return title
    return OTHER


class EventStream(threading.Thread):
    """A page's event stream held open the whole run, as a browser holds it; counts the updates."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.updates = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            with requests.get(f"{self.url}/events", stream=True, timeout=60) as response:
                for line in response.iter_lines():
                    if line.startswith(b"event: update"):
                        self.updates += 1
        except requests.RequestException as error:
            self.error = f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def make_run(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``run.py --sleep 1`` with its own platform; stopped with Ctrl+C's signal, as a user stops it."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "run.py", "--sleep", f"{SLEEP:g}"], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(300)
        except subprocess.TimeoutExpired:
            process.kill()


def soak(env: dict[str, str], folder: Path, args: argparse.Namespace) -> tuple[Samples, dict[str, Any]]:
    """Runs make run for ``args.minutes``, sampling every ``args.every`` s from its start; returns what was seen.

    Meanwhile a thread waits for the page to be full, then holds its event stream open.
    """
    samples = Samples()
    data_dir = Path(env["STACK_DATA_DIR"])
    stream = EventStream(f"http://localhost:{env['WEB_PORT']}")
    with make_run(env, folder / "run.log") as process, ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        filling: Future[Filled] | None = None
        next_sample = started
        while (now := time.monotonic()) - started < args.minutes * 60:
            if process.poll() is not None:
                raise RuntimeError(f"run.py exited with {process.returncode}: see {folder / 'run.log'}")
            samples.add((now - started) / 60, sample(data_dir, process.pid))
            if filling is None and page_status(stream.url) is not None:
                # A Run with no scripts of its own: wait_full only reads the page and the turnstile topic.
                filling = pool.submit(wait_full, Run(env, ("run.py",), [], last_start=started), 300)
            if filling is not None and filling.done() and stream.ident is None:  # not started yet
                print(f"The page is full {filling.result().seconds:.1f} s after run.py started.", flush=True)
                stream.start()
            next_sample += args.start_every if now - started < args.start_minutes * 60 else args.every
            time.sleep(max(0.0, next_sample - time.monotonic()))
        if filling is None:
            raise RuntimeError(f"The status page never answered: see {folder / 'run.log'}")
        filled = filling.result()
        try:
            wait_full(Run(env, ("run.py",), [], last_start=time.monotonic()), timeout=60)
            at_the_end = None
        except NotFull as error:
            at_the_end = str(error)
        # Read before run.py stops: the server's shutdown ends the stream, which is no failure.
        seen = {
            "seconds_to_full_page": round(filled.seconds, 1),
            "page_full_at_the_end": at_the_end is None,
            "page_at_the_end_lacked": at_the_end,
            "event_stream_updates": stream.updates,
            "event_stream_error": stream.error,
        }
    return samples, seen


def verdicts(samples: Samples, warmup: float) -> dict[str, dict[str, Any]]:
    """Per process and for all of them: min, max and growth after the warm-up, a trend in MiB per hour,
    and whether it stays flat.

    The growth over the run's second half tells a longer warm-up (a JVM growing its heap to its
    maximum, then flat) from a leak (growing still).
    """
    return {name: _check(samples.minutes, samples.rss_mib[name], warmup) for name in [*PROCESSES, TOTAL]}


def peak(samples: Samples) -> dict[str, Any]:
    """The sample where all processes together held the most: when, how much, and each process's share."""
    totals = samples.rss_mib[TOTAL]
    at = max(range(len(totals)), key=lambda i: totals[i] or 0.0)
    shares = {name: values[at] for name, values in samples.rss_mib.items() if name != TOTAL and values[at]}
    return {
        "minute": samples.minutes[at],
        "mib": totals[at],
        "by_process": {name: round(mib, 1) for name, mib in sorted(shares.items(), key=lambda i: -i[1])},
    }


def _check(minutes: list[float], values: list[float | None], warmup: float) -> dict[str, Any]:
    after = [i for i, minute in enumerate(minutes) if minute >= warmup]
    kept = [(minutes[i], value) for i in after if (value := values[i]) is not None]
    if not kept:
        return {"flat": False, "problem": "never seen after the warm-up"}
    gaps = len(after) - len(kept)
    low, high = min(v for _, v in kept), max(v for _, v in kept)
    late = [v for minute, v in kept if minute >= minutes[-1] / 2] or [low]
    return {
        "min_mib": round(low, 1),
        "max_mib": round(high, 1),
        "growth": round((high - low) / low, 3),
        "trend_mib_per_hour": round(_slope(kept) * 60, 1),
        "second_half_growth": round((max(late) - min(late)) / min(late), 3),
        "first_mib": round(kept[0][1], 1),
        "last_mib": round(kept[-1][1], 1),
        "flat": (high - low) / low <= TOLERANCE and gaps == 0,
        "problem": f"missing in {gaps} samples" if gaps else None,
    }


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minute, MiB): MiB per minute."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def report(checks: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of the checks, one row per process and one for all of them."""
    lines = [
        f"| {'process':16} | {'min MiB':>8} | {'max MiB':>8} | {'growth':>7} | {'trend MiB/h':>11} "
        f"| {'2nd half':>8} | flat |",
        f"| {'-' * 16} | {'-' * 8}:| {'-' * 8}:| {'-' * 7}:| {'-' * 11}:| {'-' * 8}:| ---- |",
    ]
    for name, check in checks.items():
        if "min_mib" not in check:
            lines.append(f"| {name:16} | {check['problem']} |")
            continue
        flat = "yes" if check["flat"] else "NO"
        if check["problem"]:
            flat += f" ({check['problem']})"
        lines.append(
            f"| {name:16} | {check['min_mib']:8,.1f} | {check['max_mib']:8,.1f} | {check['growth']:7.1%} "
            f"| {check['trend_mib_per_hour']:+11,.1f} | {check['second_half_growth']:8.1%} | {flat} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="cta-soak-memory-"))
    data_dir = folder / "platform"
    env = {**os.environ, **private_env(data_dir), "PYTHONUNBUFFERED": "1"}
    print(
        f"make run at five times its pace for {args.minutes:g} min, a sample every {args.start_every:g} s for "
        f"{args.start_minutes:g} min, then every {args.every:g} s; "
        f"logs in {data_dir / 'logs'}.",
        flush=True,
    )
    origin = provenance()
    samples, seen = soak(env, folder, args)
    checks = verdicts(samples, args.warmup)
    print(report(checks))
    highest = peak(samples)
    print(
        f"Peak: {highest['mib']:,.0f} MiB at minute {highest['minute']:g}: "
        + ", ".join(f"{name} {mib:,.0f}" for name, mib in highest["by_process"].items())
    )
    print(
        f"Event stream: {seen['event_stream_updates']:,} updates; "
        f"the page was full at the end: {seen['page_full_at_the_end']}."
    )
    record = {
        **{key: value for key, value in origin.items() if key != "started"},
        "command": " ".join(["python -m bench.soak_memory", *sys.argv[1:]]),
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        "every_s": args.every,
        "start_every_s": args.start_every,
        "start_minutes": args.start_minutes,
        "simulation_sleep_s": SLEEP,
        "tolerance": TOLERANCE,
        "seen": seen,
        "processes": checks,
        "peak": highest,
        "samples": {
            "minutes": samples.minutes,
            "rss_mib": {k: [None if v is None else round(v, 1) for v in vs] for k, vs in samples.rss_mib.items()},
        },
    }
    json_path, svg_path = outputs(args, folder)
    json_path.write_text(json.dumps(record, indent=1) + "\n")
    svg_path.write_text(
        line_chart(
            f"RSS of each process, make run at five times its pace ({origin['date'][:10]})",
            samples.minutes,
            {name: values for name, values in samples.rss_mib.items() if name != TOTAL and any(values)},
            "minutes since run.py started",
            "MiB (log scale)",
            shade_until=args.warmup,
            shade_label="warm-up",
        )
    )
    print(f"Wrote {json_path} and {svg_path}")
    flat = all(check["flat"] for check in checks.values())
    passed = flat and seen["page_full_at_the_end"] and not seen["event_stream_error"]
    if passed and json_path.parent != folder:
        shutil.rmtree(folder, ignore_errors=True)  # the platform's data: hundreds of MB after half an hour
    else:
        print(f"The platform's data and logs are kept in {folder}.")
    return 0 if passed else 1


def outputs(args: argparse.Namespace, folder: Path) -> tuple[Path, Path]:
    """Where the JSON and the SVG go: ``--output``, the tracked files for a full run, else the run's folder."""
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        return args.output / RESULTS.name, args.output / CHART.name
    if args.minutes >= FULL_RUN_MINUTES:
        return RESULTS, CHART
    return folder / RESULTS.name, folder / CHART.name


if __name__ == "__main__":
    sys.exit(main())
