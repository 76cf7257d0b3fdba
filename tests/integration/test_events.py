"""Hosted events (docs/PROTOCOL.md, "Hosted events") through the real server, the issue's end to
end: a sysop creates an event over REST with a speaker, a host and a monitor; 100 audience guests
join and land on three audience tables (40/40/20); the speaker talks on the stage to all of them
while the audience can only read there; the audience talks at its own tables; the monitor watches
every table, forwards a question backstage, the host forwards it to the stage and the speaker
answers; the host broadcasts to every audience table; the event ends (over REST, and a second one
by its schedule), everyone is told and taken out, nobody gets back in, and a restart keeps it all.
"""

import asyncio
import time

from accounts_kit import FAST, Accounts, connect_account, create_sysop
from conftest import FLOOD_OFF
from parley_client import Client, close_all, http_get, http_request

TOKEN = "s3cret-admin"
CONFIG = f"""
[server]
admin_token = {TOKEN}
max_connections_per_address = 400
"""
AUDIENCE = 100


def api(server, method, path, token, body=None):
    return http_request(server.port, method, "/api/v1/admin/events" + path, body=body,
                        headers={"Authorization": f"Bearer {token}"})


async def start(parley, smtp):
    """A server with a sysop `root`; returns (server, Accounts, the sysop's token)."""
    server = parley(FAST + FLOOD_OFF + smtp.config() + CONFIG, start=False)
    create_sysop(server, "root")
    server.start()
    kit = Accounts(server, smtp)
    return server, kit, kit.sysop("root")


