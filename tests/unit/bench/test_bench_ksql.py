"""The KSQL benchmark's private server on a fresh checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_ksql


def test_the_server_log_goes_to_the_data_folder_even_before_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh checkout has no data folder yet: the benchmark made its log there and failed."""
    monkeypatch.setenv("STACK_DATA_DIR", str(tmp_path / "not-yet"))
    broken_python = {"PYTHONHOME": str(tmp_path / "no-python-here")}  # the server exits at once
    with pytest.raises(RuntimeError, match=r"bench-ksql\.log"):
        bench_ksql._start_server(broken_python, "http://127.0.0.1:9")
    assert (tmp_path / "not-yet" / "bench-ksql.log").stat().st_size > 0
