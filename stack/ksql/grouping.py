"""What aggregations keep per group, and how a row goes into (or, from a table, back out of) its group.

The query processor (``processor.py``) folds a batch's rows into partial groups that cross the
repartition topic and are merged into the stored groups (a push query's batch is one row). It
follows ksqlDB (Kafka Streams' aggregate processors):
  * a row whose grouping expressions are NULL, or that WHERE drops, changes no group;
  * a group's timestamp is the largest timestamp of the rows folded into it, and is the timestamp
    of the table row written for it;
  * a windowed aggregation's group is one window of its GROUP BY values: a row goes into each window
    its timestamp falls in (one tumbling window, ``size / advance`` hopping ones);
  * aggregating a TABLE takes a row's old value back out of its group (``remove``) before its new
    value goes in, so a changed or deleted row moves between groups: :class:`TableRows` keeps the
    old values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stack.ksql.plan import QueryPlan, Row, group_key_text


@dataclass
class Group:
    """One group: its grouping values, one state per aggregate, the timestamp of its latest change."""

    values: list[Any]
    states: list[Any]
    timestamp: int

    def stored(self, plan: QueryPlan) -> bytes:
        """The group as repartition and changelog records carry it."""
        value = {
            "g": self.values,
            "s": [a.to_json(s) for a, s in zip(plan.aggregates, self.states, strict=True)],
            "t": self.timestamp,
        }
        return json.dumps(value, separators=(",", ":"), default=str).encode()

    @staticmethod
    def load(plan: QueryPlan, data: bytes) -> Group:
        stored = json.loads(data)
        states = [a.from_json(s) for a, s in zip(plan.aggregates, stored["s"], strict=True)]
        return Group(stored["g"], states, stored.get("t", 0))

    def merged(self, plan: QueryPlan, partial: Group) -> Group:
        states = [a.merge(s, p) for a, s, p in zip(plan.aggregates, self.states, partial.states, strict=True)]
        return Group(partial.values, states, max(self.timestamp, partial.timestamp))


def new_group(plan: QueryPlan, values: list[Any], timestamp: int) -> Group:
    return Group(values, [a.initial() for a in plan.aggregates], timestamp)


def fold(plan: QueryPlan, groups: dict[str, Group], row: Row, timestamp: int, remove: bool = False) -> None:
    """Adds ``row`` to (or removes it from) its group in ``groups``, which it owns and changes in place.

    A windowed aggregation's row goes into one group per window it falls in (its GROUP BY values and
    the window's start).
    """
    if not plan.accepts(row):
        return
    values = plan.group_key(row)
    if values is None:
        return
    windows = [[*values, start] for start in plan.window_starts(timestamp)] if plan.window else [values]
    for group_values in windows:
        key = group_key_text(group_values)
        group = groups.get(key)
        if group is None:
            group = groups[key] = new_group(plan, group_values, timestamp)
        elif timestamp > group.timestamp:
            group.timestamp = timestamp
        if remove:
            group.states = [a.remove(s, row) for a, s in zip(plan.aggregates, group.states, strict=True)]
        else:
            group.states = [a.add(s, row) for a, s in zip(plan.aggregates, group.states, strict=True)]


@dataclass
class TableRows:
    """The current row of each key of an aggregated table, per source partition, so an update can undo it.

    A batch's changes wait in ``pending`` (with the record's value and timestamp, for the changelog)
    until its transaction commits (``apply``) or is dropped.
    """

    rows: dict[int, dict[bytes, Row]]
    pending: dict[tuple[int, bytes], tuple[Row | None, bytes | None, int]]

    @staticmethod
    def empty() -> TableRows:
        return TableRows({}, {})

    def replace(self, partition: int, key: bytes, row: Row | None, value: bytes | None, timestamp: int) -> Row | None:
        """Records the key's new row (None: deleted) and the record it came in; returns the row it replaces."""
        slot = (partition, key)
        old = self.pending[slot][0] if slot in self.pending else self.rows.get(partition, {}).get(key)
        self.pending[slot] = (row, value, timestamp)
        return old

    def apply(self) -> None:
        for (partition, key), (row, _, _) in self.pending.items():
            rows = self.rows.setdefault(partition, {})
            if row is None:
                rows.pop(key, None)
            else:
                rows[key] = row
        self.pending = {}
