"""Shared fixtures for the end-to-end tests of the `sluice` binary.

One throwaway PostgreSQL cluster per pytest session (tests/harness/pgcluster.py);
each test gets fresh databases in it. `dest` is parametrised over both destinations:
SQLite (a file in the test's tmp dir) and PostgreSQL (a separate database of the same
cluster). Nothing is skipped: a missing binary or server is a failure.
"""
import itertools
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.environ.get("SLUICE_SRC") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "harness"))

import pgcluster  # noqa: E402
import sluicetest  # noqa: E402
from sanitizer_reports import sanitizer_reports  # noqa: E402,F401  (autouse: sanitizer builds)

FIXTURES = os.path.join(SRC_ROOT, "tests", "fixtures")
_ids = itertools.count(1)


@pytest.fixture(scope="session")
def sluice_bin():
    return sluicetest.sluice_bin()


@pytest.fixture(scope="session")
def pg():
    cluster = pgcluster.PgCluster()
    cluster.start()
    yield cluster
    cluster.stop()


class Ctx:
    """Per-test context: a fresh source database, a tmp dir, config writing."""

    def __init__(self, pg, tmp_path, dest_kind):
        self.pg = pg
        self.tmp = tmp_path
        n = next(_ids)
        self.src_db = pg.create_db(f"src_{os.getpid()}_{n}")
        self.src = pg.connect(self.src_db)
        if dest_kind == "postgres":
            self.dest = sluicetest.PgDest(pg, pg.create_db(f"dst_{os.getpid()}_{n}"))
        else:
            self.dest = sluicetest.SqliteDest(os.path.join(str(tmp_path), "dest.db"))
        self.source_name = "src"

    def load_fixture(self, name):
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
            sluicetest.pg_exec(self.src, f.read())

    def sql(self, sql, params=None):
        sluicetest.pg_exec(self.src, sql, params)

    def scalar(self, sql, params=None):
        return sluicetest.pg_scalar(self.src, sql, params)

    def source_cfg(self, tables="all", name=None, **kw):
        s = {"name": name or self.source_name, "type": "postgres", "dsn": self.pg.dsn(self.src_db),
             "tables": tables}
        s.update(kw)
        return s

    def config(self, sources=None, defaults=None, fname="sluice.yaml", **extra):
        cfg = {
            "destination": self.dest.config(),
            "defaults": {"poll_interval": "1s", "lookback": "0s", "batch_size": 500,
                         **(defaults or {})},
            "log": {"level": "info", "format": "text"},
            "sources": sources if sources is not None else [self.source_cfg()],
        }
        cfg.update(extra)
        return sluicetest.write_config(self.tmp / fname, cfg)

    def assert_synced(self, table, **kw):
        return sluicetest.assert_table_synced(self.src, self.dest, kw.pop("source", self.source_name),
                                              table, **kw)

    def close(self):
        self.src.close()


@pytest.fixture(params=["sqlite", "postgres"])
def ctx(request, pg, tmp_path):
    c = Ctx(pg, tmp_path, request.param)
    yield c
    c.close()


@pytest.fixture
def sqlite_ctx(pg, tmp_path):
    c = Ctx(pg, tmp_path, "sqlite")
    yield c
    c.close()


@pytest.fixture
def pg_ctx(pg, tmp_path):
    c = Ctx(pg, tmp_path, "postgres")
    yield c
    c.close()
