"""Child processes of a test: the application's scripts and our servers, started as their users start them."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from clients.endpoints import PROJECT_ROOT
from tests.support.waiting import wait_for

PRIVATE_PORTS = range(20000, 32000)
"""Where private servers and platforms listen: below Linux's ephemeral range (32768-60999), so that no
client's outgoing connection can take a port between the moment it is chosen and the moment it is bound."""
_handed_out: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*companions: int) -> int:
    """A port nobody listens on and this test run has not handed out, with ``port + c`` free for each companion."""
    while True:
        port = random.choice(PRIVATE_PORTS)
        wanted = [port, *(port + c for c in companions)]
        if not _handed_out.intersection(wanted) and all(_bindable(p) for p in wanted):
            _handed_out.update(wanted)
            return port


def private_env(data_dir: Path, brokers: int = 1) -> dict[str, str]:
    """The endpoints of a private platform on free ports, with its data in ``data_dir``.

    A broker's KRaft controller listens 1000 above its client port (``stack/settings.py``), so each
    broker's pair is chosen together.
    """
    kafka = free_port(*range(1, brokers), *range(1000, 1000 + brokers))
    return {
        "KAFKA_BOOTSTRAP_SERVERS": ",".join(f"PLAINTEXT://localhost:{kafka + n}" for n in range(brokers)),
        "SCHEMA_REGISTRY_URL": f"http://localhost:{free_port()}",
        "REST_PROXY_URL": f"http://localhost:{free_port()}",
        "KAFKA_CONNECT_URL": f"http://localhost:{free_port()}",
        "KSQL_URL": f"http://localhost:{free_port()}",
        "POSTGRES_URL": f"postgresql://cta_admin:chicago@localhost:{free_port()}/cta",
        "WEB_PORT": str(free_port()),
        "FAUST_WEB_PORT": str(free_port()),
        "STACK_DATA_DIR": str(data_dir),
    }


class Script:
    """A child process of a test, logged: the one process wrapper of the tests.

    ``argv`` is what a user types: a script file (``server.py``) or a module (``-m stack.ksql``) runs
    with the venv's Python, anything else is one of the venv's programs (``faust ...``).
    """

    def __init__(self, folder: Path, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.folder, self.argv, self.log, self.env = folder, argv, log, env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Script:
        first, *rest = self.argv
        python = first.endswith(".py") or first == "-m"
        command = [sys.executable, first, *rest] if python else [str(Path(sys.executable).parent / first), *rest]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )
        return self

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (each script then flushes and exits), SIGKILL if it has not stopped in ``timeout`` s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def wait_answering(self, url: str, timeout: float = 120.0) -> None:
        """Waits until ``url`` answers 200; fails at once, with the log's end, if the process exits first."""

        def answering() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{' '.join(self.argv)} exited; the end of {self.log}:\n{self.output()[-3000:]}")
            try:
                return requests.get(url, timeout=10).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answering, f"{' '.join(self.argv)} to answer on {url}", timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would end it: nothing flushed, nothing closed."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def run_stack(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m stack ARGS`` for a private platform (its ports and data folder in ``env``)."""
    result = subprocess.run(
        [sys.executable, "-m", "stack", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"stack {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
