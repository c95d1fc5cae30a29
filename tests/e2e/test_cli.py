"""The command-line contract: --help/--version, check, discover, state show/reset."""
import json

import pgcluster
from sluicetest import check_ok, run_sluice


def test_version():
    res = run_sluice("--version", timeout=30)
    assert res.returncode == 0, res.describe()
    assert res.stdout.strip() == "sluice 0.1.0", res.describe()


def test_help_everywhere():
    for args in (["--help"], ["once", "--help"], ["check", "--help"], ["discover", "--help"],
                 ["state", "--help"]):
        res = run_sluice(*args, timeout=30)
        assert res.returncode == 0, res.describe()
        assert res.stdout.strip(), f"{args} printed no help on stdout\n" + res.describe()
    top = run_sluice("--help", timeout=30).stdout
    for sub in ("check", "discover", "once", "state"):
        assert sub in top, f"--help does not list {sub}\n{top}"


def test_usage_errors_exit_2():
    for args in (["no-such-command"], ["once"], ["once", "--no-such-flag", "-c", "x.yaml"]):
        res = run_sluice(*args, timeout=30)
        assert res.returncode == 2, res.describe()
        assert res.stderr.strip(), f"{args}: no message on stderr\n" + res.describe()


def test_check_ok_and_failing(ctx):
    ctx.sql("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = ctx.config()
    res = run_sluice("check", config=cfg, timeout=120)
    assert res.returncode == 0, res.describe()
    assert "src" in res.stdout, "check prints no line for the source\n" + res.describe()

    dead = pgcluster.free_port()
    bad = ctx.config(fname="bad-dest.yaml", destination={
        "type": "postgres", "dsn": f"host=127.0.0.1 port={dead} dbname=x user=postgres connect_timeout=5"})
    res = run_sluice("check", config=bad, timeout=120)
    assert res.returncode == 1, res.describe()


def test_discover_json(sqlite_ctx):
    ctx = sqlite_ctx
    ctx.load_fixture("demo.sql")
    cfg = ctx.config()
    res = check_ok(run_sluice("discover", config=cfg, timeout=120))
    try:
        doc = json.loads(res.stdout)
    except ValueError as e:
        raise AssertionError(f"discover stdout is not JSON: {e}\n" + res.describe()) from None
    assert isinstance(doc, list), doc
    by = {(d["source"], d["table"]): d for d in doc}
    assert set(by) == {("src", t) for t in ("customers", "events", 'Order "Lines"; --', "all_types")}, sorted(by)
    for d in doc:
        for k in ("source", "table", "destination", "mode", "cursor", "primary_key", "synthetic_key", "columns"):
            assert k in d, f"discover entry lacks {k!r}: {d}"
        for c in d["columns"]:
            assert {"name", "type", "source_type"} <= set(c), c
    cu = by[("src", "customers")]
    assert cu["mode"] == "incremental" and cu["cursor"] == "updated_at", cu
    assert cu["primary_key"] == ["id"] and cu["synthetic_key"] is False, cu
    ev = by[("src", "events")]
    assert ev["synthetic_key"] is True, ev
    # Cursor inference for a keyless table is a policy choice (DESIGN §5): either the
    # timestamp column as cursor, or a full re-read; but mode and cursor must agree.
    assert (ev["mode"], ev["cursor"]) in (("incremental", "happened_at"), ("full", None)), ev
    for d in doc:
        assert (d["mode"] == "full") == (d["cursor"] is None), f"mode/cursor disagree: {d}"
    ol = by[("src", 'Order "Lines"; --')]
    assert [c["name"] for c in ol["columns"]][:3] == ["line id", "unit price €", "Qty"], ol
    assert ol["primary_key"] == ["line id"], ol
    types = {c["name"]: c["type"] for c in by[("src", "all_types")]["columns"]}
    expect = {"id": "int64", "c_smallint": "int64", "c_integer": "int64", "c_bigint": "int64",
              "c_numeric": "decimal", "c_real": "double", "c_double": "double", "c_bool": "bool",
              "c_text": "string", "c_varchar": "string", "c_char": "string", "c_bytea": "bytes",
              "c_date": "date", "c_timestamp": "timestamp", "c_timestamptz": "timestamp",
              "c_json": "json", "c_jsonb": "json", "c_uuid": "string", "c_int_array": "json",
              "c_text_array": "json"}
    wrong = {k: (types.get(k), v) for k, v in expect.items() if types.get(k) != v}
    assert not wrong, f"discovered types (got, want): {wrong}"


def test_state_show_and_reset(sqlite_ctx):
    ctx = sqlite_ctx
    ctx.load_fixture("demo.sql")
    cfg = ctx.config()
    check_ok(run_sluice("once", config=cfg))
    res = check_ok(run_sluice("state", "show", config=cfg, timeout=60))
    doc = json.loads(res.stdout)
    assert isinstance(doc, list), doc
    by = {(d["source"], d["table"]): d for d in doc}
    for t in ("customers", "events", 'Order "Lines"; --', "all_types"):
        d = by.get(("src", t))
        assert d is not None, f"state show lacks src.{t}: {doc}"
        n = ctx.scalar(f'SELECT count(*) FROM "{t.replace(chr(34), chr(34) * 2)}"')
        assert d["rows"] == n, f"src.{t}: rows {d['rows']} != {n}"
        assert isinstance(d["cursor"], dict) and d["cursor"], f"src.{t}: cursor is not an object: {d}"
        assert isinstance(d["updated_at"], str) and d["updated_at"], d

    one = json.loads(check_ok(run_sluice("state", "show", "src.customers", config=cfg, timeout=60)).stdout)
    assert [(d["source"], d["table"]) for d in one] == [("src", "customers")], one

    # Damage the destination copy; reset + once re-syncs the whole table and repairs it.
    ctx.dest.execute('DELETE FROM "src__customers" WHERE id % 2 = 0')
    check_ok(run_sluice("state", "reset", "src.customers", config=cfg, timeout=60))
    after = json.loads(check_ok(run_sluice("state", "show", config=cfg, timeout=60)).stdout)
    cu = [d for d in after if (d["source"], d["table"]) == ("src", "customers")]
    assert not cu or not cu[0]["cursor"], f"cursor not forgotten after reset: {cu}"
    assert any(d["table"] == "all_types" and d["cursor"] for d in after), "reset touched other tables"
    res = check_ok(run_sluice("once", config=cfg))
    assert "src.customers: 61 rows" in res.stdout, res.describe()
    ctx.assert_synced("customers")

    res = run_sluice("state", "reset", "src.no_such_table", config=cfg, timeout=60)
    assert res.returncode == 1, res.describe()
