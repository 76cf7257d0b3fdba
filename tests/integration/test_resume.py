"""Session resume (docs/PROTOCOL.md, "Resume"): a session whose transport goes away without
`quit` is detached for resume_window seconds and taken back by a new connection on any transport
(WebSocket, direct socket, SSE, long-poll) with its token and the number of the last message
received; what it missed comes again, in order, without duplicates. Expiry, unknown tokens, gaps,
takeover of an attached session, quit, and the metrics."""

import asyncio
import json
import secrets

import pytest

from conftest import FLOOD_OFF
from parley_client import TIMEOUT, Client
from transports import DirectConn, PollConn, SseConn

CONFIG = ("[server]\njson_listen = 127.0.0.1:0\nresume_window = 30\ntunnel_grace = 1\n"
          + FLOOD_OFF)


class Counting:
    """Wraps a connection (a websockets client or a transports.py one) and keeps every message
    it delivers, so a test can number them as the session does."""

    def __init__(self, conn):
        self.conn = conn
        self.msgs = []

    def __aiter__(self):
        self.it = self.conn.__aiter__()
        return self

    async def __anext__(self):
        raw = await self.it.__anext__()
        self.msgs.append(json.loads(raw))
        return raw

    def __getattr__(self, name):
        return getattr(self.conn, name)


def numbered(msgs, start=0):
    """(seq, msg) of a connection's messages: welcome is 1 (or `resumed` says what comes next)."""
    out, seq = [], start
    for m in msgs:
        if m.get("type") == "resumed":
            seq = m["next_seq"] - 1
            continue
        seq += 1
        out.append((seq, m))
    return out


async def open_conn(server, kind):
    """A Client on a new connection of `kind` with its welcome read (nothing said yet)."""
    if kind == "ws":
        import websockets
        raw = await websockets.client.connect(f"ws://127.0.0.1:{server.port}/ws",
                                              ping_interval=None, max_size=None, max_queue=None,
                                              open_timeout=TIMEOUT, close_timeout=2)
    elif kind == "direct":
        raw = await DirectConn.open(server.json_port)
    elif kind == "sse":
        raw = SseConn(server.port)
        assert await raw.connect() == 200
    else:
        raw = await PollConn(server.port).open()
    conn = Counting(raw)
    client = Client(conn, label=kind)
    client.kind = kind
    client.welcome = await client.next_message()
    assert client.welcome["type"] == "welcome", client.welcome
    return client


def last_seq(client):
    nums = numbered(client.ws.msgs)
    return nums[-1][0] if nums else 0


async def drop(client):
    """Loses the connection as a network failure would: no quit, no close frame."""
    conn = client.ws.conn
    if client.kind == "ws":
        conn.transport.abort()
    elif client.kind == "direct":
        conn.writer.transport.abort()
    elif client.kind == "sse":
        conn.drop()
        conn.close_code = 1006  # ends its iteration: this stream is given up for good
    else:
        await conn.close()
    client._reader.cancel()
    await asyncio.sleep(0)


async def resume(server, kind, token, last):
    """A new connection of `kind` that sends resume; returns (client, its first answer)."""
    client = await open_conn(server, kind)
    await client.send({"type": "resume", "id": 1, "token": token, "last_seq": last})
    answer = await client.wait_for(lambda m: m.get("id") == 1, what="the resume answer")
    return client, answer


def detached(server):
    return server.metrics()["parley_sessions_detached"]


async def until_detached(server, n):
    """Waits (bounded) until the server has noticed the loss: n sessions detached."""
    for _ in range(200):
        if detached(server) == n:
            return
        await asyncio.sleep(0.05)
    assert detached(server) == n


def resumes(server, result):
    return server.metrics()[f'parley_resumes_total{{result="{result}"}}']


async def chatter(server, kinds):
    """A WebSocket talker "bob" and a resumable "amy" on kind, both in the lobby."""
    bob = await Client.connect(server.port, "bob")
    await bob.enter("lobby")
    amy = await open_conn(server, kinds)
    hello = await amy.cmd("hello", nick="amy")
    assert len(hello["resume"]) == 64 and hello["resume_window"] > 0
    await amy.enter("lobby")
    await bob.event("member_entered", nick="amy")
    return bob, amy, hello["resume"]


