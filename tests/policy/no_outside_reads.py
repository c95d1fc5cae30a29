#!/usr/bin/python3
"""Guard: the tests, tools, benchmarks, CI and build files name nothing outside the
repository, so a fresh clone with nothing beside it tests itself. Fails on any mention of
the shared notes directory beside the checkout or of a variable pointing at it. Markdown
docs may cite the notes as a source; nothing else may, since a citation in code is one
edit away from a read.

usage: no_outside_reads.py SOURCE_ROOT
"""
import os
import sys

FORBIDDEN = (b"../shared", b"/work/shared", b"SLUICE_SHARED")
SCANNED_DIRS = ("tests", "tools", "bench", ".ci")
BUILD_FILES = ("meson.build", "meson_options.txt", "meson.options")
SKIPPED_DIRS = {".git", "__pycache__", ".pytest_cache"}


def files_to_scan(root):
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
            for f in filenames:
                if not f.endswith(".md"):
                    yield os.path.join(dirpath, f)
    for f in BUILD_FILES:
        if os.path.isfile(os.path.join(root, f)):
            yield os.path.join(root, f)
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "src")):
        for f in filenames:
            if f in BUILD_FILES:
                yield os.path.join(dirpath, f)


def main():
    root = os.path.realpath(sys.argv[1])
    me = os.path.realpath(__file__)
    scanned, hits = 0, []
    for path in files_to_scan(root):
        if os.path.realpath(path) == me:
            continue  # the list of forbidden strings itself
        scanned += 1
        with open(path, "rb") as f:
            for n, line in enumerate(f, 1):
                if any(word in line for word in FORBIDDEN):
                    hits.append("%s:%d: %s" % (os.path.relpath(path, root), n, line.decode("utf-8", "replace").strip()))
    if scanned < 50:
        print("scanned only %d files under %s: wrong source root?" % (scanned, root), file=sys.stderr)
        return 1
    for h in hits:
        print("FAIL: points outside the repository:", h, file=sys.stderr)
    if hits:
        return 1
    print("%d files scanned, none points outside the repository" % scanned)
    return 0


if __name__ == "__main__":
    sys.exit(main())
