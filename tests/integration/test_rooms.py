"""Rooms and tables: entering, overflow tables, hopping, leaving, lurkers."""

import pytest

from parley_client import LOBBY_AND_DUO, Client, close_all, connect_many, eventually

ROOMS = LOBBY_AND_DUO


@pytest.fixture
def rooms_server(parley):
    return parley(ROOMS)


def nicks(view):
    return [m["nick"] for m in view["members"]]


async def tables_of(client, room):
    reply = await client.cmd("tables", room=room)
    assert reply["room"] == room
    return reply["tables"]


async def test_default_lobby_and_room_summaries(server):
    async with await Client.connect(server.port, "alice") as alice:
        rooms = (await alice.cmd("rooms"))["rooms"]
        assert len(rooms) == 1
        lobby = rooms[0]
        assert lobby["name"] == "lobby" and lobby["title"] == "Lobby"
        assert lobby["capacity"] == 32 and lobby["tables"] == 1 and lobby["users"] == 0
        assert isinstance(lobby["topic"], str)

        reply = await alice.enter("lobby")
        assert reply["room"]["name"] == "lobby" and reply["room"]["users"] == 1
        assert reply["table"] == {"room": "lobby", "table": 1, "name": "Lobby", "topic": "",
                                  "lurkers": 0,
                                  "members": [{"nick": "alice", "colour": alice.colour}],
                                  "recording": None, "playback": None}
        assert reply["right"] == "participant"
        assert reply["history"] == []
        assert (await alice.cmd("rooms"))["rooms"][0]["users"] == 1


async def test_rooms_sorted_by_name(parley):
    server = parley(ROOMS + "\n[room zebra]\ntitle = Zebra\n[room apple]\ntitle = Apple\n")
    async with await Client.connect(server.port, "alice") as alice:
        rooms = (await alice.cmd("rooms"))["rooms"]
        assert [r["name"] for r in rooms] == ["apple", "duo", "lobby", "zebra"]
        duo = next(r for r in rooms if r["name"] == "duo")
        assert duo == {"name": "duo", "title": "Duo", "topic": "Two per table", "capacity": 2,
                       "tables": 1, "users": 0, "moderated": False, "folder": "/",
                       "right": "participant"}


async def test_overflow_table_at_default_capacity(server):
    """32 people fill table 1; the 33rd opens "Lobby #2"; hopping; the empty overflow closes."""
    users = await connect_many(server.port, [f"user{i:02d}" for i in range(1, 34)])
    try:
        for u in users[:32]:
            reply = await u.enter("lobby")
            assert reply["table"]["table"] == 1, reply["table"]
            assert reply["table"]["name"] == "Lobby"
        assert nicks(reply["table"]) == [u.nick for u in users[:32]]  # in arrival order

        u33 = users[32]
        reply = await u33.enter("lobby")
        assert reply["table"]["table"] == 2
        assert reply["table"]["name"] == "Lobby #2"
        assert nicks(reply["table"]) == ["user33"]
        assert reply["room"]["tables"] == 2 and reply["room"]["users"] == 33
        # Table-mates at table 1 were not told: user33 sits at another table.
        await users[0].no_event("member_entered", nick="user33")

        assert await tables_of(u33, "lobby") == [
            {"number": 1, "name": "Lobby", "users": 32, "lurkers": 0, "capacity": 32, "full": True,
             "topic": ""},
            {"number": 2, "name": "Lobby #2", "users": 1, "lurkers": 0, "capacity": 32,
             "full": False, "topic": ""},
        ]

        # user01 hops to table 2: both tables are told.
        u01 = users[0]
        reply = await u01.cmd("hop", room="lobby", table=2)
        assert reply["table"]["table"] == 2 and reply["table"]["name"] == "Lobby #2"
        assert reply["table"]["room"] == "lobby" and reply["table"]["lurkers"] == 0
        assert reply["table"]["members"] == [{"nick": "user33", "colour": u33.colour},
                                             {"nick": "user01", "colour": u01.colour}]
        assert reply["history"] == []
        hopped = {"room": "lobby", "nick": "user01", "colour": u01.colour, "from_": 1, "to": 2}
        ev = await u33.event("member_hopped", **hopped)
        assert set(ev) == {"type", "room", "nick", "colour", "from", "to"}
        await users[1].event("member_hopped", **hopped)
        await users[31].event("member_hopped", **hopped)
        tables = await tables_of(u33, "lobby")
        assert [(t["number"], t["users"], t["full"]) for t in tables] == [(1, 31, False),
                                                                          (2, 2, False)]

        # user33 hops to table 1 (now with room); user01 then leaves: table 2 closes.
        reply = await u33.cmd("hop", room="lobby", table=1)
        assert reply["table"]["table"] == 1 and nicks(reply["table"])[-1] == "user33"
        await u01.event("member_hopped", nick="user33", from_=2, to=1)
        await users[5].event("member_hopped", nick="user33", from_=2, to=1)
        await u01.cmd("leave", room="lobby")
        tables = await tables_of(u01, "lobby")
        assert [(t["number"], t["users"], t["full"]) for t in tables] == [(1, 32, True)]
        room = next(r for r in (await u01.cmd("rooms"))["rooms"] if r["name"] == "lobby")
        assert room["tables"] == 1 and room["users"] == 32

        # Entering again while table 1 is full reopens table 2.
        reply = await u01.enter("lobby")
        assert reply["table"]["table"] == 2 and reply["table"]["name"] == "Lobby #2"
    finally:
        await close_all(users)


