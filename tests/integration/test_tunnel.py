"""HTTP tunnels: Server-Sent Events with POST, and long-poll (docs/PROTOCOL.md, "Transports"):
the WebSocket's messages and session semantics, reconnection, the grace period, tokens, limits."""

import asyncio
import json

from conftest import FLOOD_OFF
from parley_client import TIMEOUT, Client, close_all
from transports import PollConn, SseConn, http, poll_client, sse_client, tunnel_client

FAST_GRACE = "[server]\ntunnel_grace = 1\nresume_window = 0\n"  # the tunnel alone, no resume


async def chat_with_a_websocket(server, client):
    web = await Client.connect(server.port, "web")
    try:
        await client.enter("lobby")
        await web.enter("lobby")
        await client.event("member_entered", nick="web")
        reply = await client.say("lobby", "through the tunnel")
        assert reply["msg_id"] > 0
        assert (await web.event("message", text="through the tunnel"))["nick"] == client.nick
        await web.say("lobby", "and back")
        assert (await client.event("message", text="and back"))["nick"] == "web"
        await client.fail("unknown_type", "dance")
        await client.fail("already_hello", "hello", nick="again")
    finally:
        await web.close()


async def test_sse_client_chats_with_a_websocket_client(server):
    client = await sse_client(server.port, "streamer")
    try:
        w = client.welcome
        assert len(w["session"]) == 32 and len(w["token"]) == 64
        assert w["protocol"] >= 1 and w["limits"]["max_message"] > 0
        assert client.ws.headers["content-type"] == "text/event-stream"
        assert client.ws.headers["x-accel-buffering"] == "no"
        await chat_with_a_websocket(server, client)
    finally:
        await client.close()


async def test_poll_client_chats_with_a_websocket_client(server):
    client = await poll_client(server.port, "poller")
    try:
        assert len(client.welcome["session"]) == 32
        await chat_with_a_websocket(server, client)
    finally:
        await client.close()


async def sse_and_web_in_lobby(server, nick):
    """An SSE client `nick` and a WebSocket client `web` at the lobby's table."""
    client = await sse_client(server.port, nick)
    web = await Client.connect(server.port, "web")
    await client.enter("lobby")
    await web.enter("lobby")
    await client.event("member_entered", nick="web")
    return client, web


async def test_sse_reconnect_with_last_event_id_gets_the_missed_messages_once(server):
    client, web = await sse_and_web_in_lobby(server, "rover")
    conn = client.ws
    try:
        await web.say("lobby", "before")
        await client.event("message", text="before")
        seen = conn.last_id
        conn.drop()  # the stream is gone; the session stays for the grace period
        for i in range(3):
            await web.say("lobby", f"missed {i}")
        assert await conn.reopen() == 200
        for i in range(3):
            await client.event("message", text=f"missed {i}")
        await web.say("lobby", "after")
        await client.event("message", text="after")
        texts = [m["text"] for m in client.buffered("message")]
        assert texts == [], texts  # nothing doubled
        assert conn.last_id == seen + 4
        # the replies to commands sent while the stream was down come too
        conn.drop()
        cmd_id = await client.send_cmd("ping")
        await conn.reopen()
        assert (await client.reply(cmd_id))["type"] == "ok"
        # a reopen that repeats an id already seen gets what follows it, again
        conn.drop()
        conn.last_id -= 1
        await conn.reopen()
        assert (await client.reply(cmd_id))["type"] == "ok"
    finally:
        await close_all([client, web])


async def test_wrong_token_or_unknown_session_is_404(server):
    sse = await sse_client(server.port)
    poll = await poll_client(server.port)
    try:
        for kind, c in (("stream", sse), ("poll", poll)):
            sid, token = c.welcome["session"], c.welcome["token"]
            cases = [(sid, "0" * 64), (sid, token[:-1]), ("f" * 32, token), (sid, None)]
            for s, t in cases:
                hdrs = {"Parley-Token": t} if t else {}
                status, h, body = await http(server.port, "POST", f"/api/v1/{kind}/{s}",
                                             {"type": "ping", "id": 1}, hdrs)
                assert status == 404, (kind, s, t, status, body)
                assert h["content-type"] == "application/json"
                assert json.loads(body)["error"]["code"] == "no_such_session"
            # a stream session is not a poll session
            other = "poll" if kind == "stream" else "stream"
            status, _, _ = await http(server.port, "POST", f"/api/v1/{other}/{sid}",
                                      {"type": "ping", "id": 1}, {"Parley-Token": token})
            assert status == 404
        status, h, _ = await http(server.port, "DELETE", "/api/v1/stream")
        assert status == 405 and h["allow"] == "GET"
        status, h, _ = await http(server.port, "GET", "/api/v1/poll")
        assert status == 405 and h["allow"] == "POST"
    finally:
        await close_all([sse, poll])


