"""Helpers for the end-to-end tests of `sluice run`: start/stop the daemon, talk to its
HTTP endpoints, read its sd_notify messages through a test NOTIFY_SOCKET, and parse
Prometheus text."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from pgcluster import free_port
from sluicetest import clean_env, sluice_bin


def wait_for(pred, timeout: float, what: str, interval: float = 0.1):
    """Polls pred() until it returns something truthy; returns it, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notify socket."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sn")  # short: sun_path holds 108 bytes
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.messages.append(data.decode("utf-8", "replace"))

    def lines(self) -> list[str]:
        with self._lock:
            return [line for m in self.messages for line in m.split("\n") if line]

    def seen(self, prefix: str) -> list[int]:
        """Indices in lines() of the lines that start with prefix."""
        return [i for i, line in enumerate(self.lines()) if line.startswith(prefix)]

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """`sluice run -c CFG` as a child process; its log goes to tmp/<name>.log."""

    def __init__(self, cfg: str, port: int, tmp, name: str = "run", env: dict | None = None):
        self.cfg, self.port, self.env = cfg, port, env or {}
        self.log_path = os.path.join(str(tmp), f"{name}.log")
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "Daemon":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sluice_bin(), "run", "-c", self.cfg], stdout=self._log,
                                     stderr=self._log, env=clean_env(self.env))
        if wait:
            wait_for(lambda: self._alive_and_healthy(), 20, "/healthz to answer")
        return self

    def _alive_and_healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"sluice run exited {self.proc.returncode}:\n{self.log()}")
        return self.get("/healthz")[0] == 200

    def log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()[-6000:]

    def get(self, path: str, method: str = "GET", timeout: float = 5):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read().decode("utf-8")
        finally:
            c.close()

    def status(self) -> dict:
        code, _, body = self.get("/status")
        assert code == 200, body
        return json.loads(body)

    def tables(self) -> dict:
        return {f"{t['source']}.{t['table']}": t for t in self.status()["tables"]}

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def http_cfg() -> tuple[int, dict]:
    port = free_port()
    return port, {"listen": f"127.0.0.1:{port}"}


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_prometheus(text: str) -> tuple[dict, list]:
    """Parses the text exposition format 0.0.4 strictly enough to catch mistakes:
    returns ({family: type}, [(name, {label: value}, float)]). Every sample must follow
    the # TYPE of its family; label values are unescaped."""
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples = []
    assert text.endswith("\n"), "exposition must end with a newline"
    for line in text.split("\n")[:-1]:
        assert line, "empty line in exposition"
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"duplicate TYPE for {name}"
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, _, labels_text, value = m.group(1), m.group(2), m.group(3), m.group(4)
        assert name in types, f"sample {name} before its # TYPE"
        labels = {}
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = _LABEL.match(labels_text, pos)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1),
                                             lm.group(2))
                pos = lm.end()
        samples.append((name, labels, float(value)))
    assert set(types) <= helps, f"families without HELP: {set(types) - helps}"
    return types, samples


def metric(samples, name: str, **labels) -> float | None:
    for n, l, v in samples:
        if n == name and all(l.get(k) == val for k, val in labels.items()):
            return v
    return None
