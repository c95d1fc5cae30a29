"""End-to-end tests of the HBase source against the in-memory Thrift1 gateway emulator
(tests/emulators/hbase). Every test compares the synced SQLite content with an
expectation computed in Python from `hbase-load dump` (tests/harness/hbase_emulator.py)."""
import datetime as dt
import json
import os
import re
import struct
import time

import pytest

import hbase_emulator as he
import sluicetest
from hbase_emulator import GEN_COLUMNS, Emulator, assert_rows_equal, dest_rows, expected_rows
from sluicetest import check_ok, run_sluice

SRC = "hb"


# --------------------------------------------------------------------------- helpers
def dest_table(t):
    return f"{SRC}__{t}"


def write_cfg(tmp_path, em, tables, fname="sluice.yaml", db="dest.db", **source_kw):
    cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / db)},
           "log": {"level": "info", "format": "text"},
           "sources": [em.source_cfg(tables, **source_kw)]}
    return sluicetest.write_config(tmp_path / fname, cfg), str(tmp_path / db)


def sync(tmp_path, em, tables, **kw):
    cfg, db = write_cfg(tmp_path, em, tables, **kw)
    res = run_sluice("once", config=cfg, timeout=240)
    assert res.returncode == 0, res.describe() + "\n--- emulator stderr ---\n" + em.stderr_text()
    return res, db, cfg


def be64(n):
    return struct.pack(">q", n)


def bedouble(x):
    return struct.pack(">d", x)


def ms(y, mo, d, h=0, mi=0, s=0, milli=0):
    t = dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc)
    return int(t.timestamp()) * 1000 + milli


RICH_COLUMNS = [
    {"cell": "info:name", "name": "name", "type": "string"},
    {"cell": "info:age", "name": "age", "type": "int64"},
    {"cell": "info:created_at", "name": "created_at", "type": "timestamp"},
    {"cell": "m:score", "name": "score", "type": "double"},
    {"cell": "m:active", "name": "active", "type": "bool"},
    {"cell": "m:payload", "name": "payload", "type": "json"},
    {"cell": "x:blob", "name": "blob", "type": "bytes"},
    {"cell": "m:big", "name": "big", "type": "int64"},
]


def rich_rows(n=300):
    """Rows exercising every declared type and encoding, missing cells, unmapped
    non-UTF-8 cells, several families; first put (newer ts) then an older version."""
    names = ["Ada Lovelace", "Grace Hopper", "ünïcødé 名前", "O'Brien \"Q\"", "", "tab\there"]
    rows, older = [], []
    for i in range(n):
        key = f"user{i:05d}"
        c = {}
        if i % 7 != 3:
            c["info:name"] = names[i % len(names)] + f" #{i}"
        if i % 3 == 0:
            c["info:age"] = str(i - 150)
        elif i % 3 == 1:
            c["info:age"] = be64(-i * 1000003 if i % 2 else i * 7919)
        # timestamps: ISO text, millis text, 8-byte BE millis, ISO with fraction
        base = ms(2024, 1, 1) + i * 61_001
        if i % 4 == 0:
            c["info:created_at"] = dt.datetime.fromtimestamp(base / 1000, dt.timezone.utc) \
                .strftime("%Y-%m-%dT%H:%M:%S.") + f"{base % 1000:03d}Z"
        elif i % 4 == 1:
            c["info:created_at"] = str(base)
        elif i % 4 == 2:
            c["info:created_at"] = be64(base)
        c["m:score"] = f"{i * 1.25 - 10:.2f}" if i % 2 else bedouble(i / 3.0)
        c["m:active"] = ["true", "FALSE", "1", "0", b"\x00", b"\x07"][i % 6]
        if i % 5 != 4:
            c["m:payload"] = json.dumps({"i": i, "tags": ["a", "b"], "nested": {"k": None}})
        if i % 2 == 0:
            c["x:blob"] = bytes((i + j) % 256 for j in range(i % 13))
        c["m:big"] = be64(2**62 + i) if i % 2 else be64(-(2**63) + i)
        # unmapped cells: non-UTF-8, text, another family
        if i % 3 != 2:
            c["x:raw"] = b"\xff\xfe" + bytes([i % 256]) + b"\x80"
        c["x:note"] = f"note {i}"
        if i % 10 == 0:
            c["info:extra"] = "extra ✓"
        rows.append({"row": key, "cells": c, "ts": 2_000_000_000_000 + i})
        # an older version of a couple of cells, written afterwards: the newest must win
        if i % 4 == 0:
            older.append({"row": key, "cells": {"info:name": "STALE", "m:score": "-1"}, "ts": 1_000_000_000_000})
    return rows, older