async def bounded(n, make, limit=20):
    """make(i) for i in range(n), at most `limit` at a time, in order of i."""
    sem = asyncio.Semaphore(limit)

    async def one(i):
        async with sem:
            return await make(i)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def test_event_end_to_end(parley, smtp):
    server, kit, root = await start(parley, smtp)
    r = api(server, "POST", "", root, {"name": "ask", "title": "Ask Ada", "speakers": ["ada"],
                                       "hosts": ["hank"], "monitors": ["mona"]})
    assert r.status == 201, r
    ev = r.json()["event"]
    assert ev["state"] == "open" and ev["audience_capacity"] == 40 and ev["opens"] is None
    assert ev["rooms"] == {"stage": "ask", "audience": "ask-audience",
                           "backstage": "ask-backstage"}
    assert (ev["speakers"], ev["hosts"], ev["monitors"]) == (["ada"], ["hank"], ["mona"])
    assert api(server, "POST", "", root, {"name": "ask"}).json()["error"]["code"] == \
        "event_exists"
    public = http_get(server.port, "/api/v1/events").json()["events"]
    assert [e["name"] for e in public] == ["ask"] and "role" not in public[0]

    ada = await connect_account(server.port, kit.registered("ada"))
    hank = await connect_account(server.port, kit.registered("hank"))
    mona = await connect_account(server.port, kit.registered("mona"))
    staff = [ada, hank, mona]
    audience = []
    try:
        j = await ada.cmd("join_event", event="ask")
        assert j["role"] == "speaker" and j["audience"] is None and j["watching"] is None
        assert j["stage"]["right"] == "participant" and j["backstage"]["room"]["name"] == \
            "ask-backstage"
        j = await hank.cmd("join_event", event="ask")
        assert j["role"] == "host" and j["stage"]["right"] == "host"
        assert j["watching"]["room"] == "ask-audience"
        j = await mona.cmd("join_event", event="ask")
        assert j["role"] == "monitor" and j["stage"]["right"] == "read_only"
        assert j["watching"]["tables"][0]["history"] == []
        assert (await mona.cmd("events"))["events"][0]["role"] == "monitor"

        async def join(i):
            c = await Client.connect(server.port, f"guest{i:03d}")
            reply = await c.cmd("join_event", event="ask")
            return c, reply

        joined = await bounded(AUDIENCE, join)
        audience = [c for c, _ in joined]
        tables = {}
        for c, reply in joined:
            assert reply["role"] == "audience" and reply["backstage"] is None
            assert reply["stage"]["right"] == "read_only"
            tables.setdefault(reply["audience"]["table"]["table"], []).append(c)
        assert sorted((t, len(cs)) for t, cs in tables.items()) == [(1, 40), (2, 40), (3, 20)]
        full = api(server, "GET", "/ask", root).json()["event"]
        assert [t["users"] for t in full["audience_tables"]] == [40, 40, 20]
        assert full["users"] == AUDIENCE + 3

        # the speaker on stage reaches all 100; the audience cannot talk there
        await ada.say("ask", "Welcome, everyone!")
        await asyncio.gather(*(c.event("message", room="ask", nick="ada",
                                       text="Welcome, everyone!") for c in audience))
        await audience[0].fail("read_only", "say", room="ask", text="me too")

        # the audience talks at its tables: only table-mates hear, the monitor hears all tables
        first = {t: cs[0] for t, cs in tables.items()}
        said = {}
        for t, c in sorted(first.items()):
            said[t] = (await c.say("ask-audience", f"question from table {t}"))["msg_id"]
        await asyncio.gather(*(c.event("message", room="ask-audience", table=1,
                                       text="question from table 1") for c in tables[1]))
        for t in (2, 3):
            await tables[t][1].no_event("message", text="question from table 1")
        for t in (1, 2, 3):
            m = await mona.event("message", room="ask-audience", table=t,
                                 text=f"question from table {t}")
            assert "asked_by" not in m
        await mona.no_event("message", text="question from table 3")  # once each

        # the monitor forwards table 3's question backstage; host and speaker see who asked
        asker = first[3].nick
        fw = await mona.cmd("forward", room="ask-audience", table=3, msg_id=said[3],
                            to="backstage")
        assert fw["room"] == "ask-backstage" and fw["table"] == 1
        want = f"{asker} asks: question from table 3"
        for c in (hank, ada):
            m = await c.event("message", room="ask-backstage", msg_id=fw["msg_id"])
            assert m["text"] == want and m["asked_by"] == asker and m["nick"] == "mona"
        await first[3].fail("forbidden", "forward", room="ask-audience", table=3,
                            msg_id=said[3], to="backstage")
        await mona.fail("no_such_message", "forward", room="ask-audience", table=3,
                        msg_id=said[3] + 100000, to="backstage")
        await mona.fail("forbidden", "forward", room="ask-backstage", table=1,
                        msg_id=fw["msg_id"], to="stage")

        # the host puts it on stage and the speaker answers: all 100 see both
        on = await hank.cmd("forward", room="ask-backstage", table=1, msg_id=fw["msg_id"],
                            to="stage")
        await ada.say("ask", "A loop repeats.")
        for c in audience:
            m = await c.event("message", room="ask", msg_id=on["msg_id"])
            assert m["text"] == want and m["asked_by"] == asker and m["nick"] == "hank"
            await c.event("message", room="ask", text="A loop repeats.")

        # the host broadcasts to every audience table
        await hank.cmd("broadcast", room="ask-audience", text="Five minutes left")
        for t, cs in tables.items():
            await asyncio.gather(*(c.event("broadcast", room="ask-audience", table=t,
                                           text="Five minutes left") for c in cs))

        metrics = server.metrics()
        assert metrics['parley_events{group="default",state="open"}'] == 1
        assert metrics['parley_events{group="default",state="ended"}'] == 0

        # the end over REST: everyone told once, rooms emptied, overflow tables closed
        r = api(server, "POST", "/ask/end", root)
        assert r.status == 200 and r.json()["event"]["state"] == "ended"
        everyone = staff + audience
        for c in everyone:
            e = await c.event("event_state", event="ask")
            assert e == {"type": "event_state", "event": "ask", "state": "ended",
                         "reason": "ended by admin"}
        full = api(server, "GET", "/ask", root).json()["event"]
        assert full["users"] == 0 and [t["users"] for t in full["audience_tables"]] == [0]
        # the stage was recorded while the event was open, and the recording is kept
        r = http_request(server.port, "GET", "/api/v1/admin/recordings?room=ask",
                         headers={"Authorization": f"Bearer {root}"})
        recs = r.json()["recordings"]
        assert len(recs) == 1 and recs[0]["table"] == 1 and not recs[0]["running"], recs
        assert recs[0]["messages"] >= 3  # the welcome, the question and the answer
        await audience[5].fail("event_ended", "join_event", event="ask")
        await hank.fail("event_ended", "join_event", event="ask")
        await audience[5].fail("event_ended", "enter", room="ask-audience")
        assert http_get(server.port, "/api/v1/events").json()["events"] == []
        assert [e["name"] for e in (await hank.cmd("events"))["events"]] == ["ask"]
        assert (await audience[5].cmd("events"))["events"] == []

        # a second event ends by itself at closes
        closes = int(time.time() * 1000) + 3000
        r = api(server, "POST", "", root, {"name": "quick", "closes": closes,
                                           "audience_capacity": 5})
        assert r.status == 201 and r.json()["event"]["closes"] == closes
        await audience[7].cmd("join_event", event="quick")
        e = await audience[7].event("event_state", event="quick", timeout=15)
        assert e["state"] == "ended" and e["reason"] == "closed"
        assert time.time() * 1000 >= closes
        await audience[7].fail("event_ended", "join_event", event="quick")
    finally:
        await close_all(staff + audience)

    server.restart()
    for name in ("ask", "quick"):
        r = api(server, "GET", "/" + name, root)
        assert r.status == 200 and r.json()["event"]["state"] == "ended", r
    assert api(server, "GET", "/ask", root).json()["event"]["speakers"] == ["ada"]
    r = api(server, "DELETE", "/ask", root)
    assert r.status == 200
    assert api(server, "GET", "/ask", root).status == 404
    assert http_get(server.port, "/api/v1/rooms/ask").status == 404


