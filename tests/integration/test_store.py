"""Durability and history: history on entry, restarts, REST paging, ack after commit, full disk."""

import asyncio

from conftest import FLOOD_OFF
from irc_client import IRC_CONFIG, IrcClient
from parley_client import LOBBY_AND_DUO, Client, close_all, connect_many, eventually, http_get

SMALL_HISTORY = "[chat]\nhistory_on_entry = 5\n" + LOBBY_AND_DUO


async def say_all(client, room, texts):
    return [(await client.say(room, t))["msg_id"] for t in texts]


async def test_history_on_entry_is_bounded_and_oldest_first(parley):
    server = parley(SMALL_HISTORY)
    async with await Client.connect(server.port, "alice") as a:
        await a.enter("lobby")
        ids = await say_all(a, "lobby", [f"message {i}" for i in range(8)])
        async with await Client.connect(server.port, "bob") as b:
            history = (await b.enter("lobby"))["history"]
            assert [m["text"] for m in history] == [f"message {i}" for i in range(3, 8)]
            assert [m["msg_id"] for m in history] == ids[3:]
            for m in history:
                assert m["type"] == "message" and m["room"] == "lobby" and m["table"] == 1
                assert m["nick"] == "alice" and m["colour"] == a.colour
                assert isinstance(m["ts"], int)


async def test_history_is_per_table(parley):
    server = parley(SMALL_HISTORY)
    ann, bob, cat, dan = await connect_many(server.port, ["ann", "bob", "cat", "dan"])
    try:
        for cl in (ann, bob, cat):
            await cl.enter("duo")  # cat opens table 2
        await ann.say("duo", "one")
        await cat.say("duo", "two")
        reply = await dan.enter("duo")  # joins cat at table 2
        assert reply["table"]["table"] == 2
        assert [m["text"] for m in reply["history"]] == ["two"]
        r = http_get(server.port, "/api/v1/rooms/duo/history?table=2")
        assert r.status == 200
        assert [m["text"] for m in r.json()["messages"]] == ["two"]
        r = http_get(server.port, "/api/v1/rooms/duo/history")
        assert [m["text"] for m in r.json()["messages"]] == ["one"]
    finally:
        await close_all([ann, bob, cat, dan])


async def test_history_survives_restart(parley):
    server = parley(SMALL_HISTORY)
    async with await Client.connect(server.port, "alice") as a:
        await a.enter("lobby")
        ids = await say_all(a, "lobby", [f"before restart {i}" for i in range(7)])
    server.restart()
    async with await Client.connect(server.port, "bob") as b:
        history = (await b.enter("lobby"))["history"]
        assert [m["msg_id"] for m in history] == ids[2:]
        assert [m["text"] for m in history] == [f"before restart {i}" for i in range(2, 7)]
        # Ids are never reused, also across restarts.
        new = (await b.say("lobby", "after restart"))["msg_id"]
        assert new > max(ids)


async def test_rest_history_paging(parley):
    server = parley(SMALL_HISTORY)
    async with await Client.connect(server.port, "alice") as a:
        await a.enter("lobby")
        ids = await say_all(a, "lobby", [f"m{i}" for i in range(12)])

    def page(query):
        r = http_get(server.port, "/api/v1/rooms/lobby/history" + query)
        assert r.status == 200, r
        assert r.content_type.startswith("application/json")
        body = r.json()
        assert set(body) == {"messages", "more"}
        return [m["msg_id"] for m in body["messages"]], body["more"]

    assert page("") == (ids, False)  # default limit 50
    got, more = page("?limit=5")
    assert (got, more) == (ids[7:], True)
    got, more = page(f"?limit=5&before={got[0]}")
    assert (got, more) == (ids[2:7], True)
    got, more = page(f"?before={got[0]}&limit=5")
    assert (got, more) == (ids[:2], False)
    assert page(f"?before={ids[0]}") == ([], False)
    assert page(f"?limit=1&before={ids[5]}&table=1") == ([ids[4]], True)
    assert page("?limit=200") == (ids, False)
    assert page("?limit=12") == (ids, False)
    assert page("?limit=11") == (ids[1:], True)
    assert page("?table=2") == ([], False)

    r = http_get(server.port, "/api/v1/rooms/lobby/history?limit=3")
    messages = r.json()["messages"]
    assert [m["text"] for m in messages] == ["m9", "m10", "m11"]
    assert all(m["type"] == "message" and m["nick"] == "alice" for m in messages)

    for bad in ("?limit=0", "?limit=201", "?limit=abc", "?limit=-1", "?before=xyz",
                "?table=abc", "?table=0"):
        r = http_get(server.port, "/api/v1/rooms/lobby/history" + bad)
        assert r.status == 400, (bad, r)
        assert r.json()["error"]["code"] == "bad_request", bad
    r = http_get(server.port, "/api/v1/rooms/nosuchroom/history")
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_room"


