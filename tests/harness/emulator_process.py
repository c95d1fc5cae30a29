"""Runs one of the project's emulators (tests/emulators/*) as a child process for a test:
it is started on an ephemeral port (or a given one), announces `LISTENING <port>` on
stdout, keeps its stderr in a temporary file (shown when a test fails) and is stopped with
SIGTERM. For outages, restart() brings it back on the port it had."""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import tempfile
import time


def find_bin(env: str, subdir: str, name: str) -> str:
    """The binary named by $env, else build/tests/emulators/<subdir>/<name> of the source tree."""
    b = os.environ.get(env)
    if not b:
        src = os.environ.get("SLUICE_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
        b = os.path.join(src, "build", "tests", "emulators", subdir, name)
    if not os.access(b, os.X_OK):
        raise RuntimeError(f"{env} binary not found or not executable: {b}")
    return b


class EmulatorProcess:
    """Subclasses provide argv() (with `--port self.port_arg()`) and a name for messages."""

    name = "emulator"

    def __init__(self, start_timeout: float = 20, port: int = 0):
        self.start_timeout = start_timeout
        self.proc = None
        self.port = port or None
        self._err = tempfile.NamedTemporaryFile(prefix=f"{self.name}-", suffix=".log", delete=False)

    def argv(self) -> list:
        raise NotImplementedError

    def port_arg(self) -> str:
        """The port to listen on: the one it had (restarts) or was given, else 0 (any)."""
        return str(self.port or 0)

    def restart(self, timeout: float = 30):
        """Starts it again on the same port after stop()/kill(). Retries while the port is
        briefly taken (a client's own connection attempt can occupy a closed port)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def run_tool(self, argv: list, input: bytes | None = None, timeout: float = 600) -> str:
        """Runs a client of this emulator (its loader); a failure raises with both sides' errors."""
        argv = [str(a) for a in argv]
        r = subprocess.run(argv, input=input, capture_output=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"$ {' '.join(argv)}\nexit {r.returncode}\n{r.stderr.decode('utf-8', 'replace')}"
                               f"\n{r.stdout.decode('utf-8', 'replace')[-2000:]}\n"
                               f"{self.name} stderr:\n{self.stderr_text()}")
        return r.stdout.decode("utf-8")

    def kill(self):
        """SIGKILL: gone at once, without a clean stop."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def start(self):
        argv = [str(a) for a in self.argv()]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout
        buf = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = re.search(rb"LISTENING (\d+)\n", buf)
                if m:
                    self.port = int(m.group(1))
                    return self
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"{self.name} did not print LISTENING: {' '.join(argv)}\n"
                           f"stdout: {buf!r}\nstderr:\n{self.stderr_text()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        try:
            os.unlink(self._err.name)
        except OSError:
            pass

    def stderr_text(self, tail: int = 4000) -> str:
        try:
            with open(self._err.name, "rb") as f:
                return f.read().decode("utf-8", "replace")[-tail:]
        except OSError:
            return ""