async def test_schedule_rights_and_admin(parley, smtp):
    server, kit, root = await start(parley, smtp)
    soon = int(time.time() * 1000) + 3600 * 1000
    bad = [{"name": "Bad"}, {"name": "x" * 21}, {"name": "x", "opens": soon, "closes": soon},
           {"name": "x", "audience_capacity": 0}, {"name": "x", "hosts": "hank"},
           {"name": "x", "opens": "soon"}]
    for body in bad:
        r = api(server, "POST", "", TOKEN, body)
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", (body, r)
    r = http_request(server.port, "POST", "/api/v1/admin/events", body={"name": "x"})
    assert r.status == 401
    r = api(server, "POST", "", TOKEN, {"name": "later", "opens": soon, "hosts": ["hank"],
                                        "audience_capacity": 2, "moderated": True})
    assert r.status == 201 and r.json()["event"]["state"] == "scheduled"
    assert r.json()["event"]["moderated"] is True
    assert api(server, "GET", "/nope", TOKEN).status == 404
    assert api(server, "DELETE", "/later", TOKEN).json()["error"]["code"] == "not_empty"

    hank = await connect_account(server.port, kit.registered("hank"))
    gus = await Client.connect(server.port, "gus")
    try:
        await gus.fail("no_such_event", "join_event", event="nope")
        await gus.fail("event_not_open", "join_event", event="later")
        await gus.fail("event_not_open", "enter", room="later-audience")
        await gus.fail("no_such_room", "enter", room="later-backstage")
        j = await hank.cmd("join_event", event="later")  # hosts prepare before it opens
        assert j["event"]["state"] == "scheduled" and j["role"] == "host"
        await gus.fail("forbidden", "end_event", event="later")
        await gus.fail("no_such_room", "watch", room="later-backstage")
        await hank.cmd("unwatch", room="later-audience")
        w = await hank.cmd("watch", room="later-audience")
        assert w["room"] == "later-audience" and len(w["tables"]) == 1

        # opening it now (PATCH) tells the people inside; then the audience may come in
        r = api(server, "PATCH", "/later", TOKEN, {"opens": None, "title": "Now"})
        assert r.status == 200 and r.json()["event"]["state"] == "open", r
        e = await hank.event("event_state", event="later")
        assert e["state"] == "open"
        j = await gus.cmd("join_event", event="later")
        assert j["event"]["title"] == "Now" and j["audience"]["room"]["moderated"] is True
        await gus.fail("forbidden", "watch", room="later-audience")
        await gus.say("later-audience", "hi")
        m = await hank.event("message", room="later-audience", text="hi")
        await hank.no_event("message", text="hi")  # once: not twice through the watch

        # leave_event leaves the rooms and stops watching; joining again comes back
        assert (await hank.cmd("leave_event", event="later"))["event"] == "later"
        await gus.say("later-audience", "anyone?")
        await hank.no_event("message", text="anyone?")
        await hank.cmd("join_event", event="later")

        # the host ends it with end_event; a watcher stops watching with the end
        r = await hank.cmd("end_event", event="later")
        assert r["event"]["state"] == "ended"
        for c in (hank, gus):
            e = await c.event("event_state", event="later")
            assert e["reason"] == "ended by hank"
        await gus.fail("event_ended", "join_event", event="later")
        assert api(server, "PATCH", "/later", TOKEN, {"title": "x"}).status == 409
        assert api(server, "POST", "/later/end", TOKEN).status == 409
        assert m["msg_id"]
    finally:
        await close_all([hank, gus])
    assert api(server, "DELETE", "/later", TOKEN).status == 200
