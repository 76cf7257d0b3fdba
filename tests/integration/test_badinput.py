"""Bad input over WebSocket: JSON-level errors, nickname rules and frame-level violations.

Every test ends by checking that the server still serves a fresh client.
"""

import json
import struct

import pytest

from parley_client import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Client,
                           RawWS, build_frame, close_payload, eventually)


def assert_serving(port):
    """A fresh connection gets welcome and an ok for ping."""
    with RawWS(port) as ws:
        reply = ws.cmd("ping")
        assert isinstance(reply["ts"], int)


async def assert_serving_async(port):
    async with await Client.connect(port) as c:
        await c.ping()


# --------------------------------------------------------------------------------------------
# JSON level
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"type": "ping", "id": 1',
    "not json at all",
    '{"type": "ping", "id": 1}}',
    "[1, 2, 3]",
    '"a string"',
    "42",
    "null",
    "",
    '{"type": "ping", "id": 1, }',
], ids=["truncated", "garbage", "trailing", "array", "string", "number", "null", "empty",
        "trailing-comma"])
async def test_bad_json(server, text):
    async with await Client.connect(server.port) as c:
        await c.send(text)
        err = await c.wait_for(lambda m: m.get("type") == "error")
        assert err["code"] == "bad_json", err
        assert err["id"] is None and "id" in err
        assert isinstance(err["message"], str) and err["message"]
        # The connection is still usable.
        await c.ping()
    await assert_serving_async(server.port)


async def test_bad_request_and_unknown_type(server):
    async with await Client.connect(server.port) as c:
        async def error_for(obj, cmd_id):
            await c.send(obj)
            reply = await c.reply(cmd_id)
            assert reply["type"] == "error", reply
            return reply["code"]

        assert await error_for({"id": 5}, 5) == "bad_request"  # no type
        assert await error_for({"type": 7, "id": 6}, 6) == "bad_request"
        assert await error_for({"type": None, "id": 7}, 7) == "bad_request"
        assert await error_for({"type": "dance", "id": "abc"}, "abc") == "unknown_type"
        assert await error_for({"type": "PING", "id": 8}, 8) == "unknown_type"
        # Before hello everything but hello and ping is hello_first.
        for i, cmd in enumerate(["rooms", "enter", "say", "leave", "members", "colour", "pm",
                                 "hop"]):
            assert await error_for({"type": cmd, "id": 100 + i, "room": "lobby"}, 100 + i) \
                == "hello_first", cmd
        assert await error_for({"type": "hello", "id": 9}, 9) == "bad_request"  # no nick
        assert await error_for({"type": "hello", "id": 10, "nick": 42}, 10) == "bad_request"
        assert await error_for({"type": "hello", "id": 11, "nick": "alice", "colour": 1},
                               11) == "bad_request"
        await c.hello("alice")
        assert await error_for({"type": "enter", "id": 12}, 12) == "bad_request"
        assert await error_for({"type": "enter", "id": 13, "room": 5}, 13) == "bad_request"
        assert await error_for({"type": "enter", "id": 14, "room": "lobby", "lurk": "yes"},
                               14) == "bad_request"
        await c.enter("lobby")
        assert await error_for({"type": "say", "id": 15, "room": "lobby"}, 15) == "bad_request"
        assert await error_for({"type": "say", "id": 16, "room": "lobby", "text": 5},
                               16) == "bad_request"
        assert await error_for({"type": "say", "id": 17, "text": "hi"}, 17) == "bad_request"
        assert await error_for({"type": "hop", "id": 18, "room": "lobby", "table": "2"},
                               18) == "bad_request"
        assert await error_for({"type": "hop", "id": 19, "room": "lobby"}, 19) == "bad_request"
        assert await error_for({"type": "pm", "id": 20, "room": "lobby", "text": "x"},
                               20) == "bad_request"
        assert await error_for({"type": "tables", "id": 21}, 21) == "bad_request"
        assert await error_for({"type": "leave", "id": 22, "room": ["lobby"]}, 22) \
            == "bad_request"
        await c.ping()
    await assert_serving_async(server.port)


