"""Keyset pagination at page boundaries: many rows share one cursor value and straddle
pages (batch_size 7); several incremental passes with inserts and updates in between;
after every pass the destination equals the source. Tables:

  ties_strict  PK, lookback 0: updates always move rows to a new, larger cursor value
               (shared by many rows), so pure keyset pagination must find them.
  ties_late    PK, lookback 1h: inserts and updates land in the already-synced cursor
               range (equal to the last synced value, or below it), and the lookback
               window must pick them up.
  ties_nopk    no primary key (synthetic _sluice_key), lookback 1h: inserts only (an
               update of a keyless row is a new row by definition), many ties, some
               equal to the last synced value.
"""
import random

from sluicetest import check_ok, run_sluice

T0 = "2024-05-01 00:00:00+00"


def _setup(ctx):
    ctx.sql(f"""
        CREATE TABLE ties_strict (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL);
        CREATE TABLE ties_late   (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL);
        CREATE TABLE ties_nopk   (ts timestamp NOT NULL, host text, msg text);
    """)


def _config(ctx):
    return ctx.config(defaults={"batch_size": 7, "lookback": "0s"}, sources=[ctx.source_cfg(tables=[
        {"name": "ties_strict", "cursor": "updated_at", "lookback": "0s"},
        {"name": "ties_late", "cursor": "updated_at", "lookback": "1h"},
        {"name": "ties_nopk", "cursor": "ts", "lookback": "1h"},
    ])])


def _insert(ctx, table, ids, second):
    ids = list(ids)
    random.shuffle(ids)  # insertion order != key order
    for i in ids:
        ctx.sql(f"INSERT INTO {table} VALUES (%s, %s, timestamptz %s + %s * interval '1 second')",
                (i, f"v{i}-ins{second}", T0, second))


def _update(ctx, table, ids, second, tag):
    ctx.sql(f"UPDATE {table} SET val = val || %s, updated_at = timestamptz %s + %s * interval '1 second' "
            "WHERE id = ANY(%s)", (tag, T0, second, list(ids)))


_nopk_seq = [0]


def _insert_nopk(ctx, n, second):
    for _ in range(n):
        _nopk_seq[0] += 1
        k = _nopk_seq[0]
        ctx.sql("INSERT INTO ties_nopk VALUES (timestamp '2024-05-01 00:00:00' + %s * interval '1 second', %s, %s)",
                (second, f"host{k % 3}", f"message {k}"))


def _sync_and_check(ctx, cfg, label):
    res = run_sluice("once", config=cfg)
    assert res.returncode == 0, f"[{label}] " + res.describe()
    for t in ("ties_strict", "ties_late", "ties_nopk"):
        try:
            ctx.assert_synced(t)
        except AssertionError as e:
            raise AssertionError(f"after {label}: {e}") from None


def test_ties_across_pages_incremental_passes(ctx):
    random.seed(20240501)
    _setup(ctx)
    cfg = _config(ctx)

    # Pass 0: 50 rows share one cursor value (7 pages + 1), then 21 more at the next value.
    for t in ("ties_strict", "ties_late"):
        _insert(ctx, t, range(1, 51), 0)
        _insert(ctx, t, range(51, 72), 1)
    _insert_nopk(ctx, 50, 0)
    _insert_nopk(ctx, 21, 1)
    _sync_and_check(ctx, cfg, "pass 0 (initial)")

    # Pass 1: updates move 20 rows (scattered keys) to a new shared value; new rows join
    # them; late rows arrive with the last synced value and with smaller keys than the
    # last synced key, plus updates into the already-synced range.
    _update(ctx, "ties_strict", range(3, 60, 3), 2, "+u1")
    _insert(ctx, "ties_strict", range(100, 114), 2)
    _insert(ctx, "ties_late", [0, -1, -2, 200, 201], 1)                 # equal to last synced value
    _update(ctx, "ties_late", [5, 10, 15, 60], 0, "+late")             # below the last synced value
    _update(ctx, "ties_late", range(20, 34), 2, "+u1")                 # 14 rows, new shared value
    _insert_nopk(ctx, 9, 1)                                            # equal to last synced value
    _insert_nopk(ctx, 30, 2)
    _sync_and_check(ctx, cfg, "pass 1")

    # Pass 2: exactly one page worth of ties, then a page plus one.
    _update(ctx, "ties_strict", range(1, 8), 3, "+u2")
    _update(ctx, "ties_strict", range(100, 108), 4, "+u2")
    _insert(ctx, "ties_late", range(300, 307), 2)                      # equal to last synced value
    _update(ctx, "ties_late", range(40, 48), 3, "+u2")
    _insert_nopk(ctx, 7, 3)
    _insert_nopk(ctx, 8, 4)
    _sync_and_check(ctx, cfg, "pass 2")

    # Pass 3: nothing changed: nothing may move.
    _sync_and_check(ctx, cfg, "pass 3 (no changes)")

    # Pass 4: a burst of 60 updates to the same value plus inserts interleaved in key order.
    _update(ctx, "ties_strict", range(1, 120, 2), 5, "+u4")
    _insert(ctx, "ties_strict", range(400, 460, 2), 5)
    _update(ctx, "ties_late", range(1, 120, 2), 3, "+u4")              # equal to last synced value
    _insert_nopk(ctx, 61, 5)
    _sync_and_check(ctx, cfg, "pass 4")


def test_nopk_full_mode_updates_and_deletes(ctx):
    """A keyless table in `mode: full`: re-read every pass, vanished rows soft-deleted;
    the live destination rows equal the source after updates and deletes."""
    ctx.sql("""
        CREATE TABLE kv_nopk (k text, v int);
        INSERT INTO kv_nopk SELECT 'k' || i, i FROM generate_series(1, 40) i;
    """)
    cfg = ctx.config(defaults={"batch_size": 7},
                     sources=[ctx.source_cfg(tables=[{"name": "kv_nopk", "mode": "full"}])])
    check_ok(run_sluice("once", config=cfg))
    ctx.assert_synced("kv_nopk")
    ctx.sql("UPDATE kv_nopk SET v = v + 1000 WHERE v % 4 = 0; DELETE FROM kv_nopk WHERE v % 5 = 0;"
            "INSERT INTO kv_nopk VALUES ('new', 1), ('k1', 2)")
    check_ok(run_sluice("once", config=cfg))
    ctx.assert_synced("kv_nopk", allow_deleted=True)
