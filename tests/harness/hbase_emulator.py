"""Harness for the HBase end-to-end tests: runs the in-memory HBase Thrift1 gateway
(tests/emulators/hbase, env HBASE_EMULATOR; `data=FILE` keeps its tables across a
SIGTERM and restart) and its reference client `hbase-load` (env HBASE_LOAD), and computes
the rows sluice must produce from a dump of a table.

The expectation is computed here, in Python, from the cell-decoding rules of the
HBase source contract (not from sluice's C++ code):

  int64     decimal text (optional sign) or 8-byte big-endian signed
  double    decimal text / nan / inf, or 8-byte big-endian IEEE 754
  bool      true/false/1/0 (case-insensitive), or one byte (0x00 false, else true) -> 0/1
  timestamp epoch-millis decimal text, ISO-8601 text, or 8-byte big-endian millis
            -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC)
  string    UTF-8 text;  bytes -> raw bytes;  json -> valid JSON text
  unmapped cells -> `_cells` JSON object {"cf:q": "text" | {"b64": ...}} (NULL when none),
            with include_timestamp {"cf:q": {"value": V, "ts": ms}}
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
import os
import re
import sqlite3
import struct

from emulator_process import EmulatorProcess, find_bin
from sluicetest import fmt_micros, qi  # noqa: F401  (tests use them from here)


# The cells `hbase-load generate` writes (cf:c0..c6), declared with the types they decode as.
GEN_COLUMNS = [
    {"cell": "cf:c0", "name": "name", "type": "string"},
    {"cell": "cf:c1", "name": "i", "type": "int64"},
    {"cell": "cf:c2", "name": "d", "type": "double"},
    {"cell": "cf:c3", "name": "t", "type": "timestamp"},
    {"cell": "cf:c4", "name": "be", "type": "int64"},
    {"cell": "cf:c5", "name": "b", "type": "bool"},
    {"cell": "cf:c6", "name": "j", "type": "json"},
]


def emulator_bin() -> str:
    return find_bin("HBASE_EMULATOR", "hbase", "hbase-emulator")


def load_bin() -> str:
    return find_bin("HBASE_LOAD", "hbase", "hbase-load")


# --------------------------------------------------------------------------- JSON bytes
def to_json_bytes(v):
    """bytes/str -> the JSON form hbase-load reads: a string when UTF-8, else {"b64": ...}."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    v = bytes(v)
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(v).decode("ascii")}


def from_json_bytes(v) -> bytes:
    if isinstance(v, dict):
        return base64.b64decode(v["b64"])
    return v.encode("utf-8")


def _col_name(c) -> str:
    return c if isinstance(c, str) else bytes(c).decode("utf-8")


# --------------------------------------------------------------------------- emulator
class Emulator(EmulatorProcess):
    """Starts hbase-emulator on an ephemeral port; use as a context manager."""

    name = "hbase-emulator"

    def __init__(self, *flags, transport: str = "buffered", protocol: str = "binary", http: bool = False,
                 start_timeout: float = 20, data: str | None = None, port: int = 0):
        super().__init__(start_timeout, port=port)
        self.transport, self.protocol, self.http = transport, protocol, http
        self.flags = [str(f) for f in flags] + (["--data", str(data)] if data else [])

    def argv(self) -> list:
        return [emulator_bin(), "--host", "127.0.0.1", "--port", self.port_arg(), "--transport", self.transport,
                "--protocol", self.protocol, *(["--http"] if self.http else []), *self.flags]

    # ---- sluice config
    def source_cfg(self, tables, name: str = "hb", **kw) -> dict:
        s = {"name": name, "type": "hbase", "host": "127.0.0.1", "port": self.port,
             "transport": self.transport, "protocol": self.protocol,
             "client": "http" if self.http else "socket", "timeout": "30s", "tables": tables}
        s.update(kw)
        return s

    # ---- hbase-load
    def load(self, *args, input: bytes | None = None, timeout: float = 600) -> str:
        argv = [load_bin(), "--host", "127.0.0.1", "--port", str(self.port), "--transport", self.transport,
                "--protocol", self.protocol, *(["--http"] if self.http else []), *args]
        return self.run_tool(argv, input=input, timeout=timeout)

    def create(self, table: str, *families):
        self.load("create", table, *families)

    def put(self, table: str, rows):
        """rows: iterable of {"row": bytes|str, "cells": {"cf:q": bytes|str|None}, "ts": ms?}."""
        lines = []
        for r in rows:
            d = {"row": to_json_bytes(r["row"]),
                 "cells": {_col_name(k): to_json_bytes(v) for k, v in r["cells"].items()}}
            if r.get("ts") is not None:
                d["ts"] = int(r["ts"])
            lines.append(json.dumps(d))
        self.load("put", table, input=("\n".join(lines) + "\n").encode())

    def delete(self, table: str, keys):
        lines = [json.dumps({"row": to_json_bytes(k)}) for k in keys]
        self.load("delete", table, input=("\n".join(lines) + "\n").encode())

    def generate(self, table: str, n: int, start: int = 0, cells: int = 8, family: str = "cf", seed: int = 1):
        self.load("generate", table, n, "--start", start, "--cells", cells, "--family", family, "--seed", seed)

    def dump(self, table: str) -> list:
        """[(row bytes, {column str: (value bytes, ts)})] in key order (newest versions)."""
        out = []
        for line in self.load("dump", table).split("\n"):
            if not line.strip():
                continue
            d = json.loads(line)
            cells = {from_json_bytes(k).decode("utf-8", "surrogateescape") if isinstance(k, dict) else k:
                     (from_json_bytes(c["v"]), int(c["ts"])) for k, c in d["cells"].items()}
            out.append((from_json_bytes(d["row"]), cells))
        return out

    def regions(self, table: str) -> list:
        return [json.loads(line) for line in self.load("regions", table).split("\n") if line.strip()]


