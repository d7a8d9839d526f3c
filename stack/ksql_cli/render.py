"""Draws ksqlDB's answers as ksqlDB's CLI draws them; every function returns the lines to print.

Two kinds of tables, as in ksqlDB's CLI: listings (SHOW …, DESCRIBE, the ``Message`` of a CREATE)
are columns as wide as their widest cell between dashed rules; query results are fixed-width cells
between ``+-----+`` rules and ``|`` bars, one row printed as soon as it arrives. Entities are told
apart by ``@type`` and, for servers that leave it out (the REST docs' own examples do), by their
fields; fields a server does not send are drawn empty rather than failing.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Sequence
from typing import Any

MIN_CELL_WIDTH = 5
LABEL = "{:<20} : {}"

Entity = dict[str, Any]


# --- the two table styles -------------------------------------------------------------------------


def listing(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """`` Name | Topic `` columns between dashed rules; the rules are cut at the terminal's width."""
    widths = [
        max([len(header), *(max(len(part) for part in row[i].split("\n")) for row in rows)])
        for i, header in enumerate(headers)
    ]
    rule = "-" * min(width, sum(w + 3 for w in widths) - 1)

    def line(cells: Sequence[str]) -> str:
        return " " + " | ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)) + " "

    return [line(headers), rule, *(line(row) for row in rows), rule]


