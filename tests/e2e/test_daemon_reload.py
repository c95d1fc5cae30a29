"""SIGHUP reload of `sluice run`: a valid new file restarts only what changed; an invalid
one keeps the old configuration running and says why on /status."""
import signal

from daemontest import Daemon, http_cfg, wait_for


def _tables(ctx, names):
    for n in names:
        ctx.sql(f"""
            CREATE TABLE {n} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO {n} SELECT i, now() - interval '1 hour' FROM generate_series(1, 50) i;
        """)


def _cfg(ctx, http, tables):
    return ctx.config(http=http, sources=[ctx.source_cfg(tables=tables)])


def _reloaded(d, generation):
    st = d.status()
    return st["last_reload"] is not None and st["config_generation"] == generation and st


def test_sighup_restarts_only_changed_tables(sqlite_ctx):
    ctx = sqlite_ctx
    _tables(ctx, ["a", "b", "c", "d"])
    port, http = http_cfg()
    cfg = _cfg(ctx, http, ["a", "b", "c"])
    d = Daemon(cfg, port, ctx.tmp).start()
    try:
        wait_for(lambda: all(t["passes"] >= 1 for t in d.tables().values()) and len(d.tables()) == 3, 20,
                 "a first pass of a, b, c")
        before = d.tables()
        assert {k: v["task_starts"] for k, v in before.items()} == {"src.a": 1, "src.b": 1, "src.c": 1}

        # Add d, remove c, change b's batch_size; a is untouched.
        _cfg(ctx, http, ["a", {"name": "b", "batch_size": 7}, "d"])
        d.signal(signal.SIGHUP)
        st = wait_for(lambda: _reloaded(d, 2), 10, "generation 2")
        assert st["last_reload"]["ok"] is True, st["last_reload"]
        tables = wait_for(lambda: (t := d.tables()) and "src.c" not in t and "src.d" in t and t, 10,
                          "c removed and d added")
        assert tables["src.a"]["task_starts"] == 1, tables["src.a"]
        assert tables["src.a"]["passes"] >= before["src.a"]["passes"]
        assert tables["src.b"]["task_starts"] == 2, tables["src.b"]
        wait_for(lambda: ctx.dest.count_all("src", "d") == 50, 10, "d to be copied")

        # New rows still reach a, proving its task kept running.
        ctx.sql("INSERT INTO a SELECT i, now() FROM generate_series(51, 60) i")
        wait_for(lambda: ctx.dest.count_all("src", "a") == 60, 10, "new rows in a")

        # An invalid file: the old configuration keeps running, /status says why.
        with open(cfg, "a", encoding="utf-8") as f:
            f.write("bogus_key: 1\n")
        d.signal(signal.SIGHUP)
        st = wait_for(lambda: (s := d.status())["reloads"]["failed"] == 1 and s, 10, "the failed reload")
        assert st["last_reload"]["ok"] is False
        assert "bogus_key" in st["last_reload"]["message"], st["last_reload"]
        assert st["config_generation"] == 2
        tables = d.tables()
        assert sorted(tables) == ["src.a", "src.b", "src.d"]
        assert [tables[k]["task_starts"] for k in ("src.a", "src.b", "src.d")] == [1, 2, 1]
        code, _, body = d.get("/metrics")
        assert 'sluice_reloads_total{result="failed"} 1' in body
        assert 'sluice_reloads_total{result="ok"} 1' in body
        ctx.sql("INSERT INTO d SELECT i, now() FROM generate_series(51, 55) i")
        wait_for(lambda: ctx.dest.count_all("src", "d") == 55, 10, "d still syncing after the bad reload")

        assert d.stop() == 0, d.log()
    finally:
        d.kill()
