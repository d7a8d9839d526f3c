"""The command line of a Java process of the platform: heap, GC, logging and classpath."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from pathlib import Path

LOG4J_CONFIG = Path(__file__).resolve().parent / "config" / "log4j2.properties"
TRIM_NATIVE_HEAP = ("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=5000")
"""Returns freed C heap to the system every 5 s (Java 17.0.9 and later; experimental before 17.0.12).

Without it a JIT compilation's scratch memory, freed afterwards, stays resident: a C2 compile
in the Kafka broker peaked at 315 MB, and the broker's RSS stayed 275 MB above what the JVM used.
"""


def java_command(
    java: str,
    classpath: str,
    main_class: str,
    *args: str,
    heap: str,
    jvm_opts: Sequence[str],
    options: Sequence[str] = (),
) -> list[str]:
    """``java`` with a laptop-sized heap (``heap`` like ``"256m:512m"`` = initial:max) and the service's ``options``.

    ``options`` come before ``jvm_opts`` (STACK_JVM_OPTS), which add options (for example to enlarge
    heaps on a big machine) and, coming last, override them.
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
        *jvm_opts,
        "-cp",
        classpath,
        main_class,
        *args,
    ]


def service_command(
    java: str,
    classpath: str,
    main_class: str,
    *args: str,
    heap: str,
    jvm_opts: Sequence[str],
    options: Sequence[str] = (),
) -> list[str]:
    """A long-running JVM whose memory is flat from the start: a fixed ``heap`` (like ``"256m"``), resident at once.

    A heap that starts small grows to its maximum over a quarter of an hour of work, and the
    pages it touches stay resident: ``-Xms`` = ``-Xmx`` with ``AlwaysPreTouch`` makes the whole
    heap resident at start instead. The heap sizes come from a measurement (README, "Soaks").
    """
    memory = ("-XX:+AlwaysPreTouch", *(TRIM_NATIVE_HEAP if accepts(java, TRIM_NATIVE_HEAP) else ()))
    options = [*memory, *options]
    return java_command(java, classpath, main_class, *args, heap=f"{heap}:{heap}", jvm_opts=jvm_opts, options=options)


@functools.cache
def accepts(java: str, options: tuple[str, ...]) -> bool:
    """Does this ``java`` start with ``options``? A JVM refuses to start with an option it does not know."""
    result = subprocess.run([java, *options, "-version"], capture_output=True, check=False)
    return result.returncode == 0
