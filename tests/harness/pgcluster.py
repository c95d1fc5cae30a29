"""Throwaway PostgreSQL clusters for the integration/e2e tests.

A cluster lives in its own temporary directory: initdb (as the `postgres` user when
we are root, since initdb refuses root), a Unix socket inside that directory, TCP on
127.0.0.1 at a free port, fsync off. Nothing is skipped: if the server binaries are
missing or the server does not start, the caller gets an exception (a test failure).

Authentication: trust for everyone, except the role PASSWORD_ROLE which must use
scram-sha-256 over TCP, so that tests can exercise a wrong password.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

import psycopg2

PASSWORD_ROLE = "sluice_pw"
PASSWORD = "Corr3ct-h0rse-battery"


def _bindir() -> str:
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           check=True).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not cands:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return os.path.dirname(cands[-1])


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgCluster:
    def __init__(self, base_dir: str | None = None):
        self.bindir = _bindir()
        self.dir = tempfile.mkdtemp(prefix="sluice-pg-", dir=base_dir)
        self.data = os.path.join(self.dir, "pgdata")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "pg.log")
        self.port = 0
        self.host = "127.0.0.1"
        self._root = os.geteuid() == 0

    # -- process helpers -------------------------------------------------
    def _as_pg(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] + argv if self._root else argv

    def _run(self, argv: list[str]) -> None:
        r = subprocess.run(self._as_pg(argv), capture_output=True, text=True)
        if r.returncode != 0:
            logtail = ""
            if os.path.exists(self.log):
                with open(self.log, errors="replace") as f:
                    logtail = f.read()[-4000:]
            raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}\n{logtail}")

    def start(self) -> "PgCluster":
        if self._root:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir, 0o755)
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data, "--auth=trust",
                   "-U", "postgres", "-E", "UTF8", "--no-locale"])
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
                    "host all all 127.0.0.1/32 trust\n"
                    "host all all ::1/128 trust\n")
        if self._root:
            shutil.chown(os.path.join(self.data, "pg_hba.conf"), "postgres", "postgres")
        self._run(["mkdir", "-p", self.sock])
        last = None
        for _ in range(5):
            self.port = free_port()
            try:
                self._pg_ctl_start()
                break
            except RuntimeError as e:  # port race with a concurrent test: try another
                last = e
                time.sleep(0.2)
        else:
            raise RuntimeError(f"could not start PostgreSQL: {last}")
        self.exec_sql("postgres", f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD %s",
                      (PASSWORD,))
        return self

    def _pg_ctl_start(self, tcp: bool = True) -> None:
        listen = "127.0.0.1" if tcp else "''"
        opts = (f"-k {self.sock} -c listen_addresses={listen} -p {self.port} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50 "
                "-c password_encryption=scram-sha-256")
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.log,
                   "-w", "-t", "60", "-o", opts, "start"])

    # -- outages: the server goes away and comes back with its data -----------
    def stop_server(self, mode: str = "fast") -> None:
        """Stops the server, keeping its data (clients see their connections end)."""
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])

    def start_server(self, tcp: bool = True, timeout: float = 30) -> None:
        """Starts the stopped server again on the same port. tcp=False listens on the Unix
        socket only: a side door that TCP clients (sluice) still find closed (connect_socket).
        Retries for a while when the port is briefly taken (a client's own connection attempt
        can occupy a closed port in the ephemeral range)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._pg_ctl_start(tcp)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def connect_socket(self, dbname: str = "postgres"):
        """An autocommit connection over the Unix socket (works while TCP is closed)."""
        conn = psycopg2.connect(host=self.sock, port=self.port, dbname=dbname, user="postgres")
        conn.autocommit = True
        return conn

    def stop(self) -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run(self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                                        "-m", "immediate", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients -----------------------------------------------------------
    def dsn(self, dbname: str = "postgres", user: str = "postgres", **extra) -> str:
        parts = [f"host={self.host}", f"port={self.port}", f"dbname={dbname}", f"user={user}",
                 "sslmode=disable"]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        conn = psycopg2.connect(host=self.host, port=self.port, dbname=dbname, user="postgres",
                                sslmode="disable")
        conn.autocommit = autocommit
        return conn

    def create_db(self, name: str) -> str:
        self.exec_sql("postgres", f'DROP DATABASE IF EXISTS "{name}"')
        self.exec_sql("postgres", f'CREATE DATABASE "{name}"')
        return name

    def exec_sql(self, dbname: str, sql: str, params=None) -> None:
        # Note: psycopg2's `with conn:` opens a transaction even in autocommit mode.
        c = self.connect(dbname)
        try:
            cur = c.cursor()
            cur.execute(sql, params)
            cur.close()
        finally:
            c.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
