"""Bad input at scale: 100 consecutive invalid SIGHUP reloads of a syncing `sluice run`,
cycling through every class of problem the config loader reports (tests/harness/bad_configs.py),
each file padded with 2,000 valid tables so a leak per reload would show. The daemon never
crashes, keeps running the old configuration (rows inserted during the storm keep arriving,
no task restarts), /status reports every rejected reload with file:line where there is one,
its resident memory stays flat, and a valid reload afterwards is applied."""
import signal
import threading
import time

import bad_configs
import sluicetest
from daemontest import Daemon, http_cfg, wait_for

RELOADS = 100
PADDING_TABLES = 2_000
RSS_GROWTH_MAX = 10 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


class Trickle:
    """Inserts a row into the source table every 20 ms from its own connection (one row per
    statement, so rows commit in cursor order)."""

    def __init__(self, ctx, table: str):
        self.conn = ctx.pg.connect(ctx.src_db)
        self.table, self.inserted, self.error = table, 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._stop.wait(0.02):
                sluicetest.pg_exec(self.conn, f"INSERT INTO {self.table} (note) VALUES ('during the storm')")
                self.inserted += 1
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
        self.conn.close()
        assert self.error is None, self.error


def test_hundred_invalid_reloads_keep_the_old_config_running(sqlite_ctx):
    ctx = sqlite_ctx
    for t, n in (("a", 2000), ("b", 300)):
        ctx.sql(f"""
            CREATE TABLE {t} (id bigserial PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                              note text);
            INSERT INTO {t} (note) SELECT 'row ' || i FROM generate_series(1, {n}) i;
        """)
    port, http = http_cfg()
    valid = {
        "destination": ctx.dest.config(),
        "defaults": {"poll_interval": "1s", "lookback": "0s", "batch_size": 500},
        "log": {"level": "info", "format": "text"},
        "http": http,
        "sources": [ctx.source_cfg(tables=["a"])],
    }
    cfg = sluicetest.write_config(ctx.tmp / "sluice.yaml", valid)
    d = Daemon(cfg, port, ctx.tmp).start()
    trickle = None
    try:
        wait_for(lambda: d.tables()["src.a"]["passes"] >= 1, 30, "a first pass")
        trickle = Trickle(ctx, "a")
        cases = bad_configs.cases(valid, ctx.tmp, padding_tables=PADDING_TABLES)
        print(f"{len(cases)} classes of invalid config")
        rejected = 0

        def reload_rejected(case):
            nonlocal rejected
            case.install(cfg)
            d.signal(signal.SIGHUP)
            rejected += 1
            st = wait_for(lambda: (s := d.status())["reloads"]["failed"] == rejected and s, 10,
                          f"the rejection of '{case.name}'", interval=0.01)
            _check_rejection(case, cfg, st)

        for case in cases:  # warm-up: every class once
            reload_rejected(case)
        want = 2000 + trickle.inserted
        wait_for(lambda: ctx.dest.count_all("src", "a") >= want, 20, "rows inserted during the warm-up")
        rss_before = rss_bytes(d.proc.pid)

        arrived = []
        started = time.monotonic()
        for i in range(RELOADS):
            reload_rejected(cases[i % len(cases)])
            if (i + 1) % 25 == 0:  # rows inserted during the storm reach the destination between reloads
                want = 2000 + trickle.inserted
                arrived.append(wait_for(lambda: (n := ctx.dest.count_all("src", "a")) >= want and n, 20,
                                        f"rows inserted before reload {i + 1}"))
        storm_s = time.monotonic() - started
        rss_after = rss_bytes(d.proc.pid)
        print(f"{RELOADS} invalid reloads in {storm_s:.1f}s; rows of src.a after every 25: {arrived}")
        print(f"VmRSS after warm-up {rss_before / 1048576:.1f} MiB, after {RELOADS} invalid reloads "
              f"{rss_after / 1048576:.1f} MiB ({(rss_after - rss_before) / 1048576:+.1f} MiB)")
        assert rss_after - rss_before <= RSS_GROWTH_MAX
        assert arrived == sorted(set(arrived)), arrived

        st = d.status()
        assert st["config_generation"] == 1 and st["reloads"] == {"ok": 0, "failed": len(cases) + RELOADS}, st
        assert [(t["source"], t["table"], t["task_starts"]) for t in st["tables"]] == [("src", "a", 1)], st
        trickle.stop()
        trickle = None
        wait_for(lambda: ctx.assert_synced("a"), 20, "src.a == source after the storm")

        # A valid file is still applied: b is added, a keeps its task.
        bad_configs.remove(cfg)
        sluicetest.write_config(cfg, {**valid, "sources": [ctx.source_cfg(tables=["a", "b"])]})
        d.signal(signal.SIGHUP)
        st = wait_for(lambda: (s := d.status())["config_generation"] == 2 and s, 10, "the valid reload")
        assert st["last_reload"]["ok"] is True and st["reloads"]["ok"] == 1, st["last_reload"]
        wait_for(lambda: ctx.assert_synced("b"), 20, "src.b copied after the valid reload")
        assert d.tables()["src.a"]["task_starts"] == 1
        assert d.stop() == 0, d.log()
    finally:
        if trickle:
            trickle.stop()
        d.kill()


def _check_rejection(case, cfg, st):
    reload = st["last_reload"]
    msg = reload["message"]
    assert reload["ok"] is False and case.needle in msg, f"{case.name}: {reload}"
    assert st["config_generation"] == 1, f"{case.name}: {st['config_generation']}"
    if case.path_kind != "file":
        assert msg.startswith(f"{cfg}: cannot read config file:"), f"{case.name}: {msg}"
        return
    if not case.has_line:
        assert msg.startswith(f"{cfg}: "), f"{case.name}: {msg}"
        return
    lines = bad_configs.reported_line(msg, cfg)
    want = case.expected_line()
    if want is not None:
        assert want in lines, f"{case.name}: expected {cfg}:{want}: in {msg!r}"
    else:
        assert lines, f"{case.name}: no {cfg}:LINE: in {msg!r}"
