"""End-to-end tests of the QuestDB source against the REST emulator (tests/emulators/questdb).
Every test compares the synced SQLite content with a dump of the source table taken through
an independent Python client (tests/harness/questdb_emulator.py), as multisets of rows."""
import json
import random
import time

import pytest

import questdb_emulator as qe
import sluicetest
from questdb_emulator import Emulator, dest_rows, expected_rows
from sluicetest import assert_multiset_equal, fmt_micros, run_sluice

SRC = "qdb"
US_2024 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
HOUR = 3_600_000_000


def dest_table(t):
    return f"{SRC}__{t}"


def write_cfg(tmp_path, em, tables, fname="sluice.yaml", db="dest.db", **source_kw):
    cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / db)},
           "log": {"level": "info", "format": "text"},
           "sources": [em.source_cfg(tables, **source_kw)]}
    return sluicetest.write_config(tmp_path / fname, cfg), str(tmp_path / db)


def sync(tmp_path, em, tables, expect_ok=True, **kw):
    cfg, db = write_cfg(tmp_path, em, tables, **kw)
    res = run_sluice("once", config=cfg, timeout=300)
    if expect_ok:
        assert res.returncode == 0, res.describe() + "\n--- emulator stderr ---\n" + em.stderr_text()
    return res, db, cfg


def assert_synced(em, db, table, dest=None, key="_sluice_key", what=""):
    cols, rows = em.dump(table)
    exp = expected_rows(cols, rows)
    got = dest_rows(db, dest or dest_table(table), cols, key=key)
    assert_multiset_equal(exp, got, what or table)
    return len(rows)


def make_ticks(em, table, n, start=US_2024, step=1_000_000, dup=1, seed=1):
    """A sensor table: rows in groups of `dup` sharing a timestamp; values vary within a group,
    except every 5th group whose rows are identical (legitimate duplicates)."""
    em.create(f"CREATE TABLE {qe.qi(table)} (ts TIMESTAMP, sensor SYMBOL, temp DOUBLE, n LONG, note STRING) "
              "TIMESTAMP(ts) PARTITION BY DAY")
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        g = i // dup
        same = g % 5 == 0
        rows.append((fmt_micros(start + g * step), f"s{(g if same else i) % 7}",
                     round(rnd.uniform(-20, 40), 2) if not same else 1.5, g if same else i,
                     f"note {g if same else i}"))
    em.insert(table, ["ts", "sensor", "temp", "n", "note"], rows)
    return rows


# --------------------------------------------------------------------------- 1. content per type
TYPED_DDL = ("CREATE TABLE typed (ts TIMESTAMP, d DATE, sym SYMBOL, s STRING, vc VARCHAR, ch CHAR, u UUID, "
             "ip IPV4, l256 LONG256, gh GEOHASH(5c), l LONG, i INT, sh SHORT, b BYTE, dbl DOUBLE, f FLOAT, "
             "bo BOOLEAN) TIMESTAMP(ts) PARTITION BY DAY")
TYPED_COLS = ["ts", "d", "sym", "s", "vc", "ch", "u", "ip", "l256", "gh", "l", "i", "sh", "b", "dbl", "f", "bo"]


