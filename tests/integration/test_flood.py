"""Flood control: per-connection allowances for messages and commands (error rate_limited, then
close 1008 for a client that keeps going), and the per-address connection cap (HTTP 429)."""

import asyncio
import socket
import subprocess

from conftest import PARLEYD
from parley_client import (TIMEOUT, Client, close_all, connect_many, eventually, parse_metrics,
                           raw_http, read_response)

CLOSE_REASON = "flood: too many rate-limited commands"


def errors(client, code="rate_limited"):
    return [m for m in client.buffered("error") if m["code"] == code]


async def replies(client, ids):
    return {i: await client.reply(i) for i in ids}


# --------------------------------------------------------------------------------------------
# Messages and commands
# --------------------------------------------------------------------------------------------

async def test_burst_of_says_is_refused_beyond_the_burst_and_not_delivered(parley):
    server = parley("""
        [flood]
        messages_per_sec = 1
        messages_burst = 5
        max_violations = 100
    """)
    alice, bob = await connect_many(server.port, ["alice", "bob"])
    try:
        await alice.enter("lobby")
        await bob.enter("lobby")
        ids = [await alice.send_cmd("say", room="lobby", text=f"burst {i}") for i in range(8)]
        got = await replies(alice, ids)
        assert [got[i]["type"] for i in ids] == ["ok"] * 5 + ["error"] * 3, got
        for i in ids[5:]:
            assert got[i]["code"] == "rate_limited" and got[i]["id"] == i
            assert got[i]["message"] == "slow down: too many messages"

        # One message a second comes back: after a second, one more say, but not two.
        await asyncio.sleep(1.2)
        marker, extra = [await alice.send_cmd("say", room="lobby", text=t)
                         for t in ("marker", "extra")]
        assert (await alice.reply(marker))["type"] == "ok"
        assert (await alice.reply(extra))["code"] == "rate_limited"

        # Bob got the five allowed says and the marker, in order, and nothing refused.
        await bob.event("message", text="marker")
        said = [m["text"] for m in bob.buffered("message")]
        assert said == [f"burst {i}" for i in range(5)], said
        await bob.no_event("message", text="extra", timeout=0.2)

        # A refused say does not count as a message; commands still work.
        await alice.ping()
        m = server.metrics()
        assert m["parley_rate_limited_total"] == 4
        assert m["parley_messages_in_total"] == 6
        assert m["parley_flood_dropped_total"] == 0
    finally:
        await close_all([alice, bob])


async def test_commands_are_charged_their_cost(parley):
    """hello, ping, tables cost 1; rooms costs 2; unreadable messages cost 1 too."""
    server = parley("""
        [flood]
        commands_per_sec = 1
        commands_burst = 4
        max_violations = 0
    """)
    async with await Client.connect(server.port, "alice") as c:  # hello: 3 left
        await c.ping()  # 2 left
        await c.cmd("rooms")  # 0 left
        # With max_violations = 0 a client is never disconnected, however much it is refused.
        ids = [await c.send_cmd("ping") for _ in range(30)]
        await c.send("not json")
        got = await replies(c, ids)
        assert all(r["type"] == "error" and r["code"] == "rate_limited" for r in got.values())
        assert got[ids[0]]["message"] == "slow down: too many commands"
        unreadable = await c.wait_for(lambda m: m.get("type") == "error" and m["id"] is None)
        assert unreadable["code"] == "rate_limited"

        await asyncio.sleep(1.2)  # a little over one command
        refused = await c.request("rooms")
        assert refused["type"] == "error" and refused["code"] == "rate_limited", refused
        await c.ping()
        assert not c.closed
        assert server.metrics()["parley_rate_limited_total"] == 32


async def test_continued_flooding_ends_in_close_1008(parley):
    server = parley("""
        [flood]
        messages_per_sec = 1
        messages_burst = 2
        max_violations = 5
    """)
    flooder, bob, carol = await connect_many(server.port, ["flooder", "bob", "carol"])
    try:
        for c in (flooder, bob, carol):
            await c.enter("lobby")
        sent = []
        for i in range(50):  # stops at the close: 2 allowed, 5 refused, the 6th refusal closes
            try:
                sent.append(await flooder.send_cmd("say", room="lobby", text=f"flood {i}"))
            except Exception:
                break
        await flooder.wait_closed()
        assert flooder.close_code == 1008
        assert flooder.close_reason == CLOSE_REASON
        refused = errors(flooder)
        assert [e["id"] for e in refused] == sent[2:8]
        assert all(e["message"] == "slow down: too many messages" for e in refused)

        # Table-mates saw the two allowed messages, then the flooder leave; nothing else.
        for c in (bob, carol):
            await c.event("member_left", nick="flooder", reason="disconnected")
            assert [m["text"] for m in c.buffered("message")] == ["flood 0", "flood 1"]
        # Everyone else carries on.
        await bob.say("lobby", "calm again")
        await carol.event("message", text="calm again")
        await carol.ping()
        m = server.metrics()
        assert m["parley_rate_limited_total"] == 6
        assert m["parley_flood_dropped_total"] == 1
        assert m["parley_websockets"] == 2
    finally:
        await close_all([flooder, bob, carol])


