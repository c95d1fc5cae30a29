#!/usr/bin/python3
"""Wire smoke test: hbase-load (Apache Thrift's stock client) against hbase-emulator
for every transport/protocol combination, plus the fault switches.

usage: wire_test.py HBASE_EMULATOR HBASE_LOAD
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

EMULATOR, LOAD = sys.argv[1], sys.argv[2]
COMBOS = [
    ("buffered+binary", ["--transport", "buffered", "--protocol", "binary"]),
    ("buffered+compact", ["--transport", "buffered", "--protocol", "compact"]),
    ("framed+binary", ["--transport", "framed", "--protocol", "binary"]),
    ("framed+compact", ["--transport", "framed", "--protocol", "compact"]),
    ("http+binary", ["--http"]),
]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class Emulator:
    def __init__(self, flags):
        self.proc = subprocess.Popen([EMULATOR, "--port", "0"] + flags, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise SystemExit("emulator did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "timeout"
        return rc


def load(em, flags, *args, stdin=""):
    p = subprocess.run([LOAD, "--port", str(em.port)] + flags + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


PUT = "\n".join(json.dumps(x) for x in [
    {"row": "b", "cells": {"cf:q": "two", "cf:z": "gone"}, "ts": 1000},
    {"row": "a", "cells": {"cf:q": "one", "meta:m": {"b64": "AP8="}}, "ts": 1000},
    {"row": {"b64": "/wA="}, "cells": {"cf:q": "binary key"}, "ts": 1000},
    {"row": "b", "cells": {"cf:z": None}, "ts": 1500},
    {"row": "c", "cells": {"cf:q": "line\n\"quoted\" é"}, "ts": 7},
    {"row": "c", "cells": {"cf:q": "newer"}, "ts": 8},
    {"row": "d", "cells": {"cf:q": "deleted later"}, "ts": 9},
]) + "\n"

EXPECTED = [
    {"row": "a", "cells": {"cf:q": {"v": "one", "ts": 1000}, "meta:m": {"v": {"b64": "AP8="}, "ts": 1000}}},
    {"row": "b", "cells": {"cf:q": {"v": "two", "ts": 1000}}},
    {"row": "c", "cells": {"cf:q": {"v": "newer", "ts": 8}}},
    {"row": {"b64": "/wA="}, "cells": {"cf:q": {"v": "binary key", "ts": 1000}}},
]


def combo(name, flags):
    em = Emulator(flags)
    try:
        rc, _, err = load(em, flags, "create", "t", "cf=3", "meta")
        check(rc == 0, "%s: create: %s" % (name, err))
        rc, _, err = load(em, flags, "create", "t", "cf")
        check(rc == 1 and "AlreadyExists: table name already in use" in err, "%s: duplicate create: %s" % (name, err))
        rc, _, err = load(em, flags, "create", "--if-not-exists", "t", "cf")
        check(rc == 0, "%s: create --if-not-exists: %s" % (name, err))
        rc, _, err = load(em, flags, "put", "t", stdin=PUT)
        check(rc == 0, "%s: put: %s" % (name, err))
        rc, _, err = load(em, flags, "delete", "t", stdin='{"row": "d"}\n')
        check(rc == 0, "%s: delete: %s" % (name, err))
        rc, out, err = load(em, flags, "dump", "t")
        check(rc == 0, "%s: dump: %s" % (name, err))
        got = [json.loads(line) for line in out.splitlines()]
        check(got == EXPECTED, "%s: dump content\n got %s\nwant %s" % (name, got, EXPECTED))
        rc, out, err = load(em, flags, "dump", "t", "--sorted")
        check(rc == 0 and [json.loads(x) for x in out.splitlines()] == EXPECTED, "%s: dump --sorted: %s" % (name, err))
        rc, out, err = load(em, flags, "dump", "t", "--columns", "meta")
        check(rc == 0 and [json.loads(x) for x in out.splitlines()] == [
            {"row": "a", "cells": {"meta:m": {"v": {"b64": "AP8="}, "ts": 1000}}}],
            "%s: dump --columns: %s %s" % (name, out, err))
        rc, out, err = load(em, flags, "put", "t", stdin='{"row": "e", "cells": {"cf:q": "now"}}\n')
        rc2, out2, _ = load(em, flags, "dump", "t", "--filter", "PrefixFilter('e')")
        rows = [json.loads(x) for x in out2.splitlines()]
        check(rc == 0 and rc2 == 0 and len(rows) == 1 and rows[0]["cells"]["cf:q"]["v"] == "now"
              and rows[0]["cells"]["cf:q"]["ts"] > 1_600_000_000_000, "%s: server timestamp: %s" % (name, out2))
        rc, out, err = load(em, flags, "dump", "t", "--filter", "NoSuchFilter()")
        check(rc == 1 and "TApplicationException" in err and "unknown filter 'NoSuchFilter'" in err,
              "%s: bad filter: %s" % (name, err))
        rc, _, err = load(em, flags, "put", "t", stdin='{"row": "x", "cells": {"nofam:q": "v"}}\n')
        check(rc == 1 and "IOError" in err, "%s: unknown family: %s" % (name, err))
        rc, _, err = load(em, flags, "put", "missing", stdin='{"row": "x", "cells": {"cf:q": "v"}}\n')
        check(rc == 1 and "IOError" in err, "%s: unknown table: %s" % (name, err))
        # Generated data, region splits and the scan baseline.
        rc, _, err = load(em, flags, "create", "g", "cf")
        rc2, _, err2 = load(em, flags, "generate", "g", "2500", "--cells", "3")
        check(rc == 0 and rc2 == 0, "%s: generate: %s %s" % (name, err, err2))
        rc, out, err = load(em, flags, "scan", "g", "--batch-size", "700")
        check(rc == 0 and out.startswith("rows=2500 cells=7500 seconds="), "%s: scan: %s %s" % (name, out, err))
        rc, out, err = load(em, flags, "scan", "g", "--sorted")
        check(rc == 0 and out.startswith("rows=2500 cells=7500 "), "%s: scan --sorted: %s %s" % (name, out, err))
        rc, out, err = load(em, flags, "dump", "g")
        rows = [json.loads(x) for x in out.splitlines()]
        check(rc == 0 and len(rows) == 2500 and rows[0]["row"] == "row0000000000"
              and rows[-1]["row"] == "row0000002499"
              and rows[1]["cells"]["cf:c0"]["v"] == "Linus Liskov"
              and rows[1]["cells"]["cf:c1"]["v"] == "-781918"
              and rows[1]["cells"]["cf:c2"]["v"] == "-49947.240"
              and rows[3]["cells"]["cf:c0"]["v"] != "", "%s: generated dump" % name)
        rc, out, err = load(em, flags, "regions", "g")
        regions = [json.loads(x) for x in out.splitlines()]
        check(rc == 0 and len(regions) == 1 and regions[0]["start"] == "" and regions[0]["end"] == ""
              and regions[0]["port"] == em.port, "%s: regions: %s %s" % (name, out, err))
    finally:
        rc = em.stop()
        check(rc == 0, "%s: emulator exit code after SIGTERM: %s" % (name, rc))


def faults():
    flags = []

    def setup(em):
        assert load(em, flags, "create", "g", "cf")[0] == 0
        assert load(em, flags, "generate", "g", "2500", "--cells", "2")[0] == 0

    cases = [
        (["--region-max-rows", "1000"], None),
        (["--expire-scanner-after", "2"], "IllegalArgument: scanner ID is invalid"),
        (["--ioerror-every", "2"], "UnknownScannerException: lease expired"),
        (["--drop-every", "3"], "thrift error"),
        (["--garbage-every", "2"], "thrift error"),
        (["--delay-ms", "50", "--scanner-timeout-ms", "10000"], None),
    ]
    for extra, want in cases:
        em = Emulator(extra)
        try:
            setup(em)
            rc, out, err = load(em, flags, "dump", "g")
            if want is None:
                check(rc == 0 and len(out.splitlines()) == 2500, "faults %s: %s" % (extra, err))
            else:
                check(rc == 1 and want in err, "faults %s: rc=%s err=%s" % (extra, rc, err))
            if extra[0] == "--region-max-rows":
                rc, out, err = load(em, flags, "regions", "g")
                regions = [json.loads(x) for x in out.splitlines()]
                # 2500 sequential keys with 1000 rows per region: every region <= 1000 rows,
                # contiguous and open at both ends.
                ok = rc == 0 and len(regions) >= 3 and regions[0]["start"] == "" and regions[-1]["end"] == ""
                ok = ok and all(regions[i]["end"] == regions[i + 1]["start"] for i in range(len(regions) - 1))
                ok = ok and all(r["name"] == "g,%s,%d" % (r["start"], r["id"]) for r in regions)
                check(ok, "regions after splits: %s" % out)
        finally:
            check(em.stop() == 0, "faults %s: exit code" % extra)


def persistence():
    """--data FILE: tables, cells, timestamps and regions survive a SIGTERM and a restart
    (on the same port, as a gateway restart would)."""
    flags = []
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "hbase.snapshot")
        em = Emulator(["--data", data, "--region-max-rows", "1000"])
        port = em.port
        try:
            assert load(em, flags, "create", "t", "cf=3", "meta")[0] == 0
            assert load(em, flags, "put", "t", stdin=PUT)[0] == 0
            assert load(em, flags, "create", "g", "cf")[0] == 0
            assert load(em, flags, "generate", "g", "2500", "--cells", "2")[0] == 0
            before = {t: load(em, flags, "dump", t)[1] for t in ("t", "g")}
            regions = load(em, flags, "regions", "g")[1]
        finally:
            check(em.stop() == 0, "persistence: exit code")
        check(os.path.exists(data), "persistence: no snapshot written on SIGTERM")
        em = Emulator(["--data", data, "--region-max-rows", "1000", "--port", str(port)])
        try:
            check(em.port == port, "persistence: restarted on port %s, not %s" % (em.port, port))
            after = {t: load(em, flags, "dump", t)[1] for t in ("t", "g")}
            check(after == before and len(after["g"].splitlines()) == 2500, "persistence: dumps differ")
            check(load(em, flags, "regions", "g")[1] == regions, "persistence: regions differ")
            rc, out, err = load(em, flags, "put", "t", stdin='{"row": "z", "cells": {"cf:q": "after restart"}}\n')
            check(rc == 0, "persistence: put after restart: %s" % err)
        finally:
            check(em.stop() == 0, "persistence: exit code after restart")
        with open(data, "wb") as f:
            f.write(b"garbage")
        p = subprocess.run([EMULATOR, "--port", "0", "--data", data], capture_output=True, text=True, timeout=10)
        check(p.returncode == 1 and "not an hbase-emulator snapshot" in p.stderr,
              "persistence: damaged file: %s %s" % (p.returncode, p.stderr))


for name, flags in COMBOS:
    combo(name, flags)
faults()
persistence()
if failures:
    print("%d failure(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("all wire checks passed")
