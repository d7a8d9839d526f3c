"""Fetches the platform's jars with Maven once and reuses them from a git-ignored cache.

``stack/pom.xml`` names every jar. Its modules copy their runtime classpaths into a folder named
after a hash of the pom files and of our connectors' sources (``stack/connectors/``, built by the
same Maven run), so changing a version or a connector builds a fresh set and unchanged inputs
never call Maven (or the network) again.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stack.common.errors import StackError
from stack.platform.prerequisites import require_maven

POM_DIR = Path(__file__).resolve().parent.parent  # stack/pom.xml: the Maven build of every jar
CONNECTORS_DIR = POM_DIR / "connectors"
COMPLETE_MARKER = ".complete"
BUILD_DIR = ".build"  # Maven's target folders, kept out of the source tree
DOWNLOADED = re.compile(r"Downloaded from \S+: \S+ \((\d+(?:\.\d+)?) (B|kB|MB)")
UNIT_BYTES = {"B": 1, "kB": 1000, "MB": 1000_000}


@dataclass(frozen=True)
class Jars:
    """Folders of one resolved set of jars."""

    root: Path

    @property
    def kafka_classpath(self) -> str:
        return str(self.root / "kafka" / "*")

    @property
    def connect_plugins(self) -> Path:
        return self.root / "connect-plugins"


def _pom_files() -> list[Path]:
    return sorted([POM_DIR / "pom.xml", *POM_DIR.glob("jars/*/pom.xml")])


def _connector_sources() -> list[Path]:
    return sorted(p for p in CONNECTORS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _pom_hash() -> str:
    """A hash of every input of the Maven run: the poms and the connectors' sources, with their paths."""
    digest = hashlib.sha256()
    for pom in _pom_files():
        digest.update(pom.read_bytes())
    for source in _connector_sources():
        digest.update(str(source.relative_to(POM_DIR)).encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def locate(cache_dir: Path) -> Jars:
    return Jars(cache_dir / "jars" / _pom_hash())


def ensure(cache_dir: Path) -> Jars:
    """The jars for the current pom, fetching them with Maven if this pom has not been resolved yet."""
    jars = locate(cache_dir)
    if (jars.root / COMPLETE_MARKER).exists():
        return jars
    mvn = require_maven()
    staging = jars.root.with_name(jars.root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    print(
        "Fetching the Kafka and Kafka Connect jars and building our JDBC connector and converters with Maven "
        "(first run only, about 60 MB)...",
        flush=True,
    )
    started = time.monotonic()
    command = [mvn, "-B", "-f", str(POM_DIR / "pom.xml"), "package", f"-Djars.dir={staging}"]
    _run_with_progress(command)
    shutil.rmtree(staging / BUILD_DIR, ignore_errors=True)
    staging.joinpath(COMPLETE_MARKER).write_text(" ".join(p.name for p in _pom_files()) + "\n")
    staging.rename(jars.root)
    print(f"Jars are ready in {jars.root} ({time.monotonic() - started:.0f} s).", flush=True)
    return jars


def _run_with_progress(command: list[str]) -> None:
    """Runs Maven, printing a progress line every few seconds instead of its own wall of output."""
    files, size = 0, 0.0
    output: list[str] = []
    done = threading.Event()

    def report() -> None:
        while not done.wait(3):
            print(f"  ... {files} files downloaded so far ({size / 1e6:.1f} MB)", flush=True)

    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if match := DOWNLOADED.search(line):
            files += 1
            size += float(match.group(1)) * UNIT_BYTES[match.group(2)]
    done.set()
    if process.wait() != 0:
        sys.stderr.write("".join(output[-40:]))
        raise StackError(
            "Maven could not fetch or build the jars (its last lines are above): "
            "check the network to the Maven repository (or the compiler errors) and run again."
        )
