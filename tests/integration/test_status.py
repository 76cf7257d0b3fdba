"""The chat status (issue 5, point 5): GET /api/v1/admin/status, a live snapshot of the request's
group (users, lurkers, open and overflow tables, messages per minute per room and table, the last
hour's history), and the per-group and per-room gauges of /metrics."""

from parley_client import Client, close_all, http_get

TOKEN = "status-admin"
CONFIG = f"""
[server]
admin_token = {TOKEN}

[room lobby]
title = Lobby

[room duo]
title = Duo
capacity = 2

[group acme]

[room acme/support]
title = Support
"""
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def status(port, prefix=""):
    r = http_get(port, prefix + "/api/v1/admin/status", headers=AUTH)
    assert r.status == 200, r
    return r.json()


async def test_snapshot_counts_people_lurkers_overflow_and_messages(parley):
    s = parley(CONFIG)
    alice, bob, carol, dave = [await Client.connect(s.port, n)
                               for n in ("alice", "bob", "carol", "dave")]
    try:
        assert (await alice.enter("duo"))["table"]["table"] == 1
        assert (await bob.enter("duo"))["table"]["table"] == 1
        assert (await carol.enter("duo"))["table"]["table"] == 2  # table 1 is full
        assert (await dave.enter("duo", lurk=True))["table"]["table"] == 2
        for i in range(3):
            await alice.say("duo", f"hello {i}")
        for i in range(2):
            await carol.say("duo", f"hi {i}")

        st = status(s.port)
        assert st["group"] == "default"
        assert isinstance(st["t"], int) and st["t"] > 0
        assert (st["users"], st["lurkers"], st["sessions"], st["messages_per_minute"]) == \
            (4, 1, 4, 5)
        assert st["slow_readers_dropped"] == 0
        rooms = {r["name"]: r for r in st["rooms"]}
        assert sorted(rooms) == ["duo", "lobby"]
        assert rooms["duo"] == {
            "name": "duo", "users": 4, "lurkers": 1, "open_tables": 2, "overflow_tables": 1,
            "messages_per_minute": 5,
            "tables": [
                {"number": 1, "name": "Duo", "users": 2, "lurkers": 0, "messages_per_minute": 3},
                {"number": 2, "name": "Duo #2", "users": 2, "lurkers": 1,
                 "messages_per_minute": 2},
            ]}
        assert rooms["lobby"]["users"] == 0 and rooms["lobby"]["overflow_tables"] == 0
        assert rooms["lobby"]["messages_per_minute"] == 0
        # the history starts with the group's opening, sampled once a minute
        assert len(st["history"]) >= 1
        assert set(st["history"][0]) == {"t", "users", "messages_per_minute"}
        assert st["history"][0]["t"] <= st["t"]

        # people leave: the overflow table closes; its messages still count for the room
        await carol.cmd("leave", room="duo")
        await dave.cmd("leave", room="duo")
        duo = {r["name"]: r for r in status(s.port)["rooms"]}["duo"]
        assert (duo["users"], duo["lurkers"], duo["open_tables"], duo["overflow_tables"],
                duo["messages_per_minute"]) == (2, 0, 1, 0, 5)
        assert [t["number"] for t in duo["tables"]] == [1]

        m = s.metrics()
        assert m['parley_group_users{group="default"}'] == 2
        assert m['parley_group_lurkers{group="default"}'] == 0
        assert m['parley_group_messages_per_minute{group="default"}'] == 5
        assert m['parley_group_users{group="acme"}'] == 0
        assert m['parley_room_users{group="default",room="duo"}'] == 2
        assert m['parley_room_messages_per_minute{group="default",room="duo"}'] == 5
        assert m['parley_room_messages_per_minute{group="acme",room="support"}'] == 0
        for name in ("parley_group_users", "parley_group_lurkers",
                     "parley_group_messages_per_minute", "parley_room_users",
                     "parley_room_messages_per_minute"):
            assert m.types[name] == "gauge"
    finally:
        await close_all([alice, bob, carol, dave])


async def test_groups_are_isolated(parley):
    s = parley(CONFIG)
    zed = await Client.connect(s.port, "zed", path="/g/acme/ws")
    yan = await Client.connect(s.port, "yan", path="/g/acme/ws")
    amy = await Client.connect(s.port, "amy")
    try:
        await zed.enter("support")
        await yan.enter("support", lurk=True)
        await zed.say("support", "anyone?")
        await amy.enter("lobby")
        acme = status(s.port, "/g/acme")
        assert acme["group"] == "acme"
        assert (acme["users"], acme["lurkers"], acme["sessions"], acme["messages_per_minute"]) == \
            (2, 1, 2, 1)
        assert [r["name"] for r in acme["rooms"]] == ["support"]
        default = status(s.port)
        assert (default["users"], default["lurkers"], default["sessions"],
                default["messages_per_minute"]) == (1, 0, 1, 0)
        m = s.metrics()
        assert m['parley_group_users{group="acme"}'] == 2
        assert m['parley_group_messages_per_minute{group="acme"}'] == 1
        assert m['parley_group_users{group="default"}'] == 1
        assert m['parley_group_messages_per_minute{group="default"}'] == 0
    finally:
        await close_all([zed, yan, amy])


def test_status_needs_the_admin(parley):
    s = parley(CONFIG)
    r = http_get(s.port, "/api/v1/admin/status")
    assert r.status == 401 and r.headers["www-authenticate"] == "Bearer"
    r = http_get(s.port, "/api/v1/admin/status", headers={"Authorization": "Bearer wrong"})
    assert r.status == 401
    r = http_get(s.port, "/g/acme/api/v1/admin/status", headers={"Authorization": "Bearer x"})
    assert r.status == 401
    r = http_get(s.port, "/api/v1/admin/status", headers=dict(AUTH, **{}))
    assert r.status == 200


def test_status_is_get_only(parley):
    from parley_client import http_request
    s = parley(CONFIG)
    r = http_request(s.port, "POST", "/api/v1/admin/status", body=b"{}", headers=AUTH)
    assert r.status == 405 and r.headers["allow"] == "GET"
