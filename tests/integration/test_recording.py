"""Recording and playback (docs/PROTOCOL.md, "Recording and playback"): a host records a table,
the recording is listed, exported (JSON lines and a transcript) and deleted over WebSocket and
REST with the documented rights; recordings survive restarts (a running one is closed); a host
plays a recording into a table once, faster, or looped, with the recorded pace kept within a
tolerance, and stops it."""

import asyncio
import json

from accounts_kit import connect_account
from parley_client import Client, close_all, http_request
from test_access import AUTH, admin, put_acl, with_accounts

TOL = 0.25  # seconds of slack for one gap on a loaded 2-core machine


async def rec_setup(server, kit):
    """hank (host of den and lobby, an account: returns his token too), gus (a guest) at den's
    table 1, mia (an account, a participant) at den's table 2."""
    for room in ("den", "lobby"):
        put_acl(server, f"/room/{room}", [{"who": "user", "name": "hank", "right": "host"},
                                          {"who": "registered", "right": "participant"},
                                          {"who": "guests", "right": "participant"}])
    hank_token = kit.registered("hank")
    mia_token = kit.registered("mia")
    hank = await connect_account(server.port, hank_token)
    gus = await Client.connect(server.port, "gus")
    mia = await connect_account(server.port, mia_token)
    assert (await hank.enter("den"))["right"] == "host"
    await gus.enter("den")
    assert (await mia.enter("den"))["table"]["table"] == 2
    return hank, gus, mia, hank_token, mia_token


def export(server, rid, fmt="jsonl", headers=AUTH):
    return http_request(server.port, "GET", f"/api/v1/admin/recordings/{rid}/export?format={fmt}",
                        headers=headers)


def export_lines(server, rid):
    r = export(server, rid)
    assert r.status == 200, r
    lines = [json.loads(x) for x in r.body.decode().splitlines()]
    return lines[0], lines[1:]


