"""Private talk: ignore lists and invitations to private 1-on-1 rooms."""

from conftest import FLOOD_OFF
from parley_client import Client, close_all, connect_many, http_get


async def test_ignore_filters_say_and_pm(server):
    a, b, c = await connect_many(server.port, ["alice", "Bob", "carol"])
    try:
        for x in (a, b, c):
            await x.enter("lobby")
        assert (await a.cmd("ignored"))["ignored"] == []
        ok = await a.cmd("ignore", nick="BOB")
        assert ok["ignored"] == ["BOB"]
        assert (await a.cmd("ignore", nick="zed"))["ignored"] == ["BOB", "zed"]
        assert (await a.cmd("ignore", nick="bob"))["ignored"] == ["BOB", "zed"]  # already
        assert (await a.cmd("ignored"))["ignored"] == ["BOB", "zed"]

        await b.say("lobby", "from-bob-1")
        await b.cmd("pm", room="lobby", to="alice", text="pm-from-bob-1")
        await c.say("lobby", "marker-1")  # others still reach alice
        await a.event("message", text="marker-1")
        await c.event("message", text="from-bob-1")  # carol got bob's say
        await b.event("private", text="pm-from-bob-1")  # bob got his own copy
        assert not [m for m in a.buffered("message") if m["nick"] == "Bob"]
        assert not a.buffered("private")

        # presence still reaches alice
        await b.cmd("colour", colour="#123456")
        await a.event("colour", nick="Bob")

        # alice can still talk to bob: ignoring is one-way
        await a.cmd("pm", room="lobby", to="bob", text="pm-to-bob")
        await b.event("private", text="pm-to-bob")

        assert (await a.cmd("unignore", nick="bob"))["ignored"] == ["zed"]
        assert (await a.cmd("unignore", nick="nobody"))["ignored"] == ["zed"]
        await b.say("lobby", "from-bob-2")
        await b.cmd("pm", room="lobby", to="alice", text="pm-from-bob-2")
        await a.event("message", text="from-bob-2")
        await a.event("private", text="pm-from-bob-2")
        assert not [m for m in a.buffered() if m.get("text", "").endswith("bob-1")]
    finally:
        await close_all([a, b, c])


async def test_ignore_filters_history_on_enter(server):
    a, b, c = await connect_many(server.port, ["alice", "Bob", "carol"])
    try:
        await b.enter("lobby")
        await c.enter("lobby")
        await b.say("lobby", "hist-bob-1")
        await c.say("lobby", "hist-carol-1")
        await b.say("lobby", "hist-bob-2")
        await a.cmd("ignore", nick="BOB")
        ok = await a.enter("lobby")
        texts = [m["text"] for m in ok["history"] if m["text"].startswith("hist-")]
        assert texts == ["hist-carol-1"]
        assert not [m for m in ok["history"] if m["nick"] == "Bob"]
        # the REST history, which has no session, is not filtered
        r = http_get(server.port, "/api/v1/rooms/lobby/history")
        assert r.status == 200
        assert "hist-bob-2" in [m["text"] for m in r.json()["messages"]]
    finally:
        await close_all([a, b, c])


async def test_ignore_errors(parley):
    server = parley(FLOOD_OFF)  # 100 ignores in a row
    a = await Client.connect(server.port, "alice")
    pre = await Client.connect(server.port)
    try:
        await pre.fail("hello_first", "ignore", nick="bob")
        await a.fail("bad_request", "ignore", nick="ALICE")
        await a.fail("bad_request", "ignore")
        await a.fail("bad_request", "ignore", nick=5)
        await a.fail("nick_invalid", "ignore", nick="x")
        await a.fail("nick_invalid", "unignore", nick="1abc")
        for i in range(100):
            await a.cmd("ignore", nick=f"user{i:03d}")
        await a.fail("too_many_ignores", "ignore", nick="onemore")
        ignored = (await a.cmd("ignored"))["ignored"]
        assert len(ignored) == 100 and ignored == sorted(ignored)
    finally:
        await close_all([a, pre])


async def _private_pair(a, b):
    """a invites b at lobby; b accepts. Returns (room name, accept ok, invite_accepted event)."""
    inv = await a.cmd("invite", room="lobby", to="bob")
    assert isinstance(inv["invite"], str)
    ev = await b.event("invited", invite=inv["invite"])
    assert ev == {"type": "invited", "invite": inv["invite"], "from": "alice",
                  "colour": a.colour, "room": "lobby"}
    ok = await b.cmd("accept", invite=inv["invite"])
    acc = await a.event("invite_accepted", invite=inv["invite"])
    return ok["room"]["name"], ok, acc


