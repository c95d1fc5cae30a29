#!/usr/bin/env python3
"""Writes the seed corpora of the HBase fuzz targets from real emulator traffic:
  capture_hbase_seeds.py BUILD_DIR
For binary and compact protocol (buffered transport, as happybase), starts
tests/emulators/hbase's emulator, loads a small table with hbase-load (UTF-8 and binary
cells, several timestamps) and scans it with hbase-load through a recording proxy. The
client waits for each reply before its next call, so each read from the server is one
whole reply. Seeds (first byte: protocol, as the targets expect):
  corpus/hbase_wire_codec/<protocol>_<n>         every reply (scannerGetList among them)
  corpus/hbase_message_size/<protocol>_stream    all replies back to back, cut at 1..256
  corpus/hbase_message_size/<protocol>_<n>       single replies
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = [
    {"row": "user1", "cells": {"cf:s": "Ann", "cf:i": "31", "cf:t": "2024-01-01T00:00:00Z"}, "ts": 1700000000000},
    {"row": "user2", "cells": {"cf:s": "\u00e9t\u00e9", "cf:d": "2.5", "cf:j": "{\"a\":[1,2]}"}, "ts": 1700000000001},
    {"row": "user3", "cells": {"cf:b": "true", "cf:day": "2024-02-29", "cf:n": "-12.50", "x:other": "z"}},
]


def start(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    port = int(re.match(r"LISTENING (\d+)", p.stdout.readline()).group(1))
    return p, port


def proxy(server_port, replies):
    """A one-connection TCP proxy on an ephemeral port recording each server read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run():
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", server_port))

        def pump(src, dst, record):
            while True:
                data = src.recv(1 << 16)
                if not data:
                    dst.close()
                    return
                if record:
                    replies.append(data)
                dst.sendall(data)

        threading.Thread(target=pump, args=(client, server, False), daemon=True).start()
        pump(server, client, True)

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def main():
    build = sys.argv[1]
    emulator = os.path.join(build, "tests", "emulators", "hbase", "hbase-emulator")
    load = os.path.join(build, "tests", "emulators", "hbase", "hbase-load")
    for mode, protocol in ((0, "binary"), (1, "compact")):
        p, port = start([emulator, "--port", "0", "--protocol", protocol])
        try:
            base = [load, "--port", str(port), "--protocol", protocol]
            subprocess.run(base + ["create", "t", "cf", "x"], check=True, stdout=subprocess.DEVNULL)
            lines = "".join(json.dumps(r) + "\n" for r in ROWS)
            subprocess.run(base + ["put", "t"], input=lines, text=True, check=True, stdout=subprocess.DEVNULL)
            replies = []
            pport = proxy(port, replies)
            subprocess.run([load, "--port", str(pport), "--protocol", protocol, "scan", "t", "--batch-size", "2"],
                           check=True, stdout=subprocess.DEVNULL)
        finally:
            p.terminate()
            p.wait()
        for target in ("hbase_wire_codec", "hbase_message_size"):
            os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
        for n, reply in enumerate(replies):
            with open(os.path.join(HERE, "corpus", "hbase_wire_codec", f"{protocol}_{n}"), "wb") as f:
                f.write(bytes([mode]) + reply)
            with open(os.path.join(HERE, "corpus", "hbase_message_size", f"{protocol}_{n}"), "wb") as f:
                f.write(bytes([mode, 0, 0, 0, 0]) + reply)
        with open(os.path.join(HERE, "corpus", "hbase_message_size", f"{protocol}_stream"), "wb") as f:
            f.write(bytes([mode, 3, 0, 40, 255]) + b"".join(replies))
        print(f"{protocol}: {len(replies)} replies, {sum(map(len, replies))} bytes")


if __name__ == "__main__":
    main()
