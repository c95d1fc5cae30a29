"""Bad input: malformed configs (exit 2 with FILE:LINE on stderr), unreachable sources,
wrong passwords (never echoed), values that do not fit their declared type."""
import os
import re

import pytest

import pgcluster
from sluicetest import check_ok, run_sluice


def _line_re(path, line=None):
    names = "|".join(re.escape(p) for p in {str(path), os.path.basename(str(path))})
    return re.compile(rf"(?:{names}):{line if line is not None else r'[0-9]+'}\b")


def _write(tmp_path, text, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


# Each case: (id, yaml text, expected line (None: any), words stderr must contain)
BAD_CONFIGS = [
    ("yaml-syntax", """destination:
  type: sqlite
  path: ./x.db
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x"
    tables: [a, b
  - name: other
""", None, []),
    ("unknown-key", """destination:
  type: sqlite
  path: ./x.db
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x"
    bogus_key: 1
    tables: all
""", 8, ["bogus_key"]),
    ("wrong-type", """destination:
  type: sqlite
  path: ./x.db
defaults:
  batch_size: lots
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x"
""", 5, ["batch_size"]),
    ("bad-duration", """destination:
  type: sqlite
  path: ./x.db
defaults:
  batch_size: 10
  poll_interval: 10 parsecs
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x"
""", 6, ["poll_interval"]),
    ("unset-env", """destination:
  type: sqlite
  path: ./x.db
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x password=${SLUICE_TEST_SURELY_UNSET_VAR}"
    tables: all
""", 7, ["SLUICE_TEST_SURELY_UNSET_VAR"]),
    ("bad-table-entry", """destination:
  type: sqlite
  path: ./x.db
sources:
  - name: src
    type: postgres
    dsn: "host=127.0.0.1 port=1 dbname=x"
    tables:
      - name: t1
        mode: sometimes
""", 10, ["mode"]),
]


@pytest.mark.parametrize("sub", ["check", "once"])
@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_malformed_config_exit2_with_file_line(tmp_path, case, sub):
    _, text, line, words = case
    path = _write(tmp_path, text)
    res = run_sluice(sub, config=path, timeout=60, cwd=str(tmp_path))
    assert res.returncode == 2, res.describe()
    assert _line_re(path, line).search(res.stderr), \
        f"stderr lacks {os.path.basename(path)}:{line or 'LINE'}\n" + res.describe()
    for w in words:
        assert w in res.stderr, f"stderr does not mention {w!r}\n" + res.describe()
    assert not os.path.exists(tmp_path / "x.db"), "a destination was created despite the config error"


def test_missing_config_file_is_usage_error(tmp_path):
    res = run_sluice("once", config=str(tmp_path / "nope.yaml"), timeout=60)
    assert res.returncode == 2, res.describe()
    assert "nope.yaml" in res.stderr, res.describe()


def test_unreachable_source_fails_others_complete(sqlite_ctx):
    ctx = sqlite_ctx
    ctx.sql("CREATE TABLE ok_table (id int PRIMARY KEY, v text); INSERT INTO ok_table VALUES (1, 'a'), (2, 'b');")
    dead_port = pgcluster.free_port()
    cfg = ctx.config(sources=[
        ctx.source_cfg(),
        {"name": "nowhere_src", "type": "postgres",
         "dsn": f"host=127.0.0.1 port={dead_port} dbname=nothing user=postgres connect_timeout=5",
         "tables": "all"},
    ])
    res = run_sluice("once", config=cfg, timeout=240)
    assert res.returncode == 1, res.describe()
    assert "nowhere_src" in res.output, "the failing source is not named\n" + res.describe()
    ctx.assert_synced("ok_table")  # the healthy source still completed

    res = run_sluice("check", config=cfg, timeout=240)
    assert res.returncode == 1, res.describe()
    assert "nowhere_src" in res.output, res.describe()


@pytest.mark.parametrize("via_env", [False, True], ids=["inline", "env"])
def test_wrong_password_not_echoed(sqlite_ctx, via_env):
    ctx = sqlite_ctx
    ctx.sql("CREATE TABLE pw_table (id int PRIMARY KEY); INSERT INTO pw_table VALUES (1);")
    secret = "Wr0ng-Zebra-Secret-4711"
    pw = "${SLUICE_TEST_PW}" if via_env else secret
    env = {"SLUICE_TEST_PW": secret} if via_env else None
    cfg = ctx.config(sources=[ctx.source_cfg(
        name="pw_src", dsn=ctx.pg.dsn(ctx.src_db, user=pgcluster.PASSWORD_ROLE, password=pw))])
    for sub in ("once", "check", "discover"):
        res = run_sluice(sub, config=cfg, env=env, timeout=120)
        assert res.returncode == 1, res.describe()
        assert secret not in res.output, f"`{sub}` leaked the password\n" + res.describe()
        assert "pw_src" in res.output, f"`{sub}` does not name the source\n" + res.describe()

    # Positive control: the right password works, so the failure above was the password.
    good = {"SLUICE_TEST_PW": pgcluster.PASSWORD}
    cfg2 = ctx.config(fname="good.yaml", sources=[ctx.source_cfg(
        name="pw_src", dsn=ctx.pg.dsn(ctx.src_db, user=pgcluster.PASSWORD_ROLE, password="${SLUICE_TEST_PW}"))])
    res = run_sluice("once", config=cfg2, env=good, timeout=120)
    assert res.returncode == 0, res.describe()
    assert pgcluster.PASSWORD not in res.output, "the correct password was logged\n" + res.describe()
    ctx.assert_synced("pw_table", source="pw_src")


def test_value_not_fitting_declared_type(ctx):
    ctx.sql("""
        CREATE TABLE coded (id int PRIMARY KEY, code text, updated_at timestamptz NOT NULL DEFAULT '2024-01-01');
        INSERT INTO coded (id, code) VALUES (1, '10'), (2, '20'), (98765, 'abc'), (99999, '30');
        CREATE TABLE fine (id int PRIMARY KEY, v text);
        INSERT INTO fine VALUES (1, 'x'), (2, 'y');
    """)
    cfg = ctx.config(sources=[ctx.source_cfg(tables=[
        {"name": "coded", "column_types": {"code": "int64"}},
        "fine",
    ])])
    res = run_sluice("once", config=cfg, timeout=120)
    assert res.returncode == 1, res.describe()
    for w in ("coded", "code", "98765"):
        assert w in res.stderr, f"error does not name {w!r}\n" + res.describe()
    # The message must be specific: table, column and key in one line.
    assert any(all(w in line for w in ("coded", "code", "98765")) for line in res.stderr.splitlines()), \
        "no single error line names table, column and key\n" + res.describe()
    ctx.assert_synced("fine")  # other tables still complete


def test_host_names_are_looked_up_by_sluice(sqlite_ctx):
    """A DSN naming its host (not an address) still syncs: sluice looks the name up off its
    pool threads and hands libpq the addresses. A name that does not resolve fails its own
    source with an error naming the host; the other source completes."""
    ctx = sqlite_ctx
    ctx.sql("CREATE TABLE named (id int PRIMARY KEY, v text); INSERT INTO named SELECT g, md5(g::text) "
            "FROM generate_series(1, 50) g;")
    src = ctx.source_cfg()
    assert "host=127.0.0.1" in src["dsn"], src
    src["dsn"] = src["dsn"].replace("host=127.0.0.1", "host=localhost")
    cfg = ctx.config(sources=[
        src,
        {"name": "nxdomain_src", "type": "postgres",
         "dsn": "host=no-such-host.invalid port=5432 dbname=nothing user=postgres connect_timeout=5",
         "tables": "all"},
    ])
    res = run_sluice("once", config=cfg, timeout=240)
    assert res.returncode == 1, res.describe()
    # A resolver that answers says so at once; one that does not answer times out.
    assert ('could not translate host name "no-such-host.invalid"' in res.output
            or 'looking up host name "no-such-host.invalid": timed out' in res.output), res.describe()
    ctx.assert_synced("named")
