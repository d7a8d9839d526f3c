"""The platform's JVMs hold their whole heap resident from the start, so their memory cannot grow later."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import psutil
import pytest

from stack.platform import jars, lifecycle
from stack.platform.java import accepts
from stack.platform.kafka import READ_PATH_COMPILE
from stack.platform.prerequisites import require_java
from stack.settings import Settings, load

HEAP_RANGE = re.compile(r"heap\s+total \d+K, used \d+K \[0x([0-9a-f]+), 0x([0-9a-f]+)\)")


def resident_bytes(pid: int, start: int, end: int) -> int:
    """Bytes of the address range [start, end) of ``pid`` that are resident, from /proc/<pid>/smaps."""
    resident, inside = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if mapping := re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line):
            low, high = int(mapping[1], 16), int(mapping[2], 16)
            inside = start <= low and high <= end
        elif inside and line.startswith("Rss:"):
            resident += int(line.split()[1]) * 1024
    return resident


def heap_range(pid: int) -> tuple[int, int]:
    """The address range the JVM reserved for its heap (its -Xmx), as ``jcmd GC.heap_info`` reports it."""
    jcmd = Path(require_java(load().java_home)).with_name("jcmd")
    info = subprocess.run([str(jcmd), str(pid), "GC.heap_info"], capture_output=True, text=True, check=True).stdout
    found = HEAP_RANGE.search(info)
    assert found, info
    return int(found[1], 16), int(found[2], 16)


def test_every_jvm_of_the_platform_has_its_whole_heap_resident(running_platform: Settings) -> None:
    """Started with -Xms below -Xmx, Kafka's heap grew from 256 to 512 MB over a quarter of an hour of work."""
    jvms = {name: entry for name, entry in lifecycle.running_services(running_platform).items()}
    jvms = {name: entry for name, entry in jvms.items() if name.startswith("kafka-") or name == "connect"}
    assert "kafka-1" in jvms and "connect" in jvms
    for name, entry in jvms.items():
        start, end = heap_range(entry.pid)
        resident = resident_bytes(entry.pid, start, end)
        assert resident >= 0.99 * (end - start), f"{name}: {resident / 2**20:.0f} of {(end - start) / 2**20:.0f} MiB"


@pytest.mark.parametrize(("options", "expected"), [(("-Xss1m",), True), (("-XX:+NoSuchOptionOfAnyJvm",), False)])
def test_an_option_the_jvm_does_not_know_is_left_out_rather_than_stopping_it(
    options: tuple[str, ...], expected: bool
) -> None:
    assert accepts(require_java(load().java_home), options) is expected


def test_the_broker_compiles_the_segment_offset_lookup_apart_from_the_fetch_read_path(
    running_platform: Settings,
) -> None:
    """Inlined into the read path, that lookup made one C2 compile take 7-9 s and about 280 MiB of native
    memory, the whole system's peak (README, "Soaks"). The option names a method of the Kafka in use: a
    pattern that matches nothing would silently bring the peak back after an upgrade."""
    broker = lifecycle.running_services(running_platform)["kafka-1"]
    assert set(READ_PATH_COMPILE) <= set(psutil.Process(broker.pid).cmdline())
    pattern = READ_PATH_COMPILE[-1].rsplit(",", 1)[1]
    class_name, method = pattern.split("::")
    entry = class_name.replace(".", "/") + ".class"
    classpath = Path(jars.ensure(running_platform.cache_dir).kafka_classpath.rstrip("*"))
    found = [
        zipfile.ZipFile(jar).read(entry) for jar in classpath.glob("*.jar") if entry in zipfile.ZipFile(jar).namelist()
    ]
    assert len(found) == 1 and method.encode() in found[0], f"{pattern} is not in {classpath}"
