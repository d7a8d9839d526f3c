"""The record processor's contract with the persistent query's transactions, without Kafka.

A persistent query is exactly once because a batch's state changes are kept only once its
transaction commits, and because its state can be read back from the changelog records it wrote.
"""

from __future__ import annotations

import zlib

from stack.ksql.driver import Driver
from stack.ksql.plan import group_key_text
from stack.ksql.processor import CHANGELOG, REPARTITION, SINK, TABLE_CHANGELOG, Processor, Record, Step

A, B = group_key_text(["a"]).encode(), group_key_text(["b"]).encode()  # the groups' keys in the internal topics


def counting(partitions: int = 3, table: bool = False) -> Processor:
    driver = Driver(default_partitions=partitions)
    if table:
        driver.execute(
            "CREATE TABLE INPUT (K STRING PRIMARY KEY, NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        )
    else:
        driver.execute("CREATE STREAM INPUT (NAME STRING) WITH (kafka_topic='input', value_format='JSON');")
    driver.execute("CREATE TABLE OUTPUT AS SELECT NAME, COUNT(*) AS C FROM INPUT GROUP BY NAME;")
    return driver.queries[0].processor


def named(name: str, timestamp: int, key: bytes | None = None, offset: int = 0) -> Record:
    return Record(key, f'{{"NAME": "{name}"}}'.encode(), timestamp, 0, offset)


def through(processor: Processor, records: list[Record]) -> tuple[Step, Step]:
    """A source batch, then the batch of its repartition records, both committed."""
    first = processor.process(records)
    processor.commit(first)
    partials = [o for o in first.outputs if o.topic == REPARTITION]
    second = processor.process(
        [Record(o.key, o.value, o.timestamp or 0, o.partition or 0, i, True) for i, o in enumerate(partials)]
    )
    processor.commit(second)
    return first, second


def test_repartition_records_are_one_partial_per_group_partitioned_by_its_key() -> None:
    processor = counting()
    step = processor.process([named("a", 1), named("b", 2), named("a", 3)])
    partials = [(o.key, o.partition, o.timestamp) for o in step.outputs if o.topic == REPARTITION]
    assert partials == [(A, zlib.crc32(A) % 3, 3), (B, zlib.crc32(B) % 3, 2)]
    assert [o.topic for o in step.outputs] == [REPARTITION, REPARTITION] and step.processed == 3


def test_an_uncommitted_batch_changes_no_state_and_reads_the_same_again() -> None:
    """An aborted transaction: the batch is read again and must give the same outputs."""
    processor = counting()
    _, merged = through(processor, [named("a", 1)])
    repartitioned = [Record(A, o.value, 2, o.partition or 0, 5, True) for o in merged.outputs if o.topic == CHANGELOG]
    once = processor.process(repartitioned)  # not committed: its transaction aborted
    again = processor.process(repartitioned)
    assert once.outputs == again.outputs
    assert [o.value for o in again.outputs if o.topic == SINK] == [b'{"C":2}']
    assert processor.state[zlib.crc32(A) % 3][A.decode()].states == [1]


def test_state_restored_from_the_changelog_counts_on() -> None:
    """A partition gained after a restart: its groups come back from the changelog records the query wrote."""
    processor = counting()
    _, merged = through(processor, [named("a", 1), named("a", 2)])
    changelog = [o for o in merged.outputs if o.topic == CHANGELOG]
    restarted = counting()
    for output in changelog:
        assert output.key is not None and output.partition is not None
        restarted.reset_groups(output.partition)
        restarted.restore_group(output.partition, output.key, output.value)
    _, next_step = through(restarted, [named("a", 7)])
    assert [(o.value, o.timestamp) for o in next_step.outputs if o.topic == SINK] == [(b'{"C":3}', 7)]


def test_an_aggregated_tables_rows_go_to_their_changelog_and_come_back() -> None:
    processor = counting(table=True)
    first, _ = through(processor, [named("a", 1, b"k1"), named("b", 2, b"k2")])
    rows = [o for o in first.outputs if o.topic == TABLE_CHANGELOG]
    assert [(o.key, o.partition) for o in rows] == [(b"k1", 0), (b"k2", 0)]
    restarted = counting(table=True)
    restarted.reset_rows(0)
    for output in rows:
        restarted.restore_row(Record(output.key, output.value, output.timestamp or 0, 0))
    restarted.state = {p: dict(groups) for p, groups in processor.state.items()}
    _, moved = through(restarted, [named("b", 3, b"k1")])  # k1 leaves a, joins b
    assert sorted(o.value for o in moved.outputs if o.topic == SINK) == [b'{"C":0}', b'{"C":2}']
