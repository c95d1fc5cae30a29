"""Helpers for the sluice end-to-end tests: configs, running the binary, and an
independent content comparison between a PostgreSQL source table and its copy in a
SQLite or PostgreSQL destination.

Content comparison: every row is turned into a tuple of canonical values using the
storage contract (see README / tests/e2e/README.md), the tuples of both sides are
compared as multisets, and an order-independent SHA-256 over the sorted row digests is
reported as the "content hash". Canonical forms, per source type:

  bool                -> 0 / 1 (SQLite must store INTEGER, PG boolean)
  int2/int4/int8      -> int
  float8              -> float; NaN -> 'NaN' (SQLite stores the text 'NaN'); +-inf float
  float4              -> as float8 but rounded to float32 on both sides (a real may travel
                         as its shortest text or as a widened double: both are the same real)
  numeric             -> text exactly as PostgreSQL prints it (scale kept, 'NaN')
  text/varchar/char   -> str (char keeps PostgreSQL's blank padding); uuid -> lowercase text
  bytea               -> bytes
  date                -> 'YYYY-MM-DD'
  timestamp(tz)       -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC (timestamp taken as UTC)
  json/jsonb/arrays   -> parsed JSON, re-serialised with sorted keys (JSON null is the
                         string 'null', distinct from SQL NULL)
"""
from __future__ import annotations

import collections
import datetime as _dt
import hashlib
import json
import math
import os
import re
import sqlite3
import struct
import subprocess
import time
from dataclasses import dataclass, field

import psycopg2

TS_FMT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


# --------------------------------------------------------------------------- binary
def sluice_bin() -> str:
    b = os.environ.get("SLUICE_BIN")
    if not b:
        src = os.environ.get("SLUICE_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
        b = os.path.join(src, "build", "sluice")
    if not os.access(b, os.X_OK):
        raise RuntimeError(f"sluice binary not found or not executable: {b} (set SLUICE_BIN)")
    return b


@dataclass
class Result:
    args: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"$ {' '.join(map(str, self.args))}\nexit {self.returncode}\n"
                f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}")


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LC_ALL", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def run_sluice(*args, config: str | None = None, timeout: float = 300, env: dict | None = None,
               cwd: str | None = None) -> Result:
    argv = [sluice_bin(), *map(str, args)]
    if config is not None:
        argv += ["-c", str(config)]
    r = subprocess.run(argv, capture_output=True, timeout=timeout, env=clean_env(env), cwd=cwd)
    return Result(argv, r.returncode, r.stdout.decode("utf-8", "replace"),
                  r.stderr.decode("utf-8", "replace"))


def check_ok(res: Result) -> Result:
    assert res.returncode == 0, res.describe()
    return res


# --------------------------------------------------------------------------- config
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _key(k) -> str:
    k = str(k)
    return k if _PLAIN_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def to_yaml(obj, indent: int = 0) -> str:
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{_key(k)}:\n{to_yaml(v, indent + 2)}")
            elif isinstance(v, dict):
                out.append(f"{pad}{_key(k)}: {{}}\n")
            elif isinstance(v, list):
                out.append(f"{pad}{_key(k)}: []\n")
            else:
                out.append(f"{pad}{_key(k)}: {_scalar(v)}\n")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                inner = to_yaml(v, indent + 2)
                out.append(f"{pad}- {inner[indent + 2:]}")
            else:
                out.append(f"{pad}- {_scalar(v) if not isinstance(v, (dict, list)) else ('{}' if isinstance(v, dict) else '[]')}\n")
    else:
        out.append(f"{pad}{_scalar(obj)}\n")
    return "".join(out)


def write_config(path, cfg: dict) -> str:
    path = str(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_yaml(cfg))
    return path