async def test_violations_are_forgiven_one_a_second(parley):
    server = parley("""
        [flood]
        messages_per_sec = 1
        messages_burst = 1
        max_violations = 2
    """)
    async with await Client.connect(server.port, "alice") as c:
        await c.enter("lobby")
        first = [await c.send_cmd("say", room="lobby", text=f"a{i}") for i in range(3)]
        got = await replies(c, first)
        assert [got[i]["type"] for i in first] == ["ok", "error", "error"]  # 2 violations
        await asyncio.sleep(1.2)  # one message allowed and one violation forgiven
        second = [await c.send_cmd("say", room="lobby", text=f"b{i}") for i in range(3)]
        await c.wait_closed()  # the second refusal after the pause makes 3 within the window
        assert c.close_code == 1008 and c.close_reason == CLOSE_REASON
        # b0 was said (its ok, due once it is stored, may be lost with the connection)
        assert [m["text"] for m in c.buffered("message")] == ["a0", "b0"]
        assert [e["id"] for e in errors(c)] == second[1:]
    assert server.metrics()["parley_flood_dropped_total"] == 1


def test_flood_and_address_settings_are_checked(tmp_path):
    for bad in ("[flood]\nmessages_burst = 0\n", "[flood]\ncommands_per_sec = 5000\n",
                "[flood]\nmax_violations = -1\n", "[server]\nmax_connections_per_address = -1\n"):
        cfg = tmp_path / "bad.ini"
        cfg.write_text(bad)
        r = subprocess.run([PARLEYD, "-c", str(cfg), "--data-dir", str(tmp_path / "var")],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=TIMEOUT)
        assert r.returncode == 2, (bad, r.stderr)
        assert "must be a whole number" in r.stderr, r.stderr


# --------------------------------------------------------------------------------------------
# Connections per address
# --------------------------------------------------------------------------------------------

def get_from(source, port, path):
    """GET over a new connection from the loopback address `source`."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                  source_address=(source, 0)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        resp, _ = read_response(s)
        return resp


async def test_connections_per_address(parley):
    server = parley("[server]\nmax_connections_per_address = 3\n")
    port = server.port
    clients = await connect_many(port, ["alice", "bob", "carol"])  # all from 127.0.0.1
    try:
        r = raw_http(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert r.status == 429 and r.reason == "Too Many Requests"
        assert r.headers.get("retry-after") == "5"
        assert r.body == b"too many connections from your address\r\n"
        assert r.closed
        try:
            extra = await Client.connect(port, "dave")
        except Exception:
            extra = None
        assert extra is None, "a WebSocket beyond the cap was accepted"

        # Another address is not affected.
        other = get_from("127.0.0.2", port, "/healthz")
        assert other.status == 200
        m = parse_metrics(get_from("127.0.0.2", port, "/metrics").body.decode())
        assert m["parley_connections_refused_per_address_total"] == 2
        assert m["parley_connections_refused_total"] == 2

        # The clients still work, and one leaving frees its slot.
        await clients[0].enter("lobby")
        await clients[0].say("lobby", "still here")
        await clients.pop().close()

        async def newcomer():
            try:
                return await Client.connect(port, "erin")
            except Exception:
                return None

        erin = await eventually(newcomer, lambda c: c is not None)
        assert erin is not None, "no connection accepted after one from the address closed"
        clients.append(erin)
        await erin.ping()
    finally:
        await close_all(clients)

    # Every slot is given back once the clients are gone: three at once again.
    async def three_at_once():
        socks = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(3)]
        try:
            statuses = []
            for s in socks:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                statuses.append(read_response(s)[0].status)
            return statuses
        finally:
            for s in socks:
                s.close()

    assert await eventually(three_at_once, lambda st: st == [200] * 3) == [200] * 3
