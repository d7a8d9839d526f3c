"""Command line of the local platform: ``python -m stack up | down | status | logs | jars | kafka-<tool>``.

``kafka-<tool>`` runs Kafka's own command-line tools (stack/platform/kafka_tools.py) and Confluent's
Avro console consumer and producer (stack/avro_console.py) against the running platform.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from stack import avro_console
from stack.common.errors import StackError, exit_with
from stack.platform import jars, kafka_tools, lifecycle
from stack.platform.seeding import configured_seed
from stack.settings import MAX_BROKERS, Settings, load


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stack", description="The CTA Transit Status local platform, without Docker."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start Kafka, PostgreSQL, Kafka Connect and our servers (idempotent)")
    up.add_argument("--brokers", type=int, choices=range(1, MAX_BROKERS + 1), help="Kafka cluster size (default 1)")
    up.add_argument("--fresh", action="store_true", help="delete all platform data before starting")
    commands.add_parser("down", help="stop exactly what `up` started")
    commands.add_parser("status", help="service, pid, port and health of each process")
    logs = commands.add_parser("logs", help="show a service's log (or list the logs)")
    logs.add_argument("service", nargs="?", help="for example kafka-1, postgres, connect, schema-registry")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=50)
    commands.add_parser("jars", help="fetch the jars and build our connectors with Maven (once), print where")
    for tool in kafka_tools.TOOLS:
        commands.add_parser(tool, help=f"Kafka's {tool} against the platform", add_help=False)
    for tool in avro_console.TOOLS:
        commands.add_parser(tool, help=f"Confluent's {tool}: Avro records through our Schema Registry", add_help=False)
    return parser


def _logs(settings: Settings, service: str | None, follow: bool, lines: int) -> int:
    if service is None:
        for log in sorted(settings.logs_dir.glob("*.log")):
            print(f"{log.stem:18} {log}")
        return 0
    log = settings.logs_dir / f"{service}.log"
    if not log.exists():
        raise StackError(
            f"No log for {service!r}; the services with logs are: "
            f"{', '.join(sorted(p.stem for p in settings.logs_dir.glob('*.log'))) or 'none yet'}."
        )
    return subprocess.call(["tail", f"-n{lines}", *(["-F"] if follow else []), str(log)])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = load()
    if argv and argv[0] in (*kafka_tools.TOOLS, *avro_console.TOOLS):
        bootstrap = settings.bootstrap_servers(lifecycle.running_brokers(settings) or 1)
        if argv[0] in avro_console.TOOLS:
            return avro_console.run(argv[0], argv[1:], bootstrap, settings.endpoints.schema_registry_url)
        return kafka_tools.run(settings, argv[0], argv[1:], bootstrap)
    args = _parser().parse_args(argv)
    if args.command == "up":
        lifecycle.up(settings, args.brokers, args.fresh, configured_seed())
    elif args.command == "down":
        lifecycle.down(settings)
    elif args.command == "status":
        rows = lifecycle.status(settings)
        if not rows:
            print("The platform is not running.")
            return 0
        for row in [("SERVICE", "PID", "PORT", "HEALTH"), *rows]:
            print(f"{row[0]:18} {row[1]:>8} {row[2]:>6}  {row[3]}")
    elif args.command == "logs":
        return _logs(settings, args.service, args.follow, args.lines)
    elif args.command == "jars":
        found = jars.ensure(settings.cache_dir)
        print(f"Kafka classpath: {found.kafka_classpath}")
        print(f"Connect plugins: {found.connect_plugins}")
    return 0


if __name__ == "__main__":
    exit_with(main)
