"""Parallel initial loads (src/sources/postgres/parallel_load.hpp): a large keyed table is
read as key ranges on max_parallel_workers connections in one exported snapshot; the
destination must equal the source exactly after the load, after incremental passes that
follow it, and after kill -9 at random instants of the load with restarts (every range
resumes after its last committed key)."""
import json
import os
import random
import signal
import subprocess
import time

import pytest

from sluicetest import check_ok, clean_env, run_sluice, sluice_bin

ROWS = 120_000
WORKERS = 4


# Key types and how the i-th key is spelled: integers, text with characters that need
# quoting and escaping in literals and COPY (cut points and resume keys are both), uuids.
KEYS = {
    "bigint": "i",
    "text": "'k ' || lpad(i::text, 7, '0') || E' \\\\ \\t''\"ü'",
    "uuid": "md5(i::text)::uuid",
}


def _make_table(ctx, rows=ROWS, key="bigint", analyze=True):
    # The cursor is unrelated to the key order (ids are scattered over time), so the
    # ranges each cover every part of the cursor's range: the snapshot's newest row
    # is the only safe place for incremental reading to continue.
    ctx.sql(f"""
        CREATE TABLE ev (id {key} PRIMARY KEY, updated_at timestamptz NOT NULL, v text, n numeric(12,2));
        INSERT INTO ev
        SELECT {KEYS[key]}, timestamptz '2024-01-01 00:00:00+00' + ((i * 7919) % {rows}) * interval '1 second',
               'v' || i, i * 0.5
        FROM generate_series(1, {rows}) i;
    """)
    # VACUUM (a row estimate, no histogram) cannot run inside pg_exec's transaction.
    ctx.pg.exec_sql(ctx.src_db, "ANALYZE ev" if analyze else "VACUUM ev")


def _config(ctx, **defaults):
    return ctx.config(defaults={"batch_size": 2000, "max_parallel_workers": WORKERS, **defaults})


def _cursor(ctx):
    rows = [r for r in ctx.dest.state_rows() if r[1] == "ev"]
    assert len(rows) == 1, rows
    return json.loads(rows[0][2])


def _split_load_is_exact(ctx, cfg):
    res = run_sluice("once", config=cfg, timeout=300)
    check_ok(res)
    assert f"initial load in {WORKERS * 4} key ranges" in res.output, res.output[-3000:]
    ctx.assert_synced("ev")
    assert ctx.dest.count_all("src", "ev") == ROWS


def _update_and_check_incremental(ctx, cfg, changed, new_key):
    # Updates in the middle of every range, new keys beyond the old maximum, and a delete
    # (not detected by incremental syncs: the destination keeps it, as documented).
    ctx.sql(f"""
        UPDATE ev SET v = 'changed', updated_at = now() WHERE {changed};
        INSERT INTO ev SELECT {new_key}, now(), 'new' || i, 0 FROM generate_series({ROWS + 1}, {ROWS + 500}) i;
    """)
    res = run_sluice("once", config=cfg, timeout=300)
    check_ok(res)
    assert "key ranges" not in res.output, "an incremental pass must not split again"
    ctx.assert_synced("ev")
    assert ctx.dest.count_all("src", "ev") == ROWS + 500


def test_parallel_initial_load_then_incremental_is_exact(ctx):
    _make_table(ctx)
    cfg = _config(ctx)
    _split_load_is_exact(ctx, cfg)
    # After the load: an ordinary incremental cursor at the snapshot's newest row.
    c = _cursor(ctx)
    assert "load" not in c and c["mode"] == "incremental", c
    newest = next(i for i in range(1, ROWS + 1) if (i * 7919) % ROWS == ROWS - 1)
    assert c["k"] == [str(newest)], c
    _update_and_check_incremental(ctx, cfg, "id % 1000 = 7", "i")


def test_text_and_uuid_keys_split_at_histogram_bounds(sqlite_ctx):
    """Keys that are not integers are cut at their pg_stats histogram bounds: the
    ranges must still hold every row once, and resuming/incremental reading works."""
    ctx = sqlite_ctx
    for key in ("text", "uuid"):
        ctx.sql("DROP TABLE IF EXISTS ev")
        _make_table(ctx, key=key)
        cfg = _config(ctx)
        _split_load_is_exact(ctx, cfg)
        assert "load" not in _cursor(ctx)
        _update_and_check_incremental(ctx, cfg, "v LIKE '%7'", KEYS[key])
        check_ok(run_sluice("state", "reset", "src.ev", config=cfg))
        ctx.dest.drop_table("src", "ev")


def test_text_key_without_statistics_is_one_range(sqlite_ctx):
    ctx = sqlite_ctx
    _make_table(ctx, key="text", analyze=False)  # VACUUM: a row estimate, no histogram
    res = run_sluice("once", config=_config(ctx), timeout=300)
    check_ok(res)
    assert "no statistics for key \"id\"" in res.output and "initial load in 1 key ranges" in res.output, \
        res.output[-3000:]
    ctx.assert_synced("ev")
    assert ctx.dest.count_all("src", "ev") == ROWS


