"""A query's record processing without Kafka: records in, output records and state changes out.

Persistent queries (``persistent.py``) hand it each consumed batch and produce its outputs in the
batch's transaction; push queries (``transient.py``) hand it one row at a time; the test driver
(``driver.py``) hands it records as ksqlDB's query validation tests do. Keeping the semantics here,
in one place that never touches Kafka, is what lets one set of tests cover all three.

What it does, following ksqlDB (Kafka Streams' processors):
  * a plain query filters (WHERE) and projects each row; a null value passes as its key with a null
    value (a stream's only without WHERE; a table's tombstone always), KSQL 5 sources drop it;
  * an aggregation folds a batch's rows into partial groups, which go to the repartition topic keyed
    by the group (``Output.topic == REPARTITION``); partials read back from there are merged into the
    groups of their partition, written to the changelog and, as the table's rows, to the sink;
  * aggregating a (modern) TABLE first takes a changed row's old value out of its group;
  * a batch's state changes wait in its :class:`Step` until :meth:`Processor.commit`: a persistent
    query commits them only once its Kafka transaction has.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from stack.ksql.formats import RecordError, Serde
from stack.ksql.grouping import Group, TableRows, fold, new_group
from stack.ksql.plan import QueryPlan, Row, SourceReader

SINK = "sink"
REPARTITION = "repartition"
CHANGELOG = "changelog"  # the groups: ksqlDB's -Aggregate-Aggregate-Materialize-changelog
TABLE_CHANGELOG = "table-changelog"  # an aggregated table's rows: ksqlDB's -KsqlTopic-Reduce-changelog
UNWRITABLE = (RecordError, ValueError, TypeError, OverflowError)


@dataclass(slots=True)  # not frozen: one is made per consumed record, and a frozen one costs five times more
class Record:
    """A consumed record: from the query's source topic or, ``repartitioned``, from its repartition topic."""

    key: bytes | None
    value: bytes | None
    timestamp: int
    partition: int = 0
    offset: int = 0
    repartitioned: bool = False


@dataclass(slots=True)
class Output:
    """A record to write: ``topic`` is one of SINK, REPARTITION, CHANGELOG, TABLE_CHANGELOG; ``partition``
    None lets the producer's partitioner place it by key, as ksqlDB's does."""

    topic: str
    key: bytes | None
    value: bytes | None
    timestamp: int | None
    partition: int | None = None


@dataclass(frozen=True)
class Deleted:
    """A group HAVING now drops, that was in the table: its key columns, for a tombstone."""

    keys: Row


@dataclass
class Step:
    """What one batch did: its outputs, in order, and the state changes :meth:`Processor.commit` applies."""

    outputs: list[Output] = field(default_factory=list)
    groups: dict[tuple[int, str], Group] = field(default_factory=dict)
    stream_time: dict[int, int] = field(default_factory=dict)  # a windowed aggregation's, per partition
    processed: int = 0
    skipped: list[tuple[Record, Exception]] = field(default_factory=list)  # unreadable records
    unwritable: list[Exception] = field(default_factory=list)  # rows the sink's formats cannot hold


