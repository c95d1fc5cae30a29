#!/usr/bin/env python3
"""Runs one libFuzzer target for a short while (CI's smoke run, bench/fuzz's long run):
  smoke.py TARGET SEED_DIR [SECONDS] [WORK_DIR]
SECONDS defaults to $FUZZ_SMOKE_SECONDS or 20. New inputs go to WORK_DIR/corpus (a fresh
temporary directory unless WORK_DIR is given), never into SEED_DIR, which stays the
small checked-in corpus; crash/leak/timeout inputs to WORK_DIR/artifacts.
Every seed runs first (the regression inputs among them), then the fuzzer mutates.
Prints libFuzzer's final statistics as one line:
  FUZZ-STATS target=... seconds=... execs=... execs_per_sec=... corpus_units=... corpus_bytes=... cov=... ft=... crashes=...
Exit status: 0 when nothing was found; 1 with the failing input dumped (hex) otherwise.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def last(pattern, text, default="0"):
    found = re.findall(pattern, text)
    return found[-1] if found else default


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    target, seeds = sys.argv[1], sys.argv[2]
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else int(os.environ.get("FUZZ_SMOKE_SECONDS", "20"))
    keep = len(sys.argv) > 4
    work = sys.argv[4] if keep else tempfile.mkdtemp(prefix="sluice-fuzz-")
    corpus = os.path.join(work, "corpus")
    artifacts = os.path.join(work, "artifacts")
    os.makedirs(corpus, exist_ok=True)
    shutil.rmtree(artifacts, ignore_errors=True)  # only this run's findings count
    os.makedirs(artifacts)
    if not os.path.isdir(seeds) or not os.listdir(seeds):
        print(f"smoke.py: no seed corpus in {seeds}", file=sys.stderr)
        return 1

    argv = [target, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2560",
            "-print_final_stats=1", "-detect_leaks=1", f"-artifact_prefix={artifacts}/", corpus, seeds]
    started = time.monotonic()
    run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    elapsed = time.monotonic() - started
    out = run.stdout
    found = sorted(os.listdir(artifacts))
    name = os.path.basename(target)
    units = len(os.listdir(corpus))
    size = sum(os.path.getsize(os.path.join(corpus, f)) for f in os.listdir(corpus))
    stats = {
        "execs": last(r"stat::number_of_executed_units:\s*(\d+)", out),
        "execs_per_sec": last(r"stat::average_exec_per_sec:\s*(\d+)", out),
        "cov": last(r"cov: (\d+)", out),
        "ft": last(r"ft: (\d+)", out),
    }
    print(f"FUZZ-STATS target={name} seconds={elapsed:.0f} execs={stats['execs']} "
          f"execs_per_sec={stats['execs_per_sec']} corpus_units={units} corpus_bytes={size} "
          f"cov={stats['cov']} ft={stats['ft']} crashes={len(found)} rc={run.returncode}")
    failed = run.returncode != 0 or found
    if failed:
        print(out[-20000:])
        for f in found:
            with open(os.path.join(artifacts, f), "rb") as fh:
                data = fh.read()
            print(f"--- {f} ({len(data)} bytes): {data[:2048].hex()}")
    else:
        print("\n".join(out.splitlines()[-12:]))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