async def test_post_takes_an_array_of_commands_and_bad_json_is_answered(server):
    for make in (sse_client, poll_client):
        client = await make(server.port)
        conn = client.ws
        try:
            status, _, body = await http(
                server.port, "POST", f"/api/v1/{'stream' if conn.__class__ is SseConn else 'poll'}"
                f"/{conn.sid}", [{"type": "hello", "id": 1, "nick": f"batch{id(conn) % 1000}"},
                                 {"type": "ping", "id": 2}, {"type": "ping", "id": 3}],
                {"Parley-Token": conn.token})
            assert status == 202 and json.loads(body) == {"accepted": 3}
            assert [(await client.reply(i))["type"] for i in (1, 2, 3)] == ["ok"] * 3
            await conn.send("not json")
            err = await client.wait_for(lambda m: m.get("type") == "error")
            assert (err["code"], err["id"]) == ("bad_json", None)
        finally:
            await client.close()


async def abandon_and_watch_leave(server, make):
    web = await Client.connect(server.port, "web")
    client = await make(server.port, "ghost")
    try:
        await web.enter("lobby")
        await client.enter("lobby")
        await web.event("member_entered", nick="ghost")
        await client.ws.close()  # stops reading: no stream, no poll (and no quit)
        client.ws.drop() if isinstance(client.ws, SseConn) else None
        assert server.metrics()["parley_tunnels"] == 1  # in its grace period
        left = await web.event("member_left", nick="ghost", timeout=TIMEOUT)
        assert left["reason"] == "disconnected"
        assert server.metrics()["parley_tunnels"] == 0
        # the nick is free again
        again = await Client.connect(server.port, "ghost")
        await again.close()
    finally:
        await web.close()


async def test_the_grace_period_frees_an_abandoned_sse_session(parley):
    server = parley(FAST_GRACE)
    await abandon_and_watch_leave(server, sse_client)


async def test_the_grace_period_frees_an_abandoned_poll_session(parley):
    server = parley(FAST_GRACE)
    await abandon_and_watch_leave(server, poll_client)


async def test_a_session_within_its_grace_period_keeps_its_nick(parley):
    server = parley("[server]\ntunnel_grace = 30\n")
    client = await sse_client(server.port, "keeper")
    client.ws.drop()
    await asyncio.sleep(0.3)
    web = await Client.connect(server.port)
    try:
        await web.fail("nick_taken", "hello", nick="keeper")
    finally:
        await web.close()


async def test_long_poll_waits_then_answers_and_acknowledges(server):
    conn = await PollConn(server.port).open()  # no reader: this test polls by hand
    hdrs = {"Parley-Token": conn.token}
    assert conn.since == 1 and json.loads(conn.queue[0])["type"] == "welcome"
    path = f"/api/v1/poll/{conn.sid}"
    waiting = asyncio.create_task(http(server.port, "GET", f"{path}?since=1", headers=hdrs,
                                       timeout=40))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # nothing pending: it waits
    status, _, _ = await http(server.port, "POST", path, {"type": "ping", "id": 9}, hdrs)
    assert status == 202
    status, h, body = await asyncio.wait_for(waiting, TIMEOUT)
    msgs = json.loads(body)
    assert status == 200 and [(m["type"], m["id"]) for m in msgs] == [("ok", 9)]
    assert h["content-type"] == "application/json"
    # not acknowledged yet (since=1): asked again, the same answer comes at once
    status, _, body = await http(server.port, "GET", f"{path}?since=1", headers=hdrs)
    assert [m["id"] for m in json.loads(body)] == [9]
    # since=2 acknowledges it; since may not go back before that, nor past what was sent
    await http(server.port, "POST", path, {"type": "ping", "id": 10}, hdrs)
    status, _, body = await http(server.port, "GET", f"{path}?since=2", headers=hdrs)
    assert [m["id"] for m in json.loads(body)] == [10]
    for bad in ("1", "4", "x", ""):
        status, _, body = await http(server.port, "GET", f"{path}?since={bad}", headers=hdrs)
        assert status == 400 and json.loads(body)["error"]["code"] == "bad_request", bad
    # a newer poll supersedes a waiting one, which gets an empty answer
    first = asyncio.create_task(http(server.port, "GET", f"{path}?since=3", headers=hdrs))
    await asyncio.sleep(0.3)
    second = asyncio.create_task(http(server.port, "GET", f"{path}?since=3", headers=hdrs))
    status, _, body = await asyncio.wait_for(first, TIMEOUT)
    assert (status, json.loads(body)) == (200, [])
    await http(server.port, "POST", path, {"type": "ping", "id": 11}, hdrs)
    status, _, body = await asyncio.wait_for(second, TIMEOUT)
    assert [m["id"] for m in json.loads(body)] == [11]


