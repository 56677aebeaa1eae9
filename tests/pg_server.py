"""A throwaway PostgreSQL server for the tests, from Debian's `postgresql` package (no Docker):
initdb in a temporary directory, listening on a free port on 127.0.0.1 only, stopped afterwards.

`.ci/run` starts one for the whole run and exports AIOPS_TEST_POSTGRES_URL; without that variable
the `postgres_url` fixture (tests/conftest.py) starts its own, and skips the Postgres tests with the
reason when the binaries are missing (`apt-get install postgresql`)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ENV_URL = "AIOPS_TEST_POSTGRES_URL"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian puts them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One server cluster in a temporary directory; `url` connects as the superuser `aiops`."""

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="aiops-pg-"))
        self.port = _free_port()
        self.url = f"postgresql://aiops@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: then the cluster belongs to the `postgres` system user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "aiops", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "-N")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server (each test gets its own); its URL."""
    import psycopg

    name = f"t{time.time_ns():x}{os.getpid():x}"
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def main(argv: list[str]) -> int:
    """`python -m tests.pg_server start` prints `URL DIR` of a new server (left running);
    `python -m tests.pg_server stop DIR` stops it and removes DIR. Used by .ci/run."""
    if argv[:1] == ["start"]:
        server = PostgresServer()
        print(server.url, server.dir)
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        server = PostgresServer.__new__(PostgresServer)
        server.bin, server.dir = binaries() or Path("/usr/bin"), Path(argv[1])
        server._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        server.stop()
        return 0
    print("usage: python -m tests.pg_server start | stop DIR")
    return 2


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