async def test_ids_and_unknown_members(server):
    async with await Client.connect(server.port) as c:
        for cmd_id in ("a-string-id", 0, -17, 2**53 - 1, -(2**53 - 1), "x" * 64):
            await c.send({"type": "ping", "id": cmd_id})
            reply = await c.reply(cmd_id)
            assert reply["type"] == "ok" and reply["id"] == cmd_id
        # Without an id the reply has "id": null.
        await c.send({"type": "ping"})
        reply = await c.wait_for(lambda m: m.get("type") == "ok")
        assert "id" in reply and reply["id"] is None
        await c.send({"type": "rooms"})
        err = await c.wait_for(lambda m: m.get("type") == "error")
        assert err["id"] is None and err["code"] == "hello_first"
        # Unknown members are ignored.
        await c.send({"type": "ping", "id": 1, "future": {"nested": [1, 2]}, "x": None})
        assert (await c.reply(1))["type"] == "ok"
        await c.send({"type": "hello", "id": 2, "nick": "alice", "avatar": "cat.png"})
        assert (await c.reply(2))["nick"] == "alice"


async def test_replies_in_command_order(server):
    async with await Client.connect(server.port, "alice") as c:
        ids = [await c.send_cmd(t, room="lobby") for t in ("rooms", "enter", "members",
                                                           "tables", "ping", "leave")]
        replies = []
        for _ in range(100):
            m = await c.next_message()
            if m["type"] in ("ok", "error"):
                replies.append(m)
            if len(replies) == len(ids):
                break
        assert [r["id"] for r in replies] == ids
        assert all(r["type"] == "ok" for r in replies), replies


# --------------------------------------------------------------------------------------------
# Nicknames
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nick", ["a", "x" * 25, "1abc", "_abc", "-abc", ".abc", "al ice",
                                  "al!ce", "", "ab\u0007", "a😀b", "ab\u200b", "  ab",
                                  "ö" * 25, "a/b", "a@b"])
async def test_nick_invalid(server, nick):
    async with await Client.connect(server.port) as c:
        await c.fail("nick_invalid", "hello", nick=nick)
        # The session is still before hello.
        await c.fail("hello_first", "rooms")
        await c.hello("valid")


async def test_escaped_nul_is_valid_json(server):
    """JSON allows "\\u0000" in strings: such a nickname is invalid, but not bad_json."""
    async with await Client.connect(server.port) as c:
        await c.send('{"type": "hello", "id": 1, "nick": "ab\\u0000cd"}')
        reply = await c.wait_for(lambda m: m.get("type") in ("ok", "error"))
        assert reply["type"] == "error" and reply["code"] == "nick_invalid", reply
        assert reply["id"] == 1


@pytest.mark.parametrize("nick", ["ab", "x" * 24, "ö" * 24, "Zoë", "日本", "Ωmega_1.2-3", "a٣",
                                  "Ab-_.9"])
async def test_nick_valid(server, nick):
    async with await Client.connect(server.port) as c:
        assert (await c.cmd("hello", nick=nick))["nick"] == nick


@pytest.mark.parametrize("nick", ["parley", "server", "system", "admin", "sysop", "host", "guest",
                                  "Admin", "SYSTEM", "GuEsT"])
async def test_nick_reserved(server, nick):
    async with await Client.connect(server.port) as c:
        await c.fail("nick_reserved", "hello", nick=nick)
        await c.hello("notreserved")


async def test_nick_taken_case_and_nfkc(server):
    port = server.port
    zoe = await Client.connect(port, "zoë")
    fiona = await Client.connect(port, "fiona")
    try:
        for taken in ("zoë", "ZOË", "Zoë", "ｚｏë"):  # the last one is fullwidth
            async with await Client.connect(port) as c:
                await c.fail("nick_taken", "hello", nick=taken)
        async with await Client.connect(port) as c:
            await c.fail("nick_taken", "hello", nick="ﬁona")  # NFKC: the ligature is "fi"
            await c.fail("nick_taken", "hello", nick="FIONA")
            assert (await c.cmd("hello", nick="zoe"))["nick"] == "zoe"  # no diaeresis: free
        # A nickname is free again once its connection closes.
        await zoe.close()

        async def try_take():
            async with await Client.connect(port) as c:
                return await c.request("hello", nick="ZOË")

        reply = await eventually(try_take, lambda r: r["type"] == "ok")
        assert reply["type"] == "ok" and reply["nick"] == "ZOË", reply
    finally:
        await zoe.close()
        await fiona.close()


