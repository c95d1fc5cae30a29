"""`sluice run` under faults: SIGTERM in the middle of a large sync then a restart, and a
PostgreSQL destination that goes away for a while. The destination must end equal to
the source, and /readyz must have reflected the outage."""
import pgcluster
import sluicetest
from daemontest import Daemon, http_cfg, wait_for

TOTAL = 200_000


def test_sigterm_mid_sync_then_restart(sqlite_ctx):
    ctx = sqlite_ctx
    ctx.sql(f"""
        CREATE TABLE big (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, payload text);
        INSERT INTO big SELECT i, timestamptz '2024-01-01 00:00:00+00' + (i / 100) * interval '1 second',
                               md5(i::text) FROM generate_series(1, {TOTAL}) i;
        ANALYZE big;
    """)
    port, http = http_cfg()
    cfg = ctx.config(http=http, defaults={"batch_size": 2000},
                     destination={**ctx.dest.config(), "batch_rows": 2000})

    def copied():
        try:
            return ctx.dest.count_all("src", "big")
        except Exception:  # noqa: BLE001 - not created yet
            return 0

    d = Daemon(cfg, port, ctx.tmp, name="run1").start()
    try:
        wait_for(lambda: copied() > 0, 30, "the first committed batch", interval=0.02)
        assert d.stop(timeout=30) == 0, d.log()
    finally:
        d.kill()
    partial = copied()
    print(f"SIGTERM left {partial} of {TOTAL} rows")

    d = Daemon(cfg, port, ctx.tmp, name="run2").start()
    try:
        wait_for(lambda: copied() == TOTAL and d.tables()["src.big"]["passes"] >= 1, 60, "the full copy")
        assert d.stop() == 0, d.log()
    finally:
        d.kill()
    ctx.assert_synced("big")


def test_destination_down_then_back(pg, tmp_path):
    from conftest import Ctx

    dest_pg = pgcluster.PgCluster()
    dest_pg.start()
    ctx = Ctx(pg, tmp_path, "sqlite")
    ctx.dest = sluicetest.PgDest(dest_pg, dest_pg.create_db("dst"))
    ctx.sql("""
        CREATE TABLE ev (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(), v text);
        INSERT INTO ev SELECT i, now() - interval '1 hour', 'v' || i FROM generate_series(1, 1000) i;
    """)
    port, http = http_cfg()
    cfg = ctx.config(http=http)
    d = Daemon(cfg, port, ctx.tmp).start()
    try:
        wait_for(lambda: d.get("/readyz")[0] == 200 and d.tables()["src.ev"]["passes"] >= 1, 20,
                 "ready after the first pass")

        dest_pg.stop_server()
        ctx.sql("INSERT INTO ev SELECT i, now(), 'down' || i FROM generate_series(1001, 1500) i")
        ctx.sql("UPDATE ev SET v = 'changed while down', updated_at = now() WHERE id <= 10")
        code, _, body = wait_for(lambda: (r := d.get("/readyz"))[0] == 503 and r, 20, "/readyz 503")
        assert "destination unreachable" in body, body
        assert d.get("/healthz")[0] == 200
        st = d.status()
        assert st["destination_reachable"] is False
        wait_for(lambda: d.tables()["src.ev"]["errors"] >= 1, 20, "a failed pass while down")

        dest_pg.start_server()
        wait_for(lambda: d.get("/readyz")[0] == 200, 30, "/readyz 200 after the destination is back")
        wait_for(lambda: ctx.dest.count_all("src", "ev") == 1500, 30, "the rows written while it was down")
        wait_for(lambda: ctx.assert_synced("ev") or True, 15, "destination == source")
        assert d.stop() == 0, d.log()
    finally:
        d.kill()
        ctx.close()
        dest_pg.stop()
