"""Kafka brokers in KRaft mode: each node is a combined broker and controller, no ZooKeeper.

One node by default; three (9092/9093/9094) for the classic cluster, with replication factor 3
and min.insync.replicas 2 so that one broker can fail without losing acknowledged writes. Each
broker also listens where the classic compose file's brokers listened inside Docker (19092,
19093, 19094: ``INTERNAL``), for configurations that name them as ``kafka0:19092``. Each
cluster size keeps its own data folder, so switching between them loses nothing.
"""

from __future__ import annotations

import base64
import math
import subprocess
import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient

from clients.endpoints import LISTEN_HOST
from stack.common.errors import StackError
from stack.platform.java import class_archive, class_sharing, java_command, service_command
from stack.platform.prerequisites import port_in_use, require_free_port
from stack.platform.supervisor import Launch
from stack.settings import Settings

BROKER_HEAP_MB = 192
"""Measured with GC logs (README, "Soaks"): at five times make run's pace the broker holds 64 MB after a full GC
(72 MB before its internal topics had one partition each), concurrent marking ends at up to 131 MB, and while
Connect copies a million rows (bench_jdbc) young collections leave at most 54-61 MB: 192 MB is 3 times what it
holds. With 256 MB (4 times) the whole system peaked at 989-1,008 MiB, 16-35 MiB under its 1 GiB goal; with 192
the REST Proxy, producer and JDBC benchmarks kept their rates (README, "Benchmarks")."""
HEAP_PER_PARTITION_KB = 24
"""What each partition of its log folder costs a broker's heap: on a data folder kept through many test and bench
runs, 5,933 partitions, the broker held 198 MB after a full GC (against 64 MB with about 400), and with 256 MB it
ran out of heap under a test run's load."""
CLEANER_BUFFER = 8 * 2**20
INTERNAL_PARTITIONS = 1
"""Partitions of the brokers' and Connect's internal topics: each group and connector is one small log here."""
READ_PATH_COMPILE = (
    "-XX:CompileCommand=quiet",
    "-XX:CompileCommand=dontinline,org.apache.kafka.storage.internals.log.LogSegment::translateOffset",
)
"""Compiles the segment's offset lookup apart from the fetch's read path (``LocalLog.lambda$read$12``).

Inlined there, C2 took 7-9 s of a core and about 280 MiB of scratch memory on one compile (a 217 KB
method), half a minute into ``make run``: the broker's RSS went from 440 to 700-740 MiB until the
native heap was trimmed, the whole system's peak (README, "Soaks"). Apart, the read path compiles in
0.5 s to 36 KB and the broker stays near 440 MiB; the lookup costs one call per fetched partition."""


def broker_heap_mb(log_dir: Path) -> int:
    """The broker's heap: 192 MB, or twice what it will hold when its log folder has thousands of partitions.

    Tests and benchmarks leave topics behind on a platform kept from run to run; a fixed heap that fits
    ``make run`` four times over then runs out. Counted before the start, from the partitions' folders
    (``<topic>-<n>``; not those being deleted, nor the cluster's metadata log).
    """
    partitions = sum(
        1
        for entry in (log_dir.iterdir() if log_dir.is_dir() else ())
        if entry.is_dir()
        and entry.name.rpartition("-")[2].isdigit()
        and not entry.name.startswith("__cluster_metadata")
    )
    live_mb = 64 + partitions * HEAP_PER_PARTITION_KB / 1024
    return max(BROKER_HEAP_MB, 64 * math.ceil(2 * live_mb / 64))


def cluster_dir(settings: Settings, brokers: int) -> Path:
    return settings.data_dir / "kafka" / f"{brokers}-broker{'s' if brokers > 1 else ''}"