async def check_resume(server, src, dst):
    bob, amy, token = await chatter(server, src)
    await bob.say("lobby", "before 1")
    await bob.say("lobby", "before 2")
    await amy.event("message", text="before 2")
    seen = [m["text"] for m in amy.ws.msgs if m.get("type") == "message"]
    last = last_seq(amy)
    await drop(amy)
    if src not in ("sse", "poll"):  # a tunnel holds its session for tunnel_grace
        await until_detached(server, 1)
    for i in range(5):
        await bob.say("lobby", f"missed {i}")
    carol = await Client.connect(server.port, "carol")
    await carol.enter("lobby")
    await carol.cmd("quit")
    amy2, answer = await resume(server, dst, token, last)
    assert answer["type"] == "resumed", answer
    assert answer["nick"] == "amy" and answer["next_seq"] == last + 1
    await amy2.event("member_left", nick="carol")
    await bob.say("lobby", "live")
    await amy2.event("message", text="live")
    # the new connection: welcome, resumed, then last+1, last+2, ... with nothing twice
    nums = numbered(amy2.ws.msgs[2:], last)
    texts = [m["text"] for _, m in nums if m.get("type") == "message"]
    assert texts == [f"missed {i}" for i in range(5)] + ["live"], texts
    assert not set(texts) & set(seen)
    kinds = [(m["type"], m.get("nick")) for _, m in nums]
    assert kinds.index(("member_entered", "carol")) < kinds.index(("member_left", "carol"))
    # amy kept her seat all along: bob saw no part, and she still talks
    assert not [m for m in bob.buffered("member_left") if m["nick"] == "amy"]
    await amy2.say("lobby", "I am back")
    await bob.event("message", text="I am back", nick="amy")
    assert detached(server) == 0
    assert resumes(server, "ok") == 1
    await amy2.cmd("quit")
    await bob.close()


@pytest.mark.parametrize("src,dst", [
    ("ws", "ws"), ("direct", "direct"), ("sse", "sse"), ("poll", "poll"),
    ("ws", "sse"), ("direct", "ws"), ("poll", "direct"), ("sse", "poll"), ("ws", "poll"),
    ("sse", "direct"),
])
async def test_resume_replays_what_was_missed_on_any_transport(parley, src, dst):
    await check_resume(parley(CONFIG), src, dst)


async def test_messages_lost_in_flight_come_again_from_the_ring(parley):
    """A client that got messages the server sent but lost them (they died with the connection)
    gives an older last_seq: the attached-era messages are replayed, the same ones."""
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "ws")
    for i in range(4):
        await bob.say("lobby", f"in flight {i}")
    await amy.event("message", text="in flight 3")
    nums = numbered(amy.ws.msgs)
    first_lost = next(s for s, m in nums if m.get("text") == "in flight 1")
    await drop(amy)
    await until_detached(server, 1)
    amy2, answer = await resume(server, "direct", token, first_lost - 1)
    assert answer["type"] == "resumed" and answer["next_seq"] == first_lost
    await amy2.event("message", text="in flight 3")
    again = numbered(amy2.ws.msgs[2:], first_lost - 1)
    before = {s: m for s, m in nums}
    assert [m for _, m in again] == [before[s] for s, _ in again]
    assert [m["text"] for _, m in again if m["type"] == "message"] == [
        "in flight 1", "in flight 2", "in flight 3"]
    await bob.close()


async def test_takeover_of_an_attached_session(parley):
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "ws")
    await bob.say("lobby", "one")
    await amy.event("message", text="one")
    amy2, answer = await resume(server, "direct", token, last_seq(amy))
    assert answer["type"] == "resumed"
    await amy.wait_closed()
    assert amy.close_code == 4000 and "resumed on another connection" in amy.close_reason
    await bob.say("lobby", "two")
    await amy2.event("message", text="two")
    assert not [m for m in bob.buffered("member_left") if m["nick"] == "amy"]
    assert detached(server) == 0
    await bob.close()


async def test_expiry_ends_the_session_as_a_disconnect_did(parley):
    server = parley(CONFIG.replace("resume_window = 30", "resume_window = 2"))
    bob, amy, token = await chatter(server, "ws")
    last = last_seq(amy)
    await drop(amy)
    await until_detached(server, 1)
    # detached: still at the table, nick held, no part yet
    members = await bob.cmd("members", room="lobby")
    assert "amy" in [m["nick"] for m in members["members"]]
    assert not bob.buffered("member_left")
    other = await Client.connect(server.port)
    assert (await other.request("hello", nick="amy"))["code"] == "nick_taken"
    # after the window: the part, the nick is free, and the token says expired
    left = await bob.event("member_left", nick="amy", timeout=15)
    assert left["reason"] == "disconnected"
    assert detached(server) == 0
    await other.hello("amy")
    amy2, answer = await resume(server, "ws", token, last)
    assert answer["type"] == "resume_failed" and answer["reason"] == "expired", answer
    assert resumes(server, "expired") == 1
    await amy2.hello("amy2")  # the failed resume left a plain new connection
    await bob.close()


