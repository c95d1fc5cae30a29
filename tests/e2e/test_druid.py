"""End-to-end tests of the Druid source against the SQL API emulator (tests/emulators/druid,
executing the SQL on the test PostgreSQL). Synced SQLite content is compared with a dump
read through the SQL API by the emulator's own loader (tests/harness/druid_emulator.py)."""
import itertools
import os
import re
import signal
import subprocess
import time

import pytest

import daemontest
import druid_emulator as de
import sluicetest
from druid_emulator import Emulator, dest_rows, expected_rows
from sluicetest import assert_multiset_equal, run_sluice

SRC = "dr"
_ids = itertools.count(1)
T0_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z

# How the emulator orders rows sharing a __time (tests/emulators/druid/README.md):
# physical is one replica of immutable segments (the same order every time);
# shuffle and segments are what a real cluster may do (a new order per query).
TIE_ORDERS = ["physical", "shuffle", "segments"]
CLUSTER_TIE_ORDERS = ["shuffle", "segments"]


def ties(order):
    return ["--tie-order", order]


@pytest.fixture
def pgdb(pg):
    return pg.dsn(pg.create_db(f"druid_{os.getpid()}_{next(_ids)}"))


def dest_table(t):
    return f"{SRC}__{t}"


def write_cfg(tmp_path, em, tables, fname="sluice.yaml", db="dest.db", extra=None, **source_kw):
    cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / db)},
           "log": {"level": "info", "format": "text"},
           "sources": [em.source_cfg(tables, **source_kw)]}
    cfg.update(extra or {})
    return sluicetest.write_config(tmp_path / fname, cfg), str(tmp_path / db)


def sync(tmp_path, em, tables, command="once", expect_ok=True, **kw):
    cfg, db = write_cfg(tmp_path, em, tables, **kw)
    res = run_sluice(command, config=cfg, timeout=300)
    if expect_ok:
        assert res.returncode == 0, res.describe() + "\n--- emulator stderr ---\n" + em.stderr_text()
    return res, db, cfg


def assert_synced(em, db, ds, what=""):
    cols, rows = em.dump(ds)
    assert_multiset_equal(expected_rows(cols, rows), dest_rows(db, dest_table(ds), cols), what or ds)
    return len(rows)


