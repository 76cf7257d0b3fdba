"""Talking: say, delivery to table-mates only, private messages, colours, text limits."""

import pytest

from parley_client import Client, close_all, connect_many

ROOMS = """
[room lobby]
title = Lobby
topic = Say hello

[room duo]
title = Duo
capacity = 2

[room trio]
title = Trio
capacity = 3
"""


@pytest.fixture
def rooms_server(parley):
    return parley(ROOMS)


async def test_say_reaches_everyone_at_table_including_sender(server):
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        await a.enter("lobby")
        await b.enter("lobby")
        cmd_id = await a.send_cmd("say", room="lobby", text="hi bob")
        mine = await a.event("message", text="hi bob")
        theirs = await b.event("message", text="hi bob")
        ok = await a.reply(cmd_id)
        assert ok["type"] == "ok"
        assert mine == theirs
        assert set(mine) == {"type", "room", "table", "msg_id", "ts", "nick", "colour", "text"}
        assert mine["room"] == "lobby" and mine["table"] == 1
        assert mine["nick"] == "alice" and mine["colour"] == a.colour
        assert isinstance(mine["msg_id"], int) and mine["msg_id"] > 0
        assert isinstance(mine["ts"], int) and mine["ts"] > 1_600_000_000_000
        assert ok["msg_id"] == mine["msg_id"] and ok["ts"] == mine["ts"]

        # Message ids increase in the order messages were accepted.
        ids = [(await (a if i % 2 else b).say("lobby", f"n{i}"))["msg_id"] for i in range(6)]
        assert ids == sorted(ids) and len(set(ids)) == 6 and ids[0] > ok["msg_id"]
        # Text is passed through exactly (Unicode, JSON escapes, surrounding spaces).
        text = '  Grüße, 世界 🎉 "quoted" \\ back\nslash\t '
        await b.say("lobby", text)
        assert (await a.event("message", nick="bob", text=text))["text"] == text
    finally:
        await close_all([a, b])


async def test_say_delivered_only_to_table_mates(rooms_server):
    """ann+bob at duo table 1, cat+dan at duo table 2, eve in lobby (and not in duo)."""
    ann, bob, cat, dan, eve = await connect_many(rooms_server.port,
                                                 ["ann", "bob", "cat", "dan", "eve"])
    try:
        for cl in (ann, bob, cat, dan):
            await cl.enter("duo")
        await eve.enter("lobby")
        assert (await cat.cmd("members", room="duo"))["table"] == 2

        await ann.say("duo", "secret of table one")
        await ann.event("message", text="secret of table one")
        await bob.event("message", text="secret of table one", table=1, nick="ann")

        # Markers said after it: anything wrongly fanned out would have arrived first.
        await dan.say("duo", "marker two")
        await eve.say("lobby", "marker lobby")
        for cl, marker in ((cat, "marker two"), (dan, "marker two"), (eve, "marker lobby")):
            await cl.event("message", text=marker)
            assert not [m for m in cl.buffered("message") if m["text"] == "secret of table one"]
        await cat.no_event("message", text="secret of table one")
        await eve.no_event("message", text="secret of table one")
        # And table 2's marker did not reach table 1 or the lobby.
        await ann.no_event("message", text="marker two", timeout=0.1)
        await bob.no_event("message", text="marker two", timeout=0.1)
        await eve.no_event("message", text="marker two", timeout=0.1)
        await ann.no_event("message", text="marker lobby", timeout=0.1)
    finally:
        await close_all([ann, bob, cat, dan, eve])


async def test_say_errors(rooms_server):
    async with await Client.connect(rooms_server.port, "alice") as a:
        await a.fail("not_in_room", "say", room="lobby", text="hello?")
        await a.fail("not_in_room", "say", room="nosuchroom", text="hello?")
        await a.enter("lobby")
        await a.fail("text_empty", "say", room="lobby", text="")
        await a.fail("text_empty", "say", room="lobby", text=" \t\r\n ")
        await a.fail("text_too_long", "say", room="lobby", text="x" * 4001)
        # max_text counts bytes of UTF-8: 1334 euro signs are 4002 bytes.
        await a.fail("text_too_long", "say", room="lobby", text="€" * 1334)
        ok = await a.say("lobby", "y" * 4000)
        assert (await a.event("message", msg_id=ok["msg_id"]))["text"] == "y" * 4000
        await a.say("lobby", "€" * 1333)  # 3999 bytes
        await a.no_event("message", text="")
        await a.fail("not_in_room", "pm", room="duo", to="alice", text="hi")


async def test_text_limits_follow_config(parley):
    server = parley("""
        [limits]
        max_text = 10
        max_message = 2000
        [chat]
        history_on_entry = 7
    """)
    async with await Client.connect(server.port, "alice") as a:
        assert a.welcome["limits"] == {"max_message": 2000, "max_text": 10, "history_on_entry": 7}
        await a.enter("lobby")
        await a.say("lobby", "0123456789")
        await a.fail("text_too_long", "say", room="lobby", text="0123456789a")


async def test_welcome(server):
    async with await Client.connect(server.port) as c:
        w = c.welcome
        assert w["server"] == "parley" and w["protocol"] == 1
        assert isinstance(w["version"], str) and w["version"]
        assert w["limits"] == {"max_message": 16384, "max_text": 4000, "history_on_entry": 50}
        assert "id" not in w


