"""``ksql [URL] [-e STATEMENTS | -f FILE]``: the console script that ``make setup`` installs.

Connects with ``GET /info`` first: a server that does not answer is one line on stderr and exit
status 1. Then ``-e`` runs the given statements, ``-f`` a file of them, and without either the
interactive prompt starts. Scripts exit 1 if any statement failed, so shell scripts can stop.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from urllib.parse import urlsplit

from clients.endpoints import endpoints
from stack.ksql_cli.client import KsqlClient, ServerError, Unreachable
from stack.ksql_cli.console import Console
from stack.ksql_cli.input import split_statements
from stack.ksql_cli.repl import interactive


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ksql",
        description="A command line for ksqlDB's REST API: our local KSQL server or a real ksqlDB server.",
        epilog="Without -e or -f an interactive prompt starts. Type 'help' there for the statements.",
    )
    parser.add_argument(
        "server",
        nargs="?",
        help="the server's address, e.g. http://localhost:8088 (default: $KSQL_URL, else http://localhost:8088)",
    )
    script = parser.add_mutually_exclusive_group()
    script.add_argument("-e", "--execute", metavar="STATEMENTS", help="run these statements and quit")
    script.add_argument("-f", "--file", metavar="FILE", help="run the statements in this file and quit")
    return parser.parse_args(argv)


def run_script(console: Console, text: str) -> int:
    """Runs every statement of ``text``; 1 if any failed or the last one is unfinished."""
    split = split_statements(text)
    try:
        console.run(split.statements)
    except Unreachable as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if split.rest:
        console.error(f"This statement is not finished (a ';', a quote or '*/' is missing): {split.rest.strip()}")
    return 1 if console.failed else 0


def cli_version() -> str:
    try:
        return metadata.version("cta-transit-status")
    except metadata.PackageNotFoundError:
        return "<unknown>"


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    url = args.server or endpoints().ksql_url
    address = urlsplit(url)
    if address.scheme not in ("http", "https") or not address.netloc:
        print(f"{url} is not a server address: it must begin with http:// or https://.", file=sys.stderr)
        return 1
    client = KsqlClient(url)
    try:
        info = client.server_info()
    except Unreachable as error:
        print(error, file=sys.stderr)
        return 1
    except ServerError as error:
        print(f"{client.url} does not answer as a ksqlDB server does: {error.message}", file=sys.stderr)
        return 1
    console = Console(client)
    if args.execute is not None:
        text = args.execute.rstrip()
        return run_script(console, text if text.endswith(";") else text + ";")
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as script:
                text = script.read()
        except OSError as error:
            print(f"Cannot read {args.file}: {error.strerror or error}.", file=sys.stderr)
            return 1
        return run_script(console, text)
    return interactive(console, info, cli_version())