async def test_record_list_export_delete(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia, hank_token, mia_token = await rec_setup(server, kit)
    late = None
    try:
        await gus.fail("forbidden", "record", room="den", action="start")
        await hank.fail("bad_request", "record", room="den", action="pause")
        await hank.fail("bad_request", "record", room="den", action="start", title="t" * 201)
        await hank.fail("not_recording", "record", room="den", action="stop")
        ok = await hank.cmd("record", room="den", action="start", title="Ada's talk")
        rid = ok["recording"]
        assert ok["table"] == 1 and ok["state"] == "started"
        for who in (hank, gus):
            ev = await who.event("recording", room="den", table=1)
            assert ev == {"type": "recording", "room": "den", "table": 1, "recording": rid,
                          "state": "started", "by": "hank", "title": "Ada's talk"}
        await mia.no_event("recording")  # another table
        await hank.fail("already_recording", "record", room="den", action="start")
        view = await hank.cmd("members", room="den")
        assert view["recording"]["id"] == rid and view["recording"]["started_by"] == "hank"
        assert view["playback"] is None
        await hank.say("den", "welcome")
        await gus.say("den", "hi <b>all</b>\nsecond line")
        await mia.say("den", "table two is not recorded")
        await hank.cmd("pm", room="den", to="gus", text="private, not recorded")
        await hank.cmd("broadcast", room="den", text="doors close soon")
        # someone entering the recording table sees it in the enter result
        await hank.cmd("leave", room="den")
        back = await hank.enter("den")
        assert back["table"]["table"] == 1 and back["table"]["recording"]["id"] == rid
        ok = await hank.cmd("record", room="den", action="stop")
        assert ok["state"] == "stopped"
        ev = await gus.event("recording", state="stopped")
        assert ev["by"] == "hank" and ev["recording"] == rid

        # listed over WebSocket for hosts, and REST
        lst = await hank.cmd("recordings", room="den")
        assert [r["id"] for r in lst["recordings"]] == [rid]
        one = lst["recordings"][0]
        assert one["messages"] == 3 and one["running"] is False and one["table"] == 1
        await gus.fail("forbidden", "recordings", room="den")
        r = admin(server, "GET", "/recordings?room=den")
        assert r.status == 200 and [x["id"] for x in r.json()["recordings"]] == [rid]
        assert admin(server, "GET", "/recordings?room=lobby").json()["recordings"] == []
        r = admin(server, "GET", f"/recordings/{rid}")
        assert r.json()["recording"]["title"] == "Ada's talk"
        assert admin(server, "GET", "/recordings/999").status == 404

        head, msgs = export_lines(server, rid)
        assert head["type"] == "recording" and head["id"] == rid and head["room"] == "den"
        assert [(m["kind"], m["nick"], m["text"]) for m in msgs] == [
            ("message", "hank", "welcome"), ("message", "gus", "hi <b>all</b>\nsecond line"),
            ("broadcast", "hank", "doors close soon")]
        assert [m["seq"] for m in msgs] == [1, 2, 3]
        assert all(m["table"] == 1 and m["colour"].startswith("#") for m in msgs)
        offsets = [m["offset_ms"] for m in msgs]
        assert offsets == sorted(offsets) and offsets[0] >= 0
        r = export(server, rid, "text")
        assert r.status == 200 and r.content_type.startswith("text/plain")
        assert "attachment" in r.headers["content-disposition"]
        assert f"recording-{rid}-den-table1.txt" in r.headers["content-disposition"]
        text = r.body.decode()
        assert "Ada's talk" in text and "Room: den, table 1" in text
        assert "] <hank> welcome\n" in text and "] <gus> hi <b>all</b>\n    second line\n" in text
        assert "] [broadcast] <hank> doors close soon\n" in text
        assert export(server, rid, "xml").status == 400

        # export rights: a host's own token, not a participant's, not nobody's
        bearer = {"Authorization": f"Bearer {hank_token}"}
        assert export(server, rid, headers=bearer).status == 200
        assert export(server, rid, headers={"Authorization": f"Bearer {mia_token}"}).status == 403
        assert export(server, rid, headers={}).status == 401
        assert admin(server, "GET", "/recordings", headers=bearer).status == 403  # not a sysop
        assert export(server, 12345).status == 404
        for method, path, status in (("POST", "/recordings", 405), ("GET", "/recordings/x", 404),
                                     ("PUT", f"/recordings/{rid}", 405),
                                     ("DELETE", f"/recordings/{rid}/export", 405),
                                     ("GET", f"/recordings/{rid}/other", 404)):
            assert admin(server, method, path).status == status, (method, path)

        # deleting: a participant may not, the host may; then it is gone everywhere
        await gus.fail("forbidden", "delete_recording", recording=rid)
        await gus.fail("bad_request", "delete_recording", recording="x")
        assert (await hank.cmd("delete_recording", recording=rid))["recording"] == rid
        await hank.fail("no_such_recording", "delete_recording", recording=rid)
        assert export(server, rid).status == 404
        # over REST with the admin token
        rid2 = (await hank.cmd("record", room="den", action="start"))["recording"]
        await hank.cmd("record", room="den", action="stop")
        assert admin(server, "DELETE", f"/recordings/{rid2}").status == 200
        assert admin(server, "DELETE", f"/recordings/{rid2}").status == 404
        assert admin(server, "GET", "/recordings").json()["recordings"] == []
    finally:
        await close_all([hank, gus, mia] + ([late] if late else []))


async def test_tables_and_rooms_never_collide(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia, _, _ = await rec_setup(server, kit)
    zed = await Client.connect(server.port, "zed")
    try:
        await zed.enter("lobby")
        await hank.enter("lobby")
        r1 = (await hank.cmd("record", room="den", action="start"))["recording"]
        r2 = (await hank.cmd("record", room="den", table=2, action="start"))["recording"]
        r3 = (await hank.cmd("record", room="lobby", action="start"))["recording"]
        assert len({r1, r2, r3}) == 3
        await mia.event("recording", table=2, recording=r2)
        expected = {r1: [], r2: [], r3: []}
        for i in range(6):
            for who, room, rid in ((gus, "den", r1), (mia, "den", r2), (zed, "lobby", r3),
                                   (hank, "lobby", r3), (hank, "den", r1)):
                text = f"{who.nick} {room} {i}"
                await who.say(room, text)
                expected[rid].append(text)
        for room, table in (("den", 1), ("den", 2), ("lobby", 1)):
            await hank.cmd("record", room=room, table=table, action="stop")
        for rid, texts in expected.items():
            head, msgs = export_lines(server, rid)
            assert [m["text"] for m in msgs] == texts
            assert [m["seq"] for m in msgs] == list(range(1, len(texts) + 1))
            assert head["messages"] == len(texts)
    finally:
        await close_all([hank, gus, mia, zed])


async def test_restart_keeps_recordings_and_closes_running_ones(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia, _, _ = await rec_setup(server, kit)
    rid = (await hank.cmd("record", room="den", action="start", title="kept"))["recording"]
    await hank.say("den", "one")
    await gus.say("den", "two")  # say acks come once durable; the recording's rows too by now
    kept = (await hank.cmd("record", room="den", table=2, action="start"))["recording"]
    await mia.say("den", "three")
    await hank.cmd("record", room="den", table=2, action="stop")
    await asyncio.sleep(0.3)  # the writer thread commits recording messages in its next batch
    await close_all([hank, gus, mia])
    server.restart(hard=True)  # a crash: den's table 1 was still recording
    recs = {r["id"]: r for r in admin(server, "GET", "/recordings").json()["recordings"]}
    assert set(recs) == {rid, kept}
    crashed = recs[rid]
    assert crashed["running"] is False and crashed["messages"] == 2
    _, msgs = export_lines(server, rid)
    assert crashed["stopped_ms"] == msgs[-1]["ts"]
    assert recs[kept]["messages"] == 1 and recs[kept]["title"] == ""

    # a clean shutdown stores a running recording as stopped
    token = kit.registered("hank2")
    put_acl(server, "/room/lobby", [{"who": "user", "name": "hank2", "right": "host"}])
    h2 = await connect_account(server.port, token)
    await h2.enter("lobby")
    rid3 = (await h2.cmd("record", room="lobby", action="start"))["recording"]
    await h2.close()
    server.restart()
    rec = admin(server, "GET", f"/recordings/{rid3}").json()["recording"]
    assert rec["running"] is False and rec["stopped_ms"] >= rec["started_ms"]


async def record_paced(hank, gaps):
    """Records hank saying one message per gap (seconds before it); returns the recording id and
    the recorded offsets."""
    rid = (await hank.cmd("record", room="den", action="start"))["recording"]
    for i, gap in enumerate(gaps):
        await asyncio.sleep(gap)
        await hank.say("den", f"paced {i}")
    await hank.cmd("record", room="den", action="stop")
    return rid


async def played(client, n, timeout=10):
    """The next n played messages with their arrival times."""
    out = []
    for _ in range(n):
        rec = await client.wait_received(
            lambda m: m.get("type") == "message" and "playback" in m, timeout, "a played message")
        out.append(rec)
    return out


def check_gaps(arrivals, offsets, speed):
    got = [b.t - a.t for a, b in zip(arrivals, arrivals[1:])]
    want = [(b - a) / 1000 / speed for a, b in zip(offsets, offsets[1:])]
    for g, w in zip(got, want):
        assert abs(g - w) <= TOL, (got, want)


async def test_playback_once_faster_and_looped(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia, _, _ = await rec_setup(server, kit)
    late = None
    try:
        rid = await record_paced(hank, [0, 0, 0.4, 1.2])
        _, msgs = export_lines(server, rid)
        offsets = [m["offset_ms"] for m in msgs]
        assert len(offsets) == 4

        await gus.fail("forbidden", "play", room="den", recording=rid)
        await hank.fail("bad_request", "play", room="den", recording=rid, speed=0.01)
        await hank.fail("bad_request", "play", room="den", recording=rid, speed=101)
        await hank.fail("bad_request", "play", room="den", recording=rid, loop="yes")
        await hank.fail("no_such_recording", "play", room="den", recording=rid + 100)
        await hank.fail("not_playing", "stop_play", room="den")
        empty = (await hank.cmd("record", room="den", table=2, action="start"))["recording"]
        await hank.cmd("record", room="den", table=2, action="stop")
        await hank.fail("recording_empty", "play", room="den", recording=empty)

        for speed in (1, 2):
            gus.discard("message")
            ok = await hank.cmd("play", room="den", recording=rid, speed=speed)
            assert ok["loop"] is False and ok["speed"] == speed and ok["table"] == 1
            ev = await gus.event("playback", state="started")
            assert ev["by"] == "hank" and ev["recording"] == rid and ev["loop"] is False
            await hank.fail("already_playing", "play", room="den", recording=rid)
            got = await played(gus, 4)
            assert [r.msg["text"] for r in got] == [f"paced {i}" for i in range(4)]
            assert all(r.msg["nick"] == "hank" and r.msg["playback"]["round"] == 1 for r in got)
            assert [r.msg["playback"]["original_ts"] for r in got] == [m["ts"] for m in msgs]
            check_gaps(got, offsets, speed)
            ev = await gus.event("playback", state="finished")
            assert ev["by"] is None
            await mia.no_event("playback")  # another table

        # live messages carry no playback member; a late entrant's history marks played ones
        await gus.say("den", "live")
        live = await hank.event("message", text="live")
        assert "playback" not in live
        await hank.cmd("leave", room="den")
        hist = (await hank.enter("den"))["history"]
        assert [("playback" in m) for m in hist if m["text"].startswith("paced")] == \
            [False] * 4 + [True] * 8  # the live originals, then two plays
        assert "playback" not in [m for m in hist if m["text"] == "live"][0]

        # looped, fast, while the table records: played messages are never recorded
        again = (await hank.cmd("record", room="den", action="start"))["recording"]
        gus.discard("message")
        speed = 8
        await hank.cmd("play", room="den", recording=rid, loop=True, speed=speed)
        view = await hank.cmd("members", room="den")
        assert view["playback"]["recording"] == rid and view["playback"]["loop"] is True
        got = await played(gus, 8)
        assert [r.msg["playback"]["round"] for r in got] == [1] * 4 + [2] * 4
        period = max(1000, msgs[-1]["ts"] - msgs[0]["ts"]) / 1000 / speed
        await hank.cmd("stop_play", room="den")
        ev = await gus.event("playback", state="stopped")
        assert ev["by"] == "hank" and ev["loop"] is True
        gus.discard("message")
        await asyncio.sleep(period + 0.5)
        assert not [m for m in gus.buffered("message") if "playback" in m]
        assert (await hank.cmd("members", room="den"))["playback"] is None
        await gus.say("den", "after")
        await hank.cmd("record", room="den", action="stop")
        _, rec_msgs = export_lines(server, again)
        assert [m["text"] for m in rec_msgs] == ["after"]

        # deleting the recording ends its playback
        await hank.cmd("play", room="den", recording=rid, loop=True)
        await hank.cmd("delete_recording", recording=rid)
        ev = await gus.event("playback", state="stopped")
        assert ev["by"] is None
        m = server.metrics()
        assert m["parley_playbacks_active"] == 0 and m["parley_recordings_active"] == 0
    finally:
        await close_all([hank, gus, mia] + ([late] if late else []))


async def test_recordings_belong_to_their_chat_group(parley, smtp):
    server, _ = with_accounts(parley, smtp, "[group acme]\n[room acme/lobby]\ntitle = Lobby\n")
    for prefix in ("", "/g/acme"):
        r = http_request(server.port, "PUT", prefix + "/api/v1/admin/acl/room/lobby",
                         body={"acl": [{"who": "guests", "right": "host"}]}, headers=AUTH)
        assert r.status == 200, r
    here = await Client.connect(server.port, "here")
    there = await Client.connect(server.port, "there", path="/g/acme/ws")
    try:
        ids = []
        for who in (here, there):
            await who.enter("lobby")
            ids.append((await who.cmd("record", room="lobby", action="start"))["recording"])
            await who.say("lobby", f"said {who.nick}")
            await who.cmd("record", room="lobby", action="stop")
        assert ids == [1, 1]  # each group's store counts its own
        await here.fail("no_such_recording", "play", room="lobby", recording=2)
        for prefix, nick in (("", "here"), ("/g/acme", "there")):
            r = http_request(server.port, "GET", prefix + "/api/v1/admin/recordings/1/export",
                             headers=AUTH)
            assert [json.loads(x).get("text") for x in r.body.decode().splitlines()[1:]] == \
                [f"said {nick}"]
    finally:
        await close_all([here, there])