async def test_private_messages(rooms_server):
    """ann, bob, cat at trio table 1; dan at trio table 2; lou lurks at table 2."""
    ann, bob, cat, dan, lou = await connect_many(rooms_server.port,
                                                 ["ann", "bob", "cat", "dan", "lou"])
    try:
        for cl in (ann, bob, cat, dan):
            await cl.enter("trio")
        await lou.enter("trio", lurk=True)
        assert (await dan.cmd("members", room="trio"))["table"] == 2

        ok = await ann.cmd("pm", room="trio", to="bob", text="psst")
        to_bob = await bob.event("private", text="psst")
        to_ann = await ann.event("private", text="psst")
        assert to_bob == to_ann
        assert set(to_bob) == {"type", "room", "table", "msg_id", "ts", "from", "to", "colour",
                               "text"}
        assert to_bob["room"] == "trio" and to_bob["table"] == 1
        assert to_bob["from"] == "ann" and to_bob["to"] == "bob"
        assert to_bob["colour"] == ann.colour
        assert ok["msg_id"] == to_bob["msg_id"] and ok["ts"] == to_bob["ts"]

        # The recipient is matched as nicknames are compared (case-insensitively).
        await bob.cmd("pm", room="trio", to="ANN", text="hi back")
        back = await ann.event("private", text="hi back")
        assert back["from"] == "bob" and back["to"].casefold() == "ann"

        # Nobody else saw either of them.
        await cat.say("trio", "marker")
        await cat.event("message", text="marker")
        await dan.say("trio", "marker 2")
        await lou.event("message", text="marker 2")
        for cl in (cat, dan, lou):
            assert not cl.buffered("private"), cl.buffered("private")
        await cat.no_event("private")

        await ann.fail("no_such_user", "pm", room="trio", to="dan", text="you are at table 2")
        await ann.fail("no_such_user", "pm", room="trio", to="nobody", text="hello?")
        await dan.fail("no_such_user", "pm", room="trio", to="lou", text="lurkers can't get pm")
        await lou.fail("read_only", "pm", room="trio", to="dan", text="lurkers can't send")
        await ann.fail("text_empty", "pm", room="trio", to="bob", text="  ")
        await ann.fail("text_too_long", "pm", room="trio", to="bob", text="z" * 4001)

        # Private messages are not stored: a newcomer's history has only the says.
        await cat.cmd("leave", room="trio")
        async with await Client.connect(rooms_server.port, "fay") as fay:
            history = (await fay.enter("trio"))["history"]
            assert [m["text"] for m in history] == ["marker"]
    finally:
        await close_all([ann, bob, cat, dan, lou])


async def test_colour(server):
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        await a.enter("lobby")
        await b.enter("lobby")
        reply = await a.cmd("colour", colour="#A1B2C3")
        assert reply["colour"] == "#a1b2c3"
        ev = await b.event("colour", nick="alice")
        assert ev == {"type": "colour", "room": "lobby", "table": 1, "nick": "alice",
                      "colour": "#a1b2c3"}
        ok = await a.say("lobby", "in my new colour")
        assert (await b.event("message", msg_id=ok["msg_id"]))["colour"] == "#a1b2c3"
        members = await b.cmd("members", room="lobby")
        assert {"nick": "alice", "colour": "#a1b2c3"} in members["members"]
        for bad in ("red", "#abc", "#gggggg", "#1234567", "a1b2c3", "", "#12345 "):
            await a.fail("bad_colour", "colour", colour=bad)
        await a.fail("bad_request", "colour")
        await a.fail("bad_request", "colour", colour=0xFFFFFF)
    finally:
        await close_all([a, b])


async def test_hello_colour(server):
    async with await Client.connect(server.port) as a:
        reply = await a.cmd("hello", nick="alice", colour="#00ff7f")
        assert reply == {"type": "ok", "id": reply["id"], "nick": "alice", "colour": "#00ff7f",
                         "class": "guest", "sysop": False, "resume": reply["resume"],
                         "resume_window": 60}
    async with await Client.connect(server.port) as b:
        reply = await b.cmd("hello", nick="Bob")
        assert reply["nick"] == "Bob"
        assert len(reply["colour"]) == 7 and reply["colour"][0] == "#"
        int(reply["colour"][1:], 16)


async def test_several_rooms_on_one_connection(rooms_server):
    ann, bob, cat = await connect_many(rooms_server.port, ["ann", "bob", "cat"])
    try:
        await ann.enter("lobby")
        await ann.enter("trio")
        await bob.enter("lobby")
        await cat.enter("trio")
        await ann.say("lobby", "to the lobby")
        await ann.say("trio", "to the trio")
        assert (await bob.event("message", text="to the lobby"))["room"] == "lobby"
        assert (await cat.event("message", text="to the trio"))["room"] == "trio"
        await ann.event("message", room="lobby", text="to the lobby")
        await ann.event("message", room="trio", text="to the trio")
        await bob.no_event("message", text="to the trio")
        await cat.no_event("message", text="to the lobby", timeout=0.05)

        # A colour change is announced in every room, to each room's table-mates.
        await ann.cmd("colour", colour="#123456")
        await bob.event("colour", room="lobby", nick="ann", colour="#123456")
        await cat.event("colour", room="trio", nick="ann", colour="#123456")
        await bob.no_event("colour", room="trio")

        # Leaving one room keeps the other.
        await ann.cmd("leave", room="lobby")
        await ann.fail("not_in_room", "say", room="lobby", text="gone")
        await ann.say("trio", "still here")
        await cat.event("message", text="still here")

        # Disconnecting leaves every room.
        await ann.enter("lobby")
        await ann.close()
        await bob.event("member_left", room="lobby", nick="ann", reason="disconnected")
        await cat.event("member_left", room="trio", nick="ann", reason="disconnected")
    finally:
        await close_all([ann, bob, cat])
