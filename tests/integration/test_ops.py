"""Operations: signals, command line, configuration, logging, slow readers."""

import asyncio
import os
import signal
import socket
import subprocess
import time

from conftest import FLOOD_OFF, PARLEYD, dedent
from parley_client import (OP_CLOSE, TIMEOUT, Client, Frame, RawWS, close_all,
                           connect_many, eventually, flood_until_slow_reader_dropped, http_get)


def run_parleyd(*args, timeout=TIMEOUT):
    return subprocess.run([PARLEYD, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


# --------------------------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------------------------

async def test_sigterm_closes_every_websocket_with_1001(server):
    clients = await connect_many(server.port, ["alice", "bob", "carol"])
    anonymous = await Client.connect(server.port)  # before hello
    await clients[0].enter("lobby")
    await clients[1].enter("lobby")
    idle_http = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        rc = await asyncio.get_running_loop().run_in_executor(None, server.stop)
        for c in clients + [anonymous]:
            await c.wait_closed()
            assert c.close_code == 1001, (c.label, c.close_code, c.close_reason)
            assert c.close_reason == "going away"
        assert rc == 0
    finally:
        idle_http.close()
        await close_all(clients + [anonymous])


async def test_sighup_reopens_log_file(parley, tmp_path):
    log = tmp_path / "parley.log"
    server = parley(extra_args=["--log-file", str(log)])
    assert f"listening on http://127.0.0.1:{server.port}/" in log.read_text()
    rotated = tmp_path / "parley.log.1"
    log.rename(rotated)
    server.proc.send_signal(signal.SIGHUP)

    async def reopened():
        return log.exists()

    assert await eventually(reopened, bool), "SIGHUP did not reopen the log file"
    assert http_get(server.port, "/healthz").status == 200
    assert server.running


def test_listening_line_logged(server):
    assert f"listening on http://127.0.0.1:{server.port}/" in server.stderr()


# --------------------------------------------------------------------------------------------
# Command line and configuration
# --------------------------------------------------------------------------------------------

def test_help():
    for flag in ("--help", "-h"):
        r = run_parleyd(flag)
        assert r.returncode == 0, r
        for option in ("--config", "--listen", "--data-dir", "--web-root", "--port-file",
                       "--log-level", "--log-file", "--help", "--version"):
            assert option in r.stdout, f"{flag}: {option} missing from usage:\n{r.stdout}"


def test_version():
    for flag in ("--version", "-V"):
        r = run_parleyd(flag)
        assert r.returncode == 0, r
        assert "0.1.0" in r.stdout


def test_unknown_flag(tmp_path):
    r = run_parleyd("--no-such-flag", "--port-file", str(tmp_path / "port"))
    assert r.returncode != 0
    assert r.stderr.strip()
    assert not (tmp_path / "port").exists()


def start_with_config(tmp_path, config):
    conf = tmp_path / "bad.ini"
    conf.write_text(dedent(config))
    return run_parleyd("--config", str(conf), "--listen", "127.0.0.1:0", "--port-file",
                       str(tmp_path / "port"), "--data-dir", str(tmp_path / "var"))


def test_unknown_config_key_is_an_error(tmp_path):
    r = start_with_config(tmp_path, "[server]\nmax_conections = 10\n")
    assert r.returncode != 0
    assert "max_conections" in r.stderr, r.stderr
    assert not (tmp_path / "port").exists()


def test_unknown_room_key_and_section_are_errors(tmp_path):
    r = start_with_config(tmp_path, "[room lobby]\ncolour = red\n")
    assert r.returncode != 0 and "colour" in r.stderr, r.stderr
    r = start_with_config(tmp_path, "[servre]\nlisten = 127.0.0.1:0\n")
    assert r.returncode != 0 and "servre" in r.stderr, r.stderr
    assert not (tmp_path / "port").exists()


def test_bad_config_values_are_errors(tmp_path):
    for config in ("[server]\nmax_connections = lots\n", "[chat]\ndefault_capacity = 0\n",
                   "[room Bad_Name]\ntitle = x\n"):
        r = start_with_config(tmp_path, config)
        assert r.returncode != 0, (config, r)
        assert r.stderr.strip(), config
        assert not (tmp_path / "port").exists()


def test_missing_config_file(tmp_path):
    r = run_parleyd("--config", str(tmp_path / "nope.ini"), "--listen", "127.0.0.1:0",
                    "--port-file", str(tmp_path / "port"), "--data-dir", str(tmp_path / "var"))
    assert r.returncode != 0 and r.stderr.strip()


async def test_flags_override_config(parley, tmp_path):
    other = tmp_path / "config-data"
    server = parley(f"""
        [server]
        listen = 127.0.0.1:1
        data_dir = {other}
        web_root = /nonexistent
    """)
    assert server.data_dir.is_dir() and not other.exists()
    async with await Client.connect(server.port, "alice") as a:
        await a.ping()


async def test_config_rooms_replace_default_lobby_and_are_updated(parley):
    server = parley("""
        [room games]
        title = Games
        topic = Old topic
        capacity = 4
    """)
    async with await Client.connect(server.port, "alice") as a:
        rooms = (await a.cmd("rooms"))["rooms"]
        assert rooms == [{"name": "games", "title": "Games", "topic": "Old topic", "capacity": 4,
                          "tables": 1, "users": 0, "moderated": False, "folder": "/",
                          "right": "participant"}]
        await a.fail("no_such_room", "enter", room="lobby")
    server.config_file.write_text(dedent("""
        [room games]
        title = Games!
        topic = New topic
        capacity = 6
        [room chess]
        title = Chess
    """))
    server.restart()
    async with await Client.connect(server.port, "alice") as a:
        rooms = (await a.cmd("rooms"))["rooms"]
        assert [r["name"] for r in rooms] == ["chess", "games"]
        assert rooms[1] == {"name": "games", "title": "Games!", "topic": "New topic",
                            "capacity": 6, "tables": 1, "users": 0, "moderated": False,
                            "folder": "/", "right": "participant"}
        assert rooms[0] == {"name": "chess", "title": "Chess", "topic": "", "capacity": 32,
                            "tables": 1, "users": 0, "moderated": False, "folder": "/",
                            "right": "participant"}
        assert (await a.enter("games"))["room"]["topic"] == "New topic"


async def test_config_room_updated_without_topic(parley):
    """A room section that leaves out keys on a restart must not corrupt the stored room."""
    server = parley("""
        [room lobby]
        title = Lobby
        topic = Say hello
    """)
    async with await Client.connect(server.port, "alice") as a:
        await a.enter("lobby")
        await a.say("lobby", "before the restart")
    server.config_file.write_text("[room lobby]\ntitle = The Lobby\n")
    server.restart()
    async with await Client.connect(server.port, "bob") as b:
        (room,) = (await b.cmd("rooms"))["rooms"]
        assert room["title"] == "The Lobby"
        assert room["topic"] in ("Say hello", ""), room
        reply = await b.enter("lobby")
        assert reply["room"] | {"right": reply["right"]} == room | {"users": 1}
        assert [m["text"] for m in reply["history"]] == ["before the restart"]


async def test_config_room_section_without_keys(parley):
    server = parley("[room lobby]\ntitle = Lobby\n[room quiet]\n")
    async with await Client.connect(server.port, "alice") as a:
        rooms = (await a.cmd("rooms"))["rooms"]
        assert [r["name"] for r in rooms] == ["lobby", "quiet"]
        assert rooms[1]["title"] == "quiet" and rooms[1]["capacity"] == 32


# --------------------------------------------------------------------------------------------
# Slow readers
# --------------------------------------------------------------------------------------------

def drain_until_closed(ws, timeout=15):
    """Reads everything the server still sends until it closes the TCP connection."""
    ws.sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    data = ws.buf
    ws.buf = b""
    while time.monotonic() < deadline:
        try:
            chunk = ws.sock.recv(1 << 20)
        except ConnectionResetError:
            return data, True
        except socket.timeout:
            break
        if not chunk:
            return data, True
        data += chunk
    return data, False


def parse_frames(data):
    """Complete server frames in `data` (a trailing partial frame is ignored)."""
    frames = []
    while len(data) >= 2:
        n, pos = data[1] & 0x7F, 2
        if n == 126:
            if len(data) < 4:
                break
            n, pos = int.from_bytes(data[2:4], "big"), 4
        elif n == 127:
            if len(data) < 10:
                break
            n, pos = int.from_bytes(data[2:10], "big"), 10
        if len(data) < pos + n:
            break
        frames.append(Frame(bool(data[0] & 0x80), data[0] & 0x0F, data[pos:pos + n]))
        data = data[pos + n:]
    return frames


async def test_slow_reader_is_dropped(parley):
    server = parley("[limits]\noutput_cap = 65536\n" + FLOOD_OFF)
    port = server.port
    slow = RawWS(port, rcvbuf=4096)
    slow.cmd("hello", nick="slowpoke")
    slow.cmd("enter", room="lobby")
    flooder, observer = await connect_many(port, ["flooder", "observer"])
    try:
        await flooder.enter("lobby")
        await observer.enter("lobby")
        await flood_until_slow_reader_dropped(server, flooder, observer)

        # The slow client now reads: whatever was queued, maybe a 1008 close, then the end.
        data, closed = await asyncio.get_running_loop().run_in_executor(
            None, drain_until_closed, slow)
        assert closed, "the server did not close the slow reader's TCP connection"
        closes = [f for f in parse_frames(data) if f.opcode == OP_CLOSE]
        if closes:
            assert closes[0].close_code == 1008, (closes[0].close_code, closes[0].close_reason)

        # Its session is gone; the others carry on.
        await observer.event("member_left", nick="slowpoke", reason="disconnected")
        await flooder.say("lobby", "still flowing")
        await observer.event("message", text="still flowing")
        await observer.ping()
        m = server.metrics()
        assert m["parley_slow_readers_dropped_total"] == 1
        assert m["parley_websockets"] == 2
    finally:
        slow.close()
        await close_all([flooder, observer])


async def test_fast_reader_is_not_dropped(parley):
    """A client that reads keeps getting everything, however much is said."""
    server = parley("[limits]\noutput_cap = 65536\n" + FLOOD_OFF)
    flooder, reader = await connect_many(server.port, ["flooder", "reader"])
    try:
        await flooder.enter("lobby")
        await reader.enter("lobby")
        for batch in range(10):
            ids = [await flooder.send_cmd("say", room="lobby", text=f"{batch}.{i} " + "r" * 1024)
                   for i in range(20)]
            for cmd_id in ids:
                assert (await flooder.reply(cmd_id))["type"] == "ok"
        for batch in range(10):
            for i in range(20):
                await reader.wait_for(lambda m, t=f"{batch}.{i} ": m.get("type") == "message"
                                      and m["text"].startswith(t))
        assert server.metrics()["parley_slow_readers_dropped_total"] == 0
    finally:
        await close_all([flooder, reader])


def test_port_file_and_data_dir_created(server):
    assert server.port_file.read_text() == f"{server.port}\n"
    assert server.data_dir.is_dir()
    assert any(server.data_dir.iterdir()), "no database in the data directory"
    assert os.path.isdir(server.data_dir)