def replication(brokers: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a cluster of ``brokers`` nodes."""
    return (3, 2) if brokers >= 3 else (brokers, 1)


def broker_properties(settings: Settings, brokers: int, node_id: int) -> str:
    factor, min_isr = replication(brokers)
    voters = ",".join(f"{n}@{LISTEN_HOST}:{settings.controller_port(n)}" for n in range(1, brokers + 1))
    port = settings.broker_port(node_id)
    listeners = {"PLAINTEXT": port, "CONTROLLER": settings.controller_port(node_id)}
    internal = settings.internal_broker_port(node_id)
    if internal:
        # Where a configuration written for the classic compose file (kafka0:19092) lands once the
        # compose host name means this machine; it advertises localhost, as the PLAINTEXT one does.
        listeners["INTERNAL"] = internal
    advertised = {name: number for name, number in listeners.items() if name != "CONTROLLER"}
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node_id}",
            f"controller.quorum.voters={voters}",
            "listeners=" + ",".join(f"{name}://{LISTEN_HOST}:{number}" for name, number in listeners.items()),
            "advertised.listeners=" + ",".join(f"{name}://localhost:{number}" for name, number in advertised.items()),
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=" + ",".join(f"{name}:PLAINTEXT" for name in listeners),
            f"log.dirs={cluster_dir(settings, brokers) / f'broker-{node_id}'}",
            f"default.replication.factor={factor}",
            f"min.insync.replicas={min_isr}",
            f"offsets.topic.replication.factor={factor}",
            f"transaction.state.log.replication.factor={factor}",
            f"transaction.state.log.min.isr={min_isr}",
            f"share.coordinator.state.topic.replication.factor={factor}",
            f"share.coordinator.state.topic.min.isr={min_isr}",
            # A laptop cluster: no waiting for more group members, few threads.
            "group.initial.rebalance.delay.ms=0",
            "num.network.threads=2",
            "num.io.threads=4",
            "num.partitions=1",
            # One partition for each internal topic instead of 50: a restarted broker loads and leads
            # every partition before it serves, and these two were 100 of the 300 after one make run.
            f"offsets.topic.num.partitions={INTERNAL_PARTITIONS}",
            f"transaction.state.log.num.partitions={INTERNAL_PARTITIONS}",
            # The log cleaner's map of keys (24 bytes each) is allocated whole on the heap at start:
            # Kafka's default of 128 MiB was two thirds of the broker's live heap. 8 MiB holds
            # 350,000 keys a pass; the compacted topics here hold a few thousand.
            f"log.cleaner.dedupe.buffer.size={CLEANER_BUFFER}",
            # Kafka 4 refuses records timed more than an hour ahead of the broker's clock. KSQL's
            # TURNSTILE_HOURLY writes the simulation's time, which runs ahead: Kafka 3's default.
            f"log.message.timestamp.after.max.ms={2**63 - 1}",
            *_shutdown(brokers),
            "",
        ]
    )


def _shutdown(brokers: int) -> list[str]:
    """No controlled shutdown in a cluster of several nodes: ``stack down`` stops them together.

    A broker's controlled shutdown waits for the controller quorum to approve it, and each node here
    is also a controller: once two of three nodes had stopped, the last one's approval could never
    be committed, and it waited until ``down`` killed it a minute later (measured: 66 s, then a log
    recovery at the next start). Moving leaders to brokers that are stopping too gains nothing; a
    broker killed alone (the fault tests) is fenced after the session timeout either way.
    """
    return ["controlled.shutdown.enable=false"] if brokers > 1 else []


def prepare(settings: Settings, java: str, classpath: str, brokers: int) -> list[Path]:
    """Writes each node's properties and formats its storage once; returns the property files."""
    root = cluster_dir(settings, brokers)
    root.mkdir(parents=True, exist_ok=True)
    id_file = root / "cluster.id"
    if not id_file.exists():
        # KRaft cluster ids are 16 random bytes in URL-safe base64 without padding.
        id_file.write_text(new_cluster_id())
    cluster_id = id_file.read_text().strip()
    configs = []
    for node_id in range(1, brokers + 1):
        config = root / f"broker-{node_id}.properties"
        config.write_text(broker_properties(settings, brokers, node_id))
        configs.append(config)
        if not (root / f"broker-{node_id}" / "meta.properties").exists():
            command = java_command(
                java,
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                "-t",
                cluster_id,
                "-c",
                str(config),
                heap="64m:256m",
                jvm_opts=settings.jvm_opts,
                options=_tool_options(settings, java, classpath),
            )
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise StackError(
                    f"Formatting Kafka storage for broker {node_id} failed: {result.stdout}{result.stderr}".strip()
                )
    return configs


def _tool_options(settings: Settings, java: str, classpath: str) -> tuple[str, ...]:
    """A short-lived tool's JVM: the first broker's class archive when there is one (same jars), never
    writing one, and the quick compiler alone (C2 pays off only in a long run).

    Measured on one format: 2.6 CPU-seconds as a broker's JVM, 1.0 with the archive, 0.7 with both.
    """
    archive = class_archive(settings.cache_dir, java, classpath, "kafka-1")
    return ("-XX:TieredStopAtLevel=1", *(class_sharing(archive) if archive.exists() else ()))


def new_cluster_id() -> str:
    """A KRaft cluster id that never starts with "-", which kafka-storage would read as an option.

    Kafka's own ``Uuid.randomUuid`` draws again for the same reason; one id in 64 starts with it.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def launches(settings: Settings, java: str, classpath: str, brokers: int) -> list[Launch]:
    """One combined broker and controller per node, its storage formatted on first start."""

    def launch(node_id: int, config: Path) -> Launch:
        port = settings.broker_port(node_id)
        internal = settings.internal_broker_port(node_id)
        return Launch(
            name=f"kafka-{node_id}",
            port=port,
            command=service_command(
                java,
                classpath,
                "kafka.Kafka",
                str(config),
                heap=f"{broker_heap_mb(cluster_dir(settings, brokers) / f'broker-{node_id}')}m",
                jvm_opts=settings.jvm_opts,
                options=READ_PATH_COMPILE,
                archive=class_archive(settings.cache_dir, java, classpath, f"kafka-{node_id}"),
            ),
            stop_timeout=60,
            before_start=(
                (lambda: require_free_port(internal, f"Kafka broker {node_id}'s INTERNAL listener"))
                if internal
                else None
            ),
        )

    configs = prepare(settings, java, classpath, brokers)
    return [launch(node_id, config) for node_id, config in enumerate(configs, start=1)]


def broker_is_serving(port: int, brokers: int) -> bool:
    """A metadata request to the broker on ``port``: are ``brokers`` brokers up, every partition led?

    After a restart a broker answers metadata before partition leaders are elected again; clients
    started in that moment fail with NOT_LEADER_FOR_PARTITION, so that is not healthy yet.
    """
    if not port_in_use(port):  # spares the client's connection-refused warnings while starting
        return False
    admin = AdminClient(
        {"bootstrap.servers": f"localhost:{port}", "log_level": 0, "socket.connection.setup.timeout.ms": 2000}
    )
    try:
        metadata = admin.list_topics(timeout=2)
    except Exception:
        return False
    partitions = [p for topic in metadata.topics.values() for p in topic.partitions.values()]
    return len(metadata.brokers) >= brokers and all(p.leader >= 0 and p.error is None for p in partitions)
