"""parley-bench against a real parleyd: it connects, talks, hops, accounts for every delivery,
reports in JSON, and fails (exit 1) when it cannot connect. With --protocol irc it speaks IRC to
parleyd's IRC gateway ([irc] listen; that test is skipped while this parleyd has none). Runs against
ngIRCd and InspIRCd are bench-only (bench/irc/smoke, bench/run --only irc): those servers are not
part of `make check`'s packages.

parley-bench comes from $PARLEY_BENCH, else from the directory of $PARLEYD (so build/asan/parleyd
is measured with build/asan/parley-bench)."""

import json
import os
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import FLOOD_OFF, PARLEYD, SANITIZER_MARKERS

PARLEY_BENCH = os.environ.get("PARLEY_BENCH", str(Path(PARLEYD).parent / "parley-bench"))

# Small tables and two rooms, so that there are several tables to hop between.
CONFIG = """
    [chat]
    default_capacity = 6
    [room lobby]
    title = Lobby
    [room games]
    title = Games
"""


def bench(*args, timeout=30):
    if not os.path.exists(PARLEY_BENCH):
        pytest.fail(f"parley-bench not found at {PARLEY_BENCH} (set PARLEY_BENCH)")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    r = subprocess.run([PARLEY_BENCH, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout, env=env)
    for marker in SANITIZER_MARKERS:
        assert marker not in r.stderr, r.stderr
    return r


def url(port):
    return f"ws://127.0.0.1:{port}/ws"


def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat_run_accounts_for_every_delivery(parley):
    server = parley(config=CONFIG)
    r = bench("--server", url(server.port), "--users", "20", "--procs", "2", "--rooms",
              "lobby,games", "--startup", "1", "--duration", "3", "--shutdown", "1",
              "--msg-interval", "0.3", "--hop-interval", "0.5", "--lurk-fraction", "0.2",
              "--seed", "7", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["ok"] is True
    assert res["users"]["entered"] == 20 and res["users"]["failed"] == 0
    assert res["users"]["left"] == 20
    msgs, dl = res["messages"], res["deliveries"]
    assert msgs["sent"] > 0
    assert msgs["acked"] == msgs["sent"] == msgs["echoed"]
    # 20 users at tables of at most 6: every say reaches at least its sender
    assert dl["expected"] >= msgs["sent"]
    assert dl["received"] == dl["expected"] and dl["lost"] == 0
    lat = res["latency_ms"]
    assert lat["count"] == dl["received"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert res["ack_latency_ms"]["count"] > 0 and res["ack_latency_ms"]["p50"] > 0
    assert res["hops"]["done"] > 0
    assert res["errors"] == {}
    assert res["close_codes"] == {"1000": 20}
    assert server.stop() == 0


def test_rate_mode_and_human_summary(parley):
    server = parley(FLOOD_OFF)  # 20 says a second per user: a load test, not people
    r = bench("--server", url(server.port), "--users", "10", "--procs", "2", "--rate", "200",
              "--startup", "0.5", "--duration", "2", "--shutdown", "0.5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lost 0 (0.000 %)" in r.stdout
    assert "result        ok" in r.stdout
    sent = int(r.stdout.split("messages      sent ")[1].split()[0])
    assert 300 <= sent <= 560, r.stdout  # 200/s over the 2 s run (+ startup), no bursts
    assert server.stop() == 0


def test_quiet_startup_settle_and_run_phase_latency(parley):
    """--quiet-startup: the --rate says wait until users stop connecting (the startup minus
    --settle), so that the run phase is steady and every say of it goes to full tables;
    users.late counts users that entered after the run began; latency_run_ms holds the
    deliveries received in the run phase alone."""
    server = parley(FLOOD_OFF)
    common = ("--server", url(server.port), "--users", "10", "--procs", "2", "--rate", "100",
              "--startup", "1.5", "--duration", "1.5", "--shutdown", "0.5", "--json")
    quiet = json.loads(bench(*common, "--quiet-startup").stdout)
    loud = json.loads(bench(*common).stdout)
    warm = json.loads(bench(*common, "--quiet-startup", "--settle", "1").stdout)
    for res in (quiet, loud, warm):
        assert res["ok"] is True and res["users"]["entered"] == 10
        assert res["users"]["late"] == 0
        assert res["deliveries"]["lost"] == 0
        run = res["latency_run_ms"]
        assert abs(run["count"] - res["deliveries"]["per_sec"] * 1.5) <= 1, res
        assert 0 < run["count"] <= res["latency_ms"]["count"]
    # no settle: every say of the quiet run is a run-phase say (per_sec = run-phase says / 1.5 s);
    # the loud run also talks during the startup once its first users are in, and so does the
    # warm run in its settle second (its users connect in the first 0.5 s)
    assert abs(quiet["messages"]["sent"] - quiet["messages"]["per_sec"] * 1.5) <= 2, quiet
    # (nothing before the run, so all but the last moment's deliveries are run-phase ones)
    assert quiet["latency_run_ms"]["count"] >= 0.9 * quiet["latency_ms"]["count"], quiet
    assert loud["messages"]["sent"] > loud["messages"]["per_sec"] * 1.5 + 20, loud
    assert warm["messages"]["sent"] > warm["messages"]["per_sec"] * 1.5 + 40, warm
    assert warm["latency_run_ms"]["count"] < warm["latency_ms"]["count"], warm
    # --settle as long as the startup: every user connects at once, at the start (the same seed
    # spreads them over the 1.5 s without it)
    settled = json.loads(bench(*common, "--settle", "1.5", "--seed", "3").stdout)
    spread = json.loads(bench(*common, "--seed", "3").stdout)
    assert settled["users"]["entered"] == 10 and settled["users"]["late"] == 0
    assert settled["connects_per_sec"] > 3 * spread["connects_per_sec"], (settled, spread)
    # a startup of 0 seconds: every user enters after the run phase began
    late = json.loads(bench("--server", url(server.port), "--users", "6", "--rate", "20",
                            "--startup", "0", "--duration", "1", "--shutdown", "0.2",
                            "--quiet-startup", "--json").stdout)
    assert late["users"]["entered"] == 6 and late["users"]["late"] == 6, late
    assert server.stop() == 0


def test_idle_and_connect_only(parley):
    server = parley()
    r = bench("--server", url(server.port), "--users", "15", "--idle", "--startup", "0.3",
              "--duration", "1", "--shutdown", "0.2", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all users up: 15 connected, 0 failed" in r.stderr
    res = json.loads(r.stdout)
    assert res["users"]["entered"] == 15 and res["messages"]["sent"] == 0
    r = bench("--server", url(server.port), "--users", "15", "--procs", "2", "--connect-only",
              "--startup", "0", "--duration", "0", "--shutdown", "0", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["users"]["entered"] == 15 and res["users"]["left"] == 15
    assert res["connects_per_sec"] > 0
    assert server.stop() == 0


def test_server_going_away_counts_as_failure(parley):
    server = parley()
    proc = subprocess.Popen([PARLEY_BENCH, "--server", url(server.port), "--users", "10",
                             "--startup", "0.2", "--duration", "8", "--shutdown", "0.2",
                             "--msg-interval", "0.2", "--json"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert server.stop() == 0  # every WebSocket is closed with 1001
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, out + err
    res = json.loads(out)
    assert res["users"]["entered"] == 10 and res["users"]["dropped"] == 10
    assert res["close_codes"] == {"1001": 10}
    assert res["errors"] == {"connection_dropped": 10}
    assert res["deliveries"]["lost"] == 0
    assert res["elapsed_s"] < 5  # it ends once every user is gone, not at --duration


@pytest.mark.parametrize("transport", ["tcp", "websocket"])
def test_irc_protocol_against_the_gateway(parley, transport):
    irc_port = closed_port()
    try:
        server = parley(FLOOD_OFF + textwrap.dedent(f"""
            [chat]
            default_capacity = 100
            [irc]
            listen = 127.0.0.1:{irc_port}
            [room lobby]
            title = Lobby
            [room games]
            title = Games
        """))
    except AssertionError as e:
        if "unknown key" in str(e) and "[irc]" in str(e):
            pytest.skip("this parleyd has no IRC gateway yet ([irc] listen)")
        raise
    url = (f"irc://127.0.0.1:{irc_port}" if transport == "tcp"
           else f"ws://127.0.0.1:{server.port}/irc")  # IRC over WebSocket: one line a message
    r = bench("--protocol", "irc", "--server", url, "--users", "12",
              "--procs", "2", "--rooms", "lobby,games", "--startup", "1", "--duration", "3",
              "--shutdown", "1", "--msg-interval", "0.3", "--seed", "7", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["protocol"] == "irc" and res["ok"] is True
    assert res["users"]["entered"] == 12 and res["users"]["left"] == 12
    msgs, dl = res["messages"], res["deliveries"]
    assert msgs["sent"] > 0 and msgs["acked"] == msgs["sent"]  # every PRIVMSG's PING answered
    assert msgs["echoed"] == 0  # no echo-message asked for
    # six users a channel: every PRIVMSG reaches up to five others
    assert dl["received"] == dl["expected"] > 0 and dl["lost"] == 0
    assert res["errors"] == {}
    assert server.stop() == 0


def test_irc_closed_port_fails_with_exit_1():
    r = bench("--protocol", "irc", "--server", f"irc://127.0.0.1:{closed_port()}", "--users", "4",
              "--startup", "0.2", "--duration", "0.5", "--shutdown", "0.2", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["protocol"] == "irc" and res["ok"] is False
    assert res["errors"] == {"connect_failed": 4}


def test_closed_port_fails_with_exit_1():
    r = bench("--server", url(closed_port()), "--users", "6", "--procs", "2", "--startup", "0.2",
              "--duration", "0.5", "--shutdown", "0.2", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["ok"] is False
    assert res["users"]["failed"] == 6 and res["users"]["entered"] == 0
    assert res["errors"] == {"connect_failed": 6}


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--users", "0"],
    ["--server", "ws://192.0.2.1:80/ws"],          # not loopback, no --allow-remote
    ["--server", "wss://127.0.0.1:1/ws"],
    ["--rooms", "Bad Room"],
    ["--source-addrs", "4", "--server", "ws://[::1]:1/ws"],
    ["--protocol", "xmpp"],
    ["--protocol", "irc", "--server", "http://127.0.0.1:1/irc"],  # irc:// or ws:// only
    ["--server", "irc://127.0.0.1:1"],                          # irc:// needs --protocol irc
    ["--protocol", "irc", "--server", "irc://127.0.0.1:1/path"],
    ["--protocol", "irc", "--hop-interval", "2"],               # no tables to hop over IRC
    ["--protocol", "irc", "--text-size", "401"],                # one 512-byte IRC line
    ["--startup", "1", "--settle", "2"],                        # settle within the startup
])
def test_usage_errors_exit_2(args):
    r = bench(*args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert "parley-bench" in r.stderr


def test_help_documents_every_flag():
    r = bench("--help")
    assert r.returncode == 0
    for flag in ["--users", "--startup", "--duration", "--shutdown", "--msg-interval",
                 "--hop-interval", "--rooms", "--server", "--rate", "--procs", "--source-addrs",
                 "--nick-prefix", "--seed", "--json", "--max-failures", "--lurk-fraction",
                 "--text-size", "--idle", "--connect-only", "--allow-remote", "--protocol",
                 "--quiet-startup", "--settle", "--help"]:
        assert flag in r.stdout, flag
