"""PostgreSQL source connections are pooled per source: `max_connections` bounds them over
all tables, in `sluice once` and in the daemon (whose tasks each hold their own source
instance), and connections are reused instead of a new backend per table and pass.
A PostgreSQL destination is written through `destination.writers` connections, the
tables spread over them.
Sessions are counted by the server itself (pg_stat_database.sessions, PostgreSQL 14+),
so the tests fail on a binary that connects per table sync (24 or hundreds of sessions).
A backend the server terminated while idle in the pool is noticed and replaced."""
import threading
import time

from daemontest import Daemon, http_cfg, wait_for
from sluicetest import check_ok, run_sluice

TABLES = 24


def _tables(ctx, n, rows):
    ctx.sql("".join(
        f"CREATE TABLE t{i:02d} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text);"
        f"INSERT INTO t{i:02d} SELECT g, timestamptz '2024-01-01' + g * interval '1 second', md5(g::text) "
        f"FROM generate_series(1, {rows}) g;" for i in range(n)))


def _sessions(ctx, db=None) -> int:
    """Sessions ever opened to a database (the source's by default), as the server's
    statistics say."""
    ctx.sql("SELECT pg_stat_clear_snapshot()")
    return int(ctx.scalar("SELECT sessions FROM pg_stat_database WHERE datname = coalesce(%s, current_database())",
                          (db,)))


def _settled_sessions(ctx, db=None) -> int:
    # Backends report their session at start, flushed to shared statistics at the latest
    # when they exit: once sluice has exited, two equal readings are the final count.
    last = -1
    for _ in range(50):
        now = _sessions(ctx, db)
        if now == last:
            return now
        last = now
        time.sleep(0.2)
    return last


def _others(ctx) -> int:
    """Client backends on the source database besides the test's own connection."""
    return int(ctx.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))


def test_once_opens_at_most_max_connections_for_many_tables(ctx):
    _tables(ctx, TABLES, 300)
    cfg = ctx.config(sources=[ctx.source_cfg(max_connections=3)],
                     defaults={"batch_size": 100, "max_parallel_workers": 1})
    for rnd in range(2):
        before = _settled_sessions(ctx)
        check_ok(run_sluice("once", config=cfg))
        opened = _settled_sessions(ctx) - before
        for i in range(TABLES):
            ctx.assert_synced(f"t{i:02d}")
        # One connection per table (24) before pooling; 3 is the budget.
        assert 1 <= opened <= 3, f"round {rnd}: {opened} sessions for {TABLES} tables with max_connections 3"
        ctx.sql("".join(f"INSERT INTO t{i:02d} SELECT g, now(), 'new' FROM generate_series({400 + 10 * rnd}, {409 + 10 * rnd}) g;"
                        for i in range(0, TABLES, 3)))


def test_daemon_reuses_connections_across_polls_within_the_budget(sqlite_ctx):
    ctx = sqlite_ctx
    n = 10
    _tables(ctx, n, 50)
    port, http = http_cfg()
    cfg = ctx.config(http=http, sources=[ctx.source_cfg(max_connections=2)],
                     defaults={"poll_interval": "200ms", "batch_size": 100})
    before = _settled_sessions(ctx)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _others(ctx))
            time.sleep(0.01)

    d = Daemon(cfg, port, ctx.tmp)
    sampler = threading.Thread(target=sample, daemon=True)
    try:
        d.start()
        wait_for(lambda: all(t["passes"] >= 1 for t in d.tables().values()) and len(d.tables()) == n,
                 30, "a first pass of every table")
        for step in range(10):
            ctx.sql("".join(f"INSERT INTO t{i:02d} VALUES ({1000 + step}, now(), 'live');" for i in range(n)))
            time.sleep(0.3)
        passes_before = sum(t["passes"] for t in d.tables().values())
        sampler.start()
        time.sleep(2)
        stop.set()
        sampler.join()

        def synced():
            for i in range(n):
                ctx.assert_synced(f"t{i:02d}")
            return True

        wait_for(synced, 15, "every table synced")
        passes = sum(t["passes"] for t in d.tables().values())
    finally:
        stop.set()
        rc = d.stop()
    assert rc == 0, d.log()
    opened = _settled_sessions(ctx) - before
    # Ten tables polled every 200 ms for several seconds: a connection per pass would be
    # hundreds of sessions; the pool keeps the budget of 2 and reuses them.
    assert passes - passes_before >= 2 * n, f"only {passes - passes_before} passes in 2 s"
    assert 1 <= opened <= 2, f"{opened} sessions opened for {passes} passes with max_connections 2"
    assert peak[0] <= 2, f"{peak[0]} connections at once with max_connections 2"


