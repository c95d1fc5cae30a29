"""Invalid configuration files, one per class of problem the config loader reports (src/config;
tests/unit/config/errors_test.cpp has a unit test per class), each derived from a valid
config so that it is wrong in exactly one way: YAML syntax, unknown keys, wrong types, bad
durations and sizes, missing required keys, unknown source types, duplicate and badly named
sources, unreadable or empty secret files, unset or unterminated ${ENV}, keys of another
source type, bad enums and addresses, and a config path that is missing, a directory or a
symlink loop. Used by the SIGHUP storm test of the daemon."""
from __future__ import annotations

import copy
import os
import re
import shutil
from dataclasses import dataclass

from sluicetest import to_yaml

UNSET_ENV = "SLUICE_TEST_NEVER_SET"


@dataclass
class BadConfig:
    name: str
    needle: str                  # what the loader's message must contain
    text: str | None = None      # the file's content; None: `path_kind` says what is there instead
    line_of: str | None = None   # the problem is reported on the first line containing this
    path_kind: str = "file"      # file | missing | directory | symlink_loop
    has_line: bool = True        # False: the whole file is wrong, no line to point at

    def install(self, path: str):
        """Puts this case at `path`, replacing whatever is there (atomically for files)."""
        remove(path)
        if self.path_kind == "missing":
            return
        if self.path_kind == "directory":
            os.mkdir(path)
        elif self.path_kind == "symlink_loop":
            os.symlink(os.path.basename(path), path)
        else:
            write_atomically(path, self.text)

    def expected_line(self) -> int | None:
        if self.line_of is None:
            return None
        for n, line in enumerate(self.text.split("\n"), 1):
            if self.line_of in line:
                return n
        raise AssertionError(f"{self.name}: no line contains {self.line_of!r}")


def remove(path: str):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def write_atomically(path: str, text: str):
    tmp = path + ".new"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def cases(valid: dict, tmp, padding_tables: int = 0) -> list[BadConfig]:
    """Every class, derived from `valid` (a config whose first source is a PostgreSQL source with
    a `tables` list). `padding_tables` valid extra tables make every parse allocate more, so a
    leak per reload would show in the daemon's memory."""
    empty_secret = os.path.join(str(tmp), "empty_secret")
    open(empty_secret, "w").close()

    def variant(change) -> str:
        cfg = copy.deepcopy(valid)
        src = cfg["sources"][0]
        src["tables"] = list(src["tables"]) + [f"padding_{i:05d}" for i in range(padding_tables)]
        change(cfg, src)
        return to_yaml(cfg)

    def case(name, needle, change, line_of=None, has_line=True):
        return BadConfig(name, needle, variant(change), line_of, has_line=has_line)

    other_source = {"name": "hb", "type": "hbase", "host": "127.0.0.1", "port": 70000, "tables": ["t"]}
    return [
        BadConfig("yaml syntax", "YAML syntax error", variant(lambda c, s: None) + "broken: [unclosed\n"),
        BadConfig("duplicate key", "duplicate key 'log'", variant(lambda c, s: None) + "log: {level: info}\n"),
        BadConfig("key that is not a string", "mapping keys must be plain strings",
                  variant(lambda c, s: None) + "? [a, b]\n: 1\n"),
        case("unknown key", "unknown key 'bogus_key'", lambda c, s: c.update(bogus_key=1), "bogus_key"),
        case("unknown key with a hint", "did you mean 'poll_interval'",
             lambda c, s: c["defaults"].update(pol_interval="1s"), "pol_interval"),
        case("wrong type", "expected a positive integer, got 'lots'",
             lambda c, s: c["defaults"].update(max_in_flight="lots"), "max_in_flight"),
        case("wrong type (mapping)", "expected a mapping", lambda c, s: c.update(log="verbose"), "log:"),
        case("bad duration", "invalid duration '30'", lambda c, s: c["defaults"].update(poll_interval="30"),
             "poll_interval"),
        case("bad size", "invalid size '16 megs'", lambda c, s: c["destination"].update(batch_bytes="16 megs"),
             "batch_bytes"),
        case("missing required key", "missing required key 'dsn'", lambda c, s: s.pop("dsn")),
        case("missing sources", "missing required key 'sources'", lambda c, s: c.pop("sources"), has_line=False),
        case("unknown source type", "unknown source type 'mysql'", lambda c, s: s.update(type="mysql"), "mysql"),
        case("duplicate source name", "duplicate source name 'src'",
             lambda c, s: c["sources"].append(copy.deepcopy(s))),
        case("invalid name characters", "invalid source name 'Bad-Name'", lambda c, s: s.update(name="Bad-Name"),
             "Bad-Name"),
        case("unreadable secret file", "cannot read secret file",
             lambda c, s: s.update(password_file="/nonexistent/sluice/pg_password"), "password_file"),
        case("empty secret file", "is empty", lambda c, s: s.update(password_file=empty_secret), "password_file"),
        case("unset ${ENV}", f"environment variable '{UNSET_ENV}' is not set",
             lambda c, s: s.update(dsn=s["dsn"] + f" password=${{{UNSET_ENV}}}"), UNSET_ENV),
        case("unterminated ${ENV", "unterminated", lambda c, s: c["log"].update(level="${LOG_LEVEL"), "LOG_LEVEL"),
        case("key of another source type", "key 'url' is not valid for a source of type postgres",
             lambda c, s: s.update(url="http://x"), "url:"),
        case("password and password_file", "both 'password' and 'password_file' are set",
             lambda c, s: s.update(password="x", password_file=empty_secret), "password_file"),
        case("unknown column type", "unknown type 'varchar2'",
             lambda c, s: s["tables"].append({"name": "typed", "column_types": {"note": "varchar2"}}), "varchar2"),
        case("bad enum", "invalid value 'loud'", lambda c, s: c["log"].update(level="loud"), "loud"),
        case("bad listen address", "invalid listen address", lambda c, s: c["http"].update(listen="127.0.0.1:70000"),
             "70000"),
        case("bad destination type", "invalid value 'mysql'", lambda c, s: c["destination"].update(type="mysql"),
             "mysql"),
        case("no sources", "at least one source is required", lambda c, s: c.update(sources=[]), "sources"),
        case("duplicate table", "duplicate table 'dup'", lambda c, s: s["tables"].extend(["dup", "dup"])),
        case("include and exclude", "cannot both be set",
             lambda c, s: s["tables"].append({"name": "ie", "include_columns": ["a"], "exclude_columns": ["b"]}),
             "exclude_columns"),
        case("mode of another source type", "only valid for hbase",
             lambda c, s: s["tables"].append({"name": "m", "mode": "cell_timestamp"}), "cell_timestamp"),
        case("port out of range", "out of range", lambda c, s: c["sources"].append(other_source), "70000"),
        BadConfig("empty file", "missing required key 'sources'", "", has_line=False),
        BadConfig("not a mapping", "expected a mapping", "just a scalar\n", has_line=False),
        BadConfig("file missing", "cannot read config file: No such file or directory", path_kind="missing"),
        BadConfig("file is a directory", "cannot read config file: Is a directory", path_kind="directory"),
        BadConfig("file unreadable (symlink loop)", "cannot read config file: Too many levels of symbolic links",
                  path_kind="symlink_loop"),
    ]


def reported_line(message: str, path: str) -> list[int]:
    """The line numbers `path:LINE:` in a reload message."""
    return [int(m) for m in re.findall(re.escape(path) + r":(\d+):", message)]