def test_small_tables_and_one_worker_are_not_split(sqlite_ctx):
    ctx = sqlite_ctx
    _make_table(ctx, rows=5_000)
    res = run_sluice("once", config=_config(ctx), timeout=300)
    check_ok(res)
    assert "key ranges" not in res.output
    ctx.assert_synced("ev")
    ctx.sql("DROP TABLE ev")
    _make_table(ctx)
    check_ok(run_sluice("state", "reset", "src.ev", config=_config(ctx)))
    res = run_sluice("once", config=_config(ctx, max_parallel_workers=1), timeout=300)
    check_ok(res)
    assert "key ranges" not in res.output
    ctx.assert_synced("ev")


@pytest.mark.parametrize("key", ["bigint", "text"])
def test_kill9_during_parallel_load_resumes_every_range(sqlite_ctx, key):
    ctx = sqlite_ctx
    _make_table(ctx, key=key)
    cfg = _config(ctx, batch_size=1000)
    rng = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", "777")))
    log_path = ctx.tmp / "parallel-kills.log"
    history, partial_loads = [], 0
    with open(log_path, "ab") as log:
        for attempt in range(8):
            # Kills are aimed at progress, not at wall-clock delays: a fast machine finishes
            # 120k rows before any fixed delay, and then no kill lands inside the load.
            already = _count_or_zero(ctx)
            target = already + int(rng.uniform(0.05, 0.35) * ROWS)
            p = subprocess.Popen([sluice_bin(), "once", "-c", cfg], stdout=log, stderr=log, env=clean_env())
            killed_at = _kill_when_rows_reach(ctx, p, target)
            if killed_at is None:
                assert p.returncode == 0, log_path.read_text()[-3000:]
                history.append((target, "completed"))
                break
            try:
                c = _cursor(ctx)
            except Exception:  # noqa: BLE001 - nothing committed yet
                history.append((target, "killed before the first commit"))
                continue
            if "load" in c:
                ranges = c["load"]["r"]
                done = sum(1 for r in ranges if r.get("d"))
                started = sum(1 for r in ranges if "l" in r and not r.get("d"))
                partial_loads += 1
                history.append((target, "killed", killed_at, done, started))
            else:
                history.append((target, "killed after the load"))
            # The source keeps changing between restarts: updated rows must arrive too.
            ctx.sql(f"UPDATE ev SET v = 'upd{attempt}', updated_at = now() WHERE (n * 2)::bigint % 997 = {attempt}")
    print(f"parallel load kill history: {history}")
    assert partial_loads >= 2, f"too few kills landed inside the load: {history}"
    check_ok(run_sluice("once", config=cfg, timeout=300))
    check_ok(run_sluice("once", config=cfg, timeout=300))  # the updates made after the load's snapshot
    ctx.assert_synced("ev")
    assert ctx.dest.count_all("src", "ev") == ROWS, "duplicates or lost rows"
    assert "load" not in _cursor(ctx)


def _count_or_zero(ctx) -> int:
    try:
        return ctx.dest.count_all("src", "ev")
    except Exception:  # noqa: BLE001 - the table does not exist before the first commit
        return 0


def _kill_when_rows_reach(ctx, proc, target: int, limit_s: float = 120.0):
    """SIGKILL `proc` once the destination holds `target` rows; the row count seen at the
    kill, or None when the process exited by itself first."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        n = _count_or_zero(ctx)
        if n >= target:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return n
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError(f"sluice once did not reach {target} rows within {limit_s} s")


def _connections_to(pid: int, port: int) -> int:
    """TCP connections process `pid` holds open to `port` (its socket fds matched against
    /proc/net/tcp): what sluice itself has open, unlike pg_stat_activity, which still
    lists backends that are exiting after their client left."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return 0
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if int(parts[2].rsplit(":", 1)[1], 16) == port and parts[9] in inodes:
                        n += 1
        except OSError:
            pass
    return n


def test_many_tables_stay_within_max_connections(sqlite_ctx):
    """30 tables synced at once through a source limited to 3 connections: sluice never
    holds more than 3 connections to the source, and every table is exact."""
    ctx = sqlite_ctx
    for t in range(30):
        ctx.sql(f"""CREATE TABLE t{t} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text);
                    INSERT INTO t{t} SELECT i, now() - (i || ' s')::interval, 'v' || i FROM generate_series(1, 2000) i;""")
    cfg = ctx.config(sources=[ctx.source_cfg(max_connections=3)], defaults={"max_parallel_workers": 4})
    p = subprocess.Popen([sluice_bin(), "once", "-c", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=clean_env())
    peak = 0
    while p.poll() is None:
        peak = max(peak, _connections_to(p.pid, ctx.pg.port))
        time.sleep(0.002)
    out = p.stdout.read().decode(errors="replace")
    assert p.returncode == 0, out[-3000:]
    print(f"peak connections to the source: {peak}")
    assert 1 <= peak <= 3, f"{peak} connections at once with max_connections 3"
    for t in range(30):
        ctx.assert_synced(f"t{t}")
