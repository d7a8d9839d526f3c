"""Runs statements against the server and prints what comes back, for the REPL and for scripts alike.

As ksqlDB's CLI does: consecutive statements go to ``/ksql`` in one request; a SELECT goes to
``/query`` and its rows are printed as they arrive until its LIMIT, the end of a pull query, or
Ctrl+C (which closes the HTTP stream, and so ends the query on the server, and nothing else);
SET and UNSET change the CLI's own properties, which every later request carries.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import requests

from stack.ksql_cli import render
from stack.ksql_cli.client import KsqlClient, ServerError
from stack.ksql_cli.input import Statement


class Console:
    """One session's statements and output; ``failed`` tells a script whether any statement failed."""

    def __init__(self, client: KsqlClient, out: TextIO = sys.stdout) -> None:
        self.client = client
        self.out = out
        self.failed = False

    def width(self) -> int:
        return shutil.get_terminal_size((80, 24)).columns

    def print(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def error(self, message: str) -> None:
        self.failed = True
        self.print([message])

    def run(self, statements: list[Statement]) -> None:
        batch: list[str] = []
        for statement in statements:
            change = statement.property_change()
            if change is None and not statement.is_query:
                batch.append(statement.text)
                continue
            self.send(batch)
            batch = []
            if change is not None:
                self.change_property(*change)
            else:
                self.query(statement.text)
        self.send(batch)

    def send(self, batch: list[str]) -> None:
        """Runs statements on /ksql and prints their entities; a failed command prints its message instead."""
        if not batch:
            return
        try:
            entities = self.client.run_statements("\n".join(batch))
        except ServerError as error:
            self.print(render.entity_lines(error.entities, self.width()))
            self.error(error.message)
            return
        failures = [
            str(e["commandStatus"].get("message", ""))
            for e in entities
            if isinstance(e.get("commandStatus"), dict) and e["commandStatus"].get("status") == "ERROR"
        ]
        if failures:
            for message in failures:
                self.error(message.split("\n", 1)[0])
        else:
            self.print(render.entity_lines(entities, self.width()))

    def query(self, text: str) -> None:
        try:
            stream = self.client.query(text)
        except ServerError as error:
            self.error(error.message)
            return
        try:
            for element in stream:
                self.print(self.element_lines(element))
        except KeyboardInterrupt:
            self.print([""])
        except (requests.RequestException, ValueError) as error:
            self.error(f"The query's stream broke off: {error}")
        finally:
            stream.close()
            self.print(["Query terminated"])

    def element_lines(self, element: dict[str, Any]) -> list[str]:
        """One element of a /query answer: the header, a row, the final message or an error."""
        lines: list[str] = []
        if isinstance(element.get("header"), dict):
            lines += render.query_header(render.schema_columns(str(element["header"].get("schema", ""))), self.width())
        if isinstance(element.get("row"), dict):
            row = element["row"]
            columns = row.get("columns") or []
            if row.get("tombstone"):
                columns = ["<TOMBSTONE>" if value is None else value for value in columns]
            lines += render.query_row(columns, self.width())
        if element.get("errorMessage") is not None:
            error = element["errorMessage"]
            self.failed = True
            lines.append(str(error.get("message", error) if isinstance(error, dict) else error))
        if element.get("finalMessage") is not None:
            lines.append(str(element["finalMessage"]))
        return lines

    def change_property(self, name: str, value: str | None) -> None:
        """SET / UNSET: kept here and sent with every later request, worded as ksqlDB's CLI words it."""
        prior = self.client.properties.get(name)
        if value is not None:
            self.client.properties[name] = value
            change = f" from '{prior}'" if prior is not None else ""
            hint = "" if prior is not None else " Use the UNSET command to revert your change."
            self.print([f"Successfully changed local property '{name}'{change} to '{value}'.{hint}"])
        elif prior is None:
            self.error(f"Cannot unset local property '{name}' which was never set in the first place")
        else:
            del self.client.properties[name]
            self.print([f"Successfully unset local property '{name}' (value was '{prior}')."])
