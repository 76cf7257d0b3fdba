"""Access control through the real server: the admin API (auth, validation, 404s), access lists
applied at once to people inside (none removes, read-only makes lurkers), host powers (eject with a
ban and its expiry, broadcast, edits pushed to the room).

Guests need no accounts; people who must be told apart from guests (a named host, registered
members) are real accounts, registered over REST and validated by the link of their mail
(accounts_kit.py). The whole permission matrix is in test_permissions.py.
"""

from accounts_kit import FAST, Accounts, connect_account
from conftest import dedent
from parley_client import Client, close_all, connect_many, eventually, http_get, http_request

TOKEN = "s3cret-admin"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = f"""
[server]
admin_token = {TOKEN}
[room lobby]
title = Lobby
[room den]
title = Den
capacity = 2
"""


def admin(server, method, path, body=None, headers=AUTH):
    return http_request(server.port, method, "/api/v1/admin" + path, body=body, headers=headers)


def put_acl(server, path, entries):
    r = admin(server, "PUT", "/acl" + path, {"acl": entries})
    assert r.status == 200, r
    return r.json()


def with_accounts(parley, smtp, extra=""):
    """A server with BASE that mails to smtp; returns (server, Accounts)."""
    server = parley(FAST + smtp.config() + BASE + extra)
    return server, Accounts(server, smtp)


async def account(kit, name):
    """A client signed in as a new registered (e-mail validated) account `name`."""
    return await connect_account(kit.port, kit.registered(name))


def room_names(rooms_reply):
    return [r["name"] for r in rooms_reply["rooms"]]


# ---- admin API ------------------------------------------------------------------------------

def test_admin_auth(parley):
    off = parley()  # no admin_token: the admin API is off
    r = http_get(off.port, "/api/v1/admin/folders", headers=AUTH)
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    on = parley(BASE)
    r = http_get(on.port, "/api/v1/admin/folders")
    assert r.status == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers.get("www-authenticate") == "Bearer"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        for method, path in (("GET", "/folders"), ("POST", "/folders"), ("GET", "/bans"),
                             ("PUT", "/acl/room/lobby"), ("DELETE", "/rooms/den"),
                             ("GET", "/nothing-here")):
            assert admin(on, method, path, {}, headers).status == 401, (headers, method, path)
    assert admin(on, "GET", "/folders").status == 200
    assert admin(on, "GET", "/nothing-here").status == 404
    assert admin(on, "PATCH", "/folders").status == 405


