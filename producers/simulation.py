"""The CTA 'L' simulation: trains, turnstiles and weather on a simulated clock, written to Kafka.

Run from ``producers/`` with ``python simulation.py``: it configures the stations connector, then
advances a simulated clock one time step per tick. Each tick every line runs its turnstiles and
moves its trains; when the clock enters a new hour the weather is posted to the REST Proxy. Ctrl+C
or SIGTERM ends the current tick, then everything written is flushed to Kafka before exiting.

All eight 'L' lines run by default; ``--lines red,blue,green`` (or ``SIMULATION_LINES``) runs the
classic project's three, or any others.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from datetime import datetime, timedelta
from types import FrameType

from clock import resumed_start
from connector import ConnectorError, configure_connector
from models import KafkaWriter, Line, ProducerError, Weather, build_line
from models.data import LINES
from models.line import rng_for

from clients.serve import configured
from cta.config import SimulationConfig
from cta.lines import parse_lines

logger = logging.getLogger("simulation")

PROGRESS_EVERY = 30.0
"""Seconds of wall-clock time between progress lines."""


def parse_args(argv: list[str] | None, default_lines: str = ",".join(LINES)) -> argparse.Namespace:
    """The command line; ``default_lines``: the lines when ``--lines`` is not given (``SIMULATION_LINES``)."""
    parser = argparse.ArgumentParser(description="Simulates the Chicago 'L' and writes its events to Kafka.")
    parser.add_argument("--time-step", type=float, default=5.0, help="simulated minutes per tick (default 5)")
    parser.add_argument("--sleep", type=float, default=5.0, help="wall-clock seconds per tick (default 5)")
    parser.add_argument("--duration", type=float, help="stop after this many wall-clock seconds (default: never)")
    parser.add_argument(
        "--lines",
        nargs="+",
        default=[default_lines],
        help=f"lines to run, e.g. red,blue,green (default: $SIMULATION_LINES, else all: {','.join(LINES)})",
    )
    parser.add_argument(
        "--trains-per-line",
        type=int,
        default=10,
        help="trains on each line, at most one per three platforms (default 10; the Yellow shuttle runs 2)",
    )
    parser.add_argument("--seed", type=int, help="seed of every random draw, for a reproducible run")
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="simulated start time, UTC, e.g. 2024-10-07T08:00 (default: the hour after the latest simulated hour "
        "in Kafka if that is today or later, else today at midnight)",
    )
    parser.add_argument("--max-rate", action="store_true", help="do not sleep between ticks (load tests)")
    parser.add_argument("--no-connector", action="store_true", help="do not configure the stations connector")
    args = parser.parse_args(argv)
    if args.time_step <= 0 or args.sleep < 0:
        parser.error("--time-step must be positive and --sleep not negative")
    try:
        args.lines = list(parse_lines(" ".join(args.lines)))
    except ValueError as error:
        parser.error(f"--lines (or $SIMULATION_LINES): {error}")
    return args


class TimeSimulation:
    def __init__(self, args: argparse.Namespace, writer: KafkaWriter) -> None:
        self.args = args
        self.writer = writer
        self.time_step = timedelta(minutes=args.time_step)
        # Set by the signal handler, which must take no lock: setting a threading.Event there could
        # deadlock against the main thread holding the Event's own lock inside wait().
        self.stop_signal: signal.Signals | None = None
        self.lines: list[Line] = []
        self.weather: Weather | None = None

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_signal = signal.Signals(signum)

    def run(self) -> None:
        args = self.args
        logger.info("Setting up %s with up to %d train(s) each...", _and(args.lines), args.trains_per_line)
        self.lines = [
            build_line(self.writer, color, args.trains_per_line, args.seed, args.lines) for color in args.lines
        ]
        for line in self.lines:
            logger.info(
                "The %s line: %d stations, %d train(s) on %s.",
                line.color,
                len(line.stations),
                len(line.trains),
                " and ".join(route.name for route in line.routes),
            )
        self.weather = Weather(self.writer, rng_for(args.seed, "weather"))
        began = time.monotonic()
        topics, brokers = self.writer.wait_ready(), self.writer.topics.brokers
        logger.info(
            "%d topics are ready with their schemas (%.1f s); Kafka has %d broker(s), so each topic keeps %d cop%s.",
            topics + 1,
            time.monotonic() - began,
            brokers,
            min(3, brokers),
            "y" if brokers == 1 else "ies",
        )
        if args.start:
            clock = args.start.replace(tzinfo=None)
        else:
            clock = resumed_start(self.writer.endpoints, self.writer.config.admin_timeout_ms / 1000)
        pace = "as fast as possible" if args.max_rate else f"one step every {args.sleep:g} s"
        logger.info(
            "Simulating from %s in steps of %g minute(s), %s%s; press Ctrl+C to stop.",
            clock.strftime("%a %Y-%m-%d %H:%M"),
            args.time_step,
            pace,
            f", for {args.duration:g} s" if args.duration else "",
        )
        started = time.monotonic()
        deadline = started + args.duration if args.duration else None
        next_tick = next_progress = started
        last_hour = None
        reported = 0
        while self.stop_signal is None and (deadline is None or time.monotonic() < deadline):
            if (clock.date(), clock.hour) != last_hour:
                last_hour = (clock.date(), clock.hour)
                self.weather.run(clock)
            for line in self.lines:
                line.run(clock, self.time_step)
            self.writer.poll()
            clock += self.time_step
            now = time.monotonic()
            if now >= next_progress + PROGRESS_EVERY:
                produced = self.writer.stats.produced
                logger.info(
                    "Simulated time %s: %s events in the last %.0f s (%s/s).",
                    clock.strftime("%a %H:%M"),
                    f"{produced - reported:,}",
                    now - next_progress,
                    f"{(produced - reported) / (now - next_progress):,.0f}",
                )
                next_progress, reported = now, produced
            if not args.max_rate:
                next_tick += args.sleep
                self._sleep_until(next_tick)
        self.finish(started)

    def _sleep_until(self, moment: float) -> None:
        """Sleeps in short slices so that a signal ends the wait within a tenth of a second."""
        while self.stop_signal is None and (left := moment - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    def finish(self, started: float) -> None:
        if self.stop_signal is not None:
            logger.info("Received %s: stopped after the current time step.", self.stop_signal.name)
        logger.info("Flushing the events still on their way to Kafka...")
        undelivered = self.writer.flush()
        elapsed = time.monotonic() - started  # the rate counts only what Kafka has acknowledged
        if self.weather is not None:
            self.weather.close()
        stats = self.writer.stats
        rate = stats.produced / elapsed if elapsed > 0 else 0.0
        logger.info(
            "Produced %s events in %.1f s (%s events/s); %s failed, %s undelivered; %s weather observation(s) sent.",
            f"{stats.produced:,}",
            elapsed,
            f"{rate:,.0f}",
            f"{stats.failed:,}",
            f"{undelivered:,}",
            f"{self.weather.delivered if self.weather else 0:,}",
        )


def _and(lines: list[str]) -> str:
    names = [f"the {line} line" for line in lines]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # the Schema Registry client logs every request
    config = configured("The simulation", SimulationConfig.from_env)
    args = parse_args(argv, config.lines)
    if not args.no_connector:
        try:
            configure_connector()
        except ConnectorError as error:
            logger.error("%s The trains run anyway; the stations topic stays as it is.", error)
    try:
        simulation = TimeSimulation(args, KafkaWriter(config))
        signal.signal(signal.SIGINT, simulation.stop)
        signal.signal(signal.SIGTERM, simulation.stop)
        simulation.run()
    except ProducerError as error:
        logger.error("%s", error)
        return 1
    return 0 if simulation.writer.stats.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