def load_rich(em, table="profile", n=300):
    em.create(table, "info=3", "m=3", "x=3")
    rows, older = rich_rows(n)
    em.put(table, rows)
    em.put(table, older)
    # a third, newest version of a few cells
    em.put(table, [{"row": f"user{i:05d}", "cells": {"info:name": f"newest {i}"}, "ts": 2_100_000_000_000}
                   for i in range(0, n, 25)])


def check_summary(res, table, n):
    assert re.search(rf"^{SRC}\.{re.escape(table)}: {n} rows\s*$", res.stdout, re.M), res.describe()


# --------------------------------------------------------------------------- 1. wire variants
@pytest.mark.parametrize("transport,protocol,http", [
    ("buffered", "binary", False), ("buffered", "compact", False), ("framed", "binary", False),
    ("framed", "compact", False), ("buffered", "binary", True)],
    ids=["buffered-binary", "buffered-compact", "framed-binary", "framed-compact", "http"])
def test_content_every_wire_variant(tmp_path, transport, protocol, http):
    with Emulator(transport=transport, protocol=protocol, http=http) as em:
        load_rich(em)
        dump = em.dump("profile")
        assert len(dump) == 300
        exp = expected_rows(dump, RICH_COLUMNS)
        # sanity of the expectation itself: newest versions, 8-byte ints, b64 in _cells
        assert exp["user00000"]["name"] == "newest 0"
        assert exp["user00002"]["name"] == "ünïcødé 名前 #2" and exp["user00002"]["score"] == 2 / 3.0
        assert exp["user00001"]["age"] == -1000003 and exp["user00003"]["name"] is None
        assert exp["user00001"]["_cells"]["x:raw"] == {"b64": "//4BgA=="}
        tables = [{"name": "profile", "columns": RICH_COLUMNS, "batch_size": 37}]
        res, db, cfg = sync(tmp_path, em, tables)
        check_summary(res, "profile", 300)
        assert_rows_equal(exp, dest_rows(db, dest_table("profile"), RICH_COLUMNS), f"{transport}/{protocol}/http={http}")
        cols = he.dest_columns(db, dest_table("profile"))
        for c in ("row_key", "name", "age", "created_at", "_cells", "_sluice_synced_at", "_sluice_deleted"):
            assert c in cols, cols
        # a second pass changes nothing
        check_ok(run_sluice("once", config=cfg))
        assert_rows_equal(exp, dest_rows(db, dest_table("profile"), RICH_COLUMNS), "second pass")
        assert he.sqlite_scalar(db, f'SELECT count(*) FROM "{dest_table("profile")}"') == 300


# --------------------------------------------------------------------------- 2. scan options
SCAN_COLUMNS = [
    {"cell": "info:name", "name": "name", "type": "string"},
    {"cell": "info:n", "name": "n", "type": "int64"},
]


@pytest.fixture(scope="module")
def scan_em():
    with Emulator() as em:
        em.create("scanopts", "info=3", "x=3")
        rows = []
        for p in "abc":
            for i in range(60):
                c = {"info:name": f"{p}-{i}", "info:n": str(i), "x:w": f"w{i}", "x:v": b"\xff" + bytes([i])}
                if i % 5 != 0:
                    c["info:grp"] = "even" if i % 2 == 0 else "odd"
                rows.append({"row": f"{p}{i:03d}", "cells": c})
        em.put("scanopts", rows)
        # wide rows for scan_batching
        em.create("wide", "w", "z")
        em.put("wide", [{"row": f"k{i:03d}", "cells": {**{f"w:q{j:02d}": f"{i}-{j}" for j in range(20)},
                                                        "z:only": str(i)}} for i in range(40)])
        # explicit versions for `timestamp`
        em.create("tsv", "info=5")
        em.put("tsv", [{"row": f"r{i:02d}", "cells": {"info:v": f"old{i}", "info:w": f"w{i}"}, "ts": 1000}
                       for i in range(0, 20, 2)])
        em.put("tsv", [{"row": f"r{i:02d}", "cells": {"info:v": f"new{i}"}, "ts": 3000} for i in range(20)])
        em.put("tsv", [{"row": f"r{i:02d}", "cells": {"info:w": f"mid{i}"}, "ts": 1500} for i in range(0, 20, 4)])
        yield em, em.dump("scanopts"), em.dump("wide")


def _keys(d):
    return [k for k, _ in d]


def _sel(dump, pred):
    return [(k, c) for k, c in dump if pred(k, c)]


