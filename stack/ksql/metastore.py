"""What the server knows: its streams, tables and persistent queries (ksqlDB's metastore).

It is rebuilt on every start by replaying the command topic (``commands.py``), so it holds no state
of its own that Kafka does not have. Reads and writes go through one lock: the command runner
thread changes it while HTTP handlers read it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from stack.ksql.schema import LogicalSchema
from stack.ksql.statements import WindowExpression


@dataclass
class Source:
    """A stream or table over a topic.

    ``legacy`` marks a source declared in KSQL 5's dialect (``WITH (KEY='col')``, or a table with no
    PRIMARY KEY); aggregates over it produce what KSQL 5 produced. ``writer`` is the id of the
    persistent query that fills it (CSAS/CTAS), None for a source declared over an existing topic.
    ``window`` is the window of a windowed source (a windowed aggregation's table, a source declared with
    WINDOW_TYPE, or what a query writes from one): its record keys hold the window's start.
    """

    name: str
    kind: str
    topic: str
    schema: LogicalSchema
    key_format: str
    value_format: str
    statement: str
    partitions: int
    replicas: int
    legacy: bool = False
    wrap_single_value: bool = True
    timestamp: str | None = None
    writer: str | None = None
    window: WindowExpression | None = None


@dataclass
class QueryRecord:
    """A persistent query as the metastore keeps it, its statement and what it reads and writes.

    The thread that runs it is a ``RunningQuery`` (``persistent.py``).
    """

    id: str
    statement: str
    sink: str
    sink_topic: str
    sources: tuple[str, ...]


@dataclass
class Metastore:
    sources: dict[str, Source] = field(default_factory=dict)
    queries: dict[str, QueryRecord] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def source(self, name: str) -> Source | None:
        with self.lock:
            return self.sources.get(name)

    def readers_of(self, name: str) -> list[QueryRecord]:
        with self.lock:
            return [q for q in self.queries.values() if name in q.sources]

    def writers_of(self, name: str) -> list[QueryRecord]:
        with self.lock:
            return [q for q in self.queries.values() if q.sink == name]
