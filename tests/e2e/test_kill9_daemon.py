"""Crash safety of the daemon: `sluice run` syncing a PostgreSQL table, an HBase table, a
QuestDB table and a Druid datasource into one SQLite file is killed with SIGKILL 20 times at
random instants of its sync and restarted each time; then every table equals its source
exactly. Each kill watches one table (two kills per table first, then in turn among those with
room left) and lands once that table has grown by a random 0.5-2.5% of its rows, so every table
is killed in the middle of its own copy whatever the relative speed of the sources (counting all
rows together, a fast machine's PostgreSQL copy took every kill before the 40 ms-late Druid
emulator had committed a page). The seed is printed; SLUICE_TEST_SEED=N reproduces a run's
kill points."""
import os
import random

import sluicetest
from daemontest import Daemon, http_cfg, wait_for
from four_sources import TABLES, FourSources

KILLS = 20
# 250k rows; each kill lands 0.5-2.5% of them after the previous one (+ what is committed before
# the kill lands), so the 20 kills leave the copy incomplete. The emulators answer 40 ms late
# (one request at a time) to keep the pace even.
ROWS = {"pg": 100_000, "hb": 50_000, "qdb": 50_000, "dr": 50_000}


def test_kill9_daemon_twenty_times_across_four_sources(pg, tmp_path):
    seed = int(os.environ.get("SLUICE_TEST_SEED", "20240611"))
    print(f"seed {seed} (set SLUICE_TEST_SEED to reproduce)")
    rnd = random.Random(seed)
    with FourSources(tmp_path, src_pg=pg, druid_pg=pg, rows=ROWS, emulator_flags=["--delay-ms", 40],
                     name="kill9") as fs:
        db = str(tmp_path / "dest.db")
        port, http = http_cfg()
        cfg = sluicetest.write_config(tmp_path / "sluice.yaml", {
            "destination": {"type": "sqlite", "path": db},
            "defaults": {"poll_interval": "1s", "lookback": "0s", "batch_size": 1000},
            "daemon": {"backoff_max": "2s"},
            "http": http,
            "log": {"level": "info", "format": "text"},
            "sources": fs.sources(pg_table={"batch_size": 500}, http_table={"max_in_flight": 1}),
        })
        per_kill = []
        total = fs.total()
        order = list(TABLES)  # pg, hb, qdb, dr
        watched = {"table": order[0]}

        def copied():
            # The watched table's progress, scaled to `total` so that the harness's steps are
            # fractions of that table's own rows.
            s = watched["table"]
            return fs.dest_counts(db).get(s, 0) * total // fs.totals[s]

        def next_watched(kill: int):
            counts = fs.dest_counts(db)
            per_kill.append(counts)
            if kill + 1 < 2 * len(TABLES):
                watched["table"] = order[(kill + 1) // 2]
                return
            # Then in turn, among tables with at least 10% left (a step must fit in what is left).
            with_room = [t for t in order if counts.get(t, 0) < fs.totals[t] * 0.9]
            assert with_room, f"every table is nearly copied after kill {kill + 1}: {counts}"
            watched["table"] = with_room[(kill + 1) % len(with_room)]

        kills = sluicetest.kill9_during_sync(
            [sluicetest.sluice_bin(), "run", "-c", cfg], copied, total, tmp_path, attempts=KILLS,
            rnd=rnd, step=(0.005, 0.025), poll=(0.002, 0.01), late=0.02, after_kill=next_watched)
        assert len(kills) == KILLS
        # Every table was partly copied when some of the kills landed.
        for s in TABLES:
            mid = sum(1 for c in per_kill if 0 < c[s] < fs.totals[s])
            assert mid >= 2, f"{s}: only {mid} of {KILLS} kills landed in the middle of its copy: {per_kill}"
        print(f"rows per table after each kill: {per_kill}")

        d = Daemon(cfg, port, tmp_path, name="final").start()
        try:
            wait_for(lambda: fs.dest_counts(db) == fs.totals, 240, "every row copied after the restarts")
            wait_for(lambda: all(t["passes"] >= 1 and t["last_error"] is None for t in d.tables().values())
                     and len(d.tables()) == 4, 60, "a clean pass of all four tables")
            assert d.stop() == 0, d.log()
        finally:
            d.kill()
        synced = fs.assert_synced(db)
        print(f"after {KILLS} kills: " + ", ".join(f"{s} {n} rows hash {h[:12]}" for s, (n, h) in synced.items()))
        assert sluicetest.sqlite_integrity(db) == "ok"