def typed_rows(n=400):
    texts = ["plain", "ünïcødé 名前 🚀", "O'Brien \"quoted\"", "", "tab\tand\nnewline", "back\\slash", None]
    out = []
    for k in range(n):
        t = texts[k % len(texts)]
        out.append((
            fmt_micros(US_2024 + k * 250_000 + (k % 3)),                      # µs precision kept
            None if k % 11 == 0 else fmt_micros(US_2024 - k * 86_400_000_000 // 7 // 1000 * 1000),
            None if k % 13 == 0 else f"sym{k % 5}",
            t,
            None if t is None else t + " v",
            None if k % 17 == 0 else chr(ord("a") + k % 26),
            None if k % 9 == 0 else f"{k:08x}-1234-5678-9abc-{k:012x}",
            None if k % 10 == 0 else f"10.{k % 256}.{(k * 7) % 256}.1",
            None if k % 8 == 0 else "0x" + format(k * 0x1234567, "064x"),
            None if k % 6 == 0 else "u33d" + "bcdef"[k % 5],
            [None, 9223372036854775807, -9223372036854775807, 0, 1234567890123456789][k % 5],
            None if k % 4 == 0 else k * 1000 - 200_000,
            k % 30000 - 15000,
            k % 200 - 100,
            [None, float("nan"), 1e-300, -2.5e300, 0.1, 3.141592653589793, 1e20, 123456.789][k % 8],
            [None, 0.5, -1.25, 1e10, 3.0][k % 5],
            [True, False, None][k % 3],
        ))
    return out


@pytest.mark.parametrize("version", ["7.4.2", "9.3.2"])
def test_every_type_content(tmp_path, version):
    with Emulator(version=version) as em:
        em.create(TYPED_DDL)
        rows = typed_rows()
        em.insert("typed", TYPED_COLS, rows)
        res, db, cfg = sync(tmp_path, em, ["typed"], batch_size=64)
        assert assert_synced(em, db, "typed") == len(rows)
        # the destination's column types follow the value model
        decl = {r[1]: r[2] for r in qe.sqlite3.connect(db).execute(f'PRAGMA table_info("{dest_table("typed")}")')}
        assert "_sluice_key" in decl, decl
        # Long.MAX survives as an integer, not a rounded double
        got = qe.sqlite3.connect(db).execute(f'SELECT count(*) FROM "{dest_table("typed")}" '
                                             'WHERE l = 9223372036854775807').fetchone()[0]
        assert got == sum(1 for r in rows if r[10] == 9223372036854775807)
        # µs precision of the designated timestamp survives
        fr = qe.sqlite3.connect(db).execute(f'SELECT ts FROM "{dest_table("typed")}" ORDER BY ts LIMIT 1 OFFSET 1'
                                            ).fetchone()[0]
        assert fr.endswith(".250001Z"), fr


def test_discover_lists_types_and_synthetic_key(tmp_path):
    with Emulator() as em:
        em.create(TYPED_DDL)
        cfg, _ = write_cfg(tmp_path, em, ["typed"])
        res = run_sluice("discover", config=cfg)
        assert res.returncode == 0, res.describe()
        d = json.loads(res.stdout)
        text = json.dumps(d)
        assert "_sluice_key" in text and '"ts"' in text, text[:2000]


# --------------------------------------------------------------------------- 2. equal-timestamp runs
# QuestDB returns rows of one designated timestamp in storage order; "--shuffle-ties" makes
# the emulator return them in a new order on every query (what ORDER BY ts alone allows),
# which broke the earlier position-based boundary skip.
TIES = {"storage-order": [], "shuffled": ["--shuffle-ties"]}


@pytest.mark.parametrize("ties", list(TIES))
@pytest.mark.parametrize("in_flight,batch", [(1, 1000), (4, 1000), (3, 777)])
def test_equal_timestamp_runs_across_pages(tmp_path, in_flight, batch, ties):
    """Runs of 2,500 rows sharing one timestamp, pages of ~1,000: every page boundary falls
    inside a run. The seed connector's `LIMIT offset,batch` loses page 2; pages of whole
    timestamp groups, and runs longer than a page read in a total order of their rows,
    deliver every row once whatever order ties come in."""
    with Emulator(*TIES[ties]) as em:
        rows = make_ticks(em, "ticks", 20_000, dup=2_500)
        res, db, _ = sync(tmp_path, em, ["ticks"], batch_size=batch, max_in_flight=in_flight)
        assert assert_synced(em, db, "ticks") == len(rows)
        # a second pass with nothing new changes nothing
        keys_before = qe.sqlite_keys(db, dest_table("ticks"))
        res, db, _ = sync(tmp_path, em, ["ticks"], batch_size=batch, max_in_flight=in_flight)
        assert assert_synced(em, db, "ticks") == len(rows)
        assert set(qe.sqlite_keys(db, dest_table("ticks"))) == set(keys_before)


@pytest.mark.parametrize("ties", list(TIES))
def test_incremental_appends_keep_keys_stable(tmp_path, ties):
    with Emulator(*TIES[ties]) as em:
        make_ticks(em, "ticks", 5_000, dup=40)
        _, db, cfg = sync(tmp_path, em, ["ticks"], batch_size=300, max_in_flight=4)
        assert_synced(em, db, "ticks")
        keys1 = qe.sqlite_keys(db, dest_table("ticks"))
        cols, rows = em.dump("ticks")
        last_ts = rows[-1][0]
        # new rows at the last delivered timestamp (the boundary group grows) and after it,
        # including an exact duplicate of an existing row
        em.insert("ticks", ["ts", "sensor", "temp", "n", "note"],
                  [(last_ts, "late-same-ts", 1.0, -1, "x"), tuple(rows[-1][:5]),
                   (fmt_micros(qe.ts_micros(last_ts) + 1), "next", 2.0, -2, "y")])
        _, db, _ = sync(tmp_path, em, ["ticks"], batch_size=300, max_in_flight=4)
        assert assert_synced(em, db, "ticks") == 5_003
        keys2 = qe.sqlite_keys(db, dest_table("ticks"))
        assert set(keys1) <= set(keys2), "synthetic keys of already synced rows changed"
        for k in keys1:
            assert keys1[k][:6] == keys2[k][:6] or keys1[k] == keys2[k]


# --------------------------------------------------------------------------- 3. late rows
@pytest.mark.parametrize("ties", list(TIES))
def test_late_rows_within_and_beyond_lookback(tmp_path, ties):
    """lookback 1h: a row arriving 30 minutes behind the cursor is synced; one 3 hours
    behind is not (documented: it is read only after `sluice state reset`)."""
    with Emulator(*TIES[ties]) as em:
        make_ticks(em, "ticks", 2_000, step=10_000_000)  # 2000 rows over ~5.5 h
        _, db, cfg = sync(tmp_path, em, ["ticks"], lookback="1h", batch_size=500)
        assert_synced(em, db, "ticks")
        _, rows = em.dump("ticks")
        last = qe.ts_micros(rows[-1][0])
        em.insert("ticks", ["ts", "sensor", "temp", "n", "note"],
                  [(fmt_micros(last - HOUR // 2), "late-within", 1.0, 900001, "within"),
                   (fmt_micros(last - 3 * HOUR), "late-beyond", 1.0, 900002, "beyond")])
        _, db, cfg = sync(tmp_path, em, ["ticks"], lookback="1h", batch_size=500)
        notes = {r[0] for r in qe.sqlite3.connect(db).execute(f'SELECT note FROM "{dest_table("ticks")}"')}
        assert "within" in notes
        assert "beyond" not in notes
        cols, rows = em.dump("ticks")
        exp = expected_rows(cols, [r for r in rows if r[4] != "beyond"])
        assert_multiset_equal(exp, dest_rows(db, dest_table("ticks"), cols), "late rows")
        # state reset re-reads the table from the start: now the row beyond the window arrives too
        res = run_sluice("state", "reset", f"{SRC}.ticks", config=cfg)
        assert res.returncode == 0, res.describe()
        _, db, cfg = sync(tmp_path, em, ["ticks"], lookback="1h", batch_size=500)
        assert_synced(em, db, "ticks")


def test_late_row_without_lookback_is_missed(tmp_path):
    with Emulator() as em:
        make_ticks(em, "ticks", 500)
        _, db, _ = sync(tmp_path, em, ["ticks"])
        _, rows = em.dump("ticks")
        em.insert("ticks", ["ts", "sensor", "temp", "n", "note"],
                  [(fmt_micros(qe.ts_micros(rows[-1][0]) - 60_000_000), "late", 1.0, 1, "late")])
        _, db, _ = sync(tmp_path, em, ["ticks"])
        notes = {r[0] for r in qe.sqlite3.connect(db).execute(f'SELECT note FROM "{dest_table("ticks")}"')}
        assert "late" not in notes and len(notes) > 0


# --------------------------------------------------------------------------- 4. keys
def test_dedup_upsert_keys_become_the_primary_key(tmp_path):
    with Emulator() as em:
        em.create("CREATE TABLE dd (ts TIMESTAMP, sensor SYMBOL, v DOUBLE) TIMESTAMP(ts) PARTITION BY DAY WAL "
                  "DEDUP UPSERT KEYS(ts, sensor)")
        em.insert("dd", ["ts", "sensor", "v"], [(fmt_micros(US_2024 + (i // 3) * 1000), f"s{i % 3}", i * 1.0)
                                                for i in range(3000)])
        _, db, _ = sync(tmp_path, em, ["dd"], batch_size=250, max_in_flight=3)
        cols, rows = em.dump("dd")
        assert len(rows) == 3000
        assert_multiset_equal(expected_rows(cols, rows), dest_rows(db, dest_table("dd"), cols, key=None), "dedup")
        decl = [r[1] for r in qe.sqlite3.connect(db).execute(f'PRAGMA table_info("{dest_table("dd")}")')]
        assert "_sluice_key" not in decl, decl
        # an upsert at the source (same keys) updates the row in place (lookback covers it)
        em.insert("dd", ["ts", "sensor", "v"], [(rows[-1][0], rows[-1][1], -1.0)])
        _, db, _ = sync(tmp_path, em, ["dd"], batch_size=250, lookback="1s")
        cols, rows = em.dump("dd")
        assert len(rows) == 3000
        assert_multiset_equal(expected_rows(cols, rows), dest_rows(db, dest_table("dd"), cols, key=None), "upsert")


def test_hostile_table_and_column_names(tmp_path):
    name = 'we"ird tab\'le'
    with Emulator() as em:
        em.create(f'CREATE TABLE {qe.qi(name)} (ts TIMESTAMP, "sel""ect" STRING, "drop table x; --" LONG, '
                  f'"ünï cøde" DOUBLE) TIMESTAMP(ts) PARTITION BY DAY')
        em.insert(name, ["ts", 'sel"ect', "drop table x; --", "ünï cøde"],
                  [(fmt_micros(US_2024 + i), f"v'{i}\"", i, i / 3) for i in range(700)])
        _, db, _ = sync(tmp_path, em, [{"name": name, "destination": "weird"}], batch_size=100)
        assert assert_synced(em, db, name, dest=dest_table("weird")) == 700


# --------------------------------------------------------------------------- 5. full mode
def test_table_without_designated_timestamp_is_synced_in_full(tmp_path):
    with Emulator() as em:
        em.create("CREATE TABLE plain (id LONG, name STRING, at TIMESTAMP)")
        em.insert("plain", ["id", "name", "at"], [(i, f"n{i % 50}", fmt_micros(US_2024 + i)) for i in range(1200)])
        _, db, cfg = sync(tmp_path, em, ["plain"], batch_size=200)
        assert assert_synced(em, db, "plain") == 1200
        # the source loses rows and gains others: the next full pass soft-deletes and adds
        em.exec("TRUNCATE TABLE plain")
        em.insert("plain", ["id", "name", "at"], [(i, f"n{i % 50}", fmt_micros(US_2024 + i)) for i in range(100, 1300)])
        _, db, _ = sync(tmp_path, em, ["plain"], batch_size=200)
        assert assert_synced(em, db, "plain") == 1200
        deleted = qe.sqlite3.connect(db).execute(f'SELECT count(*) FROM "{dest_table("plain")}" '
                                                 'WHERE _sluice_deleted = 1').fetchone()[0]
        assert deleted == 100


# --------------------------------------------------------------------------- 6. faults and errors
@pytest.mark.parametrize("flags", [["--fail-429", "3"], ["--fail-500-every", "4"], ["--drop-every", "5"],
                                   ["--error-in-body-every", "6"],
                                   ["--fail-500-every", "7", "--drop-every", "5", "--delay-ms", "3"]],
                         ids=["429-burst", "500-every-4", "drop-every-5", "error-in-200-every-6", "mixed"])
def test_retries_under_faults_are_exact(tmp_path, flags):
    data = str(tmp_path / "qdb.sqlite")
    with Emulator(data=data) as em:
        make_ticks(em, "ticks", 12_000, dup=700)
    with Emulator(*flags, data=data) as em:
        res, db, _ = sync(tmp_path, em, ["ticks"], batch_size=1000, max_in_flight=3)
        if "--drop-every" not in flags:  # a dropped idle keep-alive connection is re-dialled silently
            assert "retry" in res.output.lower(), res.output[-3000:]
    with Emulator(data=data) as em:
        assert assert_synced(em, db, "ticks") == 12_000


def test_bad_sql_answer_fails_with_questdb_message(tmp_path):
    with Emulator() as em:
        make_ticks(em, "ticks", 10)
        res, _, _ = sync(tmp_path, em, ["nosuch"], expect_ok=False)
        assert res.returncode != 0
        assert "nosuch" in res.output, res.output[-3000:]


def test_unreachable_source_is_named(tmp_path):
    with Emulator() as em:
        port = em.port
    cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / "d.db")},
           "sources": [{"name": SRC, "type": "questdb", "url": f"http://127.0.0.1:{port}", "tables": ["t"]}]}
    res = run_sluice("once", config=sluicetest.write_config(tmp_path / "c.yaml", cfg), timeout=180)
    assert res.returncode != 0
    assert f"127.0.0.1:{port}" in res.output and SRC in res.output, res.output[-3000:]


PASSWORD = "s3cr3t-Pa55"


def test_auth_ok_and_wrong_credentials(tmp_path):
    with Emulator(user="admin", password=PASSWORD) as em:
        make_ticks(em, "ticks", 300)
        _, db, _ = sync(tmp_path, em, ["ticks"])
        assert assert_synced(em, db, "ticks") == 300
        for user, pw in [("admin", "wrong-" + PASSWORD), ("nobody", PASSWORD)]:
            cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / "bad.db")},
                   "sources": [{"name": SRC, "type": "questdb", "url": em.url, "username": user, "password": pw,
                                "tables": ["ticks"]}]}
            t0 = time.monotonic()
            res = run_sluice("once", config=sluicetest.write_config(tmp_path / "bad.yaml", cfg), timeout=120)
            assert res.returncode != 0
            assert time.monotonic() - t0 < 20, "401 must fail at once, not after retries"
            assert "401" in res.output and user in res.output, res.output[-3000:]
            assert pw not in res.output and PASSWORD not in res.output, res.output[-3000:]
        # no credentials at all
        cfg = {"destination": {"type": "sqlite", "path": str(tmp_path / "bad.db")},
               "sources": [{"name": SRC, "type": "questdb", "url": em.url, "tables": ["ticks"]}]}
        res = run_sluice("check", config=sluicetest.write_config(tmp_path / "none.yaml", cfg), timeout=120)
        assert res.returncode != 0 and "401" in res.output, res.output[-3000:]


