"""The stage (docs/PROTOCOL.md, "stage"): a host sets a room's banner, link and "now speaking"
line; everyone in the room (every table, lurkers too) gets one `stage` event at once, a late
entrant finds the values in its `enter` result, and they survive a restart. Only hosts may; links
are plain http(s) URLs and texts plain one-liners of bounded size."""

from parley_client import Client, close_all
from test_access import admin, host_setup, with_accounts

NOTHING = {"banner": None, "link": None, "speaking": None}
LINK = {"url": "https://example.org/speaker.png", "title": "Our guest", "image": True}


async def test_host_sets_the_stage_for_everyone(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    lou = await Client.connect(server.port, "lou")
    late = None
    try:
        assert (await lou.enter("den", lurk=True))["stage"] == NOTHING
        ok = await hank.cmd("stage", room="den", banner="Q&A with <b>Ada</b> at 8",
                            link=LINK, speaking="Ada Lovelace")
        stage = {"banner": "Q&A with <b>Ada</b> at 8", "link": LINK, "speaking": "Ada Lovelace"}
        assert ok["room"] == "den" and ok["stage"] == stage
        for who in (hank, gus, mia, lou):  # tables 1 and 2, and a lurker
            ev = await who.event("stage", room="den")
            assert ev == {"type": "stage", "room": "den", "by": "hank", **stage}
            await who.no_event("stage")  # one event, not one per table
        # a late entrant finds the stage in its enter result, and hopping keeps it
        late = await Client.connect(server.port, "late")
        assert (await late.enter("den"))["stage"] == stage
        # keys absent keep their value, null clears, a link without title gets ""
        ok = await hank.cmd("stage", room="den", speaking=None,
                            link={"url": "http://example.org/live"})
        after = {"banner": stage["banner"], "speaking": None,
                 "link": {"url": "http://example.org/live", "title": "", "image": False}}
        assert ok["stage"] == after
        assert {k: v for k, v in (await late.event("stage")).items()
                if k in after} == after
        ok = await hank.cmd("stage", room="den", banner=None, link=None)
        assert ok["stage"] == NOTHING
        assert (await gus.event("stage", banner=None))["link"] is None
    finally:
        await close_all([hank, gus, mia, lou] + ([late] if late else []))


async def test_only_hosts_and_only_plain_values(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    try:
        reply = await gus.fail("forbidden", "stage", room="den", banner="mine now")
        await mia.fail("forbidden", "stage", room="den", speaking="me")
        await gus.fail("not_in_room", "stage", room="lobby", banner="x")
        await hank.fail("not_in_room", "stage", room="nowhere", banner="x")
        bad_urls = ("javascript:alert(1)", "JavaScript://x.org/%0Aalert(1)", "data:text/html,hi",
                    "https://", "https://x.org/a b", "https://x.org/\u0007", "ftp://x.org/f",
                    "//x.org/img.png", "https://x.org/" + "a" * 500)
        for url in bad_urls:
            reply = await hank.fail("bad_request", "stage", room="den", link={"url": url})
            assert "http:// or https://" in reply["message"], url
        bad_texts = ({"banner": "b" * 201}, {"speaking": "s" * 101},
                     {"banner": "two\nlines"}, {"speaking": "tab\there"},
                     {"link": {"url": "https://x.org/", "title": "t" * 101}})
        for args in bad_texts:
            reply = await hank.fail("bad_request", "stage", room="den", **args)
            assert "at most 200 bytes" in reply["message"], args
        for args in ({"banner": 5}, {"link": "https://x.org/"}, {"link": {"title": "t"}},
                     {"link": {"url": "https://x.org/", "image": "yes"}}):
            await hank.fail("bad_request", "stage", room="den", **args)
        # nothing of that reached anybody; the limits themselves are fine
        ok = await hank.cmd("stage", room="den", banner="b" * 200, speaking="ü" * 50)
        assert ok["stage"]["banner"] == "b" * 200
        ev = await gus.event("stage")
        assert ev["banner"] == "b" * 200 and ev["speaking"] == "ü" * 50
    finally:
        await close_all([hank, gus, mia])


async def test_stage_survives_restart_and_goes_with_the_room(parley, smtp):
    server, kit = with_accounts(parley, smtp)
    hank, gus, mia = await host_setup(server, kit)
    stage = {"banner": "Welcome", "link": LINK, "speaking": "Bob"}
    await hank.cmd("stage", room="den", **stage)
    await close_all([hank, gus, mia])
    server.restart()
    async with await Client.connect(server.port, "pat") as pat:
        assert (await pat.enter("den"))["stage"] == stage
    # the stage goes with a deleted room: den, made again from the configuration, has none
    r = admin(server, "DELETE", "/rooms/den")
    assert r.status in (200, 204), r
    server.restart()
    async with await Client.connect(server.port, "pat") as pat:
        assert (await pat.enter("den"))["stage"] == NOTHING
