"""Kafka's own command-line tools, run from the cached jars: ``python -m stack kafka-topics --list``.

The bootstrap server of the running platform is filled in when the command does not name one.
"""

from __future__ import annotations

import os
import subprocess

from stack.common.errors import StackError
from stack.platform import jars
from stack.platform.java import java_command
from stack.platform.prerequisites import require_java
from stack.settings import Settings

TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
}


def command(settings: Settings, tool: str, args: list[str], bootstrap: str) -> list[str]:
    found = jars.locate(settings.cache_dir)
    if not found.root.exists():
        raise StackError("The Kafka jars are not fetched yet: run `python -m stack up` once.")
    if "--bootstrap-server" not in args and not any(a.startswith("--bootstrap-server=") for a in args):
        args = ["--bootstrap-server", bootstrap, *args]
    java = require_java(settings.java_home)
    full = java_command(java, found.kafka_classpath, TOOLS[tool], *args, heap="32m:256m", jvm_opts=settings.jvm_opts)
    # Tools print their answer on stdout; their logging goes to stderr and only when it matters.
    return [full[0], "-Dstack.log.level=WARN", "-Dstack.log.target=SYSTEM_ERR", *full[1:]]


def run(settings: Settings, tool: str, args: list[str], bootstrap: str) -> int:
    try:
        return subprocess.call(command(settings, tool, args, bootstrap), env=os.environ)
    except KeyboardInterrupt:
        return 130
