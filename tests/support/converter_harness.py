"""Our converter classes driven as a Connect worker drives them, through ConverterHarness.java.

A sink reads a record by calling its converter's ``toConnectData``; the harness does just that
with the converter jar Connect loads, and answers Connect's schema and value as Kafka's
JsonConverter writes them with schemas, so a test sees every name, version and parameter a sink
would. ``from_connect`` goes the other way, as a source task's records do. One JVM serves a whole
test module (``java`` runs the harness from its source file, no build step).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from stack.platform import jars
from stack.platform.prerequisites import require_java
from stack.settings import Settings

HARNESS = Path(__file__).with_name("ConverterHarness.java")
AVRO = "io.confluent.connect.avro.AvroConverter"
JSON_SCHEMA = "io.confluent.connect.json.JsonSchemaConverter"


class ConverterError(Exception):
    """The converter threw; the message holds the exception's and its causes' messages."""


class ConverterHarness:
    """One JVM running ConverterHarness.java; one request a line, one answer a line."""

    def __init__(self, settings: Settings) -> None:
        located = jars.locate(settings.cache_dir)
        # The converters' own jars first: they bring newer Jackson than Kafka's folder.
        classpath = os.pathsep.join([str(located.connect_plugins / "converters" / "*"), located.kafka_classpath])
        self._process = subprocess.Popen(
            [require_java(settings.java_home), "-cp", classpath, str(HARNESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, f"the converter harness exited with code {self._process.poll()}"
        answer = json.loads(line)
        if "error" in answer:
            raise ConverterError(answer["error"])
        return answer

    def to_connect(
        self, converter: str, config: dict[str, str], topic: str, data: bytes | None, is_key: bool = False
    ) -> dict[str, Any] | None:
        """The converter's Connect schema and value for ``data`` ({"schema": ..., "payload": ...}), None for null."""
        encoded = None if data is None else base64.b64encode(data).decode()
        request = {"op": "toConnect", "converter": converter, "config": config, "isKey": is_key, "topic": topic}
        return self._ask({**request, "data": encoded})["envelope"]

    def from_connect(
        self, converter: str, config: dict[str, str], topic: str, envelope: dict[str, Any], is_key: bool = False
    ) -> bytes | None:
        """The bytes the converter writes for Connect data given as {"schema": ..., "payload": ...}."""
        request = {"op": "fromConnect", "converter": converter, "config": config, "isKey": is_key, "topic": topic}
        data = self._ask({**request, "envelope": envelope})["data"]
        return None if data is None else base64.b64decode(data)