async def test_overflow_with_small_capacity_and_number_reuse(rooms_server):
    port = rooms_server.port
    a, b, c, d, e, f, g, x = await connect_many(port, ["ann", "bob", "cat", "dan", "eve", "fay",
                                                       "gus", "xav"])
    try:
        placed = {}
        for cl in (a, b, c, d, e, f):
            placed[cl.nick] = (await cl.enter("duo"))["table"]
        assert [placed[n]["table"] for n in ("ann", "bob", "cat", "dan", "eve", "fay")] == \
            [1, 1, 2, 2, 3, 3]
        assert placed["eve"]["name"] == "Duo #3"
        assert nicks(placed["dan"]) == ["cat", "dan"]
        assert [t["number"] for t in await tables_of(x, "duo")] == [1, 2, 3]

        # Table 2 empties (one leaves, one disconnects): it closes, table 3 stays.
        await c.cmd("leave", room="duo")
        await d.event("member_left", room="duo", table=2, nick="cat", reason="left")
        await d.close()
        # The disconnect is processed asynchronously.
        tables = await eventually(lambda: tables_of(x, "duo"), lambda t: len(t) == 2)
        assert [t["number"] for t in tables] == [1, 3]
        assert [t["name"] for t in tables] == ["Duo", "Duo #3"]

        # Tables 1 and 3 are full: the next one gets the lowest unused number, 2.
        reply = await g.enter("duo")
        assert reply["table"]["table"] == 2 and reply["table"]["name"] == "Duo #2"
        assert [t["number"] for t in await tables_of(x, "duo")] == [1, 2, 3]
    finally:
        await close_all([a, b, c, e, f, g, x])


async def test_enter_lowest_non_full_table(rooms_server):
    a, b, c, d = await connect_many(rooms_server.port, ["ann", "bob", "cat", "dan"])
    try:
        await a.enter("duo")
        await b.enter("duo")
        assert (await c.enter("duo"))["table"]["table"] == 2
        await a.cmd("leave", room="duo")  # table 1 has a seat again
        assert (await d.enter("duo"))["table"]["table"] == 1
    finally:
        await close_all([a, b, c, d])


async def test_hop_errors(rooms_server):
    a, b, c, d = await connect_many(rooms_server.port, ["ann", "bob", "cat", "dan"])
    try:
        await a.enter("duo")
        await b.enter("duo")
        await c.enter("duo")  # table 2
        await a.fail("already_at_table", "hop", room="duo", table=1)
        await a.fail("no_such_table", "hop", room="duo", table=3)
        await a.fail("no_such_table", "hop", room="duo", table=0)
        await a.fail("no_such_table", "hop", room="duo", table=-1)
        await c.fail("table_full", "hop", room="duo", table=1)
        await d.fail("not_in_room", "hop", room="duo", table=1)
        await d.fail("not_in_room", "hop", room="nosuchroom", table=1)
        # Nothing changed.
        tables = await tables_of(d, "duo")
        assert [(t["number"], t["users"]) for t in tables] == [(1, 2), (2, 1)]
        # A legal hop still works after the errors.
        reply = await b.cmd("hop", room="duo", table=2)
        assert nicks(reply["table"]) == ["cat", "bob"]
    finally:
        await close_all([a, b, c, d])


async def test_hop_replays_new_tables_history(rooms_server):
    a, b, c = await connect_many(rooms_server.port, ["ann", "bob", "cat"])
    try:
        await a.enter("duo")
        await b.enter("duo")
        await c.enter("duo")  # table 2
        await c.say("duo", "at table two")
        await b.say("duo", "at table one")
        await a.cmd("leave", room="duo")
        reply = await c.cmd("hop", room="duo", table=1)
        assert [m["text"] for m in reply["history"]] == ["at table one"]
        assert reply["history"][0]["table"] == 1
        # Table 2 closed when cat hopped away from it.
        assert [t["number"] for t in await tables_of(a, "duo")] == [1]
        await b.event("member_hopped", room="duo", nick="cat", from_=2, to=1)
    finally:
        await close_all([a, b, c])