SCAN_CASES = {
    "row_start_stop": ({"row_start": "a030", "row_stop": "b010"}, lambda d: _sel(d, lambda k, c: b"a030" <= k < b"b010")),
    "row_start_only": ({"row_start": "c050"}, lambda d: _sel(d, lambda k, c: k >= b"c050")),
    "row_prefix": ({"row_prefix": "b"}, lambda d: _sel(d, lambda k, c: k.startswith(b"b"))),
    "row_prefix_reverse": ({"row_prefix": "b", "reverse": True}, lambda d: _sel(d, lambda k, c: k.startswith(b"b"))),
    "row_prefix_deep": ({"row_prefix": "c01"}, lambda d: _sel(d, lambda k, c: k.startswith(b"c01"))),
    "filter_scvf": ({"filter": "SingleColumnValueFilter('info', 'grp', =, 'binary:even')"},
                    lambda d: _sel(d, lambda k, c: c.get("info:grp", (b"even",))[0] == b"even")),
    "filter_scvf_if_missing": ({"filter": "SingleColumnValueFilter('info', 'grp', =, 'binary:odd', true, true)"},
                               lambda d: _sel(d, lambda k, c: c.get("info:grp", (None,))[0] == b"odd")),
    "filter_prefix": ({"filter": "PrefixFilter('c02')"}, lambda d: _sel(d, lambda k, c: k.startswith(b"c02"))),
    "limit": ({"limit": 25}, lambda d: d[:25]),
    "limit_reverse": ({"limit": 25, "reverse": True}, lambda d: d[-25:]),
    "reverse": ({"reverse": True}, lambda d: d),
    "reverse_start_stop": ({"reverse": True, "row_start": "b010", "row_stop": "a030"},
                           lambda d: _sel(d, lambda k, c: b"a030" < k <= b"b010")),
    "sorted_columns": ({"sorted_columns": True}, lambda d: d),
    "limit_small_batches": ({"limit": 50, "batch_size": 7}, lambda d: d[:50]),
}


@pytest.mark.parametrize("case", list(SCAN_CASES))
def test_scan_option(tmp_path, scan_em, case):
    em, dump, _ = scan_em
    opts, pick = SCAN_CASES[case]
    exp_dump = pick(dump)
    assert exp_dump, case
    tables = [{"name": "scanopts", "columns": SCAN_COLUMNS, "batch_size": opts.pop("batch_size", 13), **opts}]
    opts["batch_size"] = tables[0]["batch_size"]
    res, db, _ = sync(tmp_path, em, tables)
    check_summary(res, "scanopts", len(exp_dump))
    assert_rows_equal(expected_rows(exp_dump, SCAN_COLUMNS), dest_rows(db, dest_table("scanopts"), SCAN_COLUMNS), case)


def test_scan_batching_wide_rows(tmp_path, scan_em):
    em, _, wide = scan_em
    cols = [{"cell": "w:q00", "name": "q00"}, {"cell": "w:q19", "name": "q19"}, {"cell": "z:only", "name": "only",
                                                                               "type": "int64"}]
    for sorted_cols in (False, True):
        tables = [{"name": "wide", "columns": cols, "scan_batching": 3, "batch_size": 7, "sorted_columns": sorted_cols}]
        res, db, _ = sync(tmp_path, em, tables, db=f"wide{sorted_cols}.db", fname=f"wide{sorted_cols}.yaml")
        check_summary(res, "wide", 40)
        exp = expected_rows(wide, cols)
        assert len(exp["k005"]["_cells"]) == 18
        assert_rows_equal(exp, dest_rows(db, dest_table("wide"), cols), f"scan_batching sorted={sorted_cols}")


def test_include_timestamp(tmp_path, scan_em):
    em, dump, _ = scan_em
    tables = [{"name": "scanopts", "columns": SCAN_COLUMNS, "include_timestamp": True}]
    res, db, _ = sync(tmp_path, em, tables)
    cols = he.dest_columns(db, dest_table("scanopts"))
    assert "name_ts" in cols and "n_ts" in cols, cols
    exp = expected_rows(dump, SCAN_COLUMNS, include_timestamp=True)
    assert isinstance(exp["a001"]["_cells"]["x:w"], dict) and "ts" in exp["a001"]["_cells"]["x:w"]
    assert_rows_equal(exp, dest_rows(db, dest_table("scanopts"), SCAN_COLUMNS, include_timestamp=True),
                      "include_timestamp")


def test_scan_columns(tmp_path, scan_em):
    em, dump, _ = scan_em
    tables = [{"name": "scanopts", "columns": SCAN_COLUMNS, "scan_columns": ["info", "x:w"]}]
    res, db, _ = sync(tmp_path, em, tables)
    restricted = [(k, {c: v for c, v in cells.items() if c.startswith("info:") or c == "x:w"}) for k, cells in dump]
    exp = expected_rows(restricted, SCAN_COLUMNS)
    assert "x:v" not in exp["a001"]["_cells"] and "x:w" in exp["a001"]["_cells"]
    assert_rows_equal(exp, dest_rows(db, dest_table("scanopts"), SCAN_COLUMNS), "scan_columns")