def test_admin_folders_and_rooms(parley):
    server = parley(BASE)
    assert admin(server, "POST", "/folders", {"path": "/events"}).status == 201
    r = admin(server, "POST", "/folders", {"path": "/events/2026"})
    assert r.status == 201 and r.json() == {"folder": {"path": "/events/2026"}}
    for bad in ("/Events", "events", "/a//b", "/", "/a/", 7, None):
        r = admin(server, "POST", "/folders", {"path": bad})
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", bad
    assert admin(server, "POST", "/folders", "not json").status == 400
    r = admin(server, "POST", "/folders", {"path": "/nope/x"})
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_folder"
    r = admin(server, "POST", "/folders", {"path": "/events"})
    assert r.status == 409 and r.json()["error"]["code"] == "folder_exists"

    r = admin(server, "POST", "/rooms", {"name": "party", "title": "Party", "folder": "/events/2026",
                                         "capacity": 5})
    assert r.status == 201, r
    assert r.json()["room"]["folder"] == "/events/2026" and r.json()["room"]["capacity"] == 5
    r = admin(server, "POST", "/rooms", {"name": "lost", "folder": "/nowhere"})
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_folder"
    assert admin(server, "POST", "/rooms", {"name": "party"}).status == 409
    assert admin(server, "POST", "/rooms", {"name": "Bad Name"}).status == 400

    tree = admin(server, "GET", "/folders").json()["folder"]
    assert tree["path"] == "/"
    assert sorted(r["name"] for r in tree["rooms"]) == ["den", "lobby"]
    (events,) = tree["folders"]
    assert events["path"] == "/events" and events["rooms"] == []
    (y2026,) = events["folders"]
    assert [r["name"] for r in y2026["rooms"]] == ["party"]

    r = admin(server, "DELETE", "/folders/events")
    assert r.status == 409 and r.json()["error"]["code"] == "not_empty"
    assert admin(server, "DELETE", "/folders/nope").status == 404
    assert admin(server, "DELETE", "/folders").status == 405

    r = admin(server, "PATCH", "/folders/events", {"path": "/happenings"})
    assert r.status == 200 and r.json() == {"folder": {"path": "/happenings"}}
    assert admin(server, "PATCH", "/folders/events", {"path": "/x"}).status == 404
    assert admin(server, "PATCH", "/folders/happenings", {"path": "/happenings/in"}).status == 400
    assert admin(server, "PATCH", "/folders/happenings", {"path": "/"}).status == 400
    r = admin(server, "PATCH", "/folders/happenings", {"path": "/events"})
    assert r.status == 200
    r = admin(server, "PATCH", "/rooms/party", {"folder": "/events", "topic": "moved",
                                                 "moderated": True})
    assert r.status == 200, r
    assert r.json()["room"]["folder"] == "/events" and r.json()["room"]["moderated"] is True
    assert admin(server, "PATCH", "/rooms/party", {"capacity": 0}).status == 400
    assert admin(server, "PATCH", "/rooms/party", {"capacity": "5"}).status == 400
    assert admin(server, "PATCH", "/rooms/party", {"folder": "/zzz"}).status == 404
    assert admin(server, "PATCH", "/rooms/ghost", {"topic": "x"}).status == 404
    assert admin(server, "DELETE", "/folders/events/2026").status == 200
    server.restart()
    tree = admin(server, "GET", "/folders").json()["folder"]
    (events,) = tree["folders"]
    assert events["folders"] == [] and [r["name"] for r in events["rooms"]] == ["party"]
    assert events["rooms"][0]["topic"] == "moved"
    assert admin(server, "DELETE", "/rooms/party").status == 200
    assert admin(server, "DELETE", "/rooms/party").status == 404
    assert http_get(server.port, "/api/v1/rooms/party").status == 404
    assert admin(server, "DELETE", "/folders/events").status == 200


async def test_admin_delete_room_only_when_empty(parley):
    server = parley(BASE)
    async with await Client.connect(server.port, "gus") as g:
        await g.enter("den")
        r = admin(server, "DELETE", "/rooms/den")
        assert r.status == 409 and r.json()["error"]["code"] == "not_empty"
        await g.cmd("leave", room="den")
        assert admin(server, "DELETE", "/rooms/den").status == 200
        await g.fail("no_such_room", "enter", room="den")


