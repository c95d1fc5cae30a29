"""One table in each kind of source sluice reads, synced by one config into one SQLite file:
a PostgreSQL table (pg.orders), an HBase table (hb.events, cursor_column on a timestamp
cell), a QuestDB table (qdb.ticks, synthetic keys) and a Druid datasource (dr.edits,
synthetic keys). Used by the daemon's outage and crash tests.

Every source keeps its data across an outage: PostgreSQL is a cluster of its own that is
stopped and started again on the same port; the HBase and QuestDB emulators keep their
tables in a data file (--data) and the Druid emulator in its PostgreSQL database, and are
restarted on the same port. While they are down, rows can still be added through a side
door (PostgreSQL on its Unix socket only, each emulator as a second process on another
port with the same data), which sluice cannot reach.

The SQLite copy is compared exactly with each source through an independent client (psql
queries, hbase-load, the QuestDB REST API, druid-load), and each source's row count with
the number of rows this module wrote, so an emulator that lost data on a restart is
caught too."""
from __future__ import annotations

import os

import druid_emulator as de
import hbase_emulator as he
import questdb_emulator as qe
import sluicetest
from sluicetest import SqliteDest, assert_multiset_equal, content_hash, sqlite_count

T0_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
STEP_US = 1_000                # QuestDB and Druid rows are 1 ms apart
TABLES = {"pg": "orders", "hb": "events", "qdb": "ticks", "dr": "edits"}


def dest_table(source: str) -> str:
    return f"{source}__{TABLES[source]}"