# --------------------------------------------------------------------------- 7. kill -9
N_BIG = 200_000


def test_kill9_during_large_sync_then_restart_is_exact(tmp_path):
    with Emulator("--delay-ms", "5") as em:
        em.exec("CREATE TABLE big (ts TIMESTAMP, sensor SYMBOL, temp DOUBLE, n LONG, note STRING) "
                "TIMESTAMP(ts) PARTITION BY DAY")
        rows = [(fmt_micros(US_2024 + (i // 300) * 1_000_000), f"s{i % 7}", (i % 1000) / 10.0,
                 i if i % 9 else 0, "dup" if i % 9 == 0 else f"n{i}") for i in range(N_BIG)]
        em.insert("big", ["ts", "sensor", "temp", "n", "note"], rows, chunk=1000)
        cfg, db = write_cfg(tmp_path, em, [{"name": "big", "batch_size": 1000, "max_in_flight": 3}])
        argv = [sluicetest.sluice_bin(), "once", "-c", cfg]
        kills = sluicetest.kill9_during_sync(argv, lambda: sluicetest.sqlite_count(db, dest_table("big")), N_BIG,
                                             tmp_path)
        res = run_sluice("once", config=cfg, timeout=600)
        assert res.returncode == 0, res.describe() + "\n" + em.stderr_text()
        assert assert_synced(em, db, "big", what=f"after kill -9 x3 {kills}") == N_BIG
        assert sluicetest.sqlite_count(db, dest_table("big")) == N_BIG