async def flood(client):
    await client.enter("lobby")
    for i in range(10):
        await client.send_cmd("say", room="lobby", text=f"m{i}")
    await client.wait_for(lambda m: m.get("type") == "close", timeout=TIMEOUT)
    refused = [m for m in client.buffered("error") if m["code"] == "rate_limited"]
    assert len(refused) >= 3
    assert [m["text"] for m in client.buffered("message")] == ["m0", "m1", "m2"]
    assert client.ws.close_code == 1008
    assert client.ws.close_reason == "flood: too many rate-limited commands"


async def test_flood_control_applies_to_each_tunnel(parley):
    server = parley("[flood]\nmessages_per_sec = 1\nmessages_burst = 3\nmax_violations = 2\n")
    for make in (sse_client, poll_client):
        client = await make(server.port, f"floody{make.__name__[0]}")
        try:
            await flood(client)
            # the ended session refuses commands
            kind = "stream" if make is sse_client else "poll"
            status, _, _ = await http(server.port, "POST", f"/api/v1/{kind}/{client.ws.sid}",
                                      {"type": "ping"}, {"Parley-Token": client.ws.token})
            assert status == 404
        finally:
            await client.close()


async def test_a_tunnel_session_counts_as_one_connection_of_its_address(parley):
    server = parley("[server]\nmax_connections_per_address = 3\ntunnel_grace = 1\n")
    sse = SseConn(server.port)
    assert await sse.connect() == 200  # the session counts, its open stream does not
    for _ in range(2):
        await PollConn(server.port).open()
    status, _, body = await http(server.port, "POST", "/api/v1/poll")
    assert status == 429, (status, body)
    # a session that ends (here: its grace period) gives its place back
    sse.drop()
    await asyncio.sleep(2.5)
    status, _, body = await http(server.port, "POST", "/api/v1/poll")
    assert status == 200, (status, body)
    sse.drop()


async def test_shutdown_ends_tunnels_with_going_away(parley):
    server = parley()
    sse = await sse_client(server.port, "streamy")
    poll = await poll_client(server.port, "polly")
    dropped = SseConn(server.port)
    await dropped.connect()
    dropped.drop()  # a session in its grace period
    await asyncio.sleep(0.3)  # the poll client waits in a poll
    rc = await asyncio.get_running_loop().run_in_executor(None, server.stop)
    assert rc == 0
    await sse.wait_closed()
    assert (sse.ws.close_code, sse.ws.close_reason) == (1001, "going away")
    await poll.close()


async def test_an_abandoned_sse_buffer_is_bounded_by_the_output_cap(parley):
    server = parley("[limits]\noutput_cap = 65536\n[server]\ntunnel_grace = 60\n" + FLOOD_OFF)
    client, web = await sse_and_web_in_lobby(server, "away")
    conn = client.ws
    try:
        conn.drop()
        padding = "p" * 1024
        for i in range(80):  # ~80 KiB for a session that reads nothing: past the cap
            await web.say("lobby", f"{i} {padding}")
        left = await web.event("member_left", nick="away")
        assert left["reason"] == "disconnected"
        assert server.metrics()["parley_slow_readers_dropped_total"] == 1
        # coming back, the client gets what was kept (what the dead stream took first may be
        # gone: it was written before the server saw the stream go), then the close message
        await conn.reopen()
        await client.wait_closed()
        assert conn.close_code == 1008 and conn.close_reason.startswith("slow reader"), \
            (conn.close_code, conn.close_reason)
        got = [int(m["text"].split()[0]) for m in client.buffered("message")]
        assert got and got == list(range(got[0], got[0] + len(got))), got  # in order, no gap
        assert got[-1] < 79  # bounded: the rest was never queued
    finally:
        await close_all([client, web])