# --------------------------------------------------------------------------- destinations
class SqliteDest:
    kind = "sqlite"

    def __init__(self, path: str):
        self.path = str(path)

    def config(self) -> dict:
        return {"type": "sqlite", "path": self.path}

    def _conn(self):
        if not os.path.exists(self.path):
            raise AssertionError(f"SQLite destination {self.path} does not exist")
        c = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        c.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        return c

    def table_name(self, source: str, table: str) -> str:
        return f"{source}__{table}"

    def tables(self) -> list[str]:
        c = self._conn()
        try:
            return [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        finally:
            c.close()

    def columns(self, source: str, table: str) -> list[str]:
        c = self._conn()
        try:
            return [r[1] for r in c.execute(f"PRAGMA table_info({qi(self.table_name(source, table))})")]
        finally:
            c.close()

    def rows(self, source: str, table: str, cols: list["Col"], deleted: bool = False) -> list[tuple]:
        t = self.table_name(source, table)
        sel = ", ".join(qi(c.name) for c in cols) or "1"
        c = self._conn()
        try:
            existing = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if t not in existing:
                raise AssertionError(f"destination table {t!r} missing; tables: {sorted(existing)}")
            q = f"SELECT {sel} FROM {qi(t)} WHERE {qi('_sluice_deleted')} = {1 if deleted else 0}"
            return [tuple(canon(col.kind, v) for col, v in zip(cols, r)) for r in c.execute(q)]
        finally:
            c.close()

    def count_all(self, source: str, table: str) -> int:
        c = self._conn()
        try:
            return c.execute(f"SELECT count(*) FROM {qi(self.table_name(source, table))}").fetchone()[0]
        finally:
            c.close()

    def execute(self, sql: str, params=()):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            c.execute(sql, params)
            c.commit()
        finally:
            c.close()

    def drop_table(self, source: str, table: str):
        self.execute(f"DROP TABLE IF EXISTS {qi(self.table_name(source, table))}")

    def state_rows(self) -> list[tuple]:
        c = self._conn()
        try:
            return list(c.execute("SELECT source, table_name, cursor, rows_synced, updated_at FROM _sluice_state"))
        finally:
            c.close()


class PgDest:
    kind = "postgres"

    def __init__(self, cluster, dbname: str):
        self.cluster = cluster
        self.dbname = dbname

    def config(self) -> dict:
        return {"type": "postgres", "dsn": self.cluster.dsn(self.dbname)}

    def table_name(self, source: str, table: str) -> str:
        return f"{source}.{table}"

    def _conn(self):
        c = self.cluster.connect(self.dbname)
        cur = c.cursor()
        cur.execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 3")
        cur.close()
        return c

    def tables(self) -> list[str]:
        return [f"{s}.{t}" for s, t in self._q(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog','information_schema')")]

    def columns(self, source: str, table: str) -> list[str]:
        return [r[0] for r in self._q(
            "SELECT column_name FROM information_schema.columns WHERE table_schema=%s AND table_name=%s "
            "ORDER BY ordinal_position", (source, table))]

    def _q(self, sql, params=None):
        c = self._conn()
        try:
            cur = c.cursor()
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            c.close()

    def rows(self, source: str, table: str, cols: list["Col"], deleted: bool = False) -> list[tuple]:
        exists = self._q("SELECT 1 FROM information_schema.tables WHERE table_schema=%s AND table_name=%s",
                         (source, table))
        if not exists:
            raise AssertionError(f"destination table {source}.{table!r} missing; tables: {sorted(self.tables())}")
        sel = ", ".join(pg_fetch_expr(c, dest=True) for c in cols) or "1"
        q = f"SELECT {sel} FROM {qi(source)}.{qi(table)} WHERE {'' if deleted else 'NOT '}{qi('_sluice_deleted')}"
        return [tuple(canon(col.kind, v) for col, v in zip(cols, r)) for r in self._q(q)]

    def count_all(self, source: str, table: str) -> int:
        return self._q(f"SELECT count(*) FROM {qi(source)}.{qi(table)}")[0][0]

    def execute(self, sql: str, params=None):
        self.cluster.exec_sql(self.dbname, sql, params)

    def drop_table(self, source: str, table: str):
        self.execute(f"DROP TABLE IF EXISTS {qi(source)}.{qi(table)}")

    def state_rows(self) -> list[tuple]:
        return self._q("SELECT source, table_name, cursor::text, rows_synced, updated_at FROM sluice._sluice_state")


# --------------------------------------------------------------------------- canonical values
def qi(name: str) -> str:
    """Quote an identifier (same rules in PostgreSQL and SQLite)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Col:
    name: str
    typname: str      # pg_type.typname, e.g. int4, _text
    category: str     # pg_type.typcategory, 'A' for arrays
    kind: str = field(init=False)

    def __post_init__(self):
        t = self.typname
        if self.category == "A":
            self.kind = "json"
        elif t == "bool":
            self.kind = "bool"
        elif t in ("int2", "int4", "int8", "oid"):
            self.kind = "int"
        elif t == "float4":
            self.kind = "real"
        elif t == "float8":
            self.kind = "double"
        elif t == "numeric":
            self.kind = "numeric"
        elif t == "bytea":
            self.kind = "bytes"
        elif t == "date":
            self.kind = "date"
        elif t in ("timestamp", "timestamptz"):
            self.kind = "ts"
        elif t in ("json", "jsonb"):
            self.kind = "json"
        else:
            self.kind = "text"


def pg_fetch_expr(col: Col, dest: bool = False) -> str:
    """SQL that fetches a column in a form `canon` understands (session TimeZone = UTC)."""
    q = qi(col.name)
    if col.kind == "ts":
        return f"to_char({q}, '{TS_FMT}')"
    if col.kind == "date":
        return f"to_char({q}, 'YYYY-MM-DD')"
    if col.kind == "json":
        if col.category == "A" and not dest:
            return f"array_to_json({q})::text"
        return f"{q}::text"
    if col.typname == "bpchar" and not dest:
        return q  # bpchar::text would strip the blank padding that the contract keeps
    if col.kind in ("numeric", "text"):
        return f"{q}::text"
    return q


def _f32(x: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return x


def _json_canon(v):
    try:
        return json.dumps(json.loads(v) if isinstance(v, (str, bytes)) else v,
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return ("not-json", v)


def canon(kind: str, v):
    if v is None:
        return None
    if kind == "bool":
        if isinstance(v, bool):
            return int(v)
        return v if isinstance(v, int) else ("bad-bool", v)
    if kind == "int":
        return v if isinstance(v, int) and not isinstance(v, bool) else ("bad-int", v)
    if kind in ("real", "double"):
        if isinstance(v, str):
            if v in ("NaN",):
                return "NaN"
            return ("bad-float-text", v)
        if isinstance(v, int):
            v = float(v)  # SQLite may hand back an integral REAL as an int only if stored as INTEGER
            return ("int-not-real", v)
        if math.isnan(v):
            return "NaN"
        return _f32(v) if kind == "real" else v
    if kind == "bytes":
        if isinstance(v, (bytes, bytearray, memoryview)):
            return bytes(v)
        return ("not-bytes", v)
    if kind == "json":
        return _json_canon(v)
    if kind in ("numeric", "text", "date", "ts"):
        return v if isinstance(v, str) else ("not-text", v)
    return v


def source_columns(conn, table: str, schema: str = "public") -> list[Col]:
    cur = conn.cursor()
    cur.execute("""
        SELECT a.attname, t.typname, t.typcategory
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass
          AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""", (schema, table))
    cols = [Col(*r) for r in cur.fetchall()]
    cur.close()
    return cols


def source_rows(conn, table: str, cols: list[Col], schema: str = "public") -> list[tuple]:
    cur = conn.cursor()
    cur.execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 3")
    sel = ", ".join(pg_fetch_expr(c) for c in cols)
    cur.execute(f"SELECT {sel} FROM {qi(schema)}.{qi(table)}")
    rows = [tuple(canon(c.kind, v) for c, v in zip(cols, r)) for r in cur.fetchall()]
    cur.close()
    return rows


def content_hash(rows: list[tuple]) -> str:
    digests = sorted(hashlib.sha256(repr(r).encode("utf-8", "surrogateescape")).hexdigest() for r in rows)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _short(r, limit=300) -> str:
    s = repr(r)
    return s if len(s) <= limit else s[:limit] + "…"


def assert_table_synced(src_conn, dest, source: str, table: str, schema: str = "public",
                        dest_table: str | None = None, allow_deleted: bool = False) -> str:
    """Asserts that the destination copy of `table` has exactly the source's rows.
    Returns the content hash."""
    cols = source_columns(src_conn, table, schema)
    src = source_rows(src_conn, table, cols, schema)
    dt = dest_table or table
    dst = dest.rows(source, dt, cols)
    hs, hd = content_hash(src), content_hash(dst)
    if hs != hd or len(src) != len(dst):
        cs, cd = collections.Counter(src), collections.Counter(dst)
        missing = list((cs - cd).elements())
        extra = list((cd - cs).elements())
        msg = [f"{dest.kind} {dest.table_name(source, dt)!r}: source {len(src)} rows (hash {hs[:12]}), "
               f"destination {len(dst)} live rows (hash {hd[:12]})",
               f"columns: {[(c.name, c.kind) for c in cols]}",
               f"{len(missing)} source rows missing/different in destination, e.g.:"]
        msg += ["  - " + _short(r) for r in missing[:5]]
        msg.append(f"{len(extra)} destination rows not in source, e.g.:")
        msg += ["  + " + _short(r) for r in extra[:5]]
        # Pair rows by their first column (usually the key) and name the differing columns.
        by_first = {}
        for r in extra:
            by_first.setdefault(r[0] if r else None, r)
        diffs = collections.Counter()
        examples = {}
        for r in missing:
            o = by_first.get(r[0] if r else None)
            if o is None:
                continue
            for c, a, b in zip(cols, r, o):
                if a != b:
                    diffs[c.name] += 1
                    examples.setdefault(c.name, (r[0], a, b))
        if diffs:
            msg.append("differing columns (rows paired by first column): source value vs destination value")
            for name, n in diffs.most_common():
                k, a, b = examples[name]
                msg.append(f"  {name!r}: {n} rows, e.g. at {k!r}: {_short(a, 120)} != {_short(b, 120)}")
        raise AssertionError("\n".join(msg))
    if not allow_deleted:
        deleted = dest.rows(source, dt, cols[:1], deleted=True) if cols else []
        assert not deleted, f"{dest.kind} {dt!r}: {len(deleted)} rows unexpectedly marked _sluice_deleted"
    return hs


def pg_exec(conn, sql: str, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    cur.close()


def pg_scalar(conn, sql: str, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    v = cur.fetchone()[0]
    cur.close()
    return v


# --------------------------------------------------------------------------- crash tests
def sqlite_count(db: str, table: str) -> int:
    """Rows in a SQLite destination table; 0 while the file or table does not exist yet."""
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return c.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()[0]
        finally:
            c.close()
    except sqlite3.Error:
        return 0


def sqlite_integrity(db: str) -> str:
    """PRAGMA integrity_check of a SQLite file: 'ok' when it is sound, else every problem."""
    c = sqlite3.connect(db, timeout=30)
    try:
        return "\n".join(r[0] for r in c.execute("PRAGMA integrity_check"))
    finally:
        c.close()


def kill9_during_sync(argv: list, count, total: int, workdir, attempts: int = 3, rnd=None,
                      step: tuple = (0.03, 0.20), after_kill=None, poll: tuple = (0.005, 0.05),
                      late: float = 0.1) -> list:
    """Runs `argv` (a `sluice once`, or the daemon: `sluice run`) `attempts` times, each killed
    with SIGKILL once `count()` has grown by a random fraction in `step` (3-20% by default) of
    `total` rows (checked every `poll` seconds, killed up to `late` seconds after); asserts each
    run made progress and that the tables were not already complete. `after_kill(attempt)` runs
    after each kill. Returns [(rows before, target, rows after)]."""
    import random
    import signal
    rnd = rnd or random.Random(int(os.environ.get("SLUICE_TEST_SEED", "0")) or None)
    kills = []
    for attempt in range(attempts):
        before = count()
        assert before < total, f"everything was copied before kill {attempt + 1} of {attempts}: {kills}"
        target = before + rnd.randint(int(total * step[0]), int(total * step[1]))
        err_path = os.path.join(str(workdir), f"kill{attempt}.err")
        with open(err_path, "wb") as errf:
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf, env=clean_env())
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and p.poll() is None and count() < target:
                time.sleep(rnd.uniform(*poll))
            if p.poll() is None:
                time.sleep(rnd.uniform(0, late))
                os.kill(p.pid, signal.SIGKILL)
            p.wait()
        if p.returncode != -signal.SIGKILL:
            with open(err_path, "rb") as f:
                raise AssertionError(f"sluice ended before it could be killed (attempt {attempt}, exit "
                                     f"{p.returncode}, rows {count()}, target {target}, kills {kills}): "
                                     + f.read().decode("utf-8", "replace")[-3000:])
        after = count()
        kills.append((before, target, after))
        if after_kill:
            after_kill(attempt)
        assert after > before, f"attempt {attempt}: no progress before SIGKILL: {kills}"
    assert kills[-1][2] < total, f"the killed runs already copied everything: {kills}"
    print(f"kills (rows before, target, rows after): {kills}")
    return kills


# --------------------------------------------------------------------------- shared by the source harnesses
_ISO_UTC_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def fmt_micros(us: int) -> str:
    """Microseconds since the epoch -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (how destinations store timestamps)."""
    return (_EPOCH + _dt.timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_micros(s: str) -> int:
    """ISO UTC text with 0-9 fraction digits ('...Z') -> microseconds since the epoch (floored)."""
    m = _ISO_UTC_RE.match(s)
    if not m:
        raise AssertionError(f"not an ISO UTC timestamp: {s!r}")
    y, mo, d, h, mi, sec, frac = m.groups()
    t = _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), tzinfo=_dt.timezone.utc)
    return (t - _EPOCH) // _dt.timedelta(microseconds=1) + int((frac or "").ljust(6, "0")[:6])


def assert_multiset_equal(expected: collections.Counter, actual: collections.Counter, what: str = ""):
    """Tables without a natural key are compared as multisets of canonical row tuples."""
    if expected == actual:
        return
    missing = expected - actual
    extra = actual - expected
    raise AssertionError(
        f"{what}: expected {sum(expected.values())} rows, destination has {sum(actual.values())}; "
        f"{sum(missing.values())} missing, e.g. {list(missing)[:3]!r}; "
        f"{sum(extra.values())} unexpected, e.g. {list(extra)[:3]!r}")