def test_scan_timestamp(tmp_path, scan_em):
    em, _, _ = scan_em
    cols = [{"cell": "info:v", "name": "v"}]
    tables = [{"name": "tsv", "columns": cols, "timestamp": 2000, "include_timestamp": True}]
    res, db, _ = sync(tmp_path, em, tables)
    # cells with ts < 2000: info:v 'old' (ts 1000) on even rows, info:w 'mid' (1500) on rows %4==0,
    # else 'w' (1000); odd rows have no cell older than 2000 and are not returned at all.
    exp = {}
    for i in range(0, 20, 2):
        w = (f"mid{i}", 1500) if i % 4 == 0 else (f"w{i}", 1000)
        exp[f"r{i:02d}"] = {"v": f"old{i}", "v_ts": he.fmt_micros(1000 * 1000),
                            "_cells": {"info:w": {"value": w[0], "ts": w[1]}}}
    assert_rows_equal(exp, dest_rows(db, dest_table("tsv"), cols, include_timestamp=True), "timestamp=2000")


# --------------------------------------------------------------------------- 3. region-parallel


def test_region_parallel(tmp_path):
    with Emulator("--region-max-rows", 500) as em:
        em.create("big", "cf")
        em.generate("big", 5000, cells=8)
        regions = em.regions("big")
        assert len(regions) >= 5, regions
        dump = em.dump("big")
        assert len(dump) == 5000
        tables = [{"name": "big", "columns": GEN_COLUMNS, "max_parallel_workers": 3, "batch_size": 100}]
        res, db, cfg = sync(tmp_path, em, tables)
        check_summary(res, "big", 5000)
        exp = expected_rows(dump, GEN_COLUMNS)
        assert_rows_equal(exp, dest_rows(db, dest_table("big"), GEN_COLUMNS), "region-parallel")
        # more rows land in several regions: a second pass picks them up
        em.generate("big", 1200, start=5000)
        check_ok(run_sluice("once", config=cfg))
        exp = expected_rows(em.dump("big"), GEN_COLUMNS)
        assert len(exp) == 6200
        assert_rows_equal(exp, dest_rows(db, dest_table("big"), GEN_COLUMNS), "region-parallel pass 2")


# --------------------------------------------------------------------------- 4. incremental modes
EV_COLUMNS = [{"cell": "info:name", "name": "name"}, {"cell": "info:updated_at", "name": "updated_at",
                                                      "type": "timestamp"}]


