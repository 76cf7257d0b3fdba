"""Direct sockets ([server] json_listen): the JSON protocol as newline-delimited JSON over raw TCP,
with the WebSocket's messages and session semantics (docs/PROTOCOL.md, "Transports")."""

import asyncio
import json
import socket

from conftest import FLOOD_OFF
from parley_client import (TIMEOUT, Client, close_all, eventually,
                           flood_until_slow_reader_dropped)
from transports import direct_client

DIRECT = "[server]\njson_listen = 127.0.0.1:0\n"


def read_lines(sock, until, timeout=TIMEOUT):
    """Reads lines from a blocking socket until until(list of dicts) is true or the peer closes."""
    sock.settimeout(timeout)
    buf, out = b"", []
    while not until(out):
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out.append(json.loads(line))
    return out


async def test_direct_and_websocket_clients_chat_in_one_room(parley):
    server = parley(DIRECT)
    assert server.json_port and server.json_port != server.port
    bot = await direct_client(server.json_port, "bot")
    web = await Client.connect(server.port, "web")
    try:
        assert bot.welcome["protocol"] == web.welcome["protocol"]
        assert bot.welcome["limits"] == web.welcome["limits"]
        m = server.metrics()
        assert (m["parley_direct_sockets"], m["parley_websockets"]) == (1, 1)
        await bot.enter("lobby")
        await web.enter("lobby")
        await bot.event("member_entered", nick="web")
        reply = await bot.say("lobby", "hello from a bot")
        assert reply["msg_id"] > 0
        got = await web.event("message", text="hello from a bot")
        assert got["nick"] == "bot"
        await web.say("lobby", "hello, bot")
        assert (await bot.event("message", text="hello, bot"))["nick"] == "web"
        # the same errors as the WebSocket
        assert (await bot.fail("unknown_type", "dance"))["id"] is not None
        await bot.fail("already_hello", "hello", nick="again")
    finally:
        await close_all([bot, web])

    async def open_conns():
        return server.metrics()["parley_connections"]

    await eventually(open_conns, lambda n: n <= 1)  # the metrics request
    assert server.metrics()["parley_direct_sockets"] == 0


def test_bad_lines_get_the_documented_answers(parley):
    server = parley(DIRECT + "[limits]\nmax_message = 1024\n")
    s = socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT)
    try:
        assert read_lines(s, lambda o: len(o) >= 1)[0]["type"] == "welcome"
        # many commands in one write, one of them split across two writes, an empty line and CRLF
        s.sendall(b'{"type":"hello","id":1,"nick":"liner"}\n\n{"type":"ping","id":2}\r\n{"type":"pi')
        got = read_lines(s, lambda o: len(o) >= 2)
        assert [(m["type"], m["id"]) for m in got] == [("ok", 1), ("ok", 2)]
        s.sendall(b'ng","id":3}\n')
        got = read_lines(s, lambda o: len(o) >= 1)
        assert (got[0]["type"], got[0]["id"]) == ("ok", 3)
        s.sendall(b'not json\n[1,2]\n{"type":"ping","id":"\xff\xfe"}\n{"type":"ping","id":4}\n')
        got = read_lines(s, lambda o: len(o) >= 4)
        assert [(m["type"], m.get("code")) for m in got] == [
            ("error", "bad_json"), ("error", "bad_json"), ("error", "bad_json"), ("ok", None)]
        assert got[0]["message"] == "the message is not valid JSON"
        assert got[1]["message"] == "a message must be a JSON object"
        assert got[0]["id"] is None and got[3]["id"] == 4
        # a line of exactly max_message bytes is read; one byte more is an error, then the close
        pad = 1024 - len(b'{"type":"ping","id":5,"x":""}')
        s.sendall(b'{"type":"ping","id":5,"x":"' + b"p" * pad + b'"}\n')
        assert read_lines(s, lambda o: len(o) >= 1)[0]["id"] == 5
        s.sendall(b"q" * 600)
        s.sendall(b"q" * 600)  # over max_message before any newline
        got = read_lines(s, lambda o: False)
        assert got == [
            {"type": "error", "id": None, "code": "message_too_long",
             "message": "a line is longer than max_message"},
            {"type": "close", "code": 1009, "reason": "message too big"}], got
    finally:
        s.close()


async def test_a_slow_direct_reader_is_dropped(parley):
    server = parley(DIRECT + "[limits]\noutput_cap = 65536\n" + FLOOD_OFF)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.json_port))
    slow.sendall(b'{"type":"hello","id":1,"nick":"slowpoke"}\n{"type":"enter","id":2,"room":"lobby"}\n')
    flooder = await Client.connect(server.port, "flooder")
    observer = await Client.connect(server.port, "observer")
    try:
        await flooder.enter("lobby")
        await observer.enter("lobby")
        await flood_until_slow_reader_dropped(server, flooder, observer)
        lines = await asyncio.get_running_loop().run_in_executor(
            None, read_lines, slow, lambda o: False)
        assert lines[-1]["type"] == "close" and lines[-1]["code"] == 1008, lines[-1]
        assert lines[-1]["reason"].startswith("slow reader")
        await observer.event("member_left", nick="slowpoke", reason="disconnected")
    finally:
        slow.close()
        await close_all([flooder, observer])


async def test_flood_control_applies_to_direct_sockets(parley):
    server = parley(DIRECT + "[flood]\nmessages_per_sec = 1\nmessages_burst = 3\n"
                    "max_violations = 2\n")
    bot = await direct_client(server.json_port, "floody")
    try:
        await bot.enter("lobby")
        for i in range(10):
            await bot.send_cmd("say", room="lobby", text=f"m{i}")
        await bot.wait_closed()
        refused = [m for m in bot.buffered("error") if m["code"] == "rate_limited"]
        assert len(refused) >= 3, bot.buffered()
        assert [m["text"] for m in bot.buffered("message")] == ["m0", "m1", "m2"]
        assert bot.close_code == 1008
        assert bot.close_reason == "flood: too many rate-limited commands"
    finally:
        await bot.close()


async def test_shutdown_closes_direct_sockets_with_going_away(parley):
    server = parley(DIRECT)
    bot = await direct_client(server.json_port, "bot")
    rc = await asyncio.get_running_loop().run_in_executor(None, server.stop)
    await bot.wait_closed()
    assert (bot.close_code, bot.close_reason) == (1001, "going away")
    assert rc == 0


def test_port_file_has_one_line_without_json_listen(server):
    assert server.port_file.read_text().split() == [str(server.port)]
    assert server.json_port is None