def test_admin_acls_and_groups(parley):
    server = parley(BASE)
    r = admin(server, "GET", "/acl/room/lobby")
    assert r.status == 200 and r.json() == {"object": {"room": "lobby", "table": None},
                                            "acl": None}
    entries = [{"who": "user", "name": "zoë", "right": "host"},
               {"who": "group", "name": "crew", "right": "moderated"},
               {"who": "registered", "right": "participant"},
               {"who": "guests", "right": "read_only"}]
    assert put_acl(server, "/room/lobby", entries)["acl"] == entries
    assert put_acl(server, "/room/lobby/table/3", entries[3:])["object"] == {"room": "lobby",
                                                                               "table": 3}
    assert put_acl(server, "/folder", entries[2:])["object"] == {"folder": "/"}
    for bad in ([{"who": "guests", "right": "read-only"}],
                [{"who": "people", "right": "host"}],
                [{"who": "user", "right": "host"}],
                [{"who": "guests", "right": "host"}, {"who": "guests", "right": "none"}],
                [{"who": "group", "name": "Not A Group", "right": "host"}],
                "guests", [["guests", "host"]]):
        r = admin(server, "PUT", "/acl/room/lobby", {"acl": bad})
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", bad
    assert admin(server, "PUT", "/acl/room/ghost", {"acl": []}).status == 404
    assert admin(server, "PUT", "/acl/folder/ghost", {"acl": []}).status == 404
    assert admin(server, "GET", "/acl/room/lobby/table/0").status == 404
    assert admin(server, "GET", "/acl/room/lobby/chairs/1").status == 404
    assert admin(server, "DELETE", "/acl/room/lobby").status == 405
    server.restart()
    assert admin(server, "GET", "/acl/room/lobby").json()["acl"] == entries
    assert admin(server, "GET", "/acl/room/lobby/table/3").json()["acl"] == entries[3:]
    # empty and null both mean: inherit
    assert put_acl(server, "/room/lobby", [])["acl"] is None
    assert put_acl(server, "/room/lobby/table/3", None)["acl"] is None
    assert admin(server, "PUT", "/acl/folder", {}).json()["acl"] is None

    r = admin(server, "PUT", "/user-groups/crew", {"members": ["zoë", "al", "al"]})
    assert r.status == 200 and r.json() == {"group": {"name": "crew", "members": ["al", "zoë"]}}
    assert admin(server, "PUT", "/user-groups/empty", {"members": []}).status == 200
    for bad in ({"members": "al"}, {"members": [1]}, {"members": [""]}, {}):
        assert admin(server, "PUT", "/user-groups/crew", bad).status == 400, bad
    assert admin(server, "PUT", "/user-groups/Bad!", {"members": []}).status == 400
    assert admin(server, "GET", "/user-groups").json() == {"groups": [
        {"name": "crew", "members": ["al", "zoë"]}, {"name": "empty", "members": []}]}
    assert admin(server, "DELETE", "/user-groups/empty").status == 200
    r = admin(server, "DELETE", "/user-groups/empty")
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_user_group"
    server.restart()
    assert [g["name"] for g in admin(server, "GET", "/user-groups").json()["groups"]] == ["crew"]


# ---- rights applied at once ------------------------------------------------------------------

