"""What the broker's and Connect's properties bound: partitions of internal topics, records a source task holds."""

from __future__ import annotations

from pathlib import Path

from stack.platform.connect import TASK_PRODUCER_BUFFER, worker_properties
from stack.platform.kafka import INTERNAL_PARTITIONS, broker_heap_mb, broker_properties
from stack.settings import load


def properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_a_source_task_buffers_a_mebibyte_not_kafkas_32() -> None:
    """With 32 MiB Connect held 251,000 records of a million-row copy waiting for their acknowledgement, and its
    96 MB heap ran out (README, "Soaks")."""
    worker = properties(worker_properties(load(), 1, Path("plugins")))
    assert worker["producer.buffer.memory"] == str(TASK_PRODUCER_BUFFER) == str(2**20)


def test_internal_topics_have_one_partition_each() -> None:
    """Kafka's 50 + 50 and Connect's 25 + 5 were 130 of 300 partitions a restarted broker loads and leads first."""
    worker = properties(worker_properties(load(), 1, Path("plugins")))
    for brokers in (1, 3):
        broker = properties(broker_properties(load(), brokers, 1))
        assert broker["offsets.topic.num.partitions"] == broker["transaction.state.log.num.partitions"] == "1"
    assert worker["offset.storage.partitions"] == worker["status.storage.partitions"] == str(INTERNAL_PARTITIONS)


def test_only_a_cluster_of_several_nodes_skips_controlled_shutdown() -> None:
    """Each node is a controller too: the last of three could never have its controlled shutdown approved."""
    assert "controlled.shutdown.enable" not in properties(broker_properties(load(), 1, 1))
    for node in (1, 2, 3):
        assert properties(broker_properties(load(), 3, node))["controlled.shutdown.enable"] == "false"


def test_a_broker_with_thousands_of_partitions_gets_the_heap_they_need(tmp_path: Path) -> None:
    """5,933 partitions held 198 MB after a full GC, and a broker with 256 MB ran out of heap."""
    assert broker_heap_mb(tmp_path / "not-formatted-yet") == 192
    for name in ("__cluster_metadata-0", "bench.rest_proxy.1a2b3c4d-0.0f9e8d7c6b5a-delete", "meta.properties"):
        (tmp_path / name).mkdir()
    for n in range(400):  # about what make run and a test run leave
        (tmp_path / f"org.chicago.cta.topic{n}-0").mkdir()
    assert broker_heap_mb(tmp_path) == 192
    for n in range(400, 5933):
        (tmp_path / f"org.chicago.cta.topic{n}-0").mkdir()
    assert broker_heap_mb(tmp_path) == 448  # twice 64 MB + 5,933 x 24 KB, in steps of 64 MB