def iso_ms(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


# --------------------------------------------------------------------------- content
def test_every_type_content(tmp_path, pgdb):
    with Emulator(pgdb) as em:
        em.create("typed", "channel VARCHAR, added BIGINT, delta DOUBLE, f FLOAT, flag BOOLEAN, "
                           "doc COMPLEX<json>, tags ARRAY<STRING>, nums ARRAY<LONG>")
        texts = ["plain", "ünïcødé 名前 🚀", "O'Brien \"q\"", "", "tab\tnl\n", None]
        rows = []
        for i in range(600):
            rows.append({"__time": iso_ms(T0_MS + i * 1234 + (i % 3)),
                         "channel": texts[i % len(texts)],
                         "added": [None, 9223372036854775807, -9223372036854775807, 0, i * 1000003][i % 5],
                         "delta": [None, 0.1, -2.5e300, 1e-300, 3.141592653589793][i % 5],
                         "f": [None, 0.5, -1.25, 1e10][i % 4],
                         "flag": [True, False, None][i % 3],
                         "doc": None if i % 7 == 0 else {"k": i, "nested": {"a": [1, None, "x"]}},
                         "tags": None if i % 5 == 0 else [f"t{i % 3}", "ü"],
                         "nums": None if i % 6 == 0 else [i, -i]})
        em.ingest("typed", rows)
        res, db, _ = sync(tmp_path, em, ["typed"], batch_size=100, max_in_flight=3)
        assert assert_synced(em, db, "typed") == 600
        assert f"{SRC}.typed: 600 rows" in res.stdout


@pytest.mark.parametrize("order", CLUSTER_TIE_ORDERS)
def test_ties_in_a_new_order_on_every_query_lose_and_duplicate_nothing(tmp_path, pgdb, order):
    """The reported case: 20,000 rows with 100-128 rows per millisecond, batch_size 500,
    into SQLite lost 5 rows and duplicated 5 when the server shuffled ties."""
    with Emulator(pgdb, *ties(order)) as em:
        em.create("events", "channel VARCHAR, added BIGINT")
        rows, ms = [], T0_MS
        while len(rows) < 20_000:
            for _ in range(min(100 + (ms - T0_MS) % 29, 20_000 - len(rows))):
                rows.append({"__time": iso_ms(ms), "channel": f"#c{len(rows) % 5}", "added": len(rows)})
            ms += 1
        em.ingest("events", rows)
        for in_flight in (1, 4):
            _, db, _ = sync(tmp_path, em, ["events"], db=f"d{in_flight}.db", batch_size=500, max_in_flight=in_flight)
            assert assert_synced(em, db, "events", what=f"pass 1, {in_flight} in flight") == 20_000
            _, db, _ = sync(tmp_path, em, ["events"], db=f"d{in_flight}.db", batch_size=500, max_in_flight=in_flight,
                            lookback="1h")
            assert assert_synced(em, db, "events", what=f"pass 2, {in_flight} in flight") == 20_000


@pytest.mark.parametrize("order", TIE_ORDERS)
def test_ten_thousand_rows_share_one_time_across_pages(tmp_path, pgdb, order):
    """The seed connector's `__time > last LIMIT 10000` looped forever here; a run
    longer than a page is one streamed query, whatever order its rows come in."""
    with Emulator(pgdb, *ties(order)) as em:
        em.load("generate", "edits", 12_000, "--dup", 12_000)       # one __time for all
        em.load("generate", "edits", 3_000, "--first", 12_000, "--start-ms", T0_MS + 1000, "--dup", 7)
        total = 15_000
        for in_flight in (1, 4):
            res, db, _ = sync(tmp_path, em, ["edits"], db=f"d{in_flight}.db", batch_size=1000,
                              max_in_flight=in_flight)
            assert assert_synced(em, db, "edits", what="pass 1") == total
            em.load("generate", "edits", 500, "--first", total, "--dup", 500)  # late rows joining the big run
            total += 500
            res, db, _ = sync(tmp_path, em, ["edits"], db=f"d{in_flight}.db", batch_size=1000,
                              max_in_flight=in_flight, lookback="1h")
            assert assert_synced(em, db, "edits", what="pass 2") == total


@pytest.mark.parametrize("order", TIE_ORDERS)
def test_identical_rows_are_distinct_rows(tmp_path, pgdb, order):
    with Emulator(pgdb, *ties(order)) as em:
        em.create("rolled", "channel VARCHAR, added BIGINT")
        # groups of 50 identical rows (within a page) and one group of 300 (longer than a page)
        rows = [{"__time": iso_ms(T0_MS + (i // 50) * 1000), "channel": "same", "added": 1} for i in range(500)]
        rows += [{"__time": iso_ms(T0_MS + 10_500), "channel": "twin", "added": i % 3} for i in range(300)]
        em.ingest("rolled", rows)
        _, db, _ = sync(tmp_path, em, ["rolled"], batch_size=64)
        assert assert_synced(em, db, "rolled") == 800
        # a second pass with a lookback re-reads, and keys stay stable: still 800 rows
        _, db, _ = sync(tmp_path, em, ["rolled"], batch_size=64, lookback="1h")
        assert assert_synced(em, db, "rolled") == 800
        # one more identical twin arrives late inside the lookback: exactly one row more
        em.ingest("rolled", [{"__time": iso_ms(T0_MS + 10_500), "channel": "twin", "added": 2},
                             {"__time": iso_ms(T0_MS + 2_000), "channel": "same", "added": 1}])
        _, db, _ = sync(tmp_path, em, ["rolled"], batch_size=64, lookback="1h", max_in_flight=3)
        assert assert_synced(em, db, "rolled") == 802
        assert de.sqlite3.connect(db).execute(f'SELECT count(*) FROM "{dest_table("rolled")}"').fetchone()[0] == 802


@pytest.mark.parametrize("order", TIE_ORDERS)
def test_incremental_and_late_rows(tmp_path, pgdb, order):
    with Emulator(pgdb, *ties(order)) as em:
        em.load("generate", "edits", 5_000, "--step-ms", 1000, "--dup", 3)
        _, db, cfg = sync(tmp_path, em, ["edits"], batch_size=400, lookback="10m")
        assert_synced(em, db, "edits", what="pass 1")
        last = T0_MS + (5_000 // 3) * 1000
        em.ingest("edits", [{"__time": iso_ms(last - 5 * 60_000), "channel": "late-within", "added": -1},
                            {"__time": iso_ms(last - 1000), "channel": "late-at-a-synced-ms", "added": -3},
                            {"__time": iso_ms(last + 1), "channel": "new", "added": -2}])
        em.load("generate", "edits", 1_000, "--first", 5_000, "--start-ms", last + 1000)
        _, db, _ = sync(tmp_path, em, ["edits"], batch_size=400, lookback="10m", max_in_flight=3)
        assert assert_synced(em, db, "edits", what="pass 2") == 6_003
        # a row later than the lookback is not seen (documented) until the state is reset
        em.ingest("edits", [{"__time": iso_ms(T0_MS), "channel": "too-late", "added": -4}])
        _, db, _ = sync(tmp_path, em, ["edits"], batch_size=400, lookback="10m")
        cols, rows = em.dump("edits")
        assert sum(expected_rows(cols, rows).values()) - sum(dest_rows(db, dest_table("edits"), cols).values()) == 1


@pytest.mark.parametrize("order", CLUSTER_TIE_ORDERS)
def test_hostile_datasource_name_and_late_rows_in_lookback(tmp_path, pgdb, order):
    ds = 'ev"il ds; DROP TABLE x'
    with Emulator(pgdb, *ties(order)) as em:
        em.create(ds, "channel VARCHAR, added BIGINT")
        rows = [{"__time": iso_ms(T0_MS + (i // 40) * 7), "channel": f"c{i % 3}", "added": i % 11} for i in range(4_000)]
        # and one run longer than a page: read as one streamed query naming the datasource
        rows += [{"__time": iso_ms(T0_MS + 3), "channel": "run", "added": i % 4} for i in range(250)]
        em.ingest(ds, rows)
        _, db, _ = sync(tmp_path, em, [ds], batch_size=100, lookback="5s", max_in_flight=2)
        assert assert_synced(em, db, ds, what="pass 1") == 4_250
        last = T0_MS + (3_999 // 40) * 7
        em.ingest(ds, [{"__time": iso_ms(last - 70), "channel": "c1", "added": (i * 40) % 11} for i in range(3)] +
                  [{"__time": iso_ms(last + 3), "channel": "new", "added": 0}])
        _, db, _ = sync(tmp_path, em, [ds], batch_size=100, lookback="5s", max_in_flight=2)
        assert assert_synced(em, db, ds, what="pass 2") == 4_254


# --------------------------------------------------------------------------- delete detection
def _reconcile_line(res):
    m = re.search(r"reconcile: (\d+) buckets compared, (\d+) differed, (\d+) rows re-read in (\d+) queries, "
                  r"(\d+) rows soft-deleted", res.stdout)
    assert m, res.describe()
    return dict(zip(["compared", "differed", "reread", "queries", "deleted"], map(int, m.groups())))


def test_deletes_detected_soft_deleted_and_restored(tmp_path, pgdb):
    with Emulator(pgdb) as em:
        # 20,000 rows, one per minute: ~14 days of 1,440 rows
        em.load("generate", "edits", 20_000, "--step-ms", 60_000)
        _, db, cfg = sync(tmp_path, em, ["edits"], batch_size=2000)
        assert_synced(em, db, "edits")
        victims = [5, 6, 7, 9_000, 19_999]  # on 3 different days
        em.load("delete", "edits", f"\"added\" IN ({', '.join(map(str, victims))})")
        days = {((T0_MS + v * 60_000) - T0_MS) // 86_400_000 for v in victims}
        res = run_sluice("reconcile", config=cfg, timeout=300)
        assert res.returncode == 0, res.describe()
        r = _reconcile_line(res)
        assert r["deleted"] == 5 and r["differed"] == len(days), r
        # only the differing days were re-read: rows of those days at the source
        day_rows = sum(1 for i in range(20_000) if i not in victims and (i * 60_000) // 86_400_000 in days)
        assert r["reread"] == day_rows, (r, day_rows)
        assert assert_synced(em, db, "edits") == 19_995
        n_del = de.sqlite3.connect(db).execute(
            f'SELECT count(*) FROM "{dest_table("edits")}" WHERE _sluice_deleted = 1').fetchone()[0]
        assert n_del == 5
        # a deleted row reappears: restored
        em.load("generate", "edits", 1, "--first", 9_000, "--start-ms", T0_MS + 9_000 * 60_000)
        res = run_sluice("reconcile", config=cfg, timeout=300)
        r = _reconcile_line(res)
        assert r["differed"] == 1 and r["deleted"] == 0, r  # restored by the upsert, nothing newly deleted
        assert assert_synced(em, db, "edits") == 19_996
        n_del = de.sqlite3.connect(db).execute(
            f'SELECT count(*) FROM "{dest_table("edits")}" WHERE _sluice_deleted = 1').fetchone()[0]
        assert n_del == 4


# --------------------------------------------------------------------------- faults and errors
@pytest.mark.parametrize("flags", [["--fail-429", "3"], ["--fail-500-every", "4"], ["--drop-every", "5"],
                                   ["--truncate-every", "6"]],
                         ids=["429-burst", "500-legacy-body", "drop", "truncated-200"])
def test_retries_under_faults_are_exact(tmp_path, pgdb, flags):
    with Emulator(pgdb) as clean:
        clean.load("generate", "edits", 8_000, "--dup", 600)
    with Emulator(pgdb, *flags) as em:
        res, db, _ = sync(tmp_path, em, ["edits"], batch_size=500, max_in_flight=3)
    with Emulator(pgdb) as clean:
        assert assert_synced(clean, db, "edits") == 8_000


def test_bad_sql_and_missing_datasource_named(tmp_path, pgdb):
    with Emulator(pgdb) as em:
        em.load("generate", "edits", 10)
        res, _, _ = sync(tmp_path, em, ["nosuch"], expect_ok=False)
        assert res.returncode != 0 and "nosuch" in res.output, res.output[-3000:]
        assert "druidException" not in res.output


def test_auth_failure_is_immediate_and_secret_free(tmp_path, pgdb):
    pw = "Dru1d-s3cret"
    with Emulator(pgdb, user="admin", password=pw) as em:
        em.load("generate", "edits", 100)
        _, db, _ = sync(tmp_path, em, ["edits"])
        assert assert_synced(em, db, "edits") == 100
        cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / "bad.db")},
               "sources": [{"name": SRC, "type": "druid", "url": em.url, "username": "admin",
                            "password": "wrong-" + pw, "tables": ["edits"]}]}
        t0 = time.monotonic()
        res = run_sluice("once", config=sluicetest.write_config(tmp_path / "bad.yaml", cfg), timeout=120)
        assert res.returncode != 0 and "401" in res.output, res.output[-3000:]
        assert time.monotonic() - t0 < 20
        assert pw not in res.output


# --------------------------------------------------------------------------- kill -9, cancellation
@pytest.mark.parametrize("order", CLUSTER_TIE_ORDERS)
def test_kill9_mid_sync_then_restart_exact(tmp_path, pgdb, order):
    n = 150_000
    with Emulator(pgdb, "--delay-ms", "5", *ties(order)) as em:
        em.load("generate", "edits", n, "--dup", 40)
        cfg, db = write_cfg(tmp_path, em, [{"name": "edits", "batch_size": 1000, "max_in_flight": 3}])
        argv = [sluicetest.sluice_bin(), "once", "-c", cfg]
        kills = sluicetest.kill9_during_sync(argv, lambda: sluicetest.sqlite_count(db, dest_table("edits")), n,
                                             tmp_path)
        res = run_sluice("once", config=cfg, timeout=600)
        assert res.returncode == 0, res.describe()
        assert assert_synced(em, db, "edits", what=f"after kill -9 x3 {kills}") == n


def test_sigterm_cancels_the_running_query_at_the_emulator(tmp_path, pgdb):
    with Emulator(pgdb, "--delay-ms", "4000", log_queries=True) as em:
        em.load("generate", "edits", 100)
        _, http = daemontest.http_cfg()
        cfg, db = write_cfg(tmp_path, em, ["edits"], extra={"http": http, "daemon": {"shutdown_grace": "10s"}})
        p = subprocess.Popen([sluicetest.sluice_bin(), "run", "-c", cfg], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=sluicetest.clean_env())
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "QUERY " not in em.stderr_text():
                time.sleep(0.05)
            time.sleep(0.5)  # a query is now in flight (every answer waits 4 s)
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 0, err.decode()[-3000:]
        log = em.stderr_text(20000)
        ids = re.findall(r"^CANCEL (\S+) (\d+)", log, re.M)
        assert ids, f"no DELETE reached the emulator:\n{log[-3000:]}\n{err.decode()[-3000:]}"
        queried = set(re.findall(r"^QUERY (\S+) ", log, re.M))
        assert all(i in queried for i, _ in ids), (ids, queried)
