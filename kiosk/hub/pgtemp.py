"""A throwaway PostgreSQL (Debian's binaries) in a temp dir on a Unix socket: for the tests and
`kiosk hub bench`, never for a real hub."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class TempPostgres:
    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (Debian package postgresql; `make test` installs it)")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))  # the postgres user must be able to read it
        self.as_pg: dict = {}
        if os.getuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_pg = {"user": "postgres", "group": "postgres"}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._pg("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--no-locale", "--no-sync", "-N")
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses='' -c fsync=off -c max_connections=300",
                 "start")
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.dir}&port={self.port}"

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run([f"{self.bin}/{tool}", *args], cwd=self.dir, check=True, capture_output=True, timeout=60,
                       **self.as_pg)

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
