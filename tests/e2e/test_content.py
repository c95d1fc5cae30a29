"""Content equality: every table of the rich fixture (tests/fixtures/demo.sql: every
common type, NaN/Infinity, NULLs, unicode, hostile names) arrives verbatim in both
destinations. Equality is checked row by row on canonical values (sluicetest.py), with
an order-independent content hash computed separately from source and destination."""
import re

import sluicetest
from sluicetest import check_ok, run_sluice

FIXTURE_TABLES = ["customers", "events", 'Order "Lines"; --', "all_types"]


def test_rich_fixture_content_equal(ctx):
    ctx.load_fixture("demo.sql")
    cfg = ctx.config(defaults={"batch_size": 37})
    res = check_ok(run_sluice("once", config=cfg))
    for t in FIXTURE_TABLES:
        n = ctx.scalar(f'SELECT count(*) FROM public."{t.replace(chr(34), chr(34) * 2)}"')
        assert re.search(rf"^src\.{re.escape(t)}: {n} rows\s*$", res.stdout, re.M), \
            f"summary line 'src.{t}: {n} rows' missing\n" + res.describe()
        ctx.assert_synced(t)
    # A second pass changes nothing.
    check_ok(run_sluice("once", config=cfg))
    for t in FIXTURE_TABLES:
        ctx.assert_synced(t)


def test_destination_has_contract_columns(ctx):
    ctx.load_fixture("demo.sql")
    cfg = ctx.config()
    check_ok(run_sluice("once", config=cfg))
    cols = ctx.dest.columns("src", "events")
    for c in ("happened_at", "kind", "payload", "_sluice_synced_at", "_sluice_deleted", "_sluice_key"):
        assert c in cols, f"{c} missing from {ctx.dest.table_name('src', 'events')}: {cols}"
    cols = ctx.dest.columns("src", "customers")
    for c in ("id", "name", "email", "country", "updated_at", "_sluice_synced_at", "_sluice_deleted"):
        assert c in cols, f"{c} missing from customers: {cols}"
    assert "_sluice_key" not in cols, f"customers has a primary key, no synthetic key expected: {cols}"
    cols = ctx.dest.columns("src", 'Order "Lines"; --')
    for c in ("line id", "unit price €", "Qty", "naïve note", "select", "updated_at"):
        assert c in cols, f"{c!r} missing: {cols}"


def test_hostile_identifiers_verbatim(ctx):
    weird = 'we"ird; drop table x;--'
    spaced = "table with spaces ünïcödé 名前"
    qw = sluicetest.qi(weird)
    qs = sluicetest.qi(spaced)
    ctx.sql(f"""
        CREATE TABLE x (id int PRIMARY KEY);
        CREATE TABLE {qw} (
            "id" int PRIMARY KEY,
            "we""ird col; --" text,
            "spaced name" text,
            "ünï ÇØDÉ 名前" text,
            "UPPER" int,
            "updated_at" timestamptz NOT NULL DEFAULT '2024-01-01');
        INSERT INTO {qw} (id, "we""ird col; --", "spaced name", "ünï ÇØDÉ 名前", "UPPER")
        SELECT i, 'v' || i || chr(34) || chr(39), 's ' || i, 'ü' || i, i * 10 FROM generate_series(1, 20) i;
        CREATE TABLE {qs} ("Key Col" text PRIMARY KEY, "Wert €" numeric, ts timestamp);
        INSERT INTO {qs} VALUES ('a b', 1.5, '2024-01-01'), ('ç"d', NULL, '2024-01-02'), ('', 0, NULL);
    """)
    cfg = ctx.config()
    check_ok(run_sluice("once", config=cfg))
    tables = ctx.dest.tables()
    for t in (weird, spaced, "x"):
        assert ctx.dest.table_name("src", t) in tables, f"{t!r} not synced verbatim: {tables}"
        ctx.assert_synced(t)
    cols = ctx.dest.columns("src", weird)
    for c in ('we"ird col; --', "spaced name", "ünï ÇØDÉ 名前", "UPPER"):
        assert c in cols, f"column {c!r} not verbatim: {cols}"
    assert ctx.scalar("SELECT count(*) FROM x") == 0  # the source was not harmed either


def test_postgres_binary_copy_and_hand_changed_types(pg_ctx):
    """The PostgreSQL destination COPYs in binary format into the tables it created
    (checked by the rich fixture above, NaN/Infinity/extreme numerics included); a
    table whose column types were changed by hand reads binary data of other types
    wrongly (an int4 column gets 8-byte integers), so its batches go in text format
    (here through the staging table and merge) and the content stays exact."""
    ctx = pg_ctx
    ctx.load_fixture("demo.sql")
    cfg = ctx.config(defaults={"batch_size": 37})
    res = check_ok(run_sluice("once", config=cfg))
    assert "COPY in text format" not in res.output, res.describe()
    ctx.assert_synced("all_types")

    ctx.dest.execute('ALTER TABLE src.customers ALTER COLUMN id TYPE integer, '
                     'ALTER COLUMN name TYPE varchar(200)')
    ctx.sql("UPDATE customers SET name = name || ' (renamed)', updated_at = updated_at + interval '1 year' "
            "WHERE id % 5 = 0")
    ctx.sql("INSERT INTO customers (id, name, email, country, updated_at) "
            "SELECT 100000 + i, 'new ' || i, 'n' || i || '@example.com', 'NZ', timestamptz '2030-01-01' + i * "
            "interval '1 second' FROM generate_series(1, 90) i")
    res = check_ok(run_sluice("once", config=cfg))
    assert re.search(r'table "src"\."customers": COPY in text format: column "id" is not bigint', res.output), \
        res.describe()
    ctx.assert_synced("customers")
    assert ctx.dest.count_all("src", "customers") == ctx.scalar("SELECT count(*) FROM customers")
