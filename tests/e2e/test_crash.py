"""Crash safety: `kill -9` of `sluice once` at random instants during a 200k-row initial
sync, each followed by a restart; the final run completes and the destination equals the
source exactly (no lost rows, no duplicates, synthetic keys stable across replays)."""
import os
import random
import signal
import subprocess
import time

from sluicetest import check_ok, clean_env, run_sluice, sluice_bin

WANT_KILLS = 6


def test_kill9_during_initial_sync_then_restart(ctx):
    ctx.sql("""
        CREATE TABLE big (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL,
                          payload text, amount numeric(12,2), flag boolean, doc jsonb);
        INSERT INTO big
        SELECT i, timestamptz '2024-01-01 00:00:00+00' + (i / 100) * interval '1 second',
               md5(i::text) || ' ü ' || i, i * 0.01, i % 2 = 0,
               jsonb_build_object('i', i)
        FROM generate_series(1, 200000) i;
        CREATE TABLE big_nopk (ts timestamp NOT NULL, seq int, note text);
        INSERT INTO big_nopk
        SELECT timestamp '2024-01-01 00:00:00' + (i / 50) * interval '1 second', i, 'n' || i
        FROM generate_series(1, 30000) i;
        ANALYZE;
    """)
    cfg = ctx.config(defaults={"batch_size": 5000}, log={"level": "warn", "format": "text"})
    rng = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", "4242")))
    total = 200000

    def copied():
        try:
            return ctx.dest.count_all("src", "big")
        except Exception:  # destination (table) not created yet
            return 0

    # Kill after a random delay. A kill that left no progress stretches the window (a
    # restart needs time to reconnect before it copies more); a run that completed
    # shrinks it, and the copy is dropped and its cursors reset so that later kills hit
    # an initial sync again.
    lo, hi = 0.08, 0.45
    kills, partial, attempts, prev, history = 0, 0, 0, 0, []
    log_path = ctx.tmp / "crash-runs.log"
    with open(log_path, "ab") as log:
        while (kills < WANT_KILLS or partial < 3) and attempts < 30:
            attempts += 1
            delay = rng.uniform(lo, hi)
            log.write(f"\n=== attempt {attempts}: kill after {delay:.3f}s ===\n".encode())
            log.flush()
            p = subprocess.Popen([sluice_bin(), "once", "-c", cfg], stdout=log, stderr=log,
                                 env=clean_env())
            try:
                rc = p.wait(timeout=delay)
                assert rc == 0, f"sluice once exited {rc} (see {log_path}):\n{log_path.read_text()[-4000:]}"
                history.append((round(delay, 3), "completed"))
                hi = max(0.1, delay * 0.8)
                lo = min(lo, hi / 3)
                for t in ("big", "big_nopk"):  # start a fresh initial sync
                    check_ok(run_sluice("state", "reset", f"src.{t}", config=cfg))
                    ctx.dest.drop_table("src", t)
                prev = 0
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
                kills += 1
                n = copied()
                history.append((round(delay, 3), "killed", n))
                if 0 < n < total:
                    partial += 1
                if n == prev:
                    lo, hi = lo * 1.4, hi * 1.4
                prev = n
    print(f"crash history ({ctx.dest.kind}): {history}")
    assert kills >= 5, f"only {kills} kills landed during a sync: {history}"
    assert partial >= 2, f"too few kills left a partial initial copy: {history}"

    final = run_sluice("once", config=cfg, timeout=600)
    assert final.returncode == 0, final.describe()
    ctx.assert_synced("big")
    ctx.assert_synced("big_nopk")
    assert ctx.dest.count_all("src", "big") == 200000, "duplicates or stale rows in big"
    assert ctx.dest.count_all("src", "big_nopk") == 30000, "duplicates or stale rows in big_nopk"
