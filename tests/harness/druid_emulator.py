"""Harness for the Druid end-to-end tests: runs the Druid SQL API emulator
(tests/emulators/druid, env DRUID_EMULATOR) over a database of the test PostgreSQL
cluster, its loader `druid-load` (env DRUID_LOAD), and computes what the SQLite
destination must hold from `druid-load dump` (objectLines JSON read through the SQL API).

Expected destination values, from Druid's JSON rendering (druid-sql.md §4.3):
  TIMESTAMP (__time)   ISO text with ms -> microseconds since the epoch (both sides)
  BIGINT               int (64-bit exact);  DOUBLE / FLOAT -> float
  VARCHAR              str;  COMPLEX<json> / ARRAY -> parsed JSON (arrays arrive as a
                       JSON string with the default sqlStringifyArrays)
Druid rows have no key: tables are compared as multisets of rows, and the destination's
synthetic keys must be unique.
"""
from __future__ import annotations

import collections
import json
import os
import sqlite3

from emulator_process import EmulatorProcess, find_bin
from sluicetest import qi, ts_micros  # noqa: F401  (tests use them from here)


def emulator_bin() -> str:
    return find_bin("DRUID_EMULATOR", "druid", "druid-emulator")


def load_bin() -> str:
    return find_bin("DRUID_LOAD", "druid", "druid-load")


class Emulator(EmulatorProcess):
    name = "druid-emulator"

    def __init__(self, pg_conninfo: str, *flags, user: str | None = None, password: str | None = None,
                 log_queries: bool = False, port: int = 0):
        super().__init__(port=port)
        self.pg, self.user, self.password = pg_conninfo, user, password
        self.flags = [str(f) for f in flags] + (["--log-queries"] if log_queries else [])

    def argv(self) -> list:
        a = [emulator_bin(), "--pg", self.pg, "--host", "127.0.0.1", "--port", self.port_arg()]
        if self.user is not None:
            a += ["--user", self.user, "--password", self.password]
        return a + self.flags

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def source_cfg(self, tables, name: str = "dr", **kw) -> dict:
        s = {"name": name, "type": "druid", "url": self.url, "tables": tables}
        if self.user is not None:
            s.update(username=self.user, password=self.password)
        s.update(kw)
        return s

    def load(self, *args, input: bytes | None = None, timeout: float = 600) -> str:
        argv = [load_bin(), "--host", "127.0.0.1", "--port", str(self.port)]
        if self.user is not None:
            argv += ["--user", self.user, "--password", self.password]
        return self.run_tool(argv + list(args), input=input, timeout=timeout)

    def create(self, ds: str, columns: str):
        self.load("create", ds, columns)

    def ingest(self, ds: str, rows: list[dict]):
        self.load("ingest", ds, input=("\n".join(json.dumps(r) for r in rows) + "\n").encode())

    def columns(self, ds: str) -> list[tuple[str, str]]:
        q = ("SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'druid' "
             f"AND TABLE_NAME = '{ds}' ORDER BY ORDINAL_POSITION")
        return [tuple(r) for r in json.loads(self.load("sql", q, "--format", "array"))]

    def dump(self, ds: str) -> tuple[list[tuple[str, str]], list[dict]]:
        rows = [json.loads(line) for line in self.load("dump", ds).split("\n") if line.strip()]
        return self.columns(ds), rows


def canon(dtype: str, v):
    t = dtype.upper()
    if v is None:
        return None
    if t == "TIMESTAMP":
        return ts_micros(v) if isinstance(v, str) else int(v) * 1000
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "BOOLEAN"):
        return int(v)
    if t in ("DOUBLE", "FLOAT", "REAL", "DECIMAL"):
        return float(v)
    if t.startswith("COMPLEX") or "ARRAY" in t or t == "OTHER":
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                return ("not-json", v)
        return json.dumps(v, sort_keys=True)
    return v


def expected_rows(cols, rows) -> collections.Counter:
    return collections.Counter(tuple(canon(t, r.get(n)) for n, t in cols) for r in rows)


def dest_rows(db: str, table: str, cols, *, deleted: int | None = 0, key: str | None = "_sluice_key"
              ) -> collections.Counter:
    if not os.path.exists(db):
        raise AssertionError(f"SQLite destination {db} does not exist")
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        existing = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if table not in existing:
            raise AssertionError(f"destination table {table!r} missing; tables: {sorted(existing)}")
        if key:
            n, d = c.execute(f"SELECT count(*), count(DISTINCT {qi(key)}) FROM {qi(table)}").fetchone()
            assert n == d, f"{table}: {n} rows but {d} distinct {key}"
        where = "" if deleted is None else f" WHERE _sluice_deleted = {int(deleted)}"
        sel = ", ".join(qi(n) for n, _ in cols)
        return collections.Counter(tuple(canon(t, v) for (_, t), v in zip(cols, r))
                                   for r in c.execute(f"SELECT {sel} FROM {qi(table)}{where}"))
    finally:
        c.close()
