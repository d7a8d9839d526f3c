"""The platform's JVMs share their classes through an archive the first start writes and later starts map."""

from __future__ import annotations

import subprocess
from pathlib import Path

from stack.platform.java import class_archive, class_sharing
from stack.platform.prerequisites import require_java
from stack.settings import load


def test_a_jvm_writes_the_archive_at_exit_and_the_next_one_maps_it(tmp_path: Path) -> None:
    java = require_java(load().java_home)
    archive = class_archive(tmp_path, java, "some/jars/*", "kafka-1")
    first = class_sharing(archive)
    assert first == (f"-XX:ArchiveClassesAtExit={archive}",)
    subprocess.run([java, *first, "-version"], capture_output=True, check=True)
    assert archive.exists()
    second = class_sharing(archive)
    assert second == (f"-XX:SharedArchiveFile={archive}",)
    # -Xshare:on: a JVM that cannot map the archive refuses to start instead of running without it.
    mapped = subprocess.run([java, "-Xshare:on", *second, "-version"], capture_output=True, text=True, check=False)
    assert mapped.returncode == 0, mapped.stderr


def test_each_service_and_each_set_of_jars_has_its_own_archive(tmp_path: Path) -> None:
    java = require_java(load().java_home)
    archives = {
        class_archive(tmp_path, java, "a/*", "kafka-1"),
        class_archive(tmp_path, java, "b/*", "kafka-1"),
        class_archive(tmp_path, java, "a/*", "connect"),
    }
    assert len(archives) == 3
    assert class_archive(tmp_path, java, "a/*", "kafka-1") in archives  # the same inputs, the same archive