class FourSources:
    """`src_pg` is the PostgreSQL source's cluster (give it one of its own to take it down);
    the Druid emulator stores its datasource in `druid_pg`. `rows`: initial rows of every
    source, or {source: rows}. `emulator_flags` go to all three emulators (e.g. --delay-ms to
    make a sync last)."""

    def __init__(self, tmp, src_pg, druid_pg, rows, emulator_flags=(), name: str = "four"):
        self.tmp, self.src_pg, self.druid_pg = str(tmp), src_pg, druid_pg
        self.flags = [str(f) for f in emulator_flags]
        self.pg_db = src_pg.create_db(f"{name}_pg_{os.getpid()}")
        self.druid_dsn = druid_pg.dsn(druid_pg.create_db(f"{name}_druid_{os.getpid()}"))
        self.hb_data = os.path.join(self.tmp, "hbase.snapshot")
        self.qdb_data = os.path.join(self.tmp, "questdb.sqlite")
        self.hb = self._hbase()
        self.qdb = self._questdb()
        self.dr = self._druid()
        self.totals = {"pg": 0, "hb": 0, "qdb": 0, "dr": 0}
        self._initial = rows

    # ------------------------------------------------------------------ processes
    def _hbase(self):
        return he.Emulator(*self.flags, data=self.hb_data)

    def _questdb(self):
        return qe.Emulator(*self.flags, data=self.qdb_data)

    def _druid(self):
        return de.Emulator(self.druid_dsn, *self.flags)

    def __enter__(self):
        try:
            for em in (self.hb, self.qdb, self.dr):
                em.start()
            self.src_pg.exec_sql(self.pg_db, """
                CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL,
                                     amount numeric(12,2), note text)""")
            self.hb.create("events", "cf")
            self.append(self._initial)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for em in (self.hb, self.qdb, self.dr):
            em.__exit__(*exc)

    def ports(self) -> dict:
        return {"pg": self.src_pg.port, "hb": self.hb.port, "qdb": self.qdb.port, "dr": self.dr.port}

    # ------------------------------------------------------------------ data
    def append(self, n, via=None):
        """Adds n rows to every source (and updates a few PostgreSQL rows), through `via`:
        (PostgreSQL connect function, hbase, questdb, druid emulator); default: the running ones.
        New PostgreSQL rows are 1 µs apart up to now(): later than anything synced before
        (sluice reads past its cursor; lookback is 0), and their freshness is now."""
        pg_connect, hb, qdb, dr = via or (self.src_pg.connect, self.hb, self.qdb, self.dr)
        t = self.totals
        n = n if isinstance(n, dict) else {s: n for s in TABLES}
        conn = pg_connect(self.pg_db)
        try:
            sluicetest.pg_exec(conn, f"""
                INSERT INTO orders
                SELECT i, now() - ({t['pg'] + n['pg']} - i) * interval '1 microsecond', i * 0.25, 'order ' || i
                FROM generate_series({t['pg'] + 1}, {t['pg'] + n['pg']}) i;
                UPDATE orders SET note = note || ' (changed)', updated_at = now()
                WHERE id IN (SELECT id FROM orders WHERE id <= {t['pg']} ORDER BY id DESC LIMIT 5)""")
        finally:
            conn.close()
        hb.generate("events", n["hb"], start=t["hb"])
        qdb.generate("ticks", n["qdb"], start_us=T0_US + t["qdb"] * STEP_US, step_us=STEP_US)
        dr.load("generate", "edits", n["dr"], "--start-ms", (T0_US + t["dr"] * STEP_US) // 1000,
                "--step-ms", STEP_US // 1000, "--first", t["dr"])
        for k in t:
            t[k] += n[k]

    def total(self) -> int:
        return sum(self.totals.values())

    # ------------------------------------------------------------------ outages
    def take_down(self):
        """Every source goes away at once (the emulators first: they stop in milliseconds)."""
        for em in (self.hb, self.qdb, self.dr):
            em.stop()  # SIGTERM: the HBase emulator saves its tables on the way out
        self.src_pg.stop_server()

    def append_while_down(self, n: int):
        """Writes n rows to every source through its side door while sluice cannot reach it."""
        self.src_pg.start_server(tcp=False)
        doors = [self._hbase(), self._questdb(), self._druid()]
        try:
            for em in doors:
                em.start()
            self.append(n, via=(self.src_pg.connect_socket, *doors))
        finally:
            for em in doors:
                em.__exit__(None, None, None)
            self.src_pg.stop_server()

    def bring_back(self):
        """Every source comes back on the port it had, with its data."""
        self.src_pg.start_server()
        for em in (self.hb, self.qdb, self.dr):
            em.restart()

    # ------------------------------------------------------------------ config and checks
    def sources(self, pg_table: dict | None = None, http_table: dict | None = None) -> list:
        """The `sources:` of a config; pg_table/http_table add keys to the PostgreSQL table and
        to the QuestDB and Druid tables (e.g. max_in_flight)."""
        http_table = http_table or {}
        return [
            {"name": "pg", "type": "postgres", "dsn": self.src_pg.dsn(self.pg_db),
             "tables": [{"name": "orders", **(pg_table or {})}]},
            self.hb.source_cfg([{"name": "events", "mode": "cursor_column", "cursor": "cf:c3",
                                 "columns": he.GEN_COLUMNS, "max_parallel_workers": 1}], name="hb"),
            self.qdb.source_cfg([{"name": "ticks", **http_table}], name="qdb"),
            self.dr.source_cfg([{"name": "edits", **http_table}], name="dr"),
        ]

    def dest_counts(self, db: str) -> dict:
        """Rows of each destination table (0 while it does not exist)."""
        return {s: sqlite_count(db, dest_table(s)) for s in TABLES}

    def assert_synced(self, db: str) -> dict:
        """Asserts each destination table equals its source exactly and each source still holds
        every row written to it; returns {source: (rows, content hash)}."""
        out = {"pg": self._check_pg(db), "hb": self._check_hbase(db), "qdb": self._check_questdb(db),
               "dr": self._check_druid(db)}
        for s, (rows, _) in out.items():
            assert rows == self.totals[s], f"{s}: the source holds {rows} rows, {self.totals[s]} were written"
        return out

    def _check_pg(self, db):
        conn = self.src_pg.connect(self.pg_db)
        try:
            h = sluicetest.assert_table_synced(conn, SqliteDest(db), "pg", "orders")
            return sluicetest.pg_scalar(conn, "SELECT count(*) FROM orders"), h
        finally:
            conn.close()

    def _check_hbase(self, db):
        expected = he.expected_rows(self.hb.dump("events"), he.GEN_COLUMNS)
        he.assert_rows_equal(expected, he.dest_rows(db, dest_table("hb"), he.GEN_COLUMNS), "hb.events")
        return len(expected), he.rows_hash(expected)

    def _check_questdb(self, db):
        cols, rows = self.qdb.dump("ticks")
        expected = qe.expected_rows(cols, rows)
        assert_multiset_equal(expected, qe.dest_rows(db, dest_table("qdb"), cols), "qdb.ticks")
        return len(rows), content_hash(list(expected.elements()))

    def _check_druid(self, db):
        cols, rows = self.dr.dump("edits")
        expected = de.expected_rows(cols, rows)
        assert_multiset_equal(expected, de.dest_rows(db, dest_table("dr"), cols), "dr.edits")
        return len(rows), content_hash(list(expected.elements()))