# --------------------------------------------------------------------------- decoding
class DecodeError(Exception):
    pass


_INT_RE = re.compile(rb"^[+-]?[0-9]+$")
_FLOAT_RE = re.compile(rb"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def _iso_micros(b: bytes) -> int | None:
    try:
        s = b.decode("ascii")
    except UnicodeDecodeError:
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$", s)
    if not m:
        return None
    y, mo, d, h, mi, se, frac, tz = m.groups()
    t = _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(se), tzinfo=_dt.timezone.utc)
    us = int((t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)).total_seconds()) * 1_000_000
    if frac:
        us += int((frac + "000000")[:6])
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tzd = tz[1:].replace(":", "")
        us -= sign * (int(tzd[:2]) * 3600 + int(tzd[2:]) * 60) * 1_000_000
    return us


def _be64(b: bytes) -> int:
    return struct.unpack(">q", b)[0]


def decode(type_: str, b: bytes):
    """A cell's bytes -> the value SQLite stores (as Python's sqlite3 returns it)."""
    if type_ in ("string", "text"):
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("not UTF-8")
    if type_ == "bytes":
        return bytes(b)
    if type_ == "int64":
        if _INT_RE.match(b):
            v = int(b)
            if -2**63 <= v < 2**63:
                return v
        if len(b) == 8:
            return _be64(b)
        raise DecodeError("not int64")
    if type_ == "double":
        low = b.lower()
        if low in (b"nan",):
            return float("nan")
        if low in (b"inf", b"infinity", b"+infinity", b"+inf"):
            return math.inf
        if low in (b"-inf", b"-infinity"):
            return -math.inf
        if _FLOAT_RE.match(b):
            return float(b)
        if len(b) == 8:
            return struct.unpack(">d", b)[0]
        raise DecodeError("not double")
    if type_ == "bool":
        low = b.lower()
        if low in (b"true", b"1"):
            return 1
        if low in (b"false", b"0"):
            return 0
        if len(b) == 1:
            return 0 if b == b"\x00" else 1
        raise DecodeError("not bool")
    if type_ == "timestamp":
        if _INT_RE.match(b):
            return fmt_micros(int(b) * 1000)
        us = _iso_micros(b)
        if us is not None:
            return fmt_micros(us)
        if len(b) == 8:
            return fmt_micros(_be64(b) * 1000)
        raise DecodeError("not timestamp")
    if type_ == "json":
        try:
            s = b.decode("utf-8")
            json.loads(s)
            return s
        except (UnicodeDecodeError, ValueError):
            raise DecodeError("not json")
    raise ValueError(f"unknown type {type_}")


def canon_value(type_: str, v):
    """Normalises a stored value for comparison (JSON re-serialised, bytes as bytes)."""
    if v is None:
        return None
    if type_ == "json":
        try:
            return json.dumps(json.loads(v), sort_keys=True)
        except (TypeError, ValueError):
            return ("not-json", v)
    if type_ == "bytes" and isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if type_ == "double" and isinstance(v, float) and math.isnan(v):
        return "NaN"
    return v


def cells_json_value(v: bytes):
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(v).decode("ascii")}


