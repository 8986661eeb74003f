"""Hubs on this machine, for the tests and `kiosk hub bench`, never for a real deployment: a hub process on a
free loopback port, and a throwaway PostgreSQL (Debian's binaries) in a temp dir on a Unix socket."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(db: str, *extra: str, env: dict[str, str] | None = None,
              log: Path | None = None, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`kiosk hub serve` on a free loopback port, once it answers /healthz (``extra``: more serve flags;
    ``env``: more environment, e.g. KIOSK_HUB_OFFLINE_AFTER_S; ``log``: a file for its stderr; ``port``: this one,
    e.g. to name it in --public-url)."""
    import httpx

    port = port or free_port()
    # A file, not a pipe: a hub that logs a lot never blocks on it.
    err = open(log, "w+b") if log is not None else tempfile.TemporaryFile()
    p = subprocess.Popen([sys.executable, "-m", "kiosk", "hub", "serve", "--db", db, "--port", str(port), *extra],
                         stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            time.sleep(0.1)
        if p.poll() is not None:
            break
    p.kill()
    p.wait()
    err.seek(0)
    raise RuntimeError(f"hub did not start: {err.read().decode(errors='replace')[-400:]}")


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
        self.port = free_port()
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
