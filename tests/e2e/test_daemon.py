"""`sluice run` end to end: changes reach the destination within the poll interval, the
HTTP endpoints answer (and keep answering next to malformed and slow clients), and the
systemd notifications arrive on NOTIFY_SOCKET."""
import json
import signal
import socket
import time

from daemontest import Daemon, NotifySocket, http_cfg, metric, parse_prometheus, wait_for


def _items(ctx, n):
    ctx.sql(f"""
        CREATE TABLE items (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(),
                            v text);
        INSERT INTO items SELECT i, now() - interval '1 hour', 'v' || i FROM generate_series(1, {n}) i;
    """)


def _dest_rows(ctx, table="items"):
    try:
        return ctx.dest.count_all("src", table)
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def _dest_value(ctx, key):
    c = ctx.dest._conn()
    try:
        row = c.execute('SELECT v FROM "src__items" WHERE id = ?', (key,)).fetchone()
        return row[0] if row else None
    finally:
        c.close()


def test_changes_flow_and_endpoints_answer(sqlite_ctx):
    ctx = sqlite_ctx
    _items(ctx, 100)
    port, http = http_cfg()
    cfg = ctx.config(http=http, sources=[ctx.source_cfg(tables=[{"name": "items", "cursor": "updated_at"}])])
    notify = NotifySocket()
    d = Daemon(cfg, port, ctx.tmp, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"})
    try:
        d.start()
        wait_for(lambda: notify.seen("READY=1"), 10, "READY=1")
        wait_for(lambda: _dest_rows(ctx) == 100, 15, "the initial copy")

        # Inserts and updates while running appear within the poll interval (1s) plus a pass.
        ctx.sql("INSERT INTO items SELECT i, now(), 'new' || i FROM generate_series(101, 110) i")
        ctx.sql("UPDATE items SET v = 'changed', updated_at = now() WHERE id <= 5")
        t0 = time.monotonic()
        wait_for(lambda: _dest_rows(ctx) == 110 and _dest_value(ctx, 3) == "changed", 10, "the changes")
        delay = time.monotonic() - t0
        assert delay < 4.0, f"changes took {delay:.2f}s with poll_interval 1s"
        ctx.assert_synced("items")

        # /healthz, /readyz
        assert d.get("/healthz")[0] == 200
        code, headers, body = d.get("/readyz")
        assert code == 200, body
        assert json.loads(body)["ready"] is True

        # /status (counters are updated when a pass ends, a moment after the commit)
        wait_for(lambda: d.tables()["src.items"]["rows_synced"] >= 110, 5, "rows_synced to count the changes")
        st = d.status()
        assert st["config_generation"] == 1
        assert st["config_file"] == cfg
        assert st["destination_reachable"] is True
        assert st["uptime_seconds"] > 0
        (t,) = st["tables"]
        assert (t["source"], t["table"]) == ("src", "items")
        assert t["rows_synced"] >= 110 and t["passes"] >= 2 and t["errors"] == 0
        assert t["task_starts"] == 1
        assert t["last_success"].endswith("Z") and t["last_error"] is None
        assert isinstance(t["cursor"], dict), t["cursor"]
        assert t["freshness_seconds"] is not None and 0 <= t["freshness_seconds"] < 60

        # /metrics
        code, headers, body = d.get("/metrics")
        assert code == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        types, samples = parse_prometheus(body)
        assert types["sluice_rows_synced_total"] == "counter"
        assert metric(samples, "sluice_rows_synced_total", source="src", table="items") >= 110
        assert metric(samples, "sluice_sync_passes_total", table="items") >= 2
        assert metric(samples, "sluice_table_up", table="items") == 1
        assert metric(samples, "sluice_destination_up") == 1
        assert metric(samples, "sluice_config_generation") == 1
        assert metric(samples, "sluice_reloads_total", result="failed") == 0
        for name in ("sluice_batches_total", "sluice_sync_errors_total", "sluice_sync_retries_total",
                     "sluice_last_sync_duration_seconds", "sluice_freshness_seconds", "sluice_channel_depth",
                     "sluice_channel_bytes"):
            assert name in types, name

        # Methods and paths.
        code, headers, body = d.get("/status", method="HEAD")
        assert code == 200 and body == "" and int(headers["Content-Length"]) > 0
        assert d.get("/nope")[0] == 404
        assert d.get("/status", method="POST")[0] == 405

        # A malformed request gets 400 and its connection closed; a slow-loris client
        # holds only its own session.
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        bad = socket.create_connection(("127.0.0.1", port))
        bad.sendall(b"NOT A REQUEST\x01\r\n\r\n")
        bad.settimeout(5)
        reply = b""
        while chunk := bad.recv(4096):
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 400"), reply
        t0 = time.monotonic()
        for path in ("/healthz", "/readyz", "/status", "/metrics"):
            assert d.get(path, timeout=2)[0] == 200
        assert time.monotonic() - t0 < 2.0  # generous: CI shares its cores
        slow.close()
        bad.close()

        # SIGHUP with the same file: RELOADING=1 then READY=1 again.
        ready_before = len(notify.seen("READY=1"))
        d.signal(signal.SIGHUP)
        wait_for(lambda: len(notify.seen("READY=1")) > ready_before, 10, "READY=1 after the reload")
        assert notify.seen("RELOADING=1"), notify.lines()
        assert notify.seen("RELOADING=1")[-1] < notify.seen("READY=1")[-1]
        wait_for(lambda: d.status()["last_reload"] is not None, 5, "the reload on /status")
        assert d.status()["last_reload"]["ok"] is True
        assert d.tables()["src.items"]["task_starts"] == 1  # nothing changed: not restarted

        assert d.stop() == 0, d.log()
        assert notify.seen("STOPPING=1"), notify.lines()
        assert notify.seen("STATUS="), notify.lines()
        assert notify.seen("WATCHDOG=1"), notify.lines()
    finally:
        d.kill()
        notify.close()


def test_bad_listen_address_fails_at_start(sqlite_ctx):
    ctx = sqlite_ctx
    _items(ctx, 1)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    addr = f"127.0.0.1:{taken.getsockname()[1]}"
    cfg = ctx.config(http={"listen": addr})
    d = Daemon(cfg, 0, ctx.tmp).start(wait=False)
    try:
        rc = d.proc.wait(timeout=20)
        assert rc != 0
        assert addr in d.log()
    finally:
        d.kill()
        taken.close()


def test_a_pass_counts_as_done_only_once_its_rows_are_committed(ctx):
    # /status's last_success and passes must not run ahead of the destination: with the
    # PostgreSQL destination the pass used to be counted when its batches were queued,
    # and a check right after it found the destination tables still empty.
    for t in range(6):
        ctx.sql(f"CREATE TABLE t{t} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text);"
                f"INSERT INTO t{t} SELECT i, now() - interval '1 hour', md5(i::text) "
                f"FROM generate_series(1, 20000) i")
    port, http = http_cfg()
    cfg = ctx.config(http=http, defaults={"poll_interval": "1h", "batch_size": 2000},
                     sources=[ctx.source_cfg()])
    d = Daemon(cfg, port, ctx.tmp)
    try:
        d.start()
        # Each table's destination row count, taken the moment /status first shows its pass done.
        seen = {}

        def newly_done():
            for name, t in d.tables().items():
                if t["passes"] >= 1 and name not in seen:
                    seen[name] = _dest_rows(ctx, name.split(".", 1)[1])
            return len(seen) == 6

        wait_for(newly_done, 60, "every table's first pass", interval=0.005)
        assert seen == {f"src.t{t}": 20000 for t in range(6)}, seen
        for t in range(6):
            ctx.assert_synced(f"t{t}")
    finally:
        d.stop()