def cell_width(columns: int, width: int) -> int:
    return max(width // columns - 2, MIN_CELL_WIDTH) if columns else MIN_CELL_WIDTH


def query_header(names: Sequence[str], width: int) -> list[str]:
    """The ``+----+`` rule, the column names, the rule again."""
    if not names:
        return []
    cell = cell_width(len(names), width)
    rule = "+" + ("-" * cell + "+") * len(names)
    return [rule, *query_row(names, width), rule]


def query_row(values: Sequence[Any], width: int) -> list[str]:
    """One row: cells of equal width, long values wrapped onto more lines within their cell."""
    if not values:
        return []
    cell = cell_width(len(values), width)
    texts = [value_text(v) for v in values]
    pieces = [[t[i : i + cell] for i in range(0, len(t), cell)] or [""] for t in texts]
    height = max(len(p) for p in pieces)
    return [
        "|" + "".join(p[n].ljust(cell) + "|" if n < len(p) else " " * cell + "|" for p in pieces) for n in range(height)
    ]


def value_text(value: Any) -> str:
    """A value as ksqlDB's CLI prints it (Java's toString): null, true, 1.5, 1.0E10, {A=1, B=x}, [1, 2]."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def java_double(value: float) -> str:
    """Java's Double.toString: plain between 10^-3 and 10^7, else ``d.dddE±n``."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def schema_columns(schema: str) -> list[str]:
    """Column names from a query header's schema: ``"`ID` STRING KEY, `S` STRUCT<`A` INT, `B` STRING>"`` → ID, S."""
    names: list[str] = []
    depth = 0
    part: list[str] = []
    quoted = False
    for char in schema + ",":
        if char == "`":
            quoted = not quoted
        elif not quoted and char in "<(":
            depth += 1
        elif not quoted and char in ">)":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            names.append(column_name("".join(part)))
            part = []
            continue
        part.append(char)
    return [n for n in names if n]


def column_name(column: str) -> str:
    column = column.strip()
    if column.startswith("`"):
        end = 1
        while True:
            end = column.find("`", end)
            if end < 0 or not column.startswith("``", end):
                break
            end += 2
        return column[1 : end if end > 0 else None].replace("``", "`")
    return column.split(" ", 1)[0]


# --- entities of /ksql ----------------------------------------------------------------------------


def entity_lines(entities: list[Entity], width: int) -> list[str]:
    """Every entity of a /ksql answer after a blank line, with its statement when there are several."""
    lines: list[str] = []
    for entity in entities:
        lines.append("")
        if len(entities) > 1:
            lines.append(str(entity.get("statementText", "")))
        lines += entity_body(entity, width)
        lines += [f"WARNING: {w.get('message', '')}" for w in entity.get("warnings") or [] if isinstance(w, dict)]
    return lines


def entity_body(entity: Entity, width: int) -> list[str]:
    kind = entity.get("@type") or next((FIELD_KINDS[k] for k in FIELD_KINDS if k in entity), None)
    draw = DRAWERS.get(str(kind), unknown_entity)
    return draw(entity, width)


def command_status(entity: Entity, width: int) -> list[str]:
    message = str((entity.get("commandStatus") or {}).get("message", ""))
    return listing(["Message"], [[message.split("\n", 1)[0]]], width)


def sources(kind: str) -> Callable[[Entity, int], list[str]]:
    def draw(entity: Entity, width: int) -> list[str]:
        title = "Stream Name" if kind == "streams" else "Table Name"
        rows = [
            [
                text(s.get("name")),
                text(s.get("topic")),
                text(s.get("keyFormat")),
                text(s.get("valueFormat", s.get("format"))),
                text(s.get("isWindowed", False)),
            ]
            for s in sorted(entity.get(kind) or [], key=lambda s: text(s.get("name")))
        ]
        return listing([title, "Kafka Topic", "Key Format", "Value Format", "Windowed"], rows, width)

    return draw


def queries(entity: Entity, width: int) -> list[str]:
    rows = [
        [
            text(q.get("id")),
            text(q.get("state") or "N/A"),
            ",".join(map(text, q.get("sinks") or [])),
            ",".join(map(text, q.get("sinkKafkaTopics") or [])),
            single_line(q.get("queryString")),
        ]
        for q in entity.get("queries") or []
    ]
    headers = ["Query ID", "Status", "Sink Name", "Sink Kafka Topic", "Query String"]
    return [*listing(headers, rows, width), "For detailed information on a Query run: EXPLAIN <Query ID>;"]


def kafka_topics(entity: Entity, width: int) -> list[str]:
    rows = []
    for topic in entity.get("topics") or []:
        replicas = topic.get("replicaInfo") or []
        shown = (
            "0" if not replicas else text(replicas[0]) if len(set(replicas)) == 1 else ", ".join(map(text, replicas))
        )
        rows.append([text(topic.get("name")), str(len(replicas)), shown])
    return listing(["Kafka Topic", "Partitions", "Replicas"], rows, width)


def properties(entity: Entity, width: int) -> list[str]:
    listed = entity.get("properties") or []
    if isinstance(listed, dict):  # KSQL 5 sent a plain name → value map
        listed = [{"name": k, "value": v} for k, v in listed.items()]
    overwritten = set(entity.get("overwrittenProperties") or [])
    defaults = set(entity.get("defaultProperties") or [])
    rows = sorted(
        [
            text(p.get("name")),
            text(p.get("scope")),
            "SESSION" if p.get("name") in overwritten else "" if p.get("name") in defaults else "SERVER",
            "NULL" if p.get("value") is None else text(p.get("value")),
        ]
        for p in listed
    )
    return listing(["Property", "Scope", "Default override", "Effective Value"], rows, width)


def source_description(entity: Entity, width: int) -> list[str]:
    return describe(entity.get("sourceDescription") or {}, width)


def source_descriptions(entity: Entity, width: int) -> list[str]:
    lines: list[str] = []
    for description in entity.get("sourceDescriptions") or []:
        lines += [*describe(description, width), ""]
    return lines


def describe(source: Entity, width: int) -> list[str]:
    """DESCRIBE: the name and the columns; EXTENDED adds the topic, the statement, queries and statistics."""
    is_table = text(source.get("type")).upper() == "TABLE"
    lines = [LABEL.format("Name", text(source.get("name")))]
    schema = field_table(source.get("fields") or [], source.get("windowType"), is_table, width)
    if not source.get("extended"):
        return [*lines, *schema, "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;"]
    topic = text(source.get("topic"))
    lines += [
        LABEL.format("Type", text(source.get("type"))),
        LABEL.format("Timestamp field", text(source.get("timestamp")) or "Not set - using <ROWTIME>"),
        LABEL.format("Key format", text(source.get("keyFormat"))),
        LABEL.format("Value format", text(source.get("valueFormat", source.get("format")))),
    ]
    if topic:
        topic_line = LABEL.format("Kafka topic", topic)
        if source.get("partitions"):
            topic_line += f" (partitions: {source['partitions']}, replication: {source.get('replication', 0)})"
        lines.append(topic_line)
    lines += [LABEL.format("Statement", text(source.get("statement"))), "", *schema]
    kind = text(source.get("type"))
    for title, key in (("read", "readQueries"), ("write", "writeQueries")):
        running = source.get(key) or []
        if running:
            lines += ["", f"Queries that {title} from this {kind}", "-----------------------------------"]
            lines += [
                f"{text(q.get('id'))} ({text(q.get('state') or 'N/A')}) : {single_line(q.get('queryString'))}"
                for q in running
            ]
            lines += ["", "For query topology and execution plan please run: EXPLAIN <QueryId>"]
    lines += ["", "Local runtime statistics", "------------------------"]
    lines += [text(source.get("statistics")), text(source.get("errorStats"))]
    lines.append(f"(Statistics of the local KSQL server interaction with the Kafka topic {topic})")
    return lines


def field_table(fields: list[Entity], window_type: Any, is_table: bool, width: int) -> list[str]:
    rows = []
    for field in fields:
        type_string = schema_type(field.get("schema") or {})
        if field.get("type") == "KEY":
            window = f" (Window type: {window_type})" if window_type else ""
            type_string = f"{type_string:<16} {'(primary key)' if is_table else '(key)'}{window}"
        rows.append([text(field.get("name")), type_string])
    return listing(["Field", "Type"], rows, width) if rows else []


def schema_type(schema: Entity) -> str:
    """A field's type as DESCRIBE shows it: VARCHAR(STRING), ARRAY<INTEGER>, STRUCT<A INTEGER>, DECIMAL(4, 2)."""
    base = text(schema.get("type")).upper()
    member = schema.get("memberSchema") or {}
    if base in ("STRING", "VARCHAR"):
        return "VARCHAR(STRING)"
    if base == "ARRAY":
        return f"ARRAY<{schema_type(member)}>"
    if base == "MAP":
        return f"MAP<STRING, {schema_type(member)}>"
    if base == "STRUCT":
        inner = ", ".join(
            f"{text(f.get('name'))} {schema_type(f.get('schema') or {})}" for f in schema.get("fields") or []
        )
        return f"STRUCT<{inner}>"
    parameters = schema.get("parameters") or {}
    if base == "DECIMAL" and "precision" in parameters:
        return f"DECIMAL({parameters['precision']}, {parameters.get('scale')})"
    return base


def query_description(entity: Entity, width: int) -> list[str]:
    """EXPLAIN: the query, its columns, what it reads and writes, its plan and topology."""
    query = entity.get("queryDescription") or {}
    lines = [LABEL.format("ID", text(query.get("id"))), LABEL.format("Query Type", text(query.get("queryType")))]
    if query.get("statementText"):
        lines.append(LABEL.format("SQL", text(query["statementText"])))
    lines += ["", *field_table(query.get("fields") or [], query.get("windowType"), False, width)]
    for title, key, hint in (
        (
            "Sources that this query reads from: ",
            "sources",
            "For source description please run: DESCRIBE [EXTENDED] <SourceId>",
        ),
        ("Sinks that this query writes to: ", "sinks", "For sink description please run: DESCRIBE [EXTENDED] <SinkId>"),
    ):
        if query.get(key):
            lines += ["", title, "-----------------------------------", *map(text, query[key]), "", hint]
    for title, key in (("Execution plan", "executionPlan"), ("Processing topology", "topology")):
        if query.get(key):
            lines += ["", title, "-" * len(title), text(query[key])]
    return lines


def terminate_query(entity: Entity, width: int) -> list[str]:
    return listing(["Message"], [[f'Terminated query "{text(entity.get("queryId"))}"']], width)


def unknown_entity(entity: Entity, width: int) -> list[str]:
    """An answer this CLI has no table for (SHOW FUNCTIONS, connectors, ...): its fields as indented JSON."""
    shown = {k: v for k, v in entity.items() if k not in ("@type", "statementText", "warnings")}
    return json.dumps(shown, indent=2).split("\n")


def text(value: Any) -> str:
    return "" if value is None else value_text(value)


def single_line(value: Any) -> str:
    return text(value).replace("\n", "")


DRAWERS: dict[str, Callable[[Entity, int], list[str]]] = {
    "currentStatus": command_status,
    "streams": sources("streams"),
    "tables": sources("tables"),
    "queries": queries,
    "kafka_topics": kafka_topics,
    "properties": properties,
    "sourceDescription": source_description,
    "source_descriptions": source_descriptions,
    "queryDescription": query_description,
    "terminate_query": terminate_query,
}
# For answers without "@type": the field that names each entity.
FIELD_KINDS = {
    "commandStatus": "currentStatus",
    "streams": "streams",
    "tables": "tables",
    "queries": "queries",
    "topics": "kafka_topics",
    "properties": "properties",
    "sourceDescription": "sourceDescription",
    "sourceDescriptions": "source_descriptions",
    "queryDescription": "queryDescription",
}