def iso(base_ms):
    return dt.datetime.fromtimestamp(base_ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{base_ms % 1000:03d}Z"


T0 = ms(2024, 5, 1)


def _ev(i, minute, name=None):
    return {"row": f"e{i:03d}", "cells": {"info:name": name or f"event {i}", "info:updated_at": iso(T0 + minute * 60_000),
                                          "info:other": f"o{i}"}}


def _run_pass(cfg, em):
    res = run_sluice("once", config=cfg, timeout=120)
    assert res.returncode == 0, res.describe() + "\n" + em.stderr_text()
    return res


def _cursor_passes(tmp_path, lookback):
    with Emulator() as em:
        em.create("events", "info=3")
        tables = [{"name": "events", "mode": "cursor_column", "cursor": "info:updated_at", "columns": EV_COLUMNS,
                   "batch_size": 4}]
        cfg, db = write_cfg(tmp_path, em, tables, lookback=lookback, fname=f"ev{lookback}.yaml", db=f"ev{lookback}.db")
        expected = {}

        def refresh(keys):
            full = expected_rows(em.dump("events"), EV_COLUMNS)
            for k in keys:
                expected[k] = full[k]

        # pass 1: 10 rows plus one without the cursor cell
        em.put("events", [_ev(i, i) for i in range(1, 11)])
        em.put("events", [{"row": "nocursor1", "cells": {"info:name": "no cursor"}}])
        _run_pass(cfg, em)
        refresh([f"e{i:03d}" for i in range(1, 11)] + ["nocursor1"])
        assert_rows_equal(expected, dest_rows(db, dest_table("events"), EV_COLUMNS), "cursor pass 1")
        st = run_sluice("state", "show", config=cfg)
        state = [s for s in json.loads(st.stdout) if s["table"] == "events"]
        assert state and state[0]["cursor"]["mode"] == "cursor_column", st.describe()
        hw = state[0]["cursor"]["hw"]  # the high-water mark's bytes (base64 in the JSON state)
        assert hw in (iso(T0 + 10 * 60_000), he.base64.b64encode(iso(T0 + 10 * 60_000).encode()).decode()), \
            st.describe()

        # pass 2: inserts, an update that bumps the cursor, an update that does not (not picked up),
        # a row without cursor (never read again)
        em.put("events", [_ev(i, i) for i in range(11, 16)])
        em.put("events", [_ev(3, 20, name="event 3 v2")])
        em.put("events", [{"row": "e004", "cells": {"info:name": "silent update"}}])
        em.put("events", [{"row": "nocursor2", "cells": {"info:name": "no cursor"}}])
        _run_pass(cfg, em)
        refresh([f"e{i:03d}" for i in range(11, 16)] + ["e003"])
        assert_rows_equal(expected, dest_rows(db, dest_table("events"), EV_COLUMNS), "cursor pass 2")

        # pass 3: a late row whose cursor is 30 s below the high-water mark (minute 20), and a new one
        em.put("events", [{"row": "late", "cells": {"info:name": "late",
                                                    "info:updated_at": iso(T0 + 20 * 60_000 - 30_000)}}])
        em.put("events", [_ev(16, 25)])
        _run_pass(cfg, em)
        refresh(["e016"] + (["late"] if lookback != "0s" else []))
        # rows at or above hwm - lookback are re-read: e003 (minute 20) is rewritten with the same values
        assert_rows_equal(expected, dest_rows(db, dest_table("events"), EV_COLUMNS), f"cursor pass 3 lookback={lookback}")
        return expected, db


def test_cursor_column_lookback_zero_misses_late_row(tmp_path):
    expected, db = _cursor_passes(tmp_path, "0s")
    assert "late" not in dest_rows(db, dest_table("events"), EV_COLUMNS)


def test_cursor_column_lookback_catches_late_row(tmp_path):
    expected, db = _cursor_passes(tmp_path, "60s")
    assert dest_rows(db, dest_table("events"), EV_COLUMNS)["late"]["name"] == "late"


def test_cell_timestamp_mode(tmp_path):
    cols = [{"cell": "d:a", "name": "a", "type": "int64"}, {"cell": "d:b", "name": "b"}]
    with Emulator() as em:
        em.create("ct", "d=3")
        em.put("ct", [{"row": f"r{i:03d}", "cells": {"d:a": str(i), "d:b": f"b{i}"}} for i in range(50)])
        tables = [{"name": "ct", "mode": "cell_timestamp", "columns": cols, "batch_size": 9}]
        cfg, db = write_cfg(tmp_path, em, tables, lookback="0s")
        expected = {}

        def refresh(keys):
            full = expected_rows(em.dump("ct"), cols)
            for k in keys:
                expected[k] = full[k]

        time.sleep(0.05)
        _run_pass(cfg, em)
        refresh([f"r{i:03d}" for i in range(50)])
        assert_rows_equal(expected, dest_rows(db, dest_table("ct"), cols), "cell_timestamp pass 1")
        synced = lambda k: he.sqlite_scalar(db, 'SELECT _sluice_synced_at FROM "hb__ct" WHERE row_key = ?', (k,))
        untouched_at = synced("r000")
        r7_at = synced("r007")
        time.sleep(1.1)

        # pass 2: one cell of r007 changes, a new row
        em.put("ct", [{"row": "r007", "cells": {"d:b": "changed"}}, {"row": "r900", "cells": {"d:a": "900"}}])
        time.sleep(0.05)
        _run_pass(cfg, em)
        refresh(["r007", "r900"])
        assert_rows_equal(expected, dest_rows(db, dest_table("ct"), cols), "cell_timestamp pass 2")
        assert synced("r000") == untouched_at, "an unchanged row was rewritten by an incremental pass"
        assert synced("r007") != r7_at
        time.sleep(1.1)

        # pass 3: another single-cell update; r007 is not rewritten again
        r7_at = synced("r007")
        em.put("ct", [{"row": "r020", "cells": {"d:a": "-20"}}])
        time.sleep(0.05)
        _run_pass(cfg, em)
        refresh(["r020"])
        assert_rows_equal(expected, dest_rows(db, dest_table("ct"), cols), "cell_timestamp pass 3")
        assert synced("r000") == untouched_at and synced("r007") == r7_at
        assert expected["r020"]["a"] == -20 and expected["r007"]["b"] == "changed"


def test_full_mode_soft_deletes_and_restores(tmp_path):
    cols = [{"cell": "d:a", "name": "a", "type": "int64"}]
    with Emulator("--region-max-rows", 40) as em:
        em.create("fm", "d=3")
        em.put("fm", [{"row": f"r{i:03d}", "cells": {"d:a": str(i), "d:x": f"x{i}"}} for i in range(100)])
        tables = [{"name": "fm", "mode": "full", "columns": cols, "batch_size": 11, "max_parallel_workers": 2}]
        cfg, db = write_cfg(tmp_path, em, tables)
        _run_pass(cfg, em)
        assert_rows_equal(expected_rows(em.dump("fm"), cols), dest_rows(db, dest_table("fm"), cols), "full pass 1")

        before = expected_rows(em.dump("fm"), cols)
        gone = ["r003", "r004", "r050", "r099"]
        em.delete("fm", gone)
        em.put("fm", [{"row": "r500", "cells": {"d:a": "500"}}, {"row": "r001", "cells": {"d:a": "-1"}}])
        _run_pass(cfg, em)
        assert_rows_equal(expected_rows(em.dump("fm"), cols), dest_rows(db, dest_table("fm"), cols), "full pass 2 live")
        assert_rows_equal({k: before[k] for k in gone}, dest_rows(db, dest_table("fm"), cols, deleted=1),
                          "full pass 2 soft-deleted")

        em.put("fm", [{"row": "r003", "cells": {"d:a": "3333"}}])
        _run_pass(cfg, em)
        live = expected_rows(em.dump("fm"), cols)
        assert live["r003"]["a"] == 3333
        assert_rows_equal(live, dest_rows(db, dest_table("fm"), cols), "full pass 3 live")
        assert_rows_equal({k: before[k] for k in gone if k != "r003"}, dest_rows(db, dest_table("fm"), cols, deleted=1),
                          "full pass 3 soft-deleted")


# --------------------------------------------------------------------------- 5. bad input
@pytest.fixture(scope="module")
def bad_em():
    with Emulator() as em:
        em.create("nums", "d")
        em.put("nums", [{"row": f"n{i:02d}", "cells": {"d:v": str(i)}} for i in range(10)])
        em.put("nums", [{"row": "n05", "cells": {"d:v": "12x"}}])
        em.create("binkeys", "d")
        em.put("binkeys", [{"row": b"\x00\xff" + bytes([i]), "cells": {"d:v": str(i)}} for i in range(5)]
               + [{"row": "plain", "cells": {"d:v": "99"}}, {"row": b"caf\xc3\xa9", "cells": {"d:v": "7"}}])
        yield em


def test_undecodable_int_fails_naming_table_row_cell(tmp_path, bad_em):
    cfg, db = write_cfg(tmp_path, bad_em, [{"name": "nums", "columns": [{"cell": "d:v", "name": "v", "type": "int64"}]}])
    res = run_sluice("once", config=cfg, timeout=60)
    assert res.returncode != 0, res.describe()
    out = res.output
    assert "hb.nums" in out and "'n05'" in out and "d:v" in out, res.describe()


def test_on_decode_error_null(tmp_path, bad_em):
    cols = [{"cell": "d:v", "name": "v", "type": "int64"}]
    res, db, _ = sync(tmp_path, bad_em, [{"name": "nums", "columns": cols, "on_decode_error": "null"}])
    exp = {f"n{i:02d}": {"v": None if i == 5 else i, "_cells": None} for i in range(10)}
    assert_rows_equal(exp, dest_rows(db, dest_table("nums"), cols), "on_decode_error null")


def test_binary_row_key_string_type_fails(tmp_path, bad_em):
    cfg, db = write_cfg(tmp_path, bad_em, [{"name": "binkeys", "columns": [{"cell": "d:v", "name": "v"}]}])
    res = run_sluice("once", config=cfg, timeout=60)
    assert res.returncode != 0, res.describe()
    assert "hb.binkeys" in res.output and "0x00ff00" in res.output and "row_key_type" in res.output, res.describe()


def test_binary_row_key_bytes(tmp_path, bad_em):
    cols = [{"cell": "d:v", "name": "v", "type": "int64"}]
    res, db, _ = sync(tmp_path, bad_em, [{"name": "binkeys", "columns": cols, "row_key_type": "bytes"}])
    exp = expected_rows(bad_em.dump("binkeys"), cols, row_key_type="bytes")
    assert b"\x00\xff\x03" in exp and b"plain" in exp and "caf\u00e9".encode() in exp
    got = dest_rows(db, dest_table("binkeys"), cols)
    assert all(isinstance(k, bytes) for k in got), list(got)
    assert_rows_equal(exp, got, "bytes row keys")
    assert he.sqlite_scalar(db, 'SELECT typeof(row_key) FROM "hb__binkeys" LIMIT 1') == "blob"


def test_hostile_names(tmp_path):
    table = 'we"ird; drop'
    cols = [{"cell": 'f-1:q "x"', "name": 'na"me; --', "type": "string"},
            {"cell": "f-1:n", "name": "with space ü", "type": "int64"}]
    with Emulator() as em:
        em.create(table, "f-1")
        em.put(table, [{"row": f"k'{i}\"", "cells": {'f-1:q "x"': f"v\"{i}'", "f-1:n": str(i), "f-1:other q": "o"}}
                       for i in range(12)])
        res, db, _ = sync(tmp_path, em, [{"name": table, "columns": cols}])
        assert_rows_equal(expected_rows(em.dump(table), cols), dest_rows(db, dest_table(table), cols), "hostile names")
        dcols = he.dest_columns(db, dest_table(table))
        assert 'na"me; --' in dcols and "with space ü" in dcols, dcols


def test_missing_table_named(tmp_path, bad_em):
    cfg, _ = write_cfg(tmp_path, bad_em, [{"name": "nums", "columns": [{"cell": "d:v", "name": "v"}],
                                           "on_decode_error": "null"},
                                          {"name": "no_such_tbl", "columns": [{"cell": "d:v", "name": "v"}]}])
    res = run_sluice("once", config=cfg, timeout=60)
    assert res.returncode != 0, res.describe()
    assert "no_such_tbl" in res.output, res.describe()


def test_unknown_family_named(tmp_path, bad_em):
    cfg, _ = write_cfg(tmp_path, bad_em, [{"name": "nums", "columns": [{"cell": "zzfam:v", "name": "v"}]}])
    res = run_sluice("once", config=cfg, timeout=60)
    assert res.returncode != 0, res.describe()
    assert "zzfam" in res.output, res.describe()


@pytest.mark.parametrize("mismatch,expect", [({"transport": "framed"}, "framed"), ({"client": "http"}, "http"),
                                               ({"protocol": "compact"}, "compact")],
                         ids=["framed-vs-buffered", "http-vs-socket", "compact-vs-binary"])
def test_wrong_wire_settings_fail_fast(tmp_path, bad_em, mismatch, expect):
    cfg, _ = write_cfg(tmp_path, bad_em, [{"name": "nums", "columns": [{"cell": "d:v", "name": "v"}]}],
                       timeout="3s", **mismatch)
    t0 = time.monotonic()
    res = run_sluice("once", config=cfg, timeout=90)
    elapsed = time.monotonic() - t0
    assert res.returncode != 0, res.describe()
    assert elapsed < 20, f"took {elapsed:.1f}s with timeout 3s\n" + res.describe()
    # the message names the source, the gateway address and the wire settings in use
    assert "hb" in res.output and f"127.0.0.1:{bad_em.port}" in res.output and expect in res.output, res.describe()


# --------------------------------------------------------------------------- scan options x regions
@pytest.fixture(scope="module")
def region_em():
    with Emulator("--region-max-rows", 20) as em:
        em.create("scanopts", "info=3", "x=3")
        rows = []
        for p in "abc":
            for i in range(60):
                c = {"info:name": f"{p}-{i}", "info:n": str(i), "x:w": f"w{i}"}
                if i % 5 != 0:
                    c["info:grp"] = "even" if i % 2 == 0 else "odd"
                rows.append({"row": f"{p}{i:03d}", "cells": c})
        em.put("scanopts", rows)
        assert len(em.regions("scanopts")) >= 5
        yield em, em.dump("scanopts")


REGION_CASES = ["limit", "limit_reverse", "row_start_stop", "row_prefix_reverse", "reverse_start_stop",
                "filter_scvf", "limit_small_batches", "reverse"]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("case", REGION_CASES)
def test_scan_option_many_regions(tmp_path, region_em, case, workers):
    """The same options over a table split into ~9 regions, scanned by 1 or 3 workers:
    `limit` is per table (the first/last N keys overall), not per region."""
    em, dump = region_em
    opts, pick = SCAN_CASES[case]
    opts = dict(opts)
    exp_dump = pick(dump)
    tables = [{"name": "scanopts", "columns": SCAN_COLUMNS, "batch_size": opts.pop("batch_size", 13),
               "max_parallel_workers": workers, **opts}]
    res, db, _ = sync(tmp_path, em, tables)
    assert_rows_equal(expected_rows(exp_dump, SCAN_COLUMNS), dest_rows(db, dest_table("scanopts"), SCAN_COLUMNS),
                      f"{case} workers={workers}")
    check_summary(res, "scanopts", len(exp_dump))


def test_table_prefix(tmp_path):
    cols = [{"cell": "d:v", "name": "v", "type": "int64"}]
    with Emulator() as em:
        em.create("app_orders", "d")
        em.create("orders", "d")
        em.put("app_orders", [{"row": f"o{i}", "cells": {"d:v": str(i)}} for i in range(7)])
        em.put("orders", [{"row": "wrong", "cells": {"d:v": "-1"}}])
        res, db, _ = sync(tmp_path, em, [{"name": "orders", "columns": cols}], table_prefix="app")
        assert_rows_equal(expected_rows(em.dump("app_orders"), cols), dest_rows(db, dest_table("orders"), cols),
                          "table_prefix app + '_'")
        em.create("app::items", "d")
        em.put("app::items", [{"row": "i1", "cells": {"d:v": "1"}}])
        res, db, _ = sync(tmp_path, em, [{"name": "items", "columns": cols}], table_prefix="app",
                          table_prefix_separator="::", db="sep.db", fname="sep.yaml")
        assert_rows_equal(expected_rows(em.dump("app::items"), cols), dest_rows(db, dest_table("items"), cols),
                          "table_prefix_separator ::")


def test_empty_table_and_deleted_cells(tmp_path):
    cols = [{"cell": "d:a", "name": "a", "type": "int64"}, {"cell": "d:b", "name": "b"}]
    with Emulator() as em:
        em.create("empty", "d")
        em.create("t", "d")
        em.put("t", [{"row": f"r{i}", "cells": {"d:a": str(i), "d:b": f"b{i}", "d:c": "c"}} for i in range(5)])
        tables = [{"name": "empty", "columns": cols}, {"name": "t", "columns": cols}]
        res, db, cfg = sync(tmp_path, em, tables)
        check_summary(res, "empty", 0)
        assert dest_rows(db, dest_table("empty"), cols) == {}
        assert_rows_equal(expected_rows(em.dump("t"), cols), dest_rows(db, dest_table("t"), cols), "pass 1")
        # deleting single columns (a declared one and the only unmapped one) -> NULLs on the next full pass
        em.put("t", [{"row": "r1", "cells": {"d:a": None}}, {"row": "r2", "cells": {"d:c": None}}])
        check_ok(run_sluice("once", config=cfg))
        exp = expected_rows(em.dump("t"), cols)
        assert exp["r1"]["a"] is None and exp["r2"]["_cells"] is None
        assert_rows_equal(exp, dest_rows(db, dest_table("t"), cols), "after column deletes")


def test_other_cells_false_and_default_names(tmp_path, scan_em):
    em, dump, _ = scan_em
    cols = [{"cell": "info:name"}, {"cell": "info:n", "type": "int64"}]  # name defaults to the qualifier
    res, db, _ = sync(tmp_path, em, [{"name": "scanopts", "columns": cols, "other_cells": False}])
    dcols = he.dest_columns(db, dest_table("scanopts"))
    assert "_cells" not in dcols and "name" in dcols and "n" in dcols, dcols
    assert_rows_equal(expected_rows(dump, cols, other_cells=False),
                      dest_rows(db, dest_table("scanopts"), cols, other_cells=False), "other_cells false")


def test_postgres_value_without_binary_form_goes_as_text(tmp_path, pg):
    """The PostgreSQL destination streams binary COPY while encoding; a value binary
    COPY cannot carry exactly (a timestamp before 4714 BC) found after the first pieces
    were sent aborts that COPY cleanly and sends the batch as text, so PostgreSQL's own
    judgement of the value stands (here: out of range, the table fails) and the other
    table of the run is written whole."""
    with Emulator() as em:
        em.create("ev", "d")
        em.create("ok", "d")
        base = ms(2024, 1, 1)
        rows = [{"row": f"r{i:05d}", "cells": {"d:t": str(base + i), "d:pad": "x" * 200}} for i in range(3000)]
        rows[2500]["cells"]["d:t"] = "-300000000000000"  # about 7537 BC; > 256 KiB of rows before it
        em.put("ev", rows)
        em.put("ok", [{"row": f"k{i:03d}", "cells": {"d:t": str(base + i)}} for i in range(50)])
        dbname = pg.create_db(f"hb_binary_{os.getpid()}")
        cols = [{"cell": "d:t", "name": "t", "type": "timestamp"}]
        cfg = sluicetest.write_config(tmp_path / "pg.yaml", {
            "destination": {"type": "postgres", "dsn": pg.dsn(dbname)},
            "log": {"level": "debug", "format": "text"},
            "sources": [em.source_cfg([{"name": "ev", "columns": cols}, {"name": "ok", "columns": cols}],
                                      batch_size=5000)]})
        res = run_sluice("once", config=cfg, timeout=120)
        assert res.returncode != 0, res.describe()
        assert "row 2500 has no exact binary COPY form; this batch goes as text" in res.output, res.describe()
        assert "aborting COPY" not in res.output and "retrying" not in res.output, res.describe()
        assert re.search(r"hb\.ev: FAILED after 0 rows: .*out of range", res.output), res.describe()
        assert re.search(r"^hb\.ok: 50 rows\s*$", res.output, re.M), res.describe()
        conn = pg.connect(dbname)
        try:
            with conn.cursor() as c:
                c.execute("SELECT count(*), min(t), max(t) FROM hb.ok")
                n, lo, hi = c.fetchone()
        finally:
            conn.close()
        assert n == 50 and lo == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), (n, lo, hi)
