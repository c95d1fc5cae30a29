#!/usr/bin/python3
"""Wire test: questdb-emulator against captures of real QuestDB servers (tests/fixtures/questdb-captures),
plus questdb-load, auth, versions, persistence and every fault switch.

usage: wire_test.py QUESTDB_EMULATOR QUESTDB_LOAD CAPTURE_DIR

Capture names are paths under CAPTURE_DIR without ".txt", e.g. "9.3.2/05_select_all".
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

EMULATOR, LOAD, CAPTURES = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class Emulator:
    def __init__(self, flags=()):
        self.proc = subprocess.Popen([EMULATOR, "--port", "0"] + list(flags), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise SystemExit("emulator did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "timeout"


def get(em, path, headers=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", em.port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode("utf-8")
    return r.status, r.reason, r.getheaders(), body


def exec_path(query, **params):
    p = {"query": query}
    p.update(params)
    return "/exec?" + urllib.parse.urlencode(p)


def capture(name):
    with open(os.path.join(CAPTURES, name + ".txt"), encoding="utf-8") as f:
        raw = f.read()
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    status = lines[0]
    hdrs = [tuple(x.split(": ", 1)) for x in lines[1:] if x]
    return status, hdrs, body.rstrip("\n") if name.endswith("26_not_found_path") or "auth" in name else body


def same_shape(name, resp):
    """Status line, header names/values (except Date) in order, and the body byte for byte."""
    status, hdrs, body = capture(name)
    code, reason, got_hdrs, got_body = resp
    check(status == "HTTP/1.1 %d %s" % (code, reason), "%s: status %r vs %d %s" % (name, status, code, reason))
    want = [(k, v) for k, v in hdrs if k != "Date"]
    got = [(k, v) for k, v in got_hdrs if k != "Date"]
    check(want == got, "%s: headers %r vs %r" % (name, want, got))
    check(any(k == "Date" for k, _ in got_hdrs), name + ": Date header")
    check(body.strip() == got_body.strip(), "%s: body\n want %s\n got  %s" % (name, body, got_body))


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


SENSOR_ROWS = [
    ("2024-01-03T00:00:00.000000Z", "'s2'", "0.1", "42", "false", sql_str("last"), "'55555555-5555-5555-5555-555555555555'"),
    ("2024-01-01T00:00:00.000000Z", "'s1'", "21.5", "100", "true", sql_str("hello"), "'11111111-1111-1111-1111-111111111111'"),
    ("2024-01-02T06:30:00.000000Z", "NULL", "1e300", "0", "true", sql_str(""), "'44444444-4444-4444-4444-444444444444'"),
    ("2024-01-01T00:00:01.123456Z", "'s2'", "-3.25", "-7", "false", sql_str('quote " backslash \\ tab\tnl\nend'),
     "'22222222-2222-2222-2222-222222222222'"),
    ("2024-01-01T12:00:00.000000Z", "'s3'", "NULL", "NULL", "NULL", "NULL", "NULL"),
    ("2024-01-02T00:00:00.000000Z", "'s1'", "NaN", "9223372036854775807", "true", sql_str("ünïcödé €"),
     "'33333333-3333-3333-3333-333333333333'"),
]


def create_sensor(em):
    q = ("CREATE TABLE sensor(ts TIMESTAMP, id SYMBOL, temp DOUBLE, n LONG, ok BOOLEAN, note STRING, u UUID) "
         "timestamp(ts) PARTITION BY DAY")
    r = get(em, exec_path(q))
    check(r[0] == 200 and r[3] == '{"ddl":"OK"}', "create sensor: %r" % (r,))
    for row in SENSOR_ROWS:  # out of timestamp order on purpose
        r = get(em, exec_path("INSERT INTO sensor VALUES(" + ", ".join((sql_str(row[0]),) + row[1:]) + ")"))
        check(r[0] == 200, "insert: %r" % (r,))
    r = get(em, exec_path("INSERT INTO sensor VALUES('2024-01-03T01:00:00.000000Z', 's4', 1.5, 1, true, 'm1', NULL), "
                          "('2024-01-03T02:00:00.000000Z', 's4', 2.5, 2, true, 'm2', NULL)"))
    return r


def load(em, flags, *args, stdin=""):
    p = subprocess.run([LOAD, "--port", str(em.port)] + flags + list(args), input=stdin,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    # ---------------------------------------------------------------- 9.3.2 captures
    em = Emulator()
    r = create_sensor(em)
    check(r[0] == 200 and r[3] == '{"dml":"OK"}', "9.3.2 insert answers dml: %r" % (r,))
    same_shape("9.3.2/00_select_1", get(em, exec_path("select 1")))
    same_shape("9.3.2/05_select_all", get(em, exec_path("select * from sensor")))
    same_shape("9.3.2/08_select_sql_limit_2_4", get(em, exec_path("select * from sensor LIMIT 2,4")))
    same_shape("9.3.2/09_select_count_true", get(em, exec_path("select * from sensor", count="true", limit="0,2")))
    same_shape("9.3.2/10_select_nm_true", get(em, exec_path("select * from sensor", nm="true")))
    same_shape("9.3.2/19_nulls_nan_in_table", get(em, exec_path(
        "select ts, id, temp, n, note, u from sensor where id = 's3' or id = 's1' or id is null")))
    same_shape("9.3.2/12_error_bad_column", get(em, exec_path("select nosuchcol from sensor")))
    same_shape("9.3.2/14_error_no_table", get(em, exec_path("select * from nosuchtable")))
    same_shape("9.3.2/17_table_columns", get(em, exec_path("table_columns('sensor')")))
    show = get(em, exec_path("SHOW COLUMNS FROM sensor"))
    check(json.loads(show[3])["dataset"] == json.loads(capture("9.3.2/17_table_columns")[2])["dataset"], "show columns")
    same_shape("9.3.2/22_exec_no_query_param", get(em, "/exec"))
    same_shape("9.3.2/26_not_found_path", get(em, "/nosuchpath"))

    # LIMIT lo,hi in SQL is the row range [lo, hi): rows 2 and 3
    b = json.loads(get(em, exec_path("select n from sensor LIMIT 2,4"))[3])
    check(b["dataset"] == [[None], [9223372036854775807]] and b["count"] == 2, "LIMIT 2,4: %r" % b)
    b = json.loads(get(em, exec_path("select n from sensor limit -2"))[3])
    check(b["dataset"] == [[1], [2]], "LIMIT -2: %r" % b)
    b = json.loads(get(em, exec_path("select count() from sensor"))[3])
    check(b["columns"] == [{"name": "count()", "type": "LONG"}] and b["dataset"] == [[8]], "count(): %r" % b)
    b = json.loads(get(em, exec_path("select ts from sensor where ts >= '2024-01-02' and ts < '2024-01-03T00:00:00.000001Z'"))[3])
    check(len(b["dataset"]) == 3 and b["timestamp"] == 0, "ts range: %r" % b)
    b = json.loads(get(em, exec_path("tables()"))[3])
    check(len(b["columns"]) == 45 and b["dataset"][0][1:6] == ["sensor", "ts", "DAY", True, False], "tables(): %r" % b)
    r = get(em, exec_path("selec * from sensor"))
    check(r[0] == 400 and isinstance(json.loads(r[3])["position"], int), "syntax error 400: %r" % (r,))
    r = get(em, exec_path("DELETE FROM sensor"))
    check(r[0] == 400 and "position" in json.loads(r[3]), "DELETE is 400: %r" % (r,))

    # raw wire: chunked framing, no Content-Length, keep-alive on one connection
    s = socket.create_connection(("127.0.0.1", em.port), timeout=10)
    req = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % exec_path("select n from sensor limit 1")
    s.sendall((req + req).encode())
    data = b""
    deadline = time.time() + 10
    while data.count(b"\r\n0\r\n\r\n") < 2 and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    text = data.decode()
    check(text.count("HTTP/1.1 200 OK\r\n") == 2, "two answers on one keep-alive connection: %r" % text)
    check("Transfer-Encoding: chunked\r\n" in text and "Content-Length" not in text, "chunked, no Content-Length")
    head, _, rest = text.partition("\r\n\r\n")
    size_line, _, payload = rest.partition("\r\n")
    check(int(size_line, 16) == len(payload.split("\r\n")[0].encode()), "chunk size line: %r" % rest[:80])

    # loader: generate (with --dup), dump (LIMIT lo,hi paging), load, sql
    rc, out, err = load(em, [], "generate", "gen", "2500", "--dup", "2", "--step-us", "1000")
    check(rc == 0, "generate: %s %s" % (out, err))
    rc, out, err = load(em, [], "dump", "gen")
    rows = [json.loads(x) for x in out.splitlines()]
    check(rc == 0 and len(rows) == 2500, "dump 2500 rows: %d %s" % (len(rows), err))
    check([r_["n"] for r_ in rows] == list(range(2500)), "dump in ts order (stable for equal ts)")
    check(rows[0]["ts"] == "2024-01-01T00:00:00.000000Z" and rows[1]["ts"] == rows[0]["ts"]
          and rows[2]["ts"] == "2024-01-01T00:00:00.001000Z", "generate --dup/--step-us: %r" % rows[:3])
    rc, out, err = load(em, [], "sql", "CREATE TABLE j (ts TIMESTAMP, k SYMBOL, v DOUBLE, b BOOLEAN) TIMESTAMP(ts) "
                        "PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, k)")
    check(rc == 0 and json.loads(out) == {"ddl": "OK"}, "sql create: %s %s" % (out, err))
    lines = "\n".join(json.dumps(x) for x in [
        {"ts": "2024-01-02T00:00:00Z", "k": "a", "v": 1.5, "b": True},
        {"ts": "2024-01-01T00:00:00Z", "k": "it's", "v": None, "b": False},
        {"ts": "2024-01-02T00:00:00Z", "k": "a", "v": 2.5, "b": False},  # dedup: replaces the first
        {"ts": 1704067200000000, "k": "b", "v": -1e-7},
    ]) + "\n"
    rc, out, err = load(em, [], "load", "j", stdin=lines)
    check(rc == 0 and json.loads(out) == {"loaded": 4}, "load: %s %s" % (out, err))
    rc, out, err = load(em, [], "sql", "select * from j")
    b = json.loads(out)
    check(b["dataset"] == [["2024-01-01T00:00:00.000000Z", "it's", None, False],
                           ["2024-01-01T00:00:00.000000Z", "b", -1e-7, False],
                           ["2024-01-02T00:00:00.000000Z", "a", 2.5, False]], "loaded rows: %s" % out)
    check("-1.0E-7" in out, "java double rendering: %s" % out)
    rc, out, err = load(em, [], "sql", "select nosuch from j")
    check(rc != 0 and json.loads(out)["position"] == 7, "sql error exit code: %s" % out)
    check(em.stop() == 0, "SIGTERM -> exit 0")

    # ---------------------------------------------------------------- 7.4.2 differences
    em = Emulator(["--version", "7.4.2"])
    r = create_sensor(em)
    check(r[3] == '{"ddl":"OK"}', "7.4.2 insert answers ddl: %r" % (r,))
    same_shape("7.4.2/17_table_columns", get(em, exec_path("table_columns('sensor')")))
    same_shape("7.4.2/22_exec_no_query_param", get(em, "/exec"))
    b = json.loads(get(em, exec_path("tables()"))[3])
    check(len(b["columns"]) == 9, "7.4.2 tables(): %r" % b)
    check(em.stop() == 0, "SIGTERM -> exit 0 (7.4.2)")

    # ---------------------------------------------------------------- auth
    em = Emulator(["--user", "admin", "--password", "quest"])
    same_shape("9.3.2/auth/40_auth_no_credentials", get(em, exec_path("select 1")))
    r = get(em, exec_path("tables()"), {"Authorization": "Basic YWRtaW46d3Jvbmc="})
    check(r[0] == 401 and not any(k.lower() == "www-authenticate" for k, _ in r[2]), "wrong password 401")
    r = get(em, exec_path("tables()"), {"Authorization": "Basic YWRtaW46cXVlc3Q="})
    check(r[0] == 200, "right password 200: %r" % (r,))
    rc, out, err = load(em, ["--user", "admin", "--password", "quest"], "generate", "g", "10")
    check(rc == 0, "loader with auth: %s %s" % (out, err))
    rc, out, err = load(em, [], "sql", "tables()")
    check(rc != 0, "loader without auth fails")
    em.stop()

    # ---------------------------------------------------------------- persistence
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "q.sqlite")
        em = Emulator(["--data", path])
        create_sensor(em)
        check(em.stop() == 0, "stop with --data")
        em = Emulator(["--data", path])
        same_shape("9.3.2/05_select_all", get(em, exec_path("select * from sensor")))
        em.stop()

    # ---------------------------------------------------------------- faults
    em = Emulator(["--fail-429", "2"])
    codes = [get(em, exec_path("tables()"))[0] for _ in range(3)]
    check(codes == [429, 429, 200], "--fail-429 2: %r" % codes)
    em.stop()
    em = Emulator(["--fail-500-every", "3"])
    codes = [get(em, exec_path("tables()"))[0] for _ in range(6)]
    check(codes == [200, 200, 500, 200, 200, 500], "--fail-500-every 3: %r" % codes)
    em.stop()
    em = Emulator(["--drop-every", "2"])
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(get(em, exec_path("tables()"))[0])
        except (http.client.HTTPException, ConnectionError):
            outcomes.append("dropped")
    check(outcomes == [200, "dropped", 200, "dropped"], "--drop-every 2: %r" % outcomes)
    em.stop()
    em = Emulator(["--delay-ms", "300"])
    t0 = time.time()
    get(em, exec_path("tables()"))
    check(time.time() - t0 >= 0.3, "--delay-ms 300")
    em.stop()
    em = Emulator(["--error-in-body-every", "2"])
    bodies = [get(em, exec_path("tables()")) for _ in range(2)]
    check(bodies[0][0] == 200 and "error" not in json.loads(bodies[0][3]), "error-in-body: first ok")
    check(bodies[1][0] == 200 and "error" in json.loads(bodies[1][3]), "error-in-body: second has error: %r" % (bodies[1],))
    em.stop()

    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("all questdb wire checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
