#!/usr/bin/python3
"""Wire test: druid-emulator over a throwaway PostgreSQL, checked byte for byte against
the protocol notes (druid-sql.md, sections 2-6): every result
format x header flags, trailers, value rendering, error shapes and status codes, Basic
auth, cancellation, INFORMATION_SCHEMA, parameters, Druid functions, every fault switch,
and the druid-load generate/ingest/delete/dump round trip.

usage: wire_test.py DRUID_EMULATOR DRUID_LOAD [--big N]
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from pgcluster import PgCluster  # noqa: E402

EMULATOR, LOAD = sys.argv[1], sys.argv[2]
BIG = int(sys.argv[sys.argv.index("--big") + 1]) if "--big" in sys.argv else 300000
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


class Emulator:
    def __init__(self, dsn, flags=()):
        self.err = tempfile.NamedTemporaryFile(prefix="druid-emulator-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([EMULATOR, "--pg", dsn, "--port", "0", "--log-queries"] + list(flags),
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise SystemExit("emulator did not start: %r %s" % (line, open(self.err.name).read()))
        self.port = int(line.split()[1])

    def stderr(self):
        with open(self.err.name, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.unlink(self.err.name)


def request(em, method, path, body=None, headers=None, conn=None, timeout=30):
    c = conn or http.client.HTTPConnection("127.0.0.1", em.port, timeout=timeout)
    h = {"Content-Type": "application/json"} if body is not None else {}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data.decode("utf-8")


def sql(em, query, conn=None, headers=None, **fields):
    req = {"query": query}
    req.update(fields)
    return request(em, "POST", "/druid/v2/sql", json.dumps(req), headers=headers, conn=conn)


def load(em, *args, stdin="", flags=()):
    p = subprocess.run([LOAD, "--port", str(em.port)] + list(flags) + list(args), input=stdin,
                       capture_output=True, text=True, timeout=240)
    return p.returncode, p.stdout, p.stderr


# ------------------------------------------------------------------ the small table
COLS = ["__time", "channel", "added", "delta", "ratio", "flag", "tags", "nums", "attrs"]
DRUID_TYPES = ["LONG", "STRING", "LONG", "DOUBLE", "FLOAT", "LONG", "ARRAY<STRING>", "ARRAY<LONG>", "COMPLEX<json>"]
SQL_TYPES = ["TIMESTAMP", "VARCHAR", "BIGINT", "DOUBLE", "FLOAT", "BIGINT", "ARRAY", "ARRAY", "COMPLEX<json>"]
NASTY = 'quote " backslash \\ tab\tnl\nend, comma \x01'
ROWS_IN = [
    {"__time": "2024-01-01T00:00:00.123Z", "channel": "#en", "added": 9223372036854775807, "delta": 1.5,
     "ratio": 0.1, "flag": True, "tags": ["a", "b c"], "nums": [1, 2], "attrs": {"k": [1, "v"]}},
    {"__time": 1704067201000, "channel": NASTY, "added": -7, "delta": 1e300, "ratio": None, "flag": False,
     "tags": None, "nums": [], "attrs": None},
    {"__time": "2024-01-02T00:00:00Z", "channel": "ünïcödé €", "added": None, "delta": None, "ratio": 2.5,
     "flag": None, "tags": [], "attrs": {"x": None}},
]


def jstr(s):
    return json.dumps(s, ensure_ascii=False).replace("\\u0001", "\\u0001")


# Expected JSON values (what Jackson writes) per row, stringified arrays.
ROWS_JSON = [
    ['"2024-01-01T00:00:00.123Z"', '"#en"', "9223372036854775807", "1.5", "0.1", "1",
     jstr('["a","b c"]'), jstr("[1,2]"), '{"k":[1,"v"]}'],
    ['"2024-01-01T00:00:01.000Z"', jstr(NASTY), "-7", "1.0E300", "null", "0", "null", jstr("[]"), "null"],
    ['"2024-01-02T00:00:00.000Z"', jstr("ünïcödé €"), "null", "null", "2.5", "null", jstr("[]"), "null",
     '{"x":null}'],
]
ROWS_CSV = [
    ["2024-01-01T00:00:00.123Z", "#en", "9223372036854775807", "1.5", "0.1", "1", '["a","b c"]', "[1,2]",
     '{"k":[1,"v"]}'],
    ["2024-01-01T00:00:01.000Z", NASTY, "-7", "1.0E300", "", "0", "", "[]", ""],
    ["2024-01-02T00:00:00.000Z", "ünïcödé €", "", "", "2.5", "", "[]", "", '{"x":null}'],
]


def csvf(v):
    if any(c in v for c in '",\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def expected(fmt, header, types, sqltypes, rows_json=ROWS_JSON, rows_csv=ROWS_CSV, cols=COLS):
    types = types and header
    sqltypes = sqltypes and header
    hdr_rows = []
    if header:
        hdr_rows.append(cols)
        if types:
            hdr_rows.append(DRUID_TYPES)
        if sqltypes:
            hdr_rows.append(SQL_TYPES)
    if fmt in ("object", "objectLines"):
        items = []
        if header:
            def meta(i):
                if not types and not sqltypes:
                    return "null"
                parts = []
                if types:
                    parts.append('"type":' + jstr(DRUID_TYPES[i]))
                if sqltypes:
                    parts.append('"sqlType":' + jstr(SQL_TYPES[i]))
                return "{" + ",".join(parts) + "}"
            items.append("{" + ",".join(jstr(c) + ":" + meta(i) for i, c in enumerate(cols)) + "}")
        for r in rows_json:
            items.append("{" + ",".join(jstr(c) + ":" + v for c, v in zip(cols, r)) + "}")
        return "[" + ",".join(items) + "]\n" if fmt == "object" else "".join(i + "\n" for i in items) + "\n"
    if fmt in ("array", "arrayLines"):
        items = ["[" + ",".join(jstr(x) for x in h) + "]" for h in hdr_rows]
        items += ["[" + ",".join(r) + "]" for r in rows_json]
        return "[" + ",".join(items) + "]\n" if fmt == "array" else "".join(i + "\n" for i in items) + "\n"
    lines = [",".join(csvf(x) for x in h) for h in hdr_rows] + [",".join(csvf(x) for x in r) for r in rows_csv]
    return "".join(line + "\n" for line in lines) + "\n"


CTYPES = {"object": "application/json", "array": "application/json", "objectLines": "text/plain",
          "arrayLines": "text/plain", "csv": "text/csv"}


def test_formats(em):
    q = 'SELECT * FROM "wiki" ORDER BY "__time"'
    conn = http.client.HTTPConnection("127.0.0.1", em.port, timeout=30)  # all on one keep-alive connection
    for fmt in ["object", "array", "objectLines", "arrayLines", "csv"]:
        for header, types, sqltypes in [(False, False, False), (False, True, True), (True, False, False),
                                        (True, True, False), (True, False, True), (True, True, True)]:
            st, h, body = sql(em, q, conn=conn, resultFormat=fmt, header=header, typesHeader=types,
                              sqlTypesHeader=sqltypes, context={"sqlQueryId": "fmt-%s-%d%d%d" % (fmt, header, types, sqltypes)})
            what = "%s header=%s types=%s sqltypes=%s" % (fmt, header, types, sqltypes)
            check(st == 200, what + ": status %d %s" % (st, body))
            want = expected(fmt, header, types, sqltypes)
            check(body == want, what + ":\n want %r\n got  %r" % (want, body))
            check(h.get("content-type") == CTYPES[fmt], what + ": content-type %r" % h.get("content-type"))
            check(h.get("transfer-encoding") == "chunked", what + ": chunked")
            check(h.get("x-druid-sql-query-id") == "fmt-%s-%d%d%d" % (fmt, header, types, sqltypes), what + ": id")
            check((h.get("x-druid-sql-header-included") == "yes") == header, what + ": header-included %r" % h)
    # case-insensitive format name, default format object, generated query id
    st, h, body = sql(em, q, resultFormat="ARRAYLINES")
    check(st == 200 and body == expected("arrayLines", False, False, False), "ARRAYLINES: %r" % body)
    st, h, body = sql(em, q)
    check(body == expected("object", False, False, False), "default format is object: %r" % body)
    check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                       h.get("x-druid-sql-query-id", "")), "generated query id: %r" % h)
    # zero rows: header rows still there
    st, h, body = sql(em, 'SELECT * FROM "wiki" WHERE "added" = 12345', resultFormat="array", header=True,
                      typesHeader=True)
    check(body == expected("array", True, True, False, rows_json=[], rows_csv=[]), "zero rows + header: %r" % body)
    st, h, body = sql(em, 'SELECT * FROM "wiki" WHERE "added" = 12345', resultFormat="objectLines")
    check(st == 200 and body == "\n", "zero rows objectLines: %r" % body)
    st, h, body = sql(em, 'SELECT * FROM "wiki" WHERE "added" = 12345', resultFormat="csv")
    check(st == 200 and body == "\n", "zero rows csv: %r" % body)
    # real arrays with sqlStringifyArrays=false
    st, h, body = sql(em, 'SELECT "tags", "nums" FROM "wiki" ORDER BY "__time"', resultFormat="array",
                      context={"sqlStringifyArrays": False})
    check(body == '[[["a","b c"],[1,2]],[null,[]],[[],null]]\n', "sqlStringifyArrays false: %r" % body)


def test_sql_features(em):
    def arr(q, **kw):
        st, h, body = sql(em, q, resultFormat="array", **kw)
        check(st == 200, "%s: %d %s" % (q, st, body))
        try:
            return json.loads(body) if st == 200 else None
        except ValueError:
            check(False, "%s: bad JSON %r" % (q, body))
            return None

    # INFORMATION_SCHEMA
    r = arr("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' ORDER BY TABLE_NAME")
    check(r is not None and ["wiki"] in r, "INFORMATION_SCHEMA.TABLES: %r" % r)
    st, h, body = sql(em, "SELECT COLUMN_NAME, DATA_TYPE, ORDINAL_POSITION, IS_NULLABLE, JDBC_TYPE FROM "
                          "INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = 'wiki' "
                          "ORDER BY ORDINAL_POSITION", resultFormat="arrayLines", header=True, sqlTypesHeader=True)
    want = ('["COLUMN_NAME","DATA_TYPE","ORDINAL_POSITION","IS_NULLABLE","JDBC_TYPE"]\n'
            '["VARCHAR","VARCHAR","BIGINT","VARCHAR","BIGINT"]\n'
            '["__time","TIMESTAMP",1,"NO",93]\n["channel","VARCHAR",2,"YES",12]\n["added","BIGINT",3,"YES",-5]\n'
            '["delta","DOUBLE",4,"YES",8]\n["ratio","FLOAT",5,"YES",6]\n["flag","BIGINT",6,"YES",-5]\n'
            '["tags","ARRAY<STRING>",7,"YES",2003]\n["nums","ARRAY<LONG>",8,"YES",2003]\n'
            '["attrs","COMPLEX<json>",9,"YES",1111]\n\n')
    check(body == want, "INFORMATION_SCHEMA.COLUMNS:\n want %r\n got  %r" % (want, body))
    r = arr("SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_TYPE FROM information_schema.tables WHERE TABLE_NAME = 'wiki'")
    check(r == [["druid", "druid", "TABLE"]], "TABLES lower-case schema name: %r" % r)
    # parameters
    r = arr('SELECT "channel" FROM "wiki" WHERE "added" = ? AND "__time" >= ?',
            parameters=[{"type": "BIGINT", "value": -7}, {"type": "TIMESTAMP", "value": "2024-01-01 00:00:00"}])
    check(r == [[NASTY]], "BIGINT+TIMESTAMP parameters: %r" % r)
    r = arr('SELECT "added" FROM "wiki" WHERE "channel" = ? OR "delta" = ?',
            parameters=[{"type": "VARCHAR", "value": "#en"}, {"type": "DOUBLE", "value": 1e300}])
    check(r is not None and sorted(x[0] for x in r) == [-7, 9223372036854775807], "VARCHAR+DOUBLE parameters: %r" % r)
    st, h, body = sql(em, 'SELECT * FROM "wiki" WHERE "added" = ?')
    check(st == 400 and json.loads(body)["errorCode"] == "invalidInput", "missing parameter: %d %s" % (st, body))
    # TIMESTAMP literals are UTC, LIMIT/OFFSET
    r = arr('SELECT "added" FROM "wiki" WHERE "__time" >= TIMESTAMP \'2024-01-01 00:00:00.123\' '
            'AND "__time" < TIMESTAMP \'2024-01-02 00:00:00\' ORDER BY "__time" LIMIT 1 OFFSET 1')
    check(r == [[-7]], "TIMESTAMP literal + LIMIT/OFFSET: %r" % r)
    # Druid functions, computed column names and types
    st, h, body = sql(em, 'SELECT TIME_FLOOR("__time", \'P1D\') AS "day", COUNT(*) AS cnt, SUM("added") AS s '
                          'FROM "wiki" WHERE "added" < 0 OR "added" IS NULL GROUP BY 1 ORDER BY 1',
                      resultFormat="array", header=True, typesHeader=True, sqlTypesHeader=True)
    check(body == '[["day","cnt","s"],["LONG","LONG","LONG"],["TIMESTAMP","BIGINT","BIGINT"],'
                  '["2024-01-01T00:00:00.000Z",1,-7],["2024-01-02T00:00:00.000Z",1,null]]\n',
          "TIME_FLOOR/COUNT/SUM: %r" % body)
    r = arr('SELECT TIMESTAMP_TO_MILLIS("__time"), MILLIS_TO_TIMESTAMP(1704067200123), '
            'TIME_PARSE(\'2024-01-01T00:00:00.123Z\'), TIME_FLOOR(TIME_PARSE(\'2024-01-01T10:17:00Z\'), \'PT15M\'), '
            'TIME_FORMAT(MILLIS_TO_TIMESTAMP(0)), TIME_PARSE(\'garbage\') FROM "wiki" WHERE "channel" = \'#en\'')
    check(r == [[1704067200123, "2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.123Z", "2024-01-01T10:15:00.000Z",
                 "1970-01-01T00:00:00.000Z", None]], "time functions: %r" % r)
    st, h, body = sql(em, 'SELECT COUNT(*) FROM "wiki"', resultFormat="array", header=True)
    check(body == '[["EXPR$0"],[3]]\n', "unnamed expression column: %r" % body)
    r = arr('SELECT COUNT(*) AS c FROM druid."wiki"')
    check(r == [[3]], 'druid."wiki": %r' % r)
    # read-only
    st, h, body = sql(em, 'DELETE FROM "wiki"')
    check(st == 400, "writes are rejected: %d %s" % (st, body))
    # Expect: 100-continue (curl does this for bodies over 1 KiB)
    s = socket.create_connection(("127.0.0.1", em.port), timeout=10)
    q = json.dumps({"query": "SELECT 7 AS x", "resultFormat": "array"}).encode()
    s.sendall(b"POST /druid/v2/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(q))
    check(s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n"), "100 Continue")
    s.sendall(q)
    got = b""
    while not got.endswith(b"0\r\n\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    check(got.startswith(b"HTTP/1.1 200") and b"[[7]]\n" in got, "answer after 100 Continue: %r" % got)
    s.close()
    # health, status, 404, 405
    st, h, body = request(em, "GET", "/status/health")
    check(st == 200 and body == "true", "health: %d %r" % (st, body))
    st, h, body = request(em, "GET", "/druid/v2/sql")
    check(st == 405, "GET /druid/v2/sql: %d" % st)
    st, h, body = request(em, "GET", "/nope")
    check(st == 404, "unknown path: %d" % st)


def test_errors(em):
    st, h, body = sql(em, "SELECT * FROM nope", context={"sqlQueryId": "e1"})
    check(st == 400 and body == '{"error":"druidException","errorCode":"invalidInput","persona":"USER",'
          '"category":"INVALID_INPUT","errorMessage":"Object \'nope\' not found within \'druid\'",'
          '"context":{"sourceType":"sql","line":"1","column":"15"}}', "unknown table: %d %s" % (st, body))
    check(h.get("x-druid-sql-query-id") == "e1" and h.get("content-type") == "application/json", "error headers %r" % h)
    st, h, body = sql(em, 'SELECT "nope" FROM "wiki"')
    e = json.loads(body)
    check(st == 400 and e["error"] == "druidException" and e["category"] == "INVALID_INPUT" and
          e["errorMessage"] == "Column 'nope' not found in any table" and e["context"]["column"] == "8",
          "unknown column: %d %s" % (st, body))
    st, h, body = sql(em, "SELEC 1")
    e = json.loads(body)
    check(st == 400 and e["errorCode"] == "invalidInput" and "unexpected token" in e["errorMessage"],
          "syntax error: %d %s" % (st, body))
    st, h, body = sql(em, "SELECT 1/0")
    e = json.loads(body)
    check(st == 500 and e["errorCode"] == "legacyQueryException" and e["error"] == "Unknown exception" and
          e["category"] == "RUNTIME_FAILURE", "runtime failure: %d %s" % (st, body))
    t0 = time.monotonic()
    st, h, body = sql(em, "SELECT pg_sleep(5)", context={"timeout": 300, "sqlQueryId": "slow1"})
    e = json.loads(body)
    check(st == 504 and e["error"] == "Query timeout" and e["category"] == "TIMEOUT" and
          time.monotonic() - t0 < 3, "timeout: %d %s" % (st, body))
    st, h, body = request(em, "POST", "/druid/v2/sql", "{not json")
    check(st == 400 and json.loads(body)["error"] == "druidException", "malformed body: %d %s" % (st, body))
    st, h, body = sql(em, "SELECT 1", resultFormat="xml")
    check(st == 400, "bad resultFormat: %d" % st)


def test_cancel(em):
    result = {}

    def run():
        t0 = time.monotonic()
        result["r"] = sql(em, "SELECT pg_sleep(10)", context={"sqlQueryId": "cancel-me"})
        result["t"] = time.monotonic() - t0

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.7)
    st, h, body = request(em, "DELETE", "/druid/v2/sql/cancel-me")
    check(st == 202 and body == "", "DELETE running query: %d %r" % (st, body))
    th.join(15)
    st, h, body = result.get("r", (0, {}, "{}"))
    e = json.loads(body) if body.startswith("{") else {}
    check(st == 500 and e.get("error") == "Query cancelled" and e.get("category") == "CANCELED",
          "cancelled query answer: %d %s" % (st, body))
    check(result.get("t", 99) < 3, "cancelled query returned promptly: %r" % result.get("t"))
    st, h, body = request(em, "DELETE", "/druid/v2/sql/cancel-me")
    check(st == 404, "DELETE finished query: %d" % st)
    time.sleep(0.1)
    log = em.stderr()
    check("CANCEL cancel-me 202" in log and "CANCEL cancel-me 404" in log, "cancel log lines: %r" % log[-500:])
    check("QUERY cancel-me SELECT pg_sleep(10)" in log, "query log line")


def test_auth(dsn):
    em = Emulator(dsn, ["--user", "admin", "--password", "s3cret"])
    try:
        import base64
        good = {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret").decode()}
        bad = {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}
        st, h, body = sql(em, "SELECT 1 AS x")
        check(st == 401 and json.loads(body)["category"] == "UNAUTHORIZED", "no credentials: %d %s" % (st, body))
        st, h, body = sql(em, "SELECT 1 AS x", headers=bad)
        check(st == 401, "wrong credentials: %d" % st)
        st, h, body = sql(em, "SELECT 1 AS x", headers=good, resultFormat="array")
        check(st == 200 and body == "[[1]]\n", "good credentials: %d %r" % (st, body))
        st, h, body = request(em, "DELETE", "/druid/v2/sql/x")
        check(st == 401, "cancel needs credentials: %d" % st)
        st, h, body = request(em, "GET", "/status/health")
        check(st == 200, "health without credentials: %d" % st)
        rc, out, err = load(em, "sql", "SELECT 2 AS y", "--format", "array", flags=["--user", "admin", "--password", "s3cret"])
        check(rc == 0 and out == "[[2]]\n", "druid-load with credentials: %d %r %r" % (rc, out, err))
        rc, out, err = load(em, "sql", "SELECT 2 AS y")
        check(rc == 1, "druid-load without credentials fails: %d" % rc)
    finally:
        em.stop()


def test_faults(dsn):
    em = Emulator(dsn, ["--fail-429", "2"])
    try:
        for i in range(2):
            st, h, body = sql(em, "SELECT 1 AS x")
            e = json.loads(body)
            check(st == 429 and e["error"] == "druidException" and e["category"] == "CAPACITY_EXCEEDED",
                  "429 #%d: %d %s" % (i, st, body))
        st, h, body = sql(em, "SELECT 1 AS x", resultFormat="array")
        check(st == 200 and body == "[[1]]\n", "after 429s: %d %s" % (st, body))
    finally:
        em.stop()
    em = Emulator(dsn, ["--fail-500-every", "2"])
    try:
        codes = [sql(em, "SELECT 1 AS x")[0] for _ in range(4)]
        check(codes == [200, 500, 200, 500], "fail-500-every 2: %r" % codes)
        st, h, body = sql(em, "SELECT 1 AS x")
        st, h, body = sql(em, "SELECT 1 AS x")
        check(json.loads(body) == {"error": "Unknown exception", "errorMessage": "internal error (emulated by "
                                   "--fail-500-every)", "errorClass": "java.lang.RuntimeException", "host": None},
              "legacy 500 body: %s" % body)
    finally:
        em.stop()
    em = Emulator(dsn, ["--drop-every", "2"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", em.port, timeout=10)
        st, h, body = sql(em, "SELECT 1 AS x", conn=conn)
        check(st == 200, "drop-every: first answered")
        try:
            sql(em, "SELECT 1 AS x", conn=conn)
            check(False, "drop-every: second query should be dropped")
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            pass
        st, h, body = sql(em, "SELECT 1 AS x")
        check(st == 200, "drop-every: third answered")
    finally:
        em.stop()
    em = Emulator(dsn, ["--delay-ms", "400"])
    try:
        t0 = time.monotonic()
        st, h, body = sql(em, "SELECT 1 AS x")
        check(st == 200 and time.monotonic() - t0 >= 0.4, "delay-ms")
    finally:
        em.stop()
    em = Emulator(dsn, ["--truncate-every", "2"])
    try:
        st, h, body = sql(em, 'SELECT * FROM "wiki" ORDER BY "__time"')
        check(st == 200 and body.endswith("]\n"), "truncate-every: first complete")
        c = http.client.HTTPConnection("127.0.0.1", em.port, timeout=10)
        c.request("POST", "/druid/v2/sql", json.dumps({"query": 'SELECT * FROM "wiki" ORDER BY "__time"'}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        check(r.status == 200, "truncate-every: 200 before the cut")
        try:
            partial = r.read()
            check(False, "truncate-every: body should be cut, got %r" % partial)
        except http.client.IncompleteRead as e:
            check(len(e.partial) > 0 and not e.partial.endswith(b"]\n"), "truncated body: %r" % e.partial)
    finally:
        em.stop()


def test_loader(em, dsn):
    rc, out, err = load(em, "create", "wiki", "channel VARCHAR, added BIGINT, delta DOUBLE, ratio FLOAT, "
                        "flag BOOLEAN, tags ARRAY<STRING>, nums ARRAY<LONG>, attrs COMPLEX<json>")
    check(rc == 0, "create wiki: %s %s" % (out, err))
    rc, out, err = load(em, "ingest", "wiki", stdin="".join(json.dumps(r) + "\n" for r in ROWS_IN))
    check(rc == 0 and json.loads(out) == {"ingested": 3}, "ingest wiki: %s %s" % (out, err))
    rc, out, err = load(em, "ingest", "wiki", stdin='{"bogus": 1}\n')
    check(rc == 1, "ingest with an unknown column fails")
    rc, out, err = load(em, "create", "wiki", "x VARCHAR")
    check(rc == 1, "create of an existing datasource fails")


def test_big(em):
    t0 = time.monotonic()
    rc, out, err = load(em, "generate", "big", str(BIG), "--start-ms", "1700000000000", "--step-ms", "10",
                        "--dup", "3")
    gen = time.monotonic() - t0
    check(rc == 0 and json.loads(out) == {"generated": BIG}, "generate: %s %s" % (out, err))
    print("generate %d rows: %.1fs" % (BIG, gen))
    check(gen < 60 * BIG / 1000000 + 5, "generate speed %.1fs" % gen)
    rc, out, err = load(em, "delete", "big", '"added" % 1000 = 999')
    check(rc == 0 and json.loads(out) == {"deleted": BIG // 1000}, "delete: %s %s" % (out, err))
    t0 = time.monotonic()
    p = subprocess.Popen([LOAD, "--port", str(em.port), "dump", "big"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    n, last_t, ok_order, sample = 0, "", True, {}
    for line in p.stdout:
        row = json.loads(line)
        if row["__time"] < last_t:
            ok_order = False
        last_t = row["__time"]
        if row["added"] in (0, 1, 2, 3, 5, BIG - 1):
            sample[row["added"]] = row
        n += 1
    err = p.stderr.read()
    rc = p.wait()
    print("dump %d rows: %.1fs" % (n, time.monotonic() - t0))
    check(rc == 0 and err == "", "dump exit %d %s" % (rc, err))
    check(n == BIG - BIG // 1000, "dump row count %d" % n)
    check(ok_order, "dump ordered by __time")
    check(sample.get(0) == {"__time": "2023-11-14T22:13:20.000Z", "channel": "#ch0", "added": 0, "delta": -20.0,
                            "page": "page-0"}, "row 0: %r" % sample.get(0))
    check(sample.get(2, {}).get("__time") == "2023-11-14T22:13:20.000Z" and
          sample.get(3, {}).get("__time") == "2023-11-14T22:13:20.010Z", "dup groups: %r" % sample)
    check(sample.get(5, {}).get("delta") == -19.5 and sample.get(5, {}).get("channel") == "#ch5", "row 5")
    # a runtime failure after streaming started: 200, rows, then the body stops without the trailer
    c = http.client.HTTPConnection("127.0.0.1", em.port, timeout=30)
    c.request("POST", "/druid/v2/sql", json.dumps({"query": 'SELECT "added", 10 / ("added" - %d) AS x FROM "big"' % (BIG // 2 // 1000 * 1000),
                                                   "resultFormat": "arrayLines"}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    check(r.status == 200, "mid-stream failure: 200 first (%d)" % r.status)
    try:
        body = r.read()
        check(False, "mid-stream failure: body should be cut, got %d bytes" % len(body))
    except http.client.IncompleteRead as e:
        check(len(e.partial) > 0 and not e.partial.endswith(b"\n\n"), "mid-stream failure body: %r" % e.partial[-50:])
    # DELETE while rows are streaming: the 200 body stops without the trailer
    c = http.client.HTTPConnection("127.0.0.1", em.port, timeout=30)
    t0 = time.monotonic()
    c.request("POST", "/druid/v2/sql", json.dumps({"query": 'SELECT "added", pg_sleep(0.001) AS z FROM "big"',
                                                   "resultFormat": "arrayLines",
                                                   "context": {"sqlQueryId": "stream-cancel"}}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    check(r.status == 200, "streaming query: 200 (%d)" % r.status)
    time.sleep(0.5)
    st, h, body = request(em, "DELETE", "/druid/v2/sql/stream-cancel")
    check(st == 202, "DELETE of a streaming query: %d" % st)
    try:
        r.read()
        check(False, "cancelled streaming query: body should be cut")
    except http.client.IncompleteRead as e:
        check(not e.partial.endswith(b"\n\n"), "cancelled streaming body has no trailer")
    check(time.monotonic() - t0 < 10, "cancelled streaming query ended promptly")
    # a client that goes away mid-stream does not hurt the server
    s = socket.create_connection(("127.0.0.1", em.port))
    q = json.dumps({"query": 'SELECT * FROM "big"'}).encode()
    s.sendall(b"POST /druid/v2/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
              % (len(q), q))
    check(s.recv(100).startswith(b"HTTP/1.1 200"), "disconnecting client got a 200")
    s.close()
    st, h, body = sql(em, "SELECT 1 AS x", resultFormat="array")
    check(st == 200 and body == "[[1]]\n", "server fine after a client left mid-stream")
    # appending rows with --first, truncate and drop
    rc, out, err = load(em, "generate", "big", "10", "--first", str(BIG), "--start-ms", "1800000000000")
    st, h, body = sql(em, 'SELECT COUNT(*) AS n, MAX("added") AS m FROM "big"', resultFormat="array")
    check(body == "[[%d,%d]]\n" % (BIG - BIG // 1000 + 10, BIG + 9), "append with --first: %s" % body)
    rc, out, err = load(em, "truncate", "big")
    st, h, body = sql(em, 'SELECT COUNT(*) AS n FROM "big"', resultFormat="array")
    check(body == "[[0]]\n", "truncate: %s" % body)
    rc, out, err = load(em, "dump", "big")
    check(rc == 0 and out == "", "dump of an empty datasource: %r %r" % (out, err))
    rc, out, err = load(em, "drop", "big")
    st, h, body = sql(em, 'SELECT COUNT(*) AS n FROM "big"')
    check(st == 400, "drop: %d" % st)


def test_other_schema(dsn):
    em = Emulator(dsn, ["--schema", "druid_two"])
    try:
        rc, out, err = load(em, "generate", "g2", "5")
        check(rc == 0, "generate in druid_two: %s" % err)
        st, h, body = sql(em, 'SELECT COUNT(*) AS n FROM druid."g2"', resultFormat="array")
        check(body == "[[5]]\n", "druid.\"g2\" with --schema druid_two: %s" % body)
        st, h, body = sql(em, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid'",
                          resultFormat="array")
        check(body == '[["g2"]]\n', "INFORMATION_SCHEMA of druid_two: %s" % body)
    finally:
        em.stop()


def test_tie_orders(dsn):
    """--tie-order: ties of ORDER BY __time (and unordered scans) in storage order, in a new
    random order per query, or segment by segment in a rotating order."""
    em = Emulator(dsn, ["--schema", "druid_ties"])
    try:
        rc, out, err = load(em, "generate", "t", "400", "--dup", "200")  # 2 times, 200 rows each
        check(rc == 0, "generate: %s" % err)
    finally:
        em.stop()

    def order(em, q):
        st, h, body = sql(em, q, resultFormat="array")
        check(st == 200, "%s: HTTP %s %s" % (q, st, body[:200]))
        return [tuple(r) for r in json.loads(body)]

    page = 'SELECT "__time", "added" FROM "t" ORDER BY "__time" LIMIT 300'
    scan = 'SELECT "__time", "added" FROM "t"'
    for mode in ("physical", "shuffle", "segments"):
        em = Emulator(dsn, ["--schema", "druid_ties", "--tie-order", mode])
        try:
            runs = [order(em, page) for _ in range(4)]
            for r in runs:
                check([x[0] for x in r] == sorted(x[0] for x in r), "%s: ORDER BY __time still sorts" % mode)
            distinct = len(set(tuple(r) for r in runs))
            if mode == "physical":
                check(distinct == 1, "physical: the same tie order on every query (%d orders)" % distinct)
            else:
                check(distinct > 1, "%s: a new tie order across queries (%d orders)" % (mode, distinct))
            rows = order(em, scan)
            check(sorted(rows) == sorted(order(em, page.replace(" LIMIT 300", ""))),
                  "%s: an unordered scan returns every row once" % mode)
            if mode == "segments":
                check([x[0] for x in rows] != sorted(x[0] for x in rows),
                      "segments: an unordered scan comes segment after segment, not in __time order")
        finally:
            em.stop()


def main():
    with PgCluster() as pg:
        pg.create_db("druidemu")
        dsn = pg.dsn("druidemu")
        em = Emulator(dsn)
        try:
            test_loader(em, dsn)
            test_formats(em)
            test_sql_features(em)
            test_errors(em)
            test_cancel(em)
            test_faults(dsn)
            test_auth(dsn)
            test_other_schema(dsn)
            test_tie_orders(dsn)
            test_big(em)
        finally:
            em.stop()
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("druid emulator wire test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
