"""Moderated rooms: a say or pm holding a listed word is refused with error `moderated` and
reaches nobody; the same text in an unmoderated room is delivered (docs/PROTOCOL.md)."""

import pytest

from parley_client import Client, close_all, connect_many, http_get, http_request

CONFIG = """
[server]
admin_token = s3cret-token

[moderation]
words = darn, heck
word_file = words.txt

[room kids]
title = Kids
moderated = true

[room pub]
title = Pub
"""

AUTH = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/json"}


def refused(text):
    return f'Possible objectionable message NOT sent: "{text}"'


@pytest.fixture
def mod_server(parley):
    server = parley(CONFIG, start=False)
    words = "# words from the file\nдурак\n\n  Blast  # trailing\n"
    (server.dir / "words.txt").write_text(words)
    return server.start()


async def test_say_refused_in_moderated_room(mod_server):
    alice, bob = await connect_many(mod_server.port, ["alice", "bob"])
    try:
        for c in (alice, bob):
            await c.enter("kids")
            await c.enter("pub")
        texts = ("oh DARN it!", "what the heck", "Ты ДУРАК!", "ＢＬＡＳＴ", 'say "heck"')
        for text in texts:
            reply = await alice.fail("moderated", "say", room="kids", text=text)
            assert reply["message"] == refused(text)
        # The marker is delivered after the refused says were handled, so bob saw none of them.
        await alice.say("kids", "marker one")
        msg = await bob.event("message", room="kids")
        assert msg["text"] == "marker one"
        # Neither the sender nor anybody else got a refused say before it.
        assert (await alice.event("message", room="kids"))["text"] == "marker one"
        # Words that merely contain a listed word are fine.
        await alice.say("kids", "darned nice, unheckled")
        assert (await bob.event("message", room="kids"))["text"] == "darned nice, unheckled"
        # The same word in an unmoderated room is delivered.
        await alice.say("pub", "oh darn")
        assert (await bob.event("message", room="pub"))["text"] == "oh darn"
        # History of the moderated room holds only what was delivered.
        async with await Client.connect(mod_server.port, "carol") as carol:
            reply = await carol.enter("kids")
            assert [m["text"] for m in reply["history"]] == ["marker one",
                                                           "darned nice, unheckled"]
    finally:
        await close_all([alice, bob])


async def test_pm_refused_in_moderated_room(mod_server):
    alice, bob = await connect_many(mod_server.port, ["alice", "bob"])
    try:
        for c in (alice, bob):
            await c.enter("kids")
            await c.enter("pub")
        reply = await alice.fail("moderated", "pm", room="kids", to="bob", text="heck you")
        assert reply["message"] == refused("heck you")
        await alice.cmd("pm", room="kids", to="bob", text="marker")
        pm = await bob.event("private", room="kids")
        assert pm["text"] == "marker"
        await alice.cmd("pm", room="pub", to="bob", text="heck you")
        assert (await bob.event("private", room="pub"))["text"] == "heck you"
    finally:
        await close_all([alice, bob])


async def test_rooms_list_shows_flag(mod_server):
    async with await Client.connect(mod_server.port, "alice") as alice:
        rooms = {r["name"]: r for r in (await alice.cmd("rooms"))["rooms"]}
        assert rooms["kids"]["moderated"] is True
        assert rooms["pub"]["moderated"] is False
    r = http_get(mod_server.port, "/api/v1/rooms/kids")
    assert r.status == 200 and r.json()["room"]["moderated"] is True


async def test_rest_created_room_survives_restart(mod_server):
    r = http_request(mod_server.port, "POST", "/api/v1/rooms", headers=AUTH,
                     body={"name": "quiet", "title": "Quiet", "moderated": True})
    assert r.status == 201, r.body
    assert r.json()["room"]["moderated"] is True
    r = http_request(mod_server.port, "POST", "/api/v1/rooms", headers=AUTH,
                     body={"name": "loud", "moderated": "yes"})
    assert r.status == 400
    r = http_request(mod_server.port, "POST", "/api/v1/rooms", headers=AUTH, body={"name": "open"})
    assert r.status == 201 and r.json()["room"]["moderated"] is False

    mod_server.restart()
    async with await Client.connect(mod_server.port, "alice") as alice:
        rooms = {r["name"]: r for r in (await alice.cmd("rooms"))["rooms"]}
        assert rooms["quiet"]["moderated"] is True
        assert rooms["open"]["moderated"] is False
        await alice.enter("quiet")
        reply = await alice.fail("moderated", "say", room="quiet", text="darn")
        assert reply["message"] == refused("darn")
        await alice.enter("open")
        await alice.say("open", "darn")


async def test_config_turns_flag_off(parley):
    server = parley("[moderation]\nwords = darn\n[room kids]\nmoderated = true\n")
    async with await Client.connect(server.port, "alice") as alice:
        await alice.enter("kids")
        await alice.fail("moderated", "say", room="kids", text="darn")
    server.stop()
    server.config_file.write_text("[moderation]\nwords = darn\n[room kids]\nmoderated = false\n")
    server.start()
    async with await Client.connect(server.port, "alice") as alice:
        await alice.enter("kids")
        await alice.say("kids", "darn")


def test_missing_word_file_fails_start(parley):
    server = parley("[moderation]\nword_file = /nonexistent/words.txt\n", start=False)
    with pytest.raises(AssertionError, match="exited with"):
        server.start()
    assert "word_file" in server.stderr()