async def test_enter_leave_errors_and_events(rooms_server):
    a, b = await connect_many(rooms_server.port, ["ann", "bob"])
    try:
        await a.fail("no_such_room", "enter", room="nosuchroom")
        await a.fail("no_such_room", "tables", room="nosuchroom")
        await a.enter("lobby")
        await a.fail("already_in_room", "enter", room="lobby")
        await a.fail("not_in_room", "leave", room="duo")
        await a.fail("not_in_room", "members", room="duo")

        await b.enter("lobby")
        ev = await a.event("member_entered", room="lobby", table=1, nick="bob")
        assert ev == {"type": "member_entered", "room": "lobby", "table": 1, "nick": "bob",
                      "colour": b.colour}
        members = await a.cmd("members", room="lobby")
        assert members["room"] == "lobby" and members["table"] == 1
        assert members["name"] == "Lobby" and members["lurkers"] == 0
        assert members["members"] == [{"nick": "ann", "colour": a.colour},
                                      {"nick": "bob", "colour": b.colour}]

        assert (await b.cmd("leave", room="lobby"))["room"] == "lobby"
        ev = await a.event("member_left", room="lobby", nick="bob")
        assert ev == {"type": "member_left", "room": "lobby", "table": 1, "nick": "bob",
                      "reason": "left"}
        await b.fail("not_in_room", "leave", room="lobby")
        # Leaving and entering again is fine.
        await b.enter("lobby")
        await a.event("member_entered", nick="bob")
        await b.close()
        ev = await a.event("member_left", room="lobby", nick="bob")
        assert ev["reason"] == "disconnected" and ev["table"] == 1
        assert nicks(await a.cmd("members", room="lobby")) == ["ann"]
    finally:
        await close_all([a, b])


async def test_lurkers(rooms_server):
    a, b, lurker = await connect_many(rooms_server.port, ["ann", "bob", "lou"])
    try:
        await a.enter("lobby")
        reply = await lurker.enter("lobby", lurk=True)
        assert reply["table"]["lurkers"] == 1
        assert nicks(reply["table"]) == ["ann"]  # a lurker is not listed, not even to itself
        ev = await a.event("lurkers", room="lobby")
        assert ev == {"type": "lurkers", "room": "lobby", "table": 1, "count": 1}
        await a.no_event("member_entered", nick="lou")

        await b.enter("lobby")
        members = await b.cmd("members", room="lobby")
        assert nicks(members) == ["ann", "bob"] and members["lurkers"] == 1
        tables = await tables_of(b, "lobby")
        assert tables[0]["users"] == 3 and tables[0]["lurkers"] == 1
        room = next(r for r in (await b.cmd("rooms"))["rooms"] if r["name"] == "lobby")
        assert room["users"] == 3

        # The lurker reads everything said but cannot talk.
        ok = await a.say("lobby", "hello all")
        msg = await lurker.event("message", room="lobby", text="hello all")
        assert msg["msg_id"] == ok["msg_id"]
        await lurker.fail("read_only", "say", room="lobby", text="may I?")
        await lurker.fail("read_only", "pm", room="lobby", to="ann", text="psst")

        await lurker.cmd("leave", room="lobby")
        await a.event("lurkers", room="lobby", table=1, count=0)
        await b.event("lurkers", room="lobby", table=1, count=0)
        await a.no_event("member_left", nick="lou")
    finally:
        await close_all([a, b, lurker])


async def test_lurker_takes_a_seat_and_hops_quietly(rooms_server):
    a, lurker, c = await connect_many(rooms_server.port, ["ann", "lou", "cat"])
    try:
        await a.enter("duo")
        assert (await lurker.enter("duo", lurk=True))["table"]["table"] == 1
        reply = await c.enter("duo")  # the lurker counts towards the capacity of 2
        assert reply["table"]["table"] == 2
        tables = await tables_of(c, "duo")
        assert tables[0] == {"number": 1, "name": "Duo", "users": 2, "lurkers": 1,
                             "capacity": 2, "full": True, "topic": ""}

        await a.event("lurkers", room="duo", table=1, count=1)
        reply = await lurker.cmd("hop", room="duo", table=2)
        assert reply["table"]["table"] == 2 and reply["table"]["lurkers"] == 1
        assert nicks(reply["table"]) == ["cat"]
        await a.event("lurkers", room="duo", table=1, count=0)
        await c.event("lurkers", room="duo", table=2, count=1)
        await a.no_event("member_hopped")
        await c.no_event("member_hopped")

        # A lurker alone at an overflow table: the table closes when it leaves.
        await c.cmd("leave", room="duo")
        assert [t["number"] for t in await tables_of(a, "duo")] == [1, 2]
        await lurker.close()
        tables = await eventually(lambda: tables_of(a, "duo"), lambda t: len(t) == 1)
        assert [t["number"] for t in tables] == [1]
    finally:
        await close_all([a, lurker, c])


async def test_tables_without_being_in_room_and_before_hello(server):
    async with await Client.connect(server.port) as anon:
        err = await anon.fail("hello_first", "tables", room="lobby")
        assert err["type"] == "error"
        await anon.hello("anna")
        tables = await tables_of(anon, "lobby")
        assert tables == [{"number": 1, "name": "Lobby", "users": 0, "lurkers": 0,
                           "capacity": 32, "full": False, "topic": ""}]