async def test_invite_accept_private_room(server):
    a, b, c = await connect_many(server.port, ["alice", "bob", "carol"])
    try:
        for x in (a, b, c):
            await x.enter("lobby")
        name, ok, acc = await _private_pair(a, b)
        assert ok["room"] == acc["room"]
        assert ok["table"] == acc["table"]
        assert ok["room"]["title"] == "alice & bob"
        assert ok["room"]["capacity"] == 2 and ok["room"]["users"] == 2
        assert [m["nick"] for m in ok["table"]["members"]] == ["alice", "bob"]
        assert ok["history"] == []

        # carol can't see or enter it
        assert all(r["name"] != name for r in (await c.cmd("rooms"))["rooms"])
        assert all(r["name"] != name for r in http_get(server.port, "/api/v1/rooms").json()["rooms"])
        await c.fail("no_such_room", "enter", room=name)
        await c.fail("no_such_room", "tables", room=name)
        await c.fail("not_in_room", "say", room=name, text="hi")
        assert (await a.cmd("tables", room=name))["tables"][0]["users"] == 2

        # messages flow
        said = await a.say(name, "private hello")
        got = await b.event("message", room=name, text="private hello")
        assert got["msg_id"] == said["msg_id"]
        await b.cmd("pm", room=name, to="alice", text="whisper")
        await a.event("private", room=name, text="whisper")
        await c.no_event("message", text="private hello")

        # both leave: the room is gone
        await a.cmd("leave", room=name)
        await b.event("member_left", room=name, nick="alice")
        await a.fail("no_such_room", "enter", room=name)  # no way back in
        await b.say(name, "alone")
        await b.cmd("leave", room=name)
        await b.fail("no_such_room", "tables", room=name)
        await b.fail("no_such_room", "enter", room=name)
    finally:
        await close_all([a, b, c])


async def test_private_room_freed_on_disconnect(server):
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        for x in (a, b):
            await x.enter("lobby")
        name, _, _ = await _private_pair(a, b)
        await a.close()
        await b.event("member_left", room=name, nick="alice", reason="disconnected")
        await b.cmd("leave", room=name)
        await b.fail("no_such_room", "tables", room=name)
    finally:
        await close_all([a, b])


async def test_invite_decline_and_errors(server):
    a, b, c = await connect_many(server.port, ["alice", "bob", "carol"])
    lurker = await Client.connect(server.port, "lurky")
    try:
        for x in (a, b):
            await x.enter("lobby")
        await lurker.enter("lobby", lurk=True)
        inv = (await a.cmd("invite", room="lobby", to="bob"))["invite"]
        await b.event("invited", invite=inv)
        await c.fail("no_such_invite", "decline", invite=inv)  # not hers
        await a.fail("no_such_invite", "accept", invite=inv)  # not his own
        dec = await b.cmd("decline", invite=inv)
        assert dec["invite"] == inv
        ev = await a.event("invite_declined", invite=inv)
        assert ev == {"type": "invite_declined", "invite": inv, "by": "bob"}
        await b.fail("no_such_invite", "accept", invite=inv)
        await b.fail("no_such_invite", "accept", invite="999999")
        await b.fail("no_such_invite", "accept", invite="junk")
        await b.fail("bad_request", "accept", invite=5)
        await b.fail("bad_request", "accept")

        await a.fail("no_such_user", "invite", room="lobby", to="alice")  # yourself
        await a.fail("no_such_user", "invite", room="lobby", to="carol")  # not at the table
        await a.fail("no_such_user", "invite", room="lobby", to="lurky")  # lurks
        await a.fail("no_such_user", "invite", room="lobby", to="nobody")
        await c.fail("not_in_room", "invite", room="lobby", to="alice")
        await a.fail("not_in_room", "invite", room="nosuch", to="bob")
        await lurker.fail("read_only", "invite", room="lobby", to="alice")
        await a.fail("bad_request", "invite", room="lobby")

        # the inviter leaving the server kills the invitation
        inv = (await a.cmd("invite", room="lobby", to="bob"))["invite"]
        await b.event("invited", invite=inv)
        await a.close()
        await b.event("member_left", nick="alice")
        await b.fail("no_such_invite", "accept", invite=inv)
    finally:
        await close_all([a, b, c, lurker])