def expected_rows(dump, columns, *, other_cells: bool = True, include_timestamp: bool = False,
                  row_key_type: str = "string", on_decode_error: str = "fail") -> dict:
    """dump: [(row bytes, {col: (value bytes, ts)})]; columns: [{"cell", "name", "type"}].
    Returns {row_key: {dest column: canonical value}} for the columns row_key, each declared
    column (+ `<name>_ts` with include_timestamp) and `_cells` (parsed, or None)."""
    out = {}
    declared = {c["cell"]: c for c in columns}
    for key, cells in dump:
        rk = bytes(key) if row_key_type == "bytes" else key.decode("utf-8")
        row = {}
        for c in columns:
            name, t = c.get("name") or c["cell"].split(":", 1)[1], c.get("type", "string")
            cell = cells.get(c["cell"])
            if cell is None:
                row[name] = None
            else:
                try:
                    row[name] = canon_value(t, decode(t, cell[0]))
                except DecodeError:
                    if on_decode_error != "null":
                        raise
                    row[name] = None
            if include_timestamp:
                row[name + "_ts"] = fmt_micros(cell[1] * 1000) if cell is not None else None
        if other_cells:
            others = {}
            for col, (v, ts) in cells.items():
                if col in declared:
                    continue
                others[col] = {"value": cells_json_value(v), "ts": ts} if include_timestamp else cells_json_value(v)
            row["_cells"] = others or None
        out[rk] = row
    return out


# --------------------------------------------------------------------------- destination
def dest_columns(db: str, table: str) -> list:
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [r[1] for r in c.execute(f"PRAGMA table_info({qi(table)})")]
    finally:
        c.close()


def dest_rows(db: str, table: str, columns, *, include_timestamp: bool = False, other_cells: bool = True,
              deleted: int | None = 0) -> dict:
    """Reads the SQLite destination table into the same shape as expected_rows()."""
    names, types = [], []
    for c in columns:
        n = c.get("name") or c["cell"].split(":", 1)[1]
        names.append(n)
        types.append(c.get("type", "string"))
        if include_timestamp:
            names.append(n + "_ts")
            types.append("ts")
    if other_cells:
        names.append("_cells")
        types.append("cells")
    if not os.path.exists(db):
        raise AssertionError(f"SQLite destination {db} does not exist")
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    c.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    try:
        existing = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if table not in existing:
            raise AssertionError(f"destination table {table!r} missing; tables: {sorted(existing)}")
        sel = ", ".join(["row_key"] + [qi(n) for n in names])
        where = "" if deleted is None else f" WHERE _sluice_deleted = {int(deleted)}"
        out = {}
        for r in c.execute(f"SELECT {sel} FROM {qi(table)}{where}"):
            k = bytes(r[0]) if isinstance(r[0], (bytes, memoryview)) else r[0]
            row = {}
            for n, t, v in zip(names, types, r[1:]):
                if t == "cells":
                    try:
                        row[n] = json.loads(v) if v is not None else None
                    except ValueError:
                        row[n] = ("not-json", v)
                else:
                    row[n] = canon_value(t, v)
            assert k not in out, f"duplicate row_key {k!r} in {table}"
            out[k] = row
        return out
    finally:
        c.close()


def sqlite_scalar(db: str, sql: str, params=()):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        r = c.execute(sql, params).fetchone()
        return r[0] if r else None
    finally:
        c.close()


def assert_rows_equal(expected: dict, actual: dict, what: str = ""):
    if expected == actual:
        return
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    differ = [k for k in expected if k in actual and expected[k] != actual[k]]
    msg = [f"{what}: expected {len(expected)} rows, destination has {len(actual)}",
           f"{len(missing)} missing, e.g. {missing[:5]!r}",
           f"{len(extra)} unexpected, e.g. {extra[:5]!r}",
           f"{len(differ)} differ:"]
    for k in differ[:5]:
        e, a = expected[k], actual[k]
        cols = [c for c in e if e.get(c) != a.get(c)]
        for c in cols[:4]:
            msg.append(f"  row {k!r} column {c!r}: expected {str(e.get(c))[:200]} != actual {str(a.get(c))[:200]}")
    raise AssertionError("\n".join(msg))


def rows_hash(rows: dict) -> str:
    h = hashlib.sha256()
    for k in sorted(rows, key=lambda x: x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")):
        h.update(repr((k, sorted(rows[k].items()))).encode("utf-8", "surrogateescape"))
    return h.hexdigest()
