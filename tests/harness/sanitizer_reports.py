"""pytest side of tests/sanitizers/collect.py: in a sanitizer build every process writes
its reports to $SLUICE_SANITIZER_LOGS/report.<pid>. After each test, reports that
appeared during it fail that test with their full text, and are moved to reported/ so the
next test does not see them again. Outside sanitizer builds this fixture does nothing."""
import os
import shutil

import pytest


def _reports(logs):
    return {f for f in os.listdir(logs) if f.startswith("report.")}


@pytest.fixture(autouse=True)
def sanitizer_reports():
    logs = os.environ.get("SLUICE_SANITIZER_LOGS")
    if not logs:
        yield
        return
    before = _reports(logs)
    yield
    new = sorted(_reports(logs) - before)
    if not new:
        return
    os.makedirs(os.path.join(logs, "reported"), exist_ok=True)
    texts = []
    for name in new:
        path = os.path.join(logs, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            texts.append(f"=== {name} ===\n{f.read()}")
        shutil.move(path, os.path.join(logs, "reported", name))
    pytest.fail("sanitizer report(s) during this test:\n" + "\n".join(texts), pytrace=False)
