"""The interactive ``ksql>`` prompt: line editing and history (GNU readline), multi-line statements.

A statement may span lines: until its ``;`` the prompt is ``> ``; a line ending in ``\\`` goes on
too. A statement typed over several lines is kept in the history as one entry, and the history
survives in ``~/.ksql-cli-history`` (not ksqlDB's ``~/.ksql-history``: that file is JLine's format).
Ctrl+C drops what is being typed; Ctrl+D, ``exit`` or ``quit`` leaves.
"""

from __future__ import annotations

import contextlib
import readline
from pathlib import Path
from typing import Any

from stack.ksql_cli.client import Unreachable
from stack.ksql_cli.console import Console
from stack.ksql_cli.input import split_statements

PROMPT = "ksql> "
CONTINUATION = "> "
HISTORY_LENGTH = 1000
HELP_REMINDER = "Having trouble? Type 'help' (case-insensitive) for a rundown of how things work!"
LOGO = [
    "===========================================",
    "=      ksql: the CTA Transit Status       =",
    "=   command line for ksqlDB's REST API    =",
    "===========================================",
]
HELP = """\
Statements end with ';' and may span several lines; several may share a line.
  SHOW STREAMS; SHOW TABLES; SHOW QUERIES; SHOW TOPICS; SHOW PROPERTIES;
  DESCRIBE <name> [EXTENDED];  CREATE ...;  DROP ...;  TERMINATE <query id>;
  SELECT ... EMIT CHANGES [LIMIT n];   a push query: rows stream until the LIMIT or Ctrl+C
  SELECT ... FROM <source> [WHERE ...];   a pull query: the rows there are now
  SET 'auto.offset.reset'='earliest';  UNSET 'auto.offset.reset';   properties sent with later requests
CLI commands (no ';' needed):
  help      this text
  history   the statements typed so far
  exit      leave (also 'quit' or Ctrl+D)
Comments: '-- to the end of the line' and '/* ... */'. Ctrl+C stops a running query or drops the typed line."""


class History:
    """readline's history, kept one entry per statement and saved after each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        readline.set_history_length(HISTORY_LENGTH)
        with contextlib.suppress(OSError):  # no history yet
            readline.read_history_file(path)
        self.entry_start = readline.get_current_history_length()

    def start_entry(self) -> None:
        self.entry_start = readline.get_current_history_length()

    def finish_entry(self, text: str) -> None:
        """Replaces the lines of a statement typed over several lines with the whole statement, and saves."""
        if readline.get_current_history_length() - self.entry_start > 1:
            while readline.get_current_history_length() > self.entry_start:
                readline.remove_history_item(readline.get_current_history_length() - 1)
            statements = [
                " ".join(filter(None, map(str.strip, s.text.splitlines()))) for s in split_statements(text).statements
            ]
            if statements:  # on one line, so without comments: a '--' would swallow the lines joined after it
                readline.add_history(" ".join(statements))
        with contextlib.suppress(OSError):  # a read-only home: the history lives for this session only
            readline.write_history_file(self.path)
        self.start_entry()

    def entries(self) -> list[str]:
        return [readline.get_history_item(n) for n in range(1, readline.get_current_history_length() + 1)]


def banner(console: Console, info: dict[str, Any], cli_version: str) -> list[str]:
    """ksqlDB's welcome: a logo centred on the help line, the versions, the server's status."""
    padding = " " * max(0, (min(console.width(), len(HELP_REMINDER)) - len(LOGO[0])) // 2)
    return [
        "",
        *(padding + line for line in LOGO),
        "",
        f"CLI v{cli_version}, Server v{info.get('version', '<unknown>')} located at {console.client.url}",
        f"Server Status: {info.get('serverStatus') or '<unknown>'}",
        "",
        HELP_REMINDER,
        "",
    ]


def cli_command(line: str) -> str | None:
    """The CLI's own command on this line (``exit``, ``quit``, ``help``, ``history``), if it is one."""
    word = line.strip().rstrip(";").strip().lower()
    return word if word in ("exit", "quit", "help", "history") else None


def interactive(console: Console, info: dict[str, Any], cli_version: str) -> int:
    history = History(Path.home() / ".ksql-cli-history")
    console.print(banner(console, info, cli_version))
    pending = ""
    while True:
        try:
            line = input(CONTINUATION if pending else PROMPT)
        except EOFError:
            console.print(["", "Exiting ksql."])
            return 0
        except KeyboardInterrupt:
            console.print(["^C"])
            pending = ""
            history.start_entry()
            continue
        command = None if pending else cli_command(line)
        if command is not None:
            history.finish_entry(line)
        if command in ("exit", "quit"):
            return 0
        if command is not None:
            lines = (
                HELP.split("\n") if command == "help" else [f"{n:>4}  {e}" for n, e in enumerate(history.entries(), 1)]
            )
            console.print(lines)
            continue
        if line.endswith("\\"):
            pending += line[:-1] + "\n"
            continue
        split = split_statements(pending + line + "\n")
        if not split.rest:
            history.finish_entry(pending + line)
        pending = split.rest
        try:
            console.run(split.statements)
        except Unreachable as error:
            console.print([str(error)])
        except KeyboardInterrupt:
            console.print(["^C"])