async def test_already_hello_and_bad_colour(server):
    async with await Client.connect(server.port) as c:
        await c.fail("bad_colour", "hello", nick="alice", colour="#12345g")
        await c.fail("bad_colour", "hello", nick="alice", colour="blue")
        # The failed hello did not take the name.
        async with await Client.connect(server.port, "alice") as other:
            await other.fail("already_hello", "hello", nick="alice2")
            await other.fail("already_hello", "hello", nick="alice")
        await c.hello("carol")
        await c.fail("already_hello", "hello", nick="carol")
        await c.ping()


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------

def expect_close(ws, code):
    reason = ws.expect_close(code)
    assert reason, f"close {code} without a reason"
    assert len(reason.encode()) <= 123
    return reason


def test_ping_pong_and_clean_close(server):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_PING, b"are you there?")
        f = ws.recv_frame()
        assert (f.opcode, f.fin, f.payload) == (OP_PONG, True, b"are you there?")
        ws.send_frame(OP_PING, b"")
        f = ws.recv_frame()
        assert (f.opcode, f.payload) == (OP_PONG, b"")
        ws.send_frame(OP_CLOSE, close_payload(1000, "done"))
        f = ws.recv_frame()
        assert f.opcode == OP_CLOSE and f.close_code == 1000
        ws.expect_eof()
    assert_serving(server.port)


def test_fragmented_message_is_reassembled(server):
    with RawWS(server.port) as ws:
        text = json.dumps({"type": "hello", "id": "frag", "nick": "frägment"}).encode()
        parts = [text[:5], text[5:13], text[13:14], text[14:]]  # splits inside "ä" too
        ws.send_frame(OP_TEXT, parts[0], fin=False)
        ws.send_frame(OP_CONT, parts[1], fin=False)
        ws.send_frame(OP_PING, b"between fragments")  # control frames may interleave
        f = ws.recv_frame()
        assert (f.opcode, f.payload) == (OP_PONG, b"between fragments")
        ws.send_frame(OP_CONT, parts[2], fin=False)
        ws.send_frame(OP_CONT, parts[3], fin=True)
        reply = ws.recv_json()
        assert reply["type"] == "ok" and reply["id"] == "frag" and reply["nick"] == "frägment"
        # The next unfragmented message works as usual.
        assert ws.cmd("ping")["type"] == "ok"
    assert_serving(server.port)


def test_message_of_exactly_max_message_is_accepted(server):
    with RawWS(server.port) as ws:
        base = json.dumps({"type": "ping", "id": 1, "pad": ""})
        text = base[:-2] + "p" * (16384 - len(base)) + '"}'
        assert len(text) == 16384
        ws.send_text(text)
        assert ws.recv_json()["type"] == "ok"
        ws.send_text(text[:-2] + 'pp"}')  # 16385 bytes
        expect_close(ws, 1009)
    assert_serving(server.port)


def test_oversized_fragmented_message(server):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_TEXT, b'{"type":"ping","pad":"' + b"p" * 6000, fin=False)
        ws.send_frame(OP_CONT, b"p" * 6000, fin=False)
        ws.send_frame(OP_CONT, b"p" * 6000, fin=False)
        expect_close(ws, 1009)
    assert_serving(server.port)


def test_huge_declared_length(server):
    """A frame header announcing 1 GiB is refused without waiting for the payload."""
    with RawWS(server.port) as ws:
        ws.send_raw(build_frame(OP_TEXT, b"{", length=1 << 30))
        expect_close(ws, 1009)
    assert_serving(server.port)


