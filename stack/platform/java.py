"""The command line of a Java process of the platform: heap, GC, logging and classpath."""

from __future__ import annotations

import functools
import hashlib
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


def class_archive(cache_dir: Path, java: str, classpath: str, name: str) -> Path:
    """Where the class data sharing archive of service ``name`` lives: one per JDK build and classpath.

    A JVM refuses an archive written by another JDK or for other jars, and then runs without it:
    the key keeps such an archive from shadowing the one it would write instead.
    """
    home = Path(java).resolve().parents[1]
    release = home / "release"
    key = hashlib.sha256(
        "\0".join([str(home), release.read_text() if release.exists() else "", classpath]).encode()
    ).hexdigest()[:12]
    return cache_dir / "cds" / f"{name}-{key}.jsa"


def class_sharing(archive: Path) -> tuple[str, ...]:
    """Maps the classes a service loaded last time from ``archive``, or writes it when this JVM exits.

    Loading and verifying Kafka's classes is a third of a broker's start. Java 17 has no
    ``-XX:+AutoCreateSharedArchive`` (Java 19): the first start writes the archive when it is stopped
    (``-XX:ArchiveClassesAtExit``), every later one maps it. A JVM that finds an archive it cannot use
    (another JDK, a file cut short) runs without it, so at worst a start is as slow as before.
    """
    if archive.exists():
        return (f"-XX:SharedArchiveFile={archive}",)
    archive.parent.mkdir(parents=True, exist_ok=True)
    return (f"-XX:ArchiveClassesAtExit={archive}",)


def service_command(
    java: str,
    classpath: str,
    main_class: str,
    *args: str,
    heap: str,
    jvm_opts: Sequence[str],
    options: Sequence[str] = (),
    archive: Path | None = None,
) -> list[str]:
    """A long-running JVM whose memory is flat from the start: a fixed ``heap`` (like ``"256m"``), resident at once.

    A heap that starts small grows to its maximum over a quarter of an hour of work, and the
    pages it touches stay resident: ``-Xms`` = ``-Xmx`` with ``AlwaysPreTouch`` makes the whole
    heap resident at start instead. The heap sizes come from a measurement (README, "Soaks").
    ``archive`` is the service's class data sharing archive (:func:`class_archive`).
    """
    memory = ("-XX:+AlwaysPreTouch", *(TRIM_NATIVE_HEAP if accepts(java, TRIM_NATIVE_HEAP) else ()))
    options = [*memory, *(class_sharing(archive) if archive else ()), *options]
    return java_command(java, classpath, main_class, *args, heap=f"{heap}:{heap}", jvm_opts=jvm_opts, options=options)


@functools.cache
def accepts(java: str, options: tuple[str, ...]) -> bool:
    """Does this ``java`` start with ``options``? A JVM refuses to start with an option it does not know."""
    result = subprocess.run([java, *options, "-version"], capture_output=True, check=False)
    return result.returncode == 0
