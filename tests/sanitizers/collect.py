#!/usr/bin/env python3
"""Runs `python3 ARGS...` (a pytest run or an emulator wire test) in a sanitizer build so
that every sanitizer report of every process it starts (sluice, the emulators, loaders)
ends up in the test's log and fails the test.

Each *SAN_OPTIONS gets log_path=<fresh dir>/report, so a report is a file
`report.<pid>` even when the process's stderr went to /dev/null, to a pipe nobody reads,
or the process was stopped with SIGTERM and nobody checked its exit code. The pytest
suites attach a report to the test that produced it (tests/harness/sanitizer_reports.py
moves it to reported/); whatever is left at the end is printed here and fails the run.

Exit status: the command's own, or 1 if it passed but a report was written.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def with_log_path(options: str, path: str) -> str:
    kept = [o for o in options.split(":") if o and not o.startswith("log_path=")]
    return ":".join(kept + [f"log_path={path}"])


def main() -> int:
    logs = tempfile.mkdtemp(prefix="sluice-sanitizer-")
    env = dict(os.environ)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"):
        env[var] = with_log_path(env.get(var, ""), os.path.join(logs, "report"))
    env["SLUICE_SANITIZER_LOGS"] = logs
    rc = subprocess.call([sys.executable, *sys.argv[1:]], env=env)

    reported_dir = os.path.join(logs, "reported")
    reported = sorted(os.listdir(reported_dir)) if os.path.isdir(reported_dir) else []
    left = sorted(f for f in os.listdir(logs) if f.startswith("report."))
    for name in left:
        with open(os.path.join(logs, name), encoding="utf-8", errors="replace") as f:
            print(f"=== sanitizer report {name} (not attached to a test) ===\n{f.read()}", file=sys.stderr)
    if reported or left:
        print(f"sanitizer reports: {len(reported)} attached to failing tests, {len(left)} more above",
              file=sys.stderr)
    shutil.rmtree(logs, ignore_errors=True)
    if rc == 0 and (left or reported):
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