async def test_ok_only_after_durable_commit_and_survives_kill(parley):
    server = parley("""
        [store]
        commit_delay_ms = 700
    """)
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        await a.enter("lobby")
        await b.enter("lobby")
        cmd_id = await a.send_cmd("say", room="lobby", text="durable?")
        seen_by_b = await b.wait_received(lambda m: m.get("type") == "message")
        seen_by_a = await a.wait_received(lambda m: m.get("type") == "message")
        ok = await a.reply_received(cmd_id)
        assert ok.msg["type"] == "ok", ok.msg
        assert seen_by_b.msg["text"] == "durable?"
        assert ok.msg["msg_id"] == seen_by_b.msg["msg_id"]
        # The event is sent at once; the ok waits for the (delayed) commit.
        assert seen_by_b.t < ok.t, "the ok for say came before table-mates got the message"
        assert seen_by_a.t < ok.t, "the ok for say came before the sender's own message event"

        # A reply to a later command may overtake a pending say's ok.
        say_id = await a.send_cmd("say", room="lobby", text="second")
        ping_id = await a.send_cmd("ping")
        ping = await a.reply_received(ping_id)
        second = await a.reply_received(say_id)
        assert ping.msg["type"] == "ok" and second.msg["type"] == "ok"
        assert ping.t < second.t, "ping's reply waited for the say's commit"
        msg_ids = [ok.msg["msg_id"], second.msg["msg_id"]]
    finally:
        await close_all([a, b])

    server.restart(hard=True)  # kill -9 right after the oks
    r = http_get(server.port, "/api/v1/rooms/lobby/history")
    assert [m["msg_id"] for m in r.json()["messages"]] == msg_ids
    async with await Client.connect(server.port, "carol") as c:
        history = (await c.enter("lobby"))["history"]
        assert [m["text"] for m in history] == ["durable?", "second"]


async def test_sigterm_commits_queued_messages(parley):
    server = parley("""
        [store]
        commit_delay_ms = 700
    """)
    a = await Client.connect(server.port, "alice")
    await a.enter("lobby")
    for i in range(3):
        await a.send_cmd("say", room="lobby", text=f"queued {i}")
    for i in range(3):
        await a.event("message", text=f"queued {i}")  # accepted by the server
    await asyncio.get_running_loop().run_in_executor(None, server.stop)
    await a.close()
    server.start()
    r = http_get(server.port, "/api/v1/rooms/lobby/history")
    assert [m["text"] for m in r.json()["messages"]] == ["queued 0", "queued 1", "queued 2"]


async def fill_until_store_failed(server, limit=5000):
    """Says ~3.9 KB messages until one fails; returns (ok msg_ids, failed reply) or None."""
    a = await Client.connect(server.port, "filler")
    await a.enter("lobby")
    ok_ids = []
    try:
        for i in range(limit):
            reply = await a.request("say", room="lobby", text=f"{i:05d} " + "x" * 3900)
            if reply["type"] == "error":
                return a, ok_ids, reply
            ok_ids.append(reply["msg_id"])
        return a, ok_ids, None
    except BaseException:
        await a.close()
        raise