def test_max_message_from_config(parley):
    server = parley("[limits]\nmax_message = 1000\n")
    with RawWS(server.port) as ws:
        assert ws.welcome["limits"]["max_message"] == 1000
        ws.send_json({"type": "ping", "id": 1, "pad": "p" * 900})
        assert ws.recv_json()["type"] == "ok"
        ws.send_json({"type": "ping", "id": 2, "pad": "p" * 1000})
        expect_close(ws, 1009)
    assert_serving(server.port)


@pytest.mark.parametrize("payload", [
    b'{"type":"ping","x":"\xff"}',
    b'{"type":"ping","x":"\xc0\xaf"}',  # overlong "/"
    b'{"type":"ping","x":"\xed\xa0\x80"}',  # UTF-16 surrogate
    b'{"type":"ping","x":"\xf4\x90\x80\x80"}',  # above U+10FFFF
    b'{"type":"ping","x":"\xe2\x82"}',  # truncated sequence
], ids=["ff", "overlong", "surrogate", "too-big", "truncated"])
def test_invalid_utf8_text(server, payload):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_TEXT, payload)
        expect_close(ws, 1007)
    assert_serving(server.port)


def test_invalid_utf8_across_fragments(server):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_TEXT, b'{"type":"ping","x":"\xe2', fin=False)
        ws.send_frame(OP_CONT, b'\x28\xa1"}', fin=True)
        expect_close(ws, 1007)
    assert_serving(server.port)


def test_invalid_utf8_close_reason(server):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bad \xff reason")
        f = ws.recv_frame()
        assert f.opcode == OP_CLOSE and f.close_code == 1007, f
        ws.expect_eof()
    assert_serving(server.port)


def test_binary_message(server):
    with RawWS(server.port) as ws:
        ws.send_frame(OP_BINARY, b'{"type":"ping"}')
        expect_close(ws, 1003)
    assert_serving(server.port)


PROTOCOL_ERRORS = {
    "unmasked": [build_frame(OP_TEXT, b'{"type":"ping"}', mask=False)],
    "fragmented-ping": [build_frame(OP_PING, b"x", fin=False)],
    "oversized-ping": [build_frame(OP_PING, b"x" * 126)],
    "rsv1": [build_frame(OP_TEXT, b'{"type":"ping"}', rsv=4)],
    "rsv2": [build_frame(OP_TEXT, b'{"type":"ping"}', rsv=2)],
    "rsv3": [build_frame(OP_TEXT, b'{"type":"ping"}', rsv=1)],
    "rsv-on-ping": [build_frame(OP_PING, b"", rsv=4)],
    "continuation-without-start": [build_frame(OP_CONT, b'{"type":"ping"}')],
    "new-message-while-fragmenting": [build_frame(OP_TEXT, b'{"type":', fin=False),
                                      build_frame(OP_TEXT, b'{"type":"ping"}')],
    "opcode-3": [build_frame(0x3, b"")],
    "opcode-B": [build_frame(0xB, b"")],
}


@pytest.mark.parametrize("frames", PROTOCOL_ERRORS.values(), ids=PROTOCOL_ERRORS.keys())
def test_protocol_errors(server, frames):
    with RawWS(server.port) as ws:
        for f in frames:
            ws.send_raw(f)
        expect_close(ws, 1002)
    assert_serving(server.port)


def test_close_without_answer_still_closes_tcp(server):
    """After a protocol error the server closes the TCP connection even if we never answer."""
    with RawWS(server.port) as ws:
        ws.send_raw(build_frame(OP_TEXT, b"x", mask=False))
        ws.expect_close(1002, reply=False)
    assert_serving(server.port)


async def test_bad_frame_leaves_other_sessions_alone(server):
    """A protocol violation by one client does not disturb the others' rooms."""
    async with await Client.connect(server.port, "alice") as a, \
            await Client.connect(server.port, "bob") as b:
        await a.enter("lobby")
        await b.enter("lobby")
        with RawWS(server.port) as ws:
            ws.cmd("hello", nick="mallory")
            ws.cmd("enter", room="lobby")
            ws.send_raw(build_frame(OP_BINARY, b"\x00\x01"))
            ws.expect_close(1003)
        ev = await a.event("member_left", nick="mallory")
        assert ev["reason"] == "disconnected"
        await b.say("lobby", "still here")
        await a.event("message", text="still here")
