"""The disk of the SQLite destination fills up during a daemon sync (the file lives on an
8 MiB tmpfs that the copy outgrows): the daemon keeps running, /readyz answers 503 and
/status names the failing writes ("database or disk is full", with the table and row being
written), nothing committed is lost or damaged (integrity_check, and the copy is exactly the
source's rows up to the committed cursor), and once the disk has room again (remounted
bigger) the daemon finishes by itself with the destination equal to the source."""
import json
import sqlite3
import subprocess
import time

import sluicetest
from conftest import Ctx
from daemontest import Daemon, http_cfg, metric, parse_prometheus, wait_for

ROWS = 60_000  # about 17 MiB in SQLite
FULL = "database or disk is full"


def _mount(*args):
    subprocess.run(["mount", *args], check=True, capture_output=True)


def test_sqlite_disk_full_then_space_freed(pg, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk))
    ctx = Ctx(pg, tmp_path, "sqlite")
    ctx.dest = sluicetest.SqliteDest(str(disk / "dest.db"))
    d = None
    try:
        ctx.sql(f"""
            CREATE TABLE big (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, payload text);
            INSERT INTO big SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 millisecond',
                                   repeat(md5(i::text), 6)
            FROM generate_series(1, {ROWS}) i;
        """)
        port, http = http_cfg()
        cfg = ctx.config(http=http, defaults={"batch_size": 1000}, daemon={"backoff_max": "3s"})
        d = Daemon(cfg, port, ctx.tmp).start()

        st = wait_for(lambda: FULL in ((s := d.tables()["src.big"])["last_error"] or "") and s, 120,
                      "the disk to fill up")
        err = st["last_error"]
        assert 'sqlite destination: table "src__big"' in err, err
        print(f"/status last_error: {err}")
        code, _, body = wait_for(lambda: (r := d.get("/readyz"))[0] == 503 and r, 20, "/readyz 503")
        reasons = json.loads(body)["reasons"]
        assert any(r.startswith("destination writes failing:") and FULL in r for r in reasons), reasons
        assert d.status()["destination_write_error"], d.status()
        _, samples = parse_prometheus(d.get("/metrics")[2])
        assert metric(samples, "sluice_destination_write_failing") == 1
        assert metric(samples, "sluice_table_up", source="src", table="big") == 0
        assert d.get("/healthz")[0] == 200

        # Nothing committed is lost or damaged: the copy is exactly the rows up to the cursor.
        ctx.sql(f"INSERT INTO big SELECT i, now(), 'added while full' FROM generate_series({ROWS + 1}, {ROWS + 100}) i")
        time.sleep(4)  # at least one more failed retry
        assert d.proc.poll() is None, d.log()
        assert sluicetest.sqlite_integrity(ctx.dest.path) == "ok"
        committed = _assert_committed_prefix(ctx)
        print(f"disk full with {committed} of {ROWS} rows committed")
        assert 0 < committed < ROWS

        _mount("-o", "remount,size=256m", str(disk))
        back = time.monotonic()
        wait_for(lambda: ctx.dest.count_all("src", "big") == ROWS + 100 and
                 d.tables()["src.big"]["last_error"] is None, 120, "the rest of the rows once there is room")
        print(f"caught up {time.monotonic() - back:.1f}s after the disk grew")
        wait_for(lambda: d.get("/readyz")[0] == 200, 20, "/readyz 200 again")
        assert d.status()["destination_write_error"] is None
        h = ctx.assert_synced("big")
        assert sluicetest.sqlite_integrity(ctx.dest.path) == "ok"
        print(f"content hash {h[:12]}, {ROWS + 100} rows")
        assert d.stop() == 0, d.log()
    finally:
        if d:
            d.kill()
        ctx.close()
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _assert_committed_prefix(ctx) -> int:
    """The destination holds exactly the source rows 1..k (keyset order is id order here) and
    the committed cursor points at row k; returns k. The daemon keeps retrying meanwhile, so a
    check that saw a commit land between its reads is repeated."""
    cols = sluicetest.source_columns(ctx.src, "big")
    for _ in range(5):
        c = sqlite3.connect(ctx.dest.path, timeout=30, isolation_level=None)
        try:
            c.execute("BEGIN")  # one snapshot for the ids and the cursor
            ids = [r[0] for r in c.execute('SELECT id FROM "src__big" ORDER BY id')]
            cursor = c.execute("SELECT cursor FROM _sluice_state WHERE source = 'src' AND table_name = 'big'").fetchone()
            c.execute("COMMIT")
        finally:
            c.close()
        k = len(ids)
        assert ids == list(range(1, k + 1)), f"the copy is not a prefix: {k} rows, first gap near {_gap(ids)}"
        assert cursor and int(json.loads(cursor[0])["k"][0]) == k, (k, cursor)
        src = [r for r in sluicetest.source_rows(ctx.src, "big", cols) if r[0] <= k]
        dst = ctx.dest.rows("src", "big", cols)
        if len(dst) != k:
            continue  # a batch committed in between
        assert sluicetest.content_hash(src) == sluicetest.content_hash(dst), "committed rows differ from the source"
        return k
    raise AssertionError("the destination kept changing while the disk was full")


def _gap(ids):
    return next((i for i, v in enumerate(ids, 1) if v != i), None)