async def test_full_disk_store_failed_and_still_serving(parley):
    """With a small max_db_pages the store fills up: say gets store_failed, the server carries on."""
    server = None
    for pages in (24, 48, 96, 192):  # the smallest database that lets the server start
        candidate = parley(f"[store]\nmax_db_pages = {pages}\n" + FLOOD_OFF, start=False)
        try:
            server = candidate.start()
            break
        except AssertionError:
            candidate.problems.clear()  # refusing to start with a full database is acceptable
    assert server is not None, "parleyd did not start with any small max_db_pages"

    filler, ok_ids, failed = await fill_until_store_failed(server)
    try:
        assert failed is not None, f"no store_failed after {len(ok_ids)} messages"
        assert failed["code"] == "store_failed", failed
        assert len(ok_ids) >= 1, "not even one message could be stored"

        # The server still serves: the same connection, a new connection, HTTP.
        await filler.ping()
        async with await Client.connect(server.port, "other") as other:
            await other.ping()
            await other.enter("lobby")
        again = await filler.request("say", room="lobby", text="y" * 3900)
        assert again["type"] == "error" and again["code"] == "store_failed", again
        m = server.metrics()
        assert m["parley_store_failures_total"] >= 2
        assert m["parley_store_messages_total"] == len(ok_ids)

        # Stored messages are all there; the failed one is not.
        stored = []
        before = ""
        for _ in range(200):
            r = http_get(server.port, f"/api/v1/rooms/lobby/history?limit=200{before}")
            assert r.status == 200
            body = r.json()
            stored = [m["msg_id"] for m in body["messages"]] + stored
            if not body["more"]:
                break
            before = f"&before={body['messages'][0]['msg_id']}"
        assert stored == ok_ids
    finally:
        await filler.close()


async def test_slow_disk_refuses_says_beyond_max_queue(parley):
    """[store] max_queue: with max_queue says waiting for the writer (here a commit that takes
    1.5 s), the next say is refused with store_busy before anyone sees it; once the writer has
    caught up says are taken again. IRC users get FAIL PRIVMSG STORE_BUSY."""
    server = parley(FLOOD_OFF + IRC_CONFIG
                    + "[store]\ncommit_delay_ms = 1500\nmax_queue = 3\n")
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        await a.enter("lobby")
        await b.enter("lobby")
        ids = [await a.send_cmd("say", room="lobby", text=f"m{i}") for i in range(5)]
        replies = [await a.reply_received(i) for i in ids]
        busy = [r.msg for r in replies if r.msg["type"] == "error"]
        oks = [r.msg for r in replies if r.msg["type"] == "ok"]
        assert len(oks) == 3 and len(busy) == 2, [r.msg for r in replies]
        for e in busy:
            assert e["code"] == "store_busy" and e["message"], e
        # only the taken ones reached the table
        for i in range(3):
            await b.event("message", text=f"m{i}")
        await b.no_event("message", timeout=0.5)
        # the writer has caught up (every ok came): says are taken again
        assert (await a.request("say", room="lobby", text="after"))["type"] == "ok"
        await b.event("message", text="after")

        irc = await IrcClient.registered(server.irc_port, "ircy")
        await irc.join("#lobby")
        await irc.send(*[f"PRIVMSG #lobby :irc{i}" for i in range(5)])
        fails = [await irc.expect(lambda l: l.command == "FAIL", timeout=10) for _ in range(2)]
        for f in fails:
            assert f.params[:3] == ["PRIVMSG", "STORE_BUSY", "#lobby"], f
        for i in range(3):
            await b.event("message", text=f"irc{i}", timeout=10)
        await b.no_event("message", timeout=0.5)
        await irc.close()
    finally:
        await close_all([a, b])

    async def stored():
        r = http_get(server.port, "/api/v1/rooms/lobby/history")
        return [m["text"] for m in r.json()["messages"]]

    # the IRC says get no ok: wait for their (1.5 s) commit
    texts = await eventually(stored, lambda t: len(t) >= 7, tries=100, delay=0.1)
    assert texts == ["m0", "m1", "m2", "after", "irc0", "irc1", "irc2"]
