"""A real PostgreSQL server for the session, started from Debian's `postgresql` binaries.

PostgreSQL refuses to run as root, and the suite runs as root here and in CI: the server then
runs as `nobody` (`runuser`), in a folder of its own under the system temporary directory (the
test's own temporary folders are private to root). It listens on a free loopback port with a
password, as a shared deployment's database would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from system_tools import free_port, require_or_skip

PG_ROOTS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    db: str

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its connection from."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_DB": self.db, "DAGSTER_PG_USERNAME": self.user,
                "DAGSTER_PG_PASSWORD": self.password}

    def connect(self):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=self.db)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    require_or_skip(PG_ROOTS, "PostgreSQL", "apt-get install postgresql")
    bindir = PG_ROOTS[0]
    # runuser lives in sbin, which a CI shell's PATH may leave out.
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    as_user = [runuser or "runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="datacymru-pg-"))
    password = "datacymru-test"
    (root / "pw").write_text(password, encoding="utf-8")
    if as_user:
        shutil.chown(root, "nobody")
        shutil.chown(root / "pw", "nobody")

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args[0]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"

    port = free_port()
    run(str(bindir / "initdb"), "-D", str(root / "data"), "-U", "dagster", "-E", "UTF8",
        "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}", "--no-instructions")
    run(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start")
    try:
        server = Postgres("127.0.0.1", port, "dagster", password, "postgres")
        con = server.connect()
        con.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        con.cursor().execute("CREATE DATABASE dagster")
        con.close()
        yield Postgres("127.0.0.1", port, "dagster", password, "dagster")
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)
