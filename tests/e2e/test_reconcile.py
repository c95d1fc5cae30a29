"""Delete and drift detection (`sluice reconcile`) with a PostgreSQL source, into both
destinations: rows deleted at the source are soft-deleted, rows that come back are
restored, integer changes that did not move the cursor are repaired, and only the
time buckets that differ are re-read (asserted against counts taken at the source)."""
import re

from sluicetest import check_ok, run_sluice

LINE = re.compile(r"^(?P<table>\S+): (?P<rows>\d+) rows; reconcile: (?P<compared>\d+) buckets compared, "
                  r"(?P<differed>\d+) differed, (?P<reread>\d+) rows re-read in (?P<queries>\d+) queries, "
                  r"(?P<deleted>\d+) rows soft-deleted", re.M)


def reconcile(ctx, cfg, table="src.events"):
    res = check_ok(run_sluice("reconcile", table, config=cfg, timeout=300))
    m = LINE.search(res.stdout)
    assert m, res.describe()
    return {k: (int(v) if v.isdigit() else v) for k, v in m.groupdict().items()}


def deleted_count(ctx, table="events"):
    return ctx.dest.count_all("src", table) - len(ctx.dest.rows("src", table, []))


def setup_events(ctx, n=12_000, days=12):
    # n rows spread evenly over `days` days: 1,000 per day, below the 5,000-row re-read
    # threshold, so a differing day is re-read whole (one query) without drilling down.
    ctx.sql(f"""
        CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz NOT NULL, n bigint, note text);
        INSERT INTO events SELECT i, timestamptz '2024-03-01 00:00:00+00' + (i * {days * 86400 // n}) * interval '1 second',
                                  i * 7, 'note ' || i
        FROM generate_series(0, {n - 1}) i;
    """)
    return ctx.config(sources=[ctx.source_cfg(tables=[{"name": "events", "cursor": "ts"}])])


def rows_on_days(ctx, where_ids):
    """Source rows sharing a UTC day with any of the given ids (what a day re-read returns)."""
    return ctx.scalar(f"""SELECT count(*) FROM events WHERE date_trunc('day', ts AT TIME ZONE 'UTC') IN
                          (SELECT date_trunc('day', ts AT TIME ZONE 'UTC') FROM events WHERE id IN ({where_ids}))""")


def test_nothing_changed_nothing_reread(ctx):
    cfg = setup_events(ctx)
    check_ok(run_sluice("once", config=cfg))
    r = reconcile(ctx, cfg)
    assert r["compared"] == 12 and r["differed"] == 0 and r["reread"] == 0 and r["deleted"] == 0, r
    ctx.assert_synced("events")


def test_deletes_detected_and_restored(ctx):
    cfg = setup_events(ctx)
    check_ok(run_sluice("once", config=cfg))
    doomed = "5, 6, 7, 2500, 2501, 9000, 9001, 9002, 9003, 11999"  # on 4 different days
    reread_expected = rows_on_days(ctx, doomed)
    ctx.sql(f"DELETE FROM events WHERE id IN ({doomed})")
    # an incremental pass cannot see deletions
    check_ok(run_sluice("once", config=cfg))
    assert deleted_count(ctx) == 0
    r = reconcile(ctx, cfg)
    assert r["differed"] == 4 and r["deleted"] == 10, r
    assert r["reread"] == reread_expected - 10, (r, reread_expected)
    ctx.assert_synced("events", allow_deleted=True)
    assert deleted_count(ctx) == 10
    # a second reconcile finds nothing
    r = reconcile(ctx, cfg)
    assert r["differed"] == 0 and r["reread"] == 0, r
    # two rows come back at the source (same cursor values as before): restored, not duplicated
    ctx.sql("INSERT INTO events VALUES (6, timestamptz '2024-03-01 00:00:00+00' + 6 * 86 * interval '1 second', 42, 'note 6'),"
            " (9001, timestamptz '2024-03-01 00:00:00+00' + 9001 * 86 * interval '1 second', 63007, 'note 9001')")
    r = reconcile(ctx, cfg)
    assert r["differed"] == 2, r
    ctx.assert_synced("events", allow_deleted=True)
    assert deleted_count(ctx) == 8


