"""A PostgreSQL destination that goes away for a minute in the middle of a 200k-row daemon
sync and comes back on the same port: the daemon keeps running, /healthz stays 200, /readyz
answers 503 naming the destination while it is down, and once it is back the daemon finishes
by itself with the destination equal to the source (rows changed and added at the source
during the outage included).

With the default daemon.backoff_max (5 min) the table's backoff has grown to about a minute
by then; the destination comes back just after one of its failed attempts, and the table
must not sleep through the rest of that backoff: the daemon retries once its ping finds the
destination again."""
import json
import time

import pgcluster
import sluicetest
from conftest import Ctx
from daemontest import Daemon, http_cfg, wait_for

TOTAL = 200_000
OUTAGE_S = 60


def test_postgres_destination_down_for_a_minute_mid_sync(pg, tmp_path):
    dest_pg = pgcluster.PgCluster()
    dest_pg.start()
    ctx = Ctx(pg, tmp_path, "sqlite")
    ctx.dest = sluicetest.PgDest(dest_pg, dest_pg.create_db("dst"))
    ctx.sql(f"""
        CREATE TABLE big (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, payload text, amount numeric(12,2));
        INSERT INTO big SELECT i, timestamptz '2024-01-01 00:00:00+00' + (i / 10) * interval '1 second',
                               md5(i::text), i * 0.01
        FROM generate_series(1, {TOTAL}) i;
        ANALYZE big;
    """)
    port, http = http_cfg()
    cfg = ctx.config(http=http, defaults={"batch_size": 2000})

    def copied():
        try:
            return ctx.dest.count_all("src", "big")
        except Exception:  # noqa: BLE001 - not created yet, or the server is down
            return 0

    d = Daemon(cfg, port, ctx.tmp).start()
    try:
        partial = wait_for(lambda: (n := copied()) >= 10_000 and n, 60, "the first 10,000 rows", interval=0.02)
        dest_pg.stop_server()
        t0 = time.monotonic()
        print(f"destination stopped with about {partial} of {TOTAL} rows committed")
        assert partial < TOTAL, "the sync was already complete"

        ctx.sql("UPDATE big SET payload = 'changed while down', updated_at = now() WHERE id % 1000 = 0")
        ctx.sql(f"INSERT INTO big SELECT i, now(), 'added while down', 1 FROM generate_series({TOTAL + 1}, {TOTAL + 500}) i")

        code, _, body = wait_for(lambda: (r := d.get("/readyz"))[0] == 503 and r, 30, "/readyz 503")
        reasons = json.loads(body)["reasons"]
        assert any(r.startswith("destination unreachable: postgres") and f"port={dest_pg.port}" in r
                   and "dbname=dst" in r for r in reasons), reasons
        print(f"/readyz while down: {reasons}")
        st = wait_for(lambda: (s := d.status())["tables"][0]["errors"] >= 1 and s, 30, "a failed pass while down")
        assert st["destination_reachable"] is False
        assert "dst" in st["destination"] and st["destination_error"], st
        # Down for the whole minute: the daemon and its HTTP endpoints stay up, /readyz stays 503.
        while time.monotonic() < t0 + OUTAGE_S:
            assert d.proc.poll() is None, d.log()
            assert d.get("/healthz")[0] == 200
            assert d.get("/readyz")[0] == 503
            time.sleep(1)
        # Back right after a failed attempt (within 20 s), when the next one is about a minute away.
        errors = d.tables()["src.big"]["errors"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and d.tables()["src.big"]["errors"] == errors:
            time.sleep(0.2)
        print(f"failed passes while down: {d.tables()['src.big']['errors']}")

        dest_pg.start_server()
        back = time.monotonic()
        print(f"destination down for {back - t0:.1f}s")
        wait_for(lambda: d.get("/readyz")[0] == 200, 30, "/readyz 200 after the destination is back")
        wait_for(lambda: copied() == TOTAL + 500 and d.tables()["src.big"]["last_error"] is None, 40,
                 "the rest of the rows within 40 s of the destination's return")
        print(f"caught up {time.monotonic() - back:.1f}s after the destination came back")
        h = wait_for(lambda: ctx.assert_synced("big"), 30, "destination == source")
        print(f"content hash {h[:12]}, {TOTAL + 500} rows")
        assert d.stop() == 0, d.log()
    finally:
        d.kill()
        ctx.close()
        dest_pg.stop()
