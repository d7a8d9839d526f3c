"""A Kafka Connect distributed worker with our JDBC source connector and converters on its plugin path.

Distributed mode keeps connector configs, offsets and status in Kafka topics, so connectors and
their progress survive restarts, exactly as on the Confluent images.

The worker's JVM resolves host names from a hosts file of its own (``jdk.net.hosts.file``), written
at each start: the Docker Compose host names (``postgres``, ``kafka0``, ``schema-registry``, ...)
mean this machine, so a connector configuration written for the classic project's Docker setup
(``jdbc:postgresql://postgres:5432/cta``) works unmodified. With that option the JVM resolves *only*
from the file: it also lists ``localhost`` and this machine's own name, and a name in no entry
(a database on another host) does not resolve; use its IP address.
"""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from clients.endpoints import LISTEN_HOST
from stack.common.hosts import COMPOSE_HOSTS
from stack.platform.java import class_archive, service_command
from stack.platform.kafka import INTERNAL_PARTITIONS, replication
from stack.platform.supervisor import Launch
from stack.settings import Settings

JDBC_SOURCE = "org.chicago.cta.connect.jdbc.JdbcSourceConnector"
WORKER_HEAP = "96m"
"""Measured with GC logs (README, "Soaks"): at five times make run's pace the worker holds 17-19 MB after a full GC.
Copying a 1,000,000-row table (``bench/bench_jdbc.py``) with Kafka's default 32 MiB producer buffer it held
233 MB after a full GC, 251,000 records waiting for Kafka's acknowledgement, and ran out of this heap; with a
4 MiB buffer 54-57 MB after full GCs forced by a full heap; with :data:`TASK_PRODUCER_BUFFER` (1 MiB) 42-48 MB
after marking, no full GC (bulk 27,401 rows/s, incrementing 32,803; with a 512 MB heap and the default buffer
16,353 and 82,955, at the same load). So the task is bounded, not the heap: the whole system's 1 GiB has no
256 MB to spare."""
TASK_PRODUCER_BUFFER = 2**20
"""Bytes a source task's producer buffers (Kafka's default: 32 MiB), and so records a task holds: about 8,000
rows of 130 bytes."""
REQUIRED_PLUGIN = JDBC_SOURCE
"""Our connector (stack/connectors/jdbc): Connect is ready once it lists it."""


def worker_properties(settings: Settings, brokers: int, plugins: Path) -> str:
    factor, _ = replication(brokers)
    return "\n".join(
        [
            f"bootstrap.servers={settings.bootstrap_servers(brokers)}",
            "group.id=cta-connect",
            f"listeners=http://{LISTEN_HOST}:{settings.connect_port}",
            f"rest.advertised.host.name={LISTEN_HOST}",
            f"rest.advertised.port={settings.connect_port}",
            # JSON without embedded schemas, as docs/contracts.md specifies the stations topic.
            "key.converter=org.apache.kafka.connect.json.JsonConverter",
            "value.converter=org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable=false",
            "value.converter.schemas.enable=false",
            "config.storage.topic=_connect-configs",
            "offset.storage.topic=_connect-offsets",
            "status.storage.topic=_connect-status",
            f"config.storage.replication.factor={factor}",
            f"offset.storage.replication.factor={factor}",
            f"status.storage.replication.factor={factor}",
            f"offset.storage.partitions={INTERNAL_PARTITIONS}",  # Connect's defaults: 25 and 5
            f"status.storage.partitions={INTERNAL_PARTITIONS}",
            "offset.flush.interval.ms=5000",
            # Bounds what a source task holds on the heap: Connect keeps each record it handed the
            # producer (about 950 bytes of objects for a 130-byte row) until Kafka acknowledges it,
            # and the producer takes records until its buffer is full. See WORKER_HEAP.
            f"producer.buffer.memory={TASK_PRODUCER_BUFFER}",
            f"plugin.path={plugins}",
            # Find plugins by their ServiceLoader manifests (Kafka's and our connector ship them):
            # the worker is up in ~7 s instead of ~13 s spent scanning every class by reflection.
            "plugin.discovery=service_load",
            "",
        ]
    )


def hosts_file() -> str:
    """The names Connect's JVM resolves: localhost and the compose host names as loopback, this machine's own name.

    Lower-case only: Java looks names up in the file case-sensitively.
    """
    own_name = socket.gethostname()
    try:
        own_address = socket.gethostbyname(own_name)
    except OSError:
        own_address = LISTEN_HOST
    lines = [
        "# Written by `python -m stack up` for Kafka Connect's JVM (-Djdk.net.hosts.file); rewritten at each start.",
        f"{LISTEN_HOST} localhost {' '.join(COMPOSE_HOSTS)}",
        f"{own_address} {own_name}",
        "",
    ]
    return "\n".join(lines)


def launch(settings: Settings, java: str, classpath: str, brokers: int, plugins: Path) -> Launch:
    folder = settings.data_dir / "connect"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "worker.properties"
    config.write_text(worker_properties(settings, brokers, plugins))
    hosts = folder / "hosts"
    hosts.write_text(hosts_file())
    return Launch(
        name="connect",
        port=settings.connect_port,
        command=service_command(
            java,
            classpath,
            "org.apache.kafka.connect.cli.ConnectDistributed",
            str(config),
            heap=WORKER_HEAP,
            jvm_opts=settings.jvm_opts,
            options=[f"-Djdk.net.hosts.file={hosts}"],
            archive=class_archive(settings.cache_dir, java, classpath, "connect"),
        ),
        stop_timeout=30,
    )


def is_ready(port: int, plugin_class: str) -> bool:
    """Has the worker finished starting (``GET /health``), and does it list ``plugin_class`` among its plugins?

    The REST API lists plugins seconds before the worker has read its topics and joined its group;
    until then a request to create a connector waits, and a client's timeout may end it first.
    """
    base = f"http://{LISTEN_HOST}:{port}"
    try:
        if requests.get(f"{base}/health", timeout=2).status_code != 200:
            return False
        response = requests.get(f"{base}/connector-plugins", timeout=2)
    except requests.RequestException:
        return False
    return response.ok and any(p.get("class") == plugin_class for p in response.json())