def test_integer_drift_without_cursor_move_is_repaired(ctx):
    cfg = setup_events(ctx)
    check_ok(run_sluice("once", config=cfg))
    ctx.sql("UPDATE events SET n = -1 WHERE id IN (100, 5000)")  # cursor unchanged: invisible to passes
    check_ok(run_sluice("once", config=cfg))
    r = reconcile(ctx, cfg)
    assert r["differed"] == 2 and r["deleted"] == 0, r
    ctx.assert_synced("events")


def test_dense_day_drills_down_to_small_buckets(sqlite_ctx):
    ctx = sqlite_ctx
    # 30,000 rows in one day (above the re-read threshold): the hour, then minute buckets are compared
    ctx.sql("""
        CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz NOT NULL, n bigint, note text);
        INSERT INTO events SELECT i, timestamptz '2024-03-01 00:00:00+00' + (i * 2) * interval '1 second', i, 'x'
        FROM generate_series(0, 29999) i;
    """)
    cfg = ctx.config(sources=[ctx.source_cfg(tables=[{"name": "events", "cursor": "ts"}])])
    check_ok(run_sluice("once", config=cfg))
    ctx.sql("DELETE FROM events WHERE id IN (10, 20000)")
    r = reconcile(ctx, cfg)
    assert r["deleted"] == 2, r
    assert r["reread"] <= 2 * 1800, r  # at most the two hours, far less than the 30,000-row day
    ctx.assert_synced("events", allow_deleted=True)


def test_keyless_table_one_of_identical_rows_deleted(sqlite_ctx):
    ctx = sqlite_ctx
    ctx.sql("""
        CREATE TABLE logs (ts timestamp NOT NULL, host text, msg text);
        INSERT INTO logs SELECT timestamp '2024-03-01' + (i / 3) * interval '1 minute', 'h', 'same'
        FROM generate_series(0, 2999) i;
    """)
    cfg = ctx.config(sources=[ctx.source_cfg(tables=[{"name": "logs", "cursor": "ts"}])])
    check_ok(run_sluice("once", config=cfg))
    ctx.sql("DELETE FROM logs WHERE ctid = (SELECT ctid FROM logs WHERE ts = timestamp '2024-03-01 05:00' LIMIT 1)")
    r = reconcile(ctx, cfg, "src.logs")
    assert r["deleted"] == 1, r
    ctx.assert_synced("logs", allow_deleted=True)


def test_daemon_reconciles_periodically_and_reports(sqlite_ctx):
    """`sluice run` with reconcile_interval: deletions at the source are soft-deleted without
    any command, and /status and /metrics count the mismatches and soft-deleted rows."""
    from daemontest import Daemon, http_cfg, metric, parse_prometheus, wait_for
    ctx = sqlite_ctx
    ctx.sql("""
        CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz NOT NULL, n bigint, note text);
        INSERT INTO events SELECT i, timestamptz '2024-03-01 00:00:00+00' + i * interval '1 minute', i, 'x'
        FROM generate_series(0, 2999) i;
    """)
    port, http = http_cfg()
    cfg = ctx.config(http=http, sources=[ctx.source_cfg(tables=[
        {"name": "events", "cursor": "ts", "reconcile_interval": "1s"}])])
    d = Daemon(cfg, port, ctx.tmp)
    try:
        d.start()
        wait_for(lambda: ctx.dest.count_all("src", "events") == 3000 if "src__events" in ctx.dest.tables() else False,
                 20, "the initial copy")
        ctx.sql("DELETE FROM events WHERE id IN (10, 1500, 2999)")
        wait_for(lambda: d.tables()["src.events"]["rows_soft_deleted"] >= 3, 20, "the deletions to be soft-deleted")
        t = d.tables()["src.events"]
        assert t["reconciles"] >= 1 and t["reconcile_mismatches"] >= 2 and t["last_reconcile"].endswith("Z"), t
        assert t["rows_soft_deleted"] == 3, t
        _, samples = parse_prometheus(d.get("/metrics")[2])
        assert metric(samples, "sluice_rows_soft_deleted_total", source="src", table="events") == 3
        assert metric(samples, "sluice_reconcile_mismatches_total", table="events") >= 2
        assert metric(samples, "sluice_reconciles_total", table="events") >= 1
        ctx.assert_synced("events", allow_deleted=True)
    finally:
        assert d.stop() == 0, d.log()