def test_backends_terminated_while_pooled_are_replaced(sqlite_ctx):
    ctx = sqlite_ctx
    _tables(ctx, 3, 100)
    port, http = http_cfg()
    cfg = ctx.config(http=http, sources=[ctx.source_cfg(max_connections=2)],
                     defaults={"poll_interval": "300ms", "batch_size": 50})
    before = _settled_sessions(ctx)
    d = Daemon(cfg, port, ctx.tmp)
    try:
        d.start()
        wait_for(lambda: len(d.tables()) == 3 and all(t["passes"] >= 1 for t in d.tables().values()),
                 30, "a first pass of every table")
        for step in range(5):
            # Between polls the pooled backends are idle: the server ends them (as
            # idle_session_timeout or an administrator would) and new rows arrive.
            ctx.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            ctx.sql("".join(f"INSERT INTO t{i:02d} VALUES ({500 + step}, now(), 'after kill {step}');"
                            for i in range(3)))
            time.sleep(0.5)

        def synced():
            for i in range(3):
                ctx.assert_synced(f"t{i:02d}")
            return True

        wait_for(synced, 30, "every table synced after the terminations")
        assert d.get("/readyz")[0] == 200
    finally:
        rc = d.stop()
    assert rc == 0, d.log()
    assert _settled_sessions(ctx) - before >= 2, "terminated backends were never replaced"


def test_postgres_destination_spreads_tables_over_its_writers(pg_ctx):
    """destination.writers 3: three destination sessions (a single writer opens one), every
    table exact through a first load and an incremental pass; the writers create their
    first tables in one new schema at the same moment and must not fail each other."""
    ctx = pg_ctx
    n = 12
    _tables(ctx, n, 300)
    cfg = ctx.config(destination=dict(ctx.dest.config(), writers=3),
                     sources=[ctx.source_cfg(max_connections=4)],
                     defaults={"batch_size": 100, "max_parallel_workers": 1})
    for rnd in range(2):
        if rnd:
            # The incremental pass: new rows in every other table (upserts through the stage).
            ctx.sql("".join(f"INSERT INTO t{i:02d} SELECT g, now(), 'new' FROM generate_series(400, 409) g;"
                            for i in range(0, n, 2)))
        before = _settled_sessions(ctx, ctx.dest.dbname)
        check_ok(run_sluice("once", config=cfg))
        opened = _settled_sessions(ctx, ctx.dest.dbname) - before
        assert opened == 3, f"round {rnd}: {opened} destination sessions with writers 3"
        for i in range(n):
            ctx.assert_synced(f"t{i:02d}")


def test_two_processes_create_the_destination_at_once(pg_ctx):
    """Two `sluice once` started together on an empty PostgreSQL destination both create
    sluice's state table and the same schema: CREATE … IF NOT EXISTS is not atomic, the
    loser of that race runs it again instead of failing its tables."""
    ctx = pg_ctx
    n = 8
    _tables(ctx, n, 200)
    cfgs = [ctx.config(fname=f"half{h}.yaml",
                       sources=[ctx.source_cfg(tables=[{"name": f"t{i:02d}"} for i in range(h, n, 2)],
                                               max_connections=2)])
            for h in range(2)]
    results = [None, None]

    def once(h):
        results[h] = run_sluice("once", config=cfgs[h])

    threads = [threading.Thread(target=once, args=(h,)) for h in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        check_ok(r)
    for i in range(n):
        ctx.assert_synced(f"t{i:02d}")