async def test_unknown_and_malformed_tokens(parley):
    server = parley(CONFIG)
    for kind in ("ws", "direct", "sse", "poll"):
        c, answer = await resume(server, kind, secrets.token_hex(32), 5)
        assert answer["type"] == "resume_failed" and answer["reason"] == "unknown", answer
        assert isinstance(answer["message"], str)
        # numbered in the new connection's session: welcome 1, resume_failed 2, hello's ok 3
        reply = await c.cmd("hello", nick=f"u{kind}")
        assert last_seq(c) == 3 and reply["resume"]
    c, answer = await resume(server, "ws", "not hex at all", 5)
    assert answer["reason"] == "unknown"
    assert resumes(server, "unknown") == 5
    assert (await c.request("resume", token=42, last_seq=1))["code"] == "bad_request"


async def test_bad_resume_requests(parley):
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "ws")
    after_hello = await Client.connect(server.port, "zed")
    reply = await after_hello.request("resume", token=token, last_seq=3)
    assert reply["type"] == "error" and reply["code"] == "bad_request"
    c, answer = await resume(server, "ws", token, last_seq(amy) + 5)
    assert answer["type"] == "error" and answer["code"] == "bad_request"
    c2, answer = await resume(server, "ws", token, -1)
    assert answer["code"] == "bad_request"
    await amy.ping()  # none of it touched amy's session
    await bob.close()


async def test_gap_when_the_detached_backlog_passes_output_cap(parley):
    server = parley(CONFIG + "[limits]\noutput_cap = 65536\n")
    bob, amy, token = await chatter(server, "ws")
    last = last_seq(amy)
    await drop(amy)
    await until_detached(server, 1)
    text = "x" * 1000
    for i in range(80):  # 80 kB for a 64 kB cap: the session ends
        await bob.say("lobby", f"{i} {text}")
    left = await bob.event("member_left", nick="amy")
    assert left["reason"] == "disconnected"
    amy2, answer = await resume(server, "sse", token, last)
    assert answer["type"] == "resume_failed" and answer["reason"] == "gap", answer
    assert resumes(server, "gap") == 1
    await bob.close()


async def test_gap_when_last_seq_is_older_than_the_ring(parley):
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "direct")
    first = last_seq(amy)
    for i in range(520):  # the ring keeps the last 512
        await bob.send({"type": "say", "room": "lobby", "text": f"m{i}"})
    await amy.event("message", text="m519", timeout=30)
    c, answer = await resume(server, "ws", token, first)
    assert answer["type"] == "resume_failed" and answer["reason"] == "gap", answer
    await amy.wait_closed()  # the old session ended: its connection closed
    await bob.event("member_left", nick="amy")
    await bob.close()


async def test_quit_ends_at_once(parley):
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "direct")
    last = last_seq(amy)
    await amy.cmd("quit")
    await amy.wait_closed()
    assert amy.close_code == 1000 and amy.close_reason == "quit"
    await bob.event("member_left", nick="amy")
    assert detached(server) == 0
    again = await Client.connect(server.port, "amy")  # the nick is free
    c, answer = await resume(server, "ws", token, last)
    assert answer["type"] == "resume_failed" and answer["reason"] == "expired"
    await again.close()
    await bob.close()


async def test_resume_window_zero_keeps_the_old_behaviour(parley):
    server = parley(CONFIG.replace("resume_window = 30", "resume_window = 0"))
    bob = await Client.connect(server.port, "bob")
    await bob.enter("lobby")
    amy = await open_conn(server, "ws")
    hello = await amy.cmd("hello", nick="amy")
    assert "resume" not in hello
    await amy.enter("lobby")
    await drop(amy)
    await bob.event("member_left", nick="amy")
    assert detached(server) == 0
    await bob.close()


async def test_shutdown_with_detached_sessions(parley):
    """Detached sessions (and their tombstones and timers) go cleanly at shutdown."""
    server = parley(CONFIG)
    bob, amy, token = await chatter(server, "poll")
    await drop(amy)
    zed = await open_conn(server, "ws")
    await zed.cmd("hello", nick="zed")
    await zed.enter("lobby")
    await drop(zed)
    await until_detached(server, 2)  # the poll session once its tunnel_grace is over
    assert server.stop() == 0