class Processor:
    """One query's processing and state: groups per repartition partition, an aggregated table's rows.

    ``sink_key``/``sink_value`` encode output rows; push queries, which send rows, not records, pass None.
    """

    def __init__(
        self,
        plan: QueryPlan,
        reader: SourceReader,
        sink_key: Serde | None = None,
        sink_value: Serde | None = None,
        repartition_partitions: int = 1,
    ) -> None:
        self.plan = plan
        self.reader = reader
        self.sink_key = sink_key
        self.sink_value = sink_value
        self.repartition_partitions = repartition_partitions
        self.state: dict[int, dict[str, Group]] = {}  # group key text -> group, per repartition partition
        # A windowed aggregation's stream time per repartition partition: the largest timestamp it has seen.
        self.stream_time: dict[int, int] = {}
        self._horizons: dict[int, int] = {}  # per partition, the advance the expiry horizon was last in
        self.table = TableRows.empty()  # an aggregated table's current rows, per source partition

    # --- a persistent query's batch -----------------------------------------------------------

    def process(self, records: list[Record]) -> Step:
        """Processes a batch; nothing changes the query's state until :meth:`commit`."""
        step = Step()
        self.table.pending = {}  # a batch read again starts over
        partials: dict[str, Group] = {}
        for record in records:
            if record.repartitioned:
                partial = Group.load(self.plan, record.value)
                self._merge(record.partition, record.key.decode(), partial, step.groups, step.stream_time)
            else:
                self._read(record, partials, step)
        for key, group in partials.items():
            step.outputs.append(
                Output(
                    REPARTITION,
                    key.encode(),
                    group.stored(self.plan),
                    group.timestamp,
                    zlib.crc32(key.encode()) % self.repartition_partitions,
                )
            )
        for (partition, key), (_, value, timestamp) in self.table.pending.items():
            step.outputs.append(Output(TABLE_CHANGELOG, key, value, timestamp, partition))
        for (partition, key), group in step.groups.items():
            step.outputs.append(Output(CHANGELOG, key.encode(), group.stored(self.plan), None, partition))
            change = self._change(partition, key, group)
            if isinstance(change, Deleted):
                assert self.sink_key is not None
                step.outputs.append(Output(SINK, self.sink_key.encode(change.keys), None, group.timestamp))
            elif change is not None:
                self._write(change, group.timestamp, step)
        return step

    def commit(self, step: Step) -> None:
        """Keeps a batch's state changes: its transaction committed."""
        for (partition, key), group in step.groups.items():
            self.state.setdefault(partition, {})[key] = group
        self.table.apply()
        if self.plan.window is not None:
            self.stream_time.update(step.stream_time)
            for partition in step.stream_time:
                self._expire(partition)

    def _expire(self, partition: int) -> None:
        """Forgets the windows older than the retention (the window size and grace unless RETENTION says
        more), as Kafka Streams' window store drops them: late records for them are dropped anyway.

        Windows start at multiples of the advance, so the groups are only looked through when the horizon
        has passed another one: not for every record of a push query.
        """
        window = self.plan.window
        assert window is not None
        horizon = self.stream_time.get(partition, -1) - window.retention_ms
        if self._horizons.get(partition) == horizon // window.advance:
            return
        self._horizons[partition] = horizon // window.advance
        groups = self.state.get(partition, {})
        for key in [key for key, group in groups.items() if group.values[-1] <= horizon]:
            del groups[key]

    def _read(self, record: Record, partials: dict[str, Group], step: Step) -> None:
        plan = self.plan
        try:
            row = self.reader.row(record.key, record.value, record.timestamp, record.partition, record.offset)
        except RecordError as error:
            step.skipped.append((record, error))
            return
        step.processed += 1
        timestamp = record.timestamp if row is None else row["ROWTIME"]  # the source's TIMESTAMP column, if any
        if plan.undoes:
            self._change_table_row(record.partition, record.key, row, record.value, timestamp, partials)
        elif plan.is_aggregate:
            if row is not None:
                fold(plan, partials, row, timestamp)
        elif row is not None:
            if plan.accepts(row):
                self._write(plan.project(row), timestamp, step)
        elif not plan.legacy and (plan.source.kind == "TABLE" or plan.where is None):
            self._write_null_value(record, step)  # ksqlDB passes a stream's null value on, and a table's tombstone

    def _change_table_row(
        self,
        partition: int,
        key: bytes | None,
        row: Row | None,
        value: bytes | None,
        timestamp: int,
        partials: dict[str, Group],
    ) -> None:
        """A table row replaced or deleted: its old value leaves its group, then its new value joins one."""
        if key is None:  # a table row has a key; ksqlDB drops one without
            return
        old = self.table.replace(partition, key, row, value, timestamp)
        if old is not None:
            fold(self.plan, partials, old, timestamp, remove=True)
        if row is not None:
            fold(self.plan, partials, row, timestamp)

    def _merge(
        self, partition: int, key: str, partial: Group, pending: dict[tuple[int, str], Group], times: dict[int, int]
    ) -> None:
        if self.plan.window is not None and self._closed(partition, partial, times):
            return
        slot = (partition, key)
        current = pending.get(slot) or self.state.get(partition, {}).get(key)
        pending[slot] = (current or new_group(self.plan, partial.values, partial.timestamp)).merged(self.plan, partial)

    def _closed(self, partition: int, partial: Group, times: dict[int, int]) -> bool:
        """Whether a partial's window had closed, so that Kafka Streams drops its records: the window's end
        plus the grace period is at or before the stream time, which the partial itself moves on first.

        The batch's stream time waits in ``times`` for its commit. Records of one window and batch come
        as one partial, so a record late only against a later record of its own batch is still counted.
        """
        assert self.plan.window is not None
        now = max(times.get(partition, self.stream_time.get(partition, -1)), partial.timestamp)
        times[partition] = now
        return partial.values[-1] + self.plan.window.size + self.plan.window.grace_ms <= now

    def _change(self, partition: int, key: str, group: Group) -> Row | Deleted | None:
        """A changed group's table row; Deleted when HAVING drops a group that was in the table (ksqlDB
        sends no tombstone for a row that never was there); None when it changes nothing visible."""
        row = self.plan.output_row(group.values, group.states)
        if row is not None:
            return row
        before = self.state.get(partition, {}).get(key)
        if before is not None and self.plan.output_row(before.values, before.states) is not None:
            return Deleted(self.plan.key_row(group.values))
        return None

    def _write(self, row: Row, timestamp: int, step: Step) -> None:
        assert self.sink_key is not None and self.sink_value is not None
        try:
            key, value = self.sink_key.encode(row), self.sink_value.encode(row)
        except UNWRITABLE as error:
            step.unwritable.append(error)
            return
        step.outputs.append(Output(SINK, key, value, timestamp))

    def _write_null_value(self, record: Record, step: Step) -> None:
        """A record with a null value: its key, projected, with a null value (as ksqlDB writes it)."""
        assert self.sink_key is not None
        try:
            keys = self.reader.key.decode(record.key) or {}
            key = self.sink_key.encode(self.plan.project_key(keys))
        except UNWRITABLE as error:
            step.skipped.append((record, error))
            return
        step.outputs.append(Output(SINK, key, None, record.timestamp))

    # --- a push query's rows -------------------------------------------------------------------

    def aggregate(self, key: bytes | None, row: Row | None, timestamp: int) -> list[Row | Deleted]:
        """One source row of a push query that aggregates: its groups' changed rows, at once.

        The same steps as a persistent query's batch, with one partition and nothing in between.
        """
        partials: dict[str, Group] = {}
        self.table.pending = {}
        if self.plan.undoes:
            self._change_table_row(0, key, row, None, timestamp, partials)
        elif row is not None:
            fold(self.plan, partials, row, timestamp)
        pending: dict[tuple[int, str], Group] = {}
        times: dict[int, int] = {}
        for group_key, partial in partials.items():
            self._merge(0, group_key, partial, pending, times)
        changes = [self._change(0, k, group) for (_, k), group in pending.items()]
        self.commit(Step(groups=pending, stream_time=times))
        return [c for c in changes if c is not None]

    # --- state read back from the changelogs ---------------------------------------------------

    def reset_groups(self, partition: int) -> None:
        self.state[partition] = {}
        self.stream_time.pop(partition, None)
        self._horizons.pop(partition, None)

    def restore_group(self, partition: int, key: bytes, value: bytes | None) -> None:
        """A changelog record; a windowed aggregation's stream time starts again from its groups' latest."""
        if value is None:
            self.state[partition].pop(key.decode(), None)
        else:
            group = self.state[partition][key.decode()] = Group.load(self.plan, value)
            if self.plan.window is not None:
                self.stream_time[partition] = max(self.stream_time.get(partition, -1), group.timestamp)

    def reset_rows(self, partition: int) -> None:
        self.table.rows[partition] = {}

    def restore_row(self, record: Record) -> None:
        assert record.key is not None
        row = self.reader.row(record.key, record.value, record.timestamp, record.partition, record.offset)
        if row is None:
            self.table.rows[record.partition].pop(record.key, None)
        else:
            self.table.rows[record.partition][record.key] = row

    def forget_groups(self, partition: int) -> None:
        self.state.pop(partition, None)
        self.stream_time.pop(partition, None)
        self._horizons.pop(partition, None)

    def forget_rows(self, partition: int) -> None:
        self.table.rows.pop(partition, None)

    def clear(self) -> None:
        """Forgets all state: a restarted query reads it back from the changelogs."""
        self.state = {}
        self.stream_time = {}
        self._horizons = {}
        self.table = TableRows.empty()

    def group_count(self, partitions: list[int]) -> int:
        return sum(len(self.state.get(p, {})) for p in partitions)
