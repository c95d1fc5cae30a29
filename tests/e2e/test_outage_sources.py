"""Source outages in the daemon: one `sluice run` syncs a PostgreSQL table, an HBase table, a
QuestDB table and a Druid datasource into SQLite; in the middle of their sync all four sources
go away at once for a minute (PostgreSQL stopped, the emulators killed), rows are added to
every source while sluice cannot reach it, and each comes back on the same port with its data.

While they are down the daemon keeps running: /healthz answers 200, every table reports the
failure in /status (last_error naming its source's address, errors counted) and /metrics
(sluice_table_up 0), /readyz stays clear of the healthy destination and turns 503 only for the
table whose freshness_threshold its data has outgrown, naming that table and its error. After
the outage every table equals its source exactly, with no restart of sluice."""
import json
import time

import pgcluster
import sluicetest
from daemontest import Daemon, http_cfg, metric, parse_prometheus, wait_for
from four_sources import TABLES, FourSources

OUTAGE_S = 60
# The emulators answer each request 40 ms late and PostgreSQL is read 100 rows per batch, so
# every copy takes seconds and the outage cuts each one off in the middle.
ROWS = {"pg": 150_000, "hb": 30_000, "qdb": 30_000, "dr": 30_000}
ADDED = 2_000   # per source, while every source is down
THRESHOLD_S = 40  # freshness_threshold of pg.orders only


def key(s):
    return f"{s}.{TABLES[s]}"


def test_all_four_sources_down_for_a_minute_then_back(pg, tmp_path):
    src_pg = pgcluster.PgCluster()
    src_pg.start()
    try:
        with FourSources(tmp_path, src_pg=src_pg, druid_pg=pg, rows=ROWS, emulator_flags=["--delay-ms", 40],
                         name="outage") as fs:
            db = str(tmp_path / "dest.db")
            port, http = http_cfg()
            cfg = sluicetest.write_config(tmp_path / "sluice.yaml", {
                # batch_rows 100: one transaction per PostgreSQL page, as slow as the test needs the
                # PostgreSQL table to be (grouped, it is complete before the emulators' first page).
                "destination": {"type": "sqlite", "path": db, "batch_rows": 100},
                "defaults": {"poll_interval": "1s", "lookback": "0s", "batch_size": 500},
                "daemon": {"backoff_max": "5s"},
                "http": http,
                "log": {"level": "info", "format": "text"},
                "sources": fs.sources(pg_table={"freshness_threshold": f"{THRESHOLD_S}s", "batch_size": 100},
                                      http_table={"max_in_flight": 1}),
            })
            d = Daemon(cfg, port, tmp_path).start()
            try:
                _outage(d, fs, db)
                assert d.stop() == 0, d.log()
            finally:
                d.kill()
            synced = fs.assert_synced(db)
            print("after the outage: " + ", ".join(f"{s} {n} rows hash {h[:12]}" for s, (n, h) in synced.items()))
    finally:
        src_pg.stop()


def _outage(d, fs, db):
    started = wait_for(lambda: (c := fs.dest_counts(db)) and all(c[s] > 0 for s in TABLES) and c, 60,
                       "a first batch of every table", interval=0.05)
    assert d.get("/readyz")[0] == 200, d.get("/readyz")
    ports = fs.ports()
    t0 = time.monotonic()
    fs.take_down()
    print(f"rows per table when the sources went down: {fs.dest_counts(db)} of {fs.totals}")
    for s in TABLES:
        assert started[s] < fs.totals[s], f"{s} was already complete: {started} of {fs.totals}"

    def all_failing():
        t = d.tables()
        return all(t[key(s)]["last_error"] and t[key(s)]["errors"] >= 1 for s in TABLES) and t

    tables = wait_for(all_failing, 45, "every table to report its source's failure")
    for s in TABLES:
        err = tables[key(s)]["last_error"]
        assert str(ports[s]) in err, f"{key(s)}: the error does not name its source (port {ports[s]}): {err}"
    print("errors while down: " + "; ".join(f"{key(s)}: {tables[key(s)]['last_error']}" for s in TABLES))
    _, samples = parse_prometheus(d.get("/metrics")[2])
    for s in TABLES:
        labels = {"source": s, "table": TABLES[s]}
        assert metric(samples, "sluice_table_up", **labels) == 0, (s, d.get("/metrics")[2])
        assert metric(samples, "sluice_sync_errors_total", **labels) >= 1
    assert metric(samples, "sluice_destination_up") == 1
    assert d.get("/healthz")[0] == 200

    # /readyz: the destination is fine; only pg.orders, with a freshness threshold, turns it 503.
    code, _, body = wait_for(lambda: (r := d.get("/readyz"))[0] == 503 and r, max(1.0, t0 + 50 - time.monotonic()),
                             f"/readyz 503 once pg.orders is older than {THRESHOLD_S}s")
    reasons = json.loads(body)["reasons"]
    assert len(reasons) == 1, reasons
    assert reasons[0].startswith("pg.orders is stale:") and "last error:" in reasons[0], reasons
    assert str(ports["pg"]) in reasons[0], reasons

    # Rows written while sluice cannot reach any source, just before they come back.
    time.sleep(max(0.0, t0 + OUTAGE_S - 8 - time.monotonic()))
    fs.append_while_down(ADDED)
    time.sleep(max(0.0, t0 + OUTAGE_S - time.monotonic()))
    assert d.proc.poll() is None, d.log()
    passes = {k: t["passes"] for k, t in d.tables().items()}
    fs.bring_back()
    back = time.monotonic()
    print(f"sources down for {back - t0:.1f}s")

    wait_for(lambda: fs.dest_counts(db) == fs.totals, 120, "every row after the sources came back")
    wait_for(lambda: all(t["last_error"] is None and t["passes"] > passes[k] for k, t in d.tables().items()), 60,
             "a successful pass of every table")
    print(f"all four tables caught up {time.monotonic() - back:.1f}s after the sources came back")
    wait_for(lambda: d.get("/readyz")[0] == 200, 20, "/readyz 200 again")
    _, samples = parse_prometheus(d.get("/metrics")[2])
    assert all(metric(samples, "sluice_table_up", source=s, table=TABLES[s]) == 1 for s in TABLES)
