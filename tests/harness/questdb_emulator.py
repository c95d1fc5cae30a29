"""Harness for the QuestDB end-to-end tests: runs the QuestDB REST emulator
(tests/emulators/questdb, env QUESTDB_EMULATOR), talks to it over plain HTTP from Python
(an independent client: http.client, not sluice's code), and computes what the SQLite
destination must hold from a dump of a table.

Expected destination values, from the JSON QuestDB renders (questdb-rest.md):
  TIMESTAMP / DATE        -> microseconds since the epoch (both sides parsed to an int)
  LONG INT SHORT BYTE     -> int (NULL stays NULL; SHORT/BYTE have no NULL and render 0)
  DOUBLE FLOAT            -> float (NULL and NaN both render null -> NULL)
  BOOLEAN                 -> 0 / 1 (a NULL boolean renders false)
  SYMBOL STRING VARCHAR CHAR UUID IPv4 LONG256 GEOHASH -> str (NULL stays NULL)
Rows have no identity of their own (no key unless DEDUP UPSERT KEYS), so tables are
compared as multisets of rows, and the destination's synthetic keys must be unique.
"""
from __future__ import annotations

import base64
import collections
import http.client
import json
import os
import sqlite3
import urllib.parse

from emulator_process import EmulatorProcess, find_bin
from sluicetest import qi, ts_micros  # noqa: F401  (tests use them from here)

INT_TYPES = {"LONG", "INT", "SHORT", "BYTE"}
REAL_TYPES = {"DOUBLE", "FLOAT"}


def emulator_bin() -> str:
    return find_bin("QUESTDB_EMULATOR", "questdb", "questdb-emulator")


def load_bin() -> str:
    return find_bin("QUESTDB_LOAD", "questdb", "questdb-load")


def sql_lit(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


class Emulator(EmulatorProcess):
    """questdb-emulator on an ephemeral port; `flags` are passed through (faults, --data)."""

    name = "questdb-emulator"

    def __init__(self, *flags, version: str = "9.3.2", user: str | None = None, password: str | None = None,
                 data: str | None = None, port: int = 0):
        super().__init__(port=port)
        self.version, self.user, self.password, self.data = version, user, password, data
        self.flags = [str(f) for f in flags]
        self._conn = None

    def argv(self) -> list:
        a = [emulator_bin(), "--host", "127.0.0.1", "--port", self.port_arg(), "--version", self.version]
        if self.user is not None:
            a += ["--user", self.user, "--password", self.password]
        if self.data:
            a += ["--data", self.data]
        return a + self.flags

    def stop(self):
        if self._conn:
            self._conn.close()
            self._conn = None
        super().stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def source_cfg(self, tables, name: str = "qdb", **kw) -> dict:
        s = {"name": name, "type": "questdb", "url": self.url, "tables": tables}
        if self.user is not None:
            s.update(username=self.user, password=self.password)
        s.update(kw)
        return s

    # ---- /exec from Python
    def exec(self, query: str) -> dict:
        """Runs one statement; returns the parsed JSON answer or raises with QuestDB's error."""
        path = "/exec?" + urllib.parse.urlencode({"query": query})
        headers = {}
        if self.user is not None:
            tok = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            headers["Authorization"] = "Basic " + tok
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self._conn.request("GET", path, headers=headers)
                r = self._conn.getresponse()
                body = r.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
        d = json.loads(body)
        if r.status != 200 or "error" in d:
            raise RuntimeError(f"QuestDB emulator: HTTP {r.status} for {query[:200]!r}: {body[:500]!r}\n"
                               f"emulator stderr:\n{self.stderr_text()}")
        return d

    def generate(self, table: str, n: int, start_us: int, step_us: int = 1_000_000) -> str:
        """`questdb-load generate`: n rows (ts, sensor, temp, n, ok, note) from start_us, one per step_us;
        creates the table (designated timestamp ts) when it is missing."""
        argv = [load_bin(), "--host", "127.0.0.1", "--port", self.port]
        if self.user is not None:
            argv += ["--user", self.user, "--password", self.password]
        return self.run_tool(argv + ["generate", table, n, "--start-us", start_us, "--step-us", step_us])

    def create(self, ddl: str):
        self.exec(ddl)

    def insert(self, table: str, columns: list[str], rows, chunk: int = 500):
        rows = list(rows)
        cols = ", ".join(qi(c) for c in columns)
        for i in range(0, len(rows), chunk):
            values = ", ".join("(" + ", ".join(sql_lit(v) for v in r) + ")" for r in rows[i:i + chunk])
            self.exec(f"INSERT INTO {qi(table)} ({cols}) VALUES {values}")

    def columns(self, table: str) -> list[tuple[str, str]]:
        d = self.exec(f"table_columns({sql_lit(table)})")
        names = [c["name"] for c in d["columns"]]
        return [(r[names.index("column")], r[names.index("type")]) for r in d["dataset"]]

    def dump(self, table: str) -> tuple[list[tuple[str, str]], list[list]]:
        """(columns with types, every row) in timestamp order, in one query: pages by
        position would depend on the order of ties, which --shuffle-ties changes on
        every query."""
        d = self.exec(f"SELECT * FROM {qi(table)}")
        return [(c["name"], c["type"]) for c in d["columns"]], d["dataset"]


# --------------------------------------------------------------------------- canonical values
def canon(qtype: str, v):
    """One value, from the emulator's JSON or from SQLite, in the comparable form."""
    t = qtype.upper()
    if t in ("TIMESTAMP", "DATE"):
        return None if v is None else ts_micros(v)
    if t == "BOOLEAN":
        return 1 if v in (True, 1) else 0 if v in (False, 0) else ("bad-bool", v)
    if t in INT_TYPES:
        return None if v is None else int(v)
    if t in REAL_TYPES:
        return None if v is None else float(v)
    return v


def expected_rows(cols, rows, only: list[str] | None = None) -> collections.Counter:
    idx = [i for i, (n, _) in enumerate(cols) if only is None or n in only]
    return collections.Counter(tuple(canon(cols[i][1], r[i]) for i in idx) for r in rows)


def dest_rows(db: str, table: str, cols, *, deleted: int | None = 0, key: str | None = "_sluice_key",
              only: list[str] | None = None) -> collections.Counter:
    """The destination table as a multiset of canonical rows; checks `key` is unique."""
    if not os.path.exists(db):
        raise AssertionError(f"SQLite destination {db} does not exist")
    use = [(n, t) for n, t in cols if only is None or n in only]
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        existing = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if table not in existing:
            raise AssertionError(f"destination table {table!r} missing; tables: {sorted(existing)}")
        where = "" if deleted is None else f" WHERE _sluice_deleted = {int(deleted)}"
        if key:
            n, d = c.execute(f"SELECT count(*), count(DISTINCT {qi(key)}) FROM {qi(table)}").fetchone()
            assert n == d, f"{table}: {n} rows but {d} distinct {key}"
        sel = ", ".join(qi(n) for n, _ in use)
        return collections.Counter(tuple(canon(t, v) for (_, t), v in zip(use, r))
                                   for r in c.execute(f"SELECT {sel} FROM {qi(table)}{where}"))
    finally:
        c.close()


def sqlite_keys(db: str, table: str, key: str = "_sluice_key") -> dict:
    """{synthetic key: row tuple} of a destination table (to prove keys are stable)."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return {r[0]: r[1:] for r in c.execute(f"SELECT {qi(key)}, * FROM {qi(table)}")}
    finally:
        c.close()