async def test_guests_none_hides_the_room_and_removes_them(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    gus, mia = await connect_many(server.port, ["gus", "mia"])
    reg = await account(kit, "reg")
    try:
        for c in (reg, gus, mia):
            await c.enter("lobby")
        rooms = await gus.cmd("rooms")
        assert "lobby" in room_names(rooms)
        assert all(r["right"] == "participant" for r in rooms["rooms"])
        put_acl(server, "/room/lobby", [{"who": "guests", "right": "none"},
                                        {"who": "registered", "right": "participant"}])
        for g in (gus, mia):
            ev = await g.event("rights", room="lobby")
            assert ev == {"type": "rights", "room": "lobby", "table": 1, "right": "none"}
        await reg.event("member_left", room="lobby", nick="gus", reason="access")
        await reg.event("member_left", room="lobby", nick="mia", reason="access")
        await reg.no_event("rights")
        # the room is gone for guests, with no hint that it exists
        assert room_names(await gus.cmd("rooms")) == ["den"]
        await gus.fail("no_such_room", "enter", room="lobby")
        await gus.fail("no_such_room", "tables", room="lobby")
        await gus.fail("not_in_room", "say", room="lobby", text="hello?")
        assert [r["name"] for r in http_get(server.port, "/api/v1/rooms").json()["rooms"]] == \
            ["den"]
        assert http_get(server.port, "/api/v1/rooms/lobby").status == 404
        assert http_get(server.port, "/api/v1/rooms/lobby/history").status == 404
        assert (await reg.cmd("members", room="lobby"))["members"] == \
            [{"nick": "reg", "colour": reg.colour}]
        # inherit again: back for guests
        put_acl(server, "/room/lobby", None)
        assert "lobby" in room_names(await gus.cmd("rooms"))
        await gus.enter("lobby")
    finally:
        await close_all([gus, mia, reg])


async def test_read_only_turns_members_into_lurkers_and_back(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    gus = await Client.connect(server.port, "gus")
    reg = await account(kit, "reg")
    try:
        await reg.enter("lobby")
        await gus.enter("lobby")
        put_acl(server, "/folder", [{"who": "guests", "right": "read_only"},
                                    {"who": "registered", "right": "participant"}])
        assert (await gus.event("rights", room="lobby"))["right"] == "read_only"
        await reg.event("member_left", room="lobby", nick="gus", reason="access")
        await reg.event("lurkers", room="lobby", table=1, count=1)
        await gus.fail("read_only", "say", room="lobby", text="hello")
        await gus.fail("read_only", "pm", room="lobby", to="reg", text="psst")
        await reg.say("lobby", "still here")
        await gus.event("message", text="still here")  # a lurker still reads
        rooms = (await gus.cmd("rooms"))["rooms"]
        assert {r["right"] for r in rooms} == {"read_only"}
        # entering a read-only room seats a lurker whatever was asked
        reply = await gus.enter("den")
        assert reply["right"] == "read_only" and reply["table"]["members"] == []
        put_acl(server, "/folder", None)
        assert (await gus.event("rights", room="lobby"))["right"] == "participant"
        await reg.event("lurkers", room="lobby", table=1, count=0)
        await reg.event("member_entered", room="lobby", nick="gus")
        await gus.say("lobby", "I can talk again")
    finally:
        await close_all([gus, reg])


async def test_table_lists_hide_tables(parley):
    server = parley(BASE)
    a, b, c = await connect_many(server.port, ["amy", "ben", "cal"])
    try:
        put_acl(server, "/room/den/table/2", [{"who": "guests", "right": "none"}])
        await a.enter("den")
        await b.enter("den")
        reply = await c.enter("den")  # table 1 is full, table 2 is closed to guests
        assert reply["table"]["table"] == 3 and reply["right"] == "participant"
        tables = (await c.cmd("tables", room="den"))["tables"]
        assert [t["number"] for t in tables] == [1, 3]
        await c.fail("no_such_table", "hop", room="den", table=2)
        await a.cmd("leave", room="den")
        reply = await c.cmd("hop", room="den", table=1)
        assert reply["right"] == "participant" and reply["table"]["table"] == 1
    finally:
        await close_all([a, b, c])


# ---- host powers -----------------------------------------------------------------------------

async def host_setup(server, kit):
    """hank (named host of den, an account) and gus (a guest) at table 1, mia (an account) at
    table 2."""
    put_acl(server, "/room/den", [{"who": "user", "name": "hank", "right": "host"},
                                  {"who": "registered", "right": "participant"},
                                  {"who": "guests", "right": "participant"}])
    hank = await account(kit, "hank")
    gus = await Client.connect(server.port, "gus")
    mia = await account(kit, "mia")  # every test client shares 127.0.0.1: an address
    # ban on gus would catch a guest mia too
    assert (await hank.enter("den"))["right"] == "host"
    await gus.enter("den")
    assert (await mia.enter("den"))["table"]["table"] == 2
    assert [r["right"] for r in (await hank.cmd("rooms"))["rooms"] if r["name"] == "den"] == \
        ["host"]
    return hank, gus, mia


async def test_eject_with_ban_and_expiry(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    others = []
    try:
        # only hosts may; a host may not be ejected by one who is not a sysop
        await mia.fail("forbidden", "eject", room="den", nick="gus")
        await mia.fail("forbidden", "eject", room="den", nick="hank")
        await gus.fail("not_in_room", "eject", room="lobby", nick="hank")
        await hank.fail("no_such_user", "eject", room="den", nick="nobody")
        await hank.fail("bad_request", "eject", room="den", nick="gus", ban=-1)
        await hank.fail("bad_request", "eject", room="den", nick="gus", scope="house")

        ok = await hank.cmd("eject", room="den", nick="gus", ban=1, reason="calm down")
        assert ok["room"] == "den" and ok["nick"] == "gus" and isinstance(ok["until"], int)
        ev = await gus.event("ejected", room="den")
        assert ev == {"type": "ejected", "room": "den", "table": None, "by": "hank",
                      "reason": "calm down", "until": ok["until"]}
        await hank.event("member_left", room="den", nick="gus", reason="ejected")
        await mia.no_event("member_left", nick="gus")  # another table

        bans = admin(server, "GET", "/bans").json()["bans"]
        assert len(bans) == 1 and bans[0]["who"] == "nick:gus" and bans[0]["by"] == "hank"
        assert bans[0]["table"] is None and len(bans[0]["address_hash"]) == 16
        # banned: the room is invisible, also under a new nickname from the same address
        assert "den" not in room_names(await gus.cmd("rooms"))
        await gus.fail("no_such_room", "enter", room="den")
        gus2 = await Client.connect(server.port, "gus2")
        others.append(gus2)
        await gus2.fail("no_such_room", "enter", room="den")
        # ...but not the host who banned from that address, nor other rooms
        await gus.enter("lobby")

        # the ban ends by itself
        async def try_enter():
            return await gus.request("enter", room="den")

        reply = await eventually(try_enter, lambda m: m["type"] == "ok", tries=200)
        assert reply["type"] == "ok", reply
        assert admin(server, "GET", "/bans").json()["bans"] == []

        # a table ban with a long time, lifted by the admin API
        ok = await hank.cmd("eject", room="den", nick="mia", scope="table", ban=3600)
        assert (await mia.event("ejected", room="den"))["table"] == 2
        (ban,) = admin(server, "GET", "/bans").json()["bans"]
        assert ban["table"] == 2 and ban["until"] == ok["until"]
        await hank.fail("no_such_user", "eject", room="den", nick="hank")  # not yourself
        lift = {"room": "den", "table": 2, "who": "account:mia"}
        assert admin(server, "DELETE", "/bans", lift).status == 200
        assert admin(server, "DELETE", "/bans", lift).status == 404
        assert admin(server, "DELETE", "/bans", {"room": "den"}).status == 400
        await mia.enter("den")
    finally:
        await close_all([hank, gus, mia] + others)


async def test_broadcast_reaches_every_table(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    try:
        await gus.fail("forbidden", "broadcast", room="den", text="me too")
        await hank.fail("text_empty", "broadcast", room="den", text="  ")
        ok = await hank.cmd("broadcast", room="den", text="closing in 5 minutes")
        for who, table in ((hank, 1), (gus, 1), (mia, 2)):
            ev = await who.event("broadcast", room="den")
            assert ev == {"type": "broadcast", "room": "den", "table": table, "ts": ok["ts"],
                          "from": "hank", "colour": hank.colour, "text": "closing in 5 minutes"}
        await gus.no_event("message")
    finally:
        await close_all([hank, gus, mia])


async def test_edits_pushed_to_the_room(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    try:
        await gus.fail("forbidden", "edit_room", room="den", topic="mine")
        await gus.fail("forbidden", "edit_table", room="den", table=1, topic="mine")
        await hank.fail("bad_request", "edit_room", room="den", capacity=0)
        await hank.fail("bad_request", "edit_room", room="den", moderated="yes")
        await hank.fail("no_such_table", "edit_table", room="den", table=0, topic="x")
        ok = await hank.cmd("edit_room", room="den", title="The Den", topic="cosy", capacity=3)
        assert ok["room"]["title"] == "The Den" and ok["room"]["capacity"] == 3
        for who in (hank, gus, mia):
            ev = await who.event("room_updated")
            assert ev["room"] == ok["room"]
        ok = await hank.cmd("edit_table", room="den", table=2, topic="quiet corner")
        assert ok == {"type": "ok", "id": ok["id"], "room": "den", "table": 2,
                      "topic": "quiet corner"}
        ev = await mia.event("table_updated")
        assert ev == {"type": "table_updated", "room": "den", "table": 2, "topic": "quiet corner"}
        await gus.no_event("table_updated")
        tables = (await gus.cmd("tables", room="den"))["tables"]
        assert [t["topic"] for t in tables] == ["", "quiet corner"]
        assert [t["name"] for t in tables] == ["The Den", "The Den #2"]
        # the sysop's API pushes too; moderating a room changes the guests' right at once
        r = admin(server, "PATCH", "/rooms/den", {"moderated": True})
        assert r.status == 200
        assert (await gus.event("room_updated"))["room"]["moderated"] is True
        assert (await gus.event("rights", room="den"))["right"] == "moderated"
        await hank.no_event("rights")
        server.restart()
        async with await Client.connect(server.port, "amy") as amy:
            reply = await amy.enter("den")
            # (the title comes from the configuration again, which wins at start)
            assert reply["room"]["topic"] == "cosy" and reply["room"]["moderated"] is True
            assert reply["right"] == "moderated"
            others = await connect_many(server.port, ["bo", "cy", "di"])
            try:
                for o in others[:2]:
                    await o.enter("den")
                reply = await others[2].enter("den")  # capacity 3: table 2 reopens, topic kept
                assert reply["table"]["table"] == 2
                assert reply["table"]["topic"] == "quiet corner"
            finally:
                await close_all(others)
    finally:
        await close_all([hank, gus, mia])


def test_config_access_defaults(parley):
    server = parley(dedent("""
        [access]
        registered = participant
        guests = none
    """))
    assert http_get(server.port, "/api/v1/rooms").json() == {"rooms": []}
    bad = parley(start=False, config="[access]\nguests = read-only\n")
    try:
        bad.start()
        raise AssertionError("a bad right was accepted")
    except AssertionError as e:
        assert "guests must be none, read_only, moderated, participant or host" in str(e), e


async def test_access_admin_per_chat_group(parley):
    """Folders, lists and user groups belong to the chat group whose prefix the request names."""
    server = parley(BASE + "\n[group acme]\ntitle = ACME\n[room acme/support]\ntitle = Support\n")

    def acme(method, path, body=None):
        return http_request(server.port, method, "/g/acme/api/v1/admin" + path, body=body,
                            headers=AUTH)

    assert acme("POST", "/folders", {"path": "/staff"}).status == 201
    assert acme("PATCH", "/rooms/support", {"folder": "/staff"}).status == 200
    assert acme("PUT", "/user-groups/crew", {"members": ["ann"]}).status == 200
    r = acme("PUT", "/acl/folder/staff", {"acl": [{"who": "guests", "right": "none"}]})
    assert r.status == 200
    assert admin(server, "GET", "/folders").json()["folder"]["folders"] == []
    assert admin(server, "GET", "/user-groups").json() == {"groups": []}
    assert admin(server, "GET", "/acl/folder/staff").status == 404
    assert acme("PATCH", "/rooms/lobby", {"topic": "x"}).status == 404  # the default group's
    assert http_get(server.port, "/g/acme/api/v1/rooms").json() == {"rooms": []}
    assert [r["name"] for r in http_get(server.port, "/api/v1/rooms").json()["rooms"]] == \
        ["den", "lobby"]
    async with await Client.connect(server.port, "gus", path="/g/acme/ws") as g:
        assert (await g.cmd("rooms"))["rooms"] == []
        await g.fail("no_such_room", "enter", room="support")


async def test_host_commands_bad_input(parley, smtp):
    """Every malformed host command gets a clear error and changes nothing."""
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    try:
        for args in ({}, {"room": "den"}, {"room": "den", "nick": 5}, {"room": 1, "nick": "gus"},
                     {"room": "den", "nick": "gus", "ban": "60"},
                     {"room": "den", "nick": "gus", "ban": 1.5},
                     {"room": "den", "nick": "gus", "ban": 10 ** 12},
                     {"room": "den", "nick": "gus", "reason": "x" * 201},
                     {"room": "den", "nick": "gus", "reason": 7},
                     {"room": "den", "nick": "gus\u0000"}):
            await hank.fail("bad_request", "eject", **args)
        for args in ({"room": "den"}, {"room": "den", "text": ["hi"]}, {"text": "hi"}):
            await hank.fail("bad_request", "broadcast", **args)
        await hank.fail("text_too_long", "broadcast", room="den", text="x" * 4001)
        for args in ({"room": "den", "title": 5}, {"room": "den", "topic": None},
                     {"room": "den", "capacity": "3"}, {"room": "den", "title": ""}):
            await hank.fail("bad_request", "edit_room", **args)
        for args in ({"room": "den", "table": "1", "topic": "x"}, {"room": "den", "table": 1},
                     {"room": "den", "table": 1, "topic": 3}):
            await hank.fail("bad_request", "edit_table", **args)
        await hank.fail("no_such_table", "edit_table", room="den", table=10 ** 6, topic="x")
        await hank.fail("text_too_long", "edit_table", room="den", table=1, topic="x" * 1001)
        await hank.fail("not_in_room", "edit_table", room="nowhere", table=1, topic="x")
        await gus.fail("not_in_room", "broadcast", room="nowhere", text="x")
        # nothing changed, nobody was ejected
        assert (await hank.cmd("members", room="den"))["members"] == \
            [{"nick": "hank", "colour": hank.colour}, {"nick": "gus", "colour": gus.colour}]
        assert admin(server, "GET", "/bans").json() == {"bans": []}
        for c in (hank, gus, mia):
            await c.ping()
        # hello checks a token's type, and an account in hello is only ever a token's
        c = await Client.connect(server.port)
        await c.fail("bad_request", "hello", token=5)
        await c.fail("bad_request", "hello", nick="zed", token=["x"])
        reply = await c.cmd("hello", nick="zed", account="hank", sysop=True)  # (ignored)
        assert (reply["class"], reply["sysop"]) == ("guest", False)
        assert (await c.enter("den"))["right"] == "participant"
        await c.fail("forbidden", "eject", room="den", nick="gus")
        await c.close()
    finally:
        await close_all([hank, gus, mia])


def test_admin_bad_bodies(parley):
    server = parley(BASE)
    too_many = [{"who": "user", "name": f"u{i}", "right": "host"} for i in range(257)]
    assert admin(server, "PUT", "/acl/room/lobby", {"acl": too_many}).status == 400
    assert admin(server, "PUT", "/acl/room/lobby", {"acl": too_many[:256]}).status == 200
    for body in ("[]", "{", "null", '"x"', "{\"acl\": 5}"):
        r = http_request(server.port, "PUT", "/api/v1/admin/acl/folder", body=body, headers=AUTH)
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", body
    for body in ("[]", "", "{\"room\": \"den\", \"who\": \"nick:x\", \"table\": \"2\"}",
                 "{\"room\": \"den\", \"who\": \"nick:x\", \"table\": -1}"):
        r = http_request(server.port, "DELETE", "/api/v1/admin/bans", body=body, headers=AUTH)
        assert r.status == 400, body
    r = admin(server, "DELETE", "/bans", {"room": "ghost", "who": "nick:x"})
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_room"
    r = admin(server, "DELETE", "/bans", {"room": "den", "who": "nick:x"})
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_ban"
    assert admin(server, "PATCH", "/rooms/den", "not json").status == 400
    assert admin(server, "POST", "/rooms", {"name": "x", "folder": 5}).status == 400
    assert http_get(server.port, "/healthz").status == 200
