"""The command line of a Java process of the platform: heap, GC, logging and classpath."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

LOG4J_CONFIG = Path(__file__).resolve().parent / "config" / "log4j2.properties"


def java_command(
    java: str, classpath: str, main_class: str, *args: str, heap: str, options: Sequence[str] = ()
) -> list[str]:
    """``java`` with a laptop-sized heap (``heap`` like ``"256m:512m"`` = initial:max) and the service's ``options``.

    STACK_JVM_OPTS adds options, for example to enlarge heaps on a big machine.
    """
    initial, maximum = heap.split(":")
    return [
        java,
        f"-Xms{initial}",
        f"-Xmx{maximum}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        *options,
        *os.environ.get("STACK_JVM_OPTS", "").split(),
        "-cp",
        classpath,
        main_class,
        *args,
    ]
