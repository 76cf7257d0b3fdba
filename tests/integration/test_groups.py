"""Chat groups: several virtual chat servers in one parleyd, chosen by path prefix or Host header,
each with its own rooms, people, history and store; and the admin API that manages them."""

import os
import subprocess

import websockets

from conftest import PARLEYD
from parley_client import TIMEOUT, Client, close_all, http_get, http_request

TOKEN = "s3cret-admin"
CONFIG = f"""
[server]
admin_token = {TOKEN}

[group acme]
title = ACME Corp
hosts = acme.example, Chat.Acme.Example

[room acme/support]
title = Support

[room lobby]
title = Lobby
"""
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def room_names(port, path="/api/v1/rooms", host=None):
    headers = {"Host": host} if host else {}
    r = http_get(port, path, headers=headers)
    assert r.status == 200, r
    return sorted(x["name"] for x in r.json()["rooms"])


async def connect_host(port, host, nick):
    """A client whose Host header names `host` while it connects to 127.0.0.1."""
    ws = await websockets.client.connect(f"ws://{host}:{port}/ws", host="127.0.0.1", port=port,
                                         ping_interval=None, max_size=None, open_timeout=TIMEOUT,
                                         close_timeout=5)
    c = Client(ws, label=nick)
    first = await c.next_message()
    assert first["type"] == "welcome"
    await c.hello(nick)
    return c


def test_routing_by_prefix_and_host(parley):
    s = parley(CONFIG)
    assert room_names(s.port) == ["lobby"]
    assert room_names(s.port, "/g/acme/api/v1/rooms") == ["support"]
    assert room_names(s.port, "/g/default/api/v1/rooms") == ["lobby"]
    assert room_names(s.port, host="acme.example") == ["support"]
    assert room_names(s.port, host="CHAT.acme.example:8080") == ["support"]  # case, port
    assert room_names(s.port, host="acme.example.") == ["support"]  # trailing dot
    assert room_names(s.port, host="other.example") == ["lobby"]  # unknown host: default
    # the prefix wins over the host
    assert room_names(s.port, "/g/default/api/v1/rooms", host="acme.example") == ["lobby"]

    r = http_get(s.port, "/g/nope/api/v1/rooms")
    assert r.status == 404 and r.json()["error"]["code"] == "no_such_group"
    r = http_get(s.port, "/g/acme")
    assert r.status == 301 and r.headers["location"] == "/g/acme/"
    r = http_get(s.port, "/g/acme/")
    assert r.status == 200 and b"<html" in r.body.lower()
    r = http_get(s.port, "/g/acme/js/base.js")
    assert r.status == 200 and b"basePath" in r.body
    # a room of one group is not reachable from another, not even by name
    r = http_get(s.port, "/api/v1/rooms/support")
    assert r.status == 404
    r = http_get(s.port, "/g/acme/api/v1/rooms/lobby/history")
    assert r.status == 404
    m = s.metrics()
    assert m["parley_groups"] == 2


async def test_people_and_messages_stay_in_their_group(parley):
    s = parley(CONFIG)
    a = await Client.connect(s.port, "alice")
    b = await Client.connect(s.port, "alice", path="/g/acme/ws")  # same nick, other group
    c = await connect_host(s.port, "acme.example", "carol")
    try:
        assert [r["name"] for r in (await a.cmd("rooms"))["rooms"]] == ["lobby"]
        assert [r["name"] for r in (await b.cmd("rooms"))["rooms"]] == ["support"]
        await b.fail("no_such_room", "enter", room="lobby")
        await a.fail("no_such_room", "enter", room="support")
        await a.enter("lobby")
        await b.enter("support")
        ok = await c.enter("support")
        assert [m["nick"] for m in ok["table"]["members"]] == ["alice", "carol"]
        await b.event("member_entered", nick="carol")

        await a.say("lobby", "default-only")
        await c.say("support", "acme-only")
        await b.event("message", text="acme-only")
        # alice of the default group cannot reach anyone of acme
        await a.fail("no_such_user", "pm", room="lobby", to="carol", text="hi")
        await a.fail("not_in_room", "say", room="support", text="x")
        await b.ping()
        assert not [m for m in b.buffered("message") if m["text"] == "default-only"]
        assert not [m for m in a.buffered("message") if m["text"] == "acme-only"]

        h = http_get(s.port, "/g/acme/api/v1/rooms/support/history").json()["messages"]
        assert [m["text"] for m in h] == ["acme-only"]
        h = http_get(s.port, "/api/v1/rooms/lobby/history").json()["messages"]
        assert [m["text"] for m in h] == ["default-only"]
        text = http_get(s.port, "/metrics").body.decode()
        assert 'parley_group_sessions{group="default"} 1' in text
        assert 'parley_group_sessions{group="acme"} 2' in text
    finally:
        await close_all([a, b, c])
    # each group has its own database
    assert (s.data_dir / "parley.db").exists()
    assert (s.data_dir / "groups" / "acme" / "parley.db").exists()


async def test_admin_api_creates_persists_and_deletes(parley):
    s = parley(CONFIG)
    base = "/api/v1/admin/groups"
    r = http_get(s.port, base)
    assert r.status == 401 and r.headers["www-authenticate"] == "Bearer"
    r = http_get(s.port, base, headers={"Authorization": "Bearer wrong"})
    assert r.status == 401
    listed = http_get(s.port, base, headers=AUTH).json()["groups"]
    assert [(g["name"], g["from_config"]) for g in listed] == [("default", True), ("acme", True)]
    assert listed[1]["hosts"] == ["acme.example", "chat.acme.example"]
    assert listed[1]["title"] == "ACME Corp"

    for body, code in [({"name": "Bad Name"}, "bad_request"), ({"hosts": []}, "bad_request"),
                       ({"name": "x", "hosts": ["a b"]}, "bad_request"),
                       ({"name": "x", "hosts": "acme.example"}, "bad_request"),
                       ({"name": "x", "hosts": [f"h{i}.example" for i in range(17)]},
                        "bad_request"),
                       ({"name": "acme"}, "group_exists"),
                       ({"name": "x", "hosts": ["ACME.example"]}, "host_taken"),
                       ({"name": "x", "hosts": ["dup.example", "dup.example"]}, "host_taken")]:
        r = http_request(s.port, "POST", base, body=body, headers=AUTH)
        assert r.status in (400, 409) and r.json()["error"]["code"] == code, (body, r.body)

    r = http_request(s.port, "POST", base, headers=AUTH,
                     body={"name": "beta", "title": "Beta", "hosts": ["beta.example"]})
    assert r.status == 201, r.body
    assert r.json()["group"] == {"name": "beta", "title": "Beta", "hosts": ["beta.example"],
                                 "from_config": False, "rooms": 1, "sessions": 0}
    assert room_names(s.port, host="beta.example") == ["lobby"]  # a new group gets a lobby
    r = http_request(s.port, "POST", "/g/beta/api/v1/rooms", headers=AUTH,
                     body={"name": "betaroom", "title": "Beta room"})
    assert r.status == 201
    c = await Client.connect(s.port, "dave", path="/g/beta/ws")
    await c.enter("betaroom")
    await c.say("betaroom", "kept in beta")
    # not deletable while someone is connected; config groups never
    r = http_request(s.port, "DELETE", f"{base}/beta", headers=AUTH)
    assert r.status == 409 and r.json()["error"]["code"] == "group_busy"
    r = http_request(s.port, "DELETE", f"{base}/acme", headers=AUTH)
    assert r.status == 409 and r.json()["error"]["code"] == "group_in_config"
    r = http_request(s.port, "PATCH", f"{base}/acme", headers=AUTH, body={"title": "x"})
    assert r.status == 409 and r.json()["error"]["code"] == "group_in_config"
    await c.close()
    # the admin API of groups belongs to the default group only
    r = http_get(s.port, f"/g/beta{base}", headers=AUTH)
    assert r.status == 404

    s.restart()
    assert room_names(s.port, host="beta.example") == ["betaroom", "lobby"]
    h = http_get(s.port, "/g/beta/api/v1/rooms/betaroom/history").json()["messages"]
    assert [m["text"] for m in h] == ["kept in beta"]

    r = http_request(s.port, "PATCH", f"{base}/beta", headers=AUTH,
                     body={"hosts": ["beta2.example"], "title": "Beta two"})
    assert r.status == 200 and r.json()["group"]["hosts"] == ["beta2.example"]
    assert room_names(s.port, host="beta.example") == ["lobby"]  # the old host: default
    assert room_names(s.port, host="beta2.example") == ["betaroom", "lobby"]
    r = http_request(s.port, "PATCH", f"{base}/beta", headers=AUTH, body={"name": "gamma"})
    assert r.status == 400
    r = http_request(s.port, "DELETE", f"{base}/beta", headers=AUTH)
    assert r.status == 204
    assert http_get(s.port, "/g/beta/api/v1/rooms").status == 404
    assert http_get(s.port, f"{base}/beta", headers=AUTH).status == 404
    s.restart()
    assert http_get(s.port, "/g/beta/api/v1/rooms").status == 404
    assert [g["name"] for g in http_get(s.port, base, headers=AUTH).json()["groups"]] == [
        "default", "acme"]


def test_admin_api_off_without_token(parley):
    s = parley()
    r = http_get(s.port, "/api/v1/admin/groups")
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"


def test_sysops_of_the_default_group_manage_groups(parley):
    """No admin_token: the default group's sysop manages groups; acme's sysop and an ordinary
    account do not."""
    s = parley("[accounts]\nhash_limits = min\n[group acme]\n", start=False)
    base = [PARLEYD, "--data-dir", str(s.data_dir), "--config", str(s.config_file)]
    env = dict(os.environ, PARLEY_SYSOP_PASSWORD="sysop password")
    for args in (["--create-sysop", "root"], ["--create-sysop", "boss", "--group", "acme"]):
        p = subprocess.run(base + args, env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    s.start()

    def token(prefix, name):
        r = http_request(s.port, "POST", f"{prefix}/api/v1/auth/login",
                         body={"name": name, "password": "sysop password"})
        assert r.status == 200, r.body
        return {"Authorization": f"Bearer {r.json()['token']}"}

    root, boss = token("", "root"), token("/g/acme", "boss")
    r = http_request(s.port, "POST", "/api/v1/auth/register",
                     body={"name": "pat", "email": "pat@example.org", "password": "long enough"})
    assert r.status == 201
    # a provisional account logs in too, but is nobody's sysop
    r = http_request(s.port, "POST", "/api/v1/auth/login",
                     body={"name": "pat", "password": "long enough"})
    pat = {"Authorization": f"Bearer {r.json()['token']}"}

    r = http_request(s.port, "POST", "/api/v1/admin/groups", headers=root, body={"name": "beta"})
    assert r.status == 201, r.body
    assert [g["name"] for g in http_get(s.port, "/api/v1/admin/groups", headers=root).json()[
        "groups"]] == ["default", "acme", "beta"]
    assert http_get(s.port, "/api/v1/admin/groups", headers=boss).status == 403  # not here
    assert http_get(s.port, "/api/v1/admin/groups", headers=pat).status == 403
    assert http_get(s.port, "/g/acme/api/v1/admin/groups", headers=boss).status == 404
    r = http_request(s.port, "DELETE", "/api/v1/admin/groups/beta", headers=root)
    assert r.status == 204


def test_bad_group_configuration_refuses_to_start(tmp_path):
    for config, words in [("[room nope/x]\n", "no group 'nope'"),
                          ("[group Bad!]\n", "[group Bad!]"),
                          ("[group a]\nhosts = x.example\n[group b]\nhosts = X.example\n",
                           "another group"),
                          ("[group a]\ncolour = red\n", "unknown key 'colour'")]:
        ini = tmp_path / "bad.ini"
        ini.write_text(config)
        p = subprocess.run([PARLEYD, "--config", str(ini), "--listen", "127.0.0.1:0",
                            "--data-dir", str(tmp_path / "var")], capture_output=True, text=True,
                           timeout=TIMEOUT)
        assert p.returncode != 0, config
        assert words in p.stderr, (config, p.stderr)


WORDS_CONFIG = f"""
[server]
admin_token = {TOKEN}

[moderation]
words = darn, heck

[group acme]

[room acme/kids]
moderated = true

[room kids]
moderated = true
"""


async def test_each_group_has_its_own_word_list(parley):
    s = parley(WORDS_CONFIG)
    words = "/api/v1/admin/words"
    assert http_get(s.port, words).status == 401
    r = http_get(s.port, f"/g/acme{words}", headers=AUTH)
    assert r.status == 200 and r.json() == {"words": ["darn", "heck"], "source": "config"}

    for body in [{"words": "darn"}, {"words": [1]}, {"words": [""]}, {"words": ["x" * 201]},
                 {"nowords": []}, ["darn"], {"words": ["a\u0000b"]}]:
        r = http_request(s.port, "PUT", f"/g/acme{words}", body=body, headers=AUTH)
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", body
    r = http_request(s.port, "PUT", f"/g/acme{words}", headers=AUTH,
                     body={"words": ["Gosh", "golly gee"]})
    assert r.status == 200 and r.json() == {"words": ["Gosh", "golly gee"], "source": "admin"}
    # the default group keeps the configuration's list
    assert http_get(s.port, words, headers=AUTH).json()["source"] == "config"

    async def check(port):
        a = await Client.connect(port, "alice")
        b = await Client.connect(port, "bob", path="/g/acme/ws")
        try:
            await a.enter("kids")
            await b.enter("kids")
            await a.fail("moderated", "say", room="kids", text="darn it")
            await a.say("kids", "gosh, golly gee")  # acme's words are not the default's
            await b.say("kids", "darn it")  # the configuration's words no longer apply in acme
            await b.fail("moderated", "say", room="kids", text="oh GOSH")
            await b.fail("moderated", "say", room="kids", text="golly, gee!")
        finally:
            await close_all([a, b])

    await check(s.port)
    s.restart()
    assert http_get(s.port, f"/g/acme{words}", headers=AUTH).json()["source"] == "admin"
    await check(s.port)

    r = http_request(s.port, "DELETE", f"/g/acme{words}", headers=AUTH)
    assert r.status == 200 and r.json() == {"words": ["darn", "heck"], "source": "config"}
    b = await Client.connect(s.port, "bob", path="/g/acme/ws")
    await b.enter("kids")
    await b.say("kids", "gosh")
    await b.fail("moderated", "say", room="kids", text="heck")
    await b.close()


async def test_each_group_has_its_own_access_settings(parley):
    s = parley(CONFIG)
    url = "/api/v1/admin/settings"
    assert http_get(s.port, f"/g/acme{url}").status == 401
    defaults = {"allow_guests": True, "registered": "participant", "guests": "participant",
                "overridden": []}
    assert http_get(s.port, f"/g/acme{url}", headers=AUTH).json() == defaults
    for body in [["x"], {"allow_guests": "no"}, {"guests": "god"}, {"colour": "red"},
                 {"registered": 3}]:
        r = http_request(s.port, "PATCH", f"/g/acme{url}", body=body, headers=AUTH)
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", body

    g = await Client.connect(s.port, "gary", path="/g/acme/ws")
    d = await Client.connect(s.port, "dora")  # a guest of the default group
    try:
        await g.enter("support")
        await d.enter("lobby")
        # guests' default right drops to read-only: gary lurks at once, dora is untouched
        r = http_request(s.port, "PATCH", f"/g/acme{url}", headers=AUTH,
                         body={"guests": "read_only"})
        assert r.status == 200 and r.json()["guests"] == "read_only"
        assert r.json()["overridden"] == ["guests"]
        ev = await g.event("rights", room="support")
        assert ev["right"] == "read_only"
        await g.fail("read_only", "say", room="support", text="hi")
        await d.say("lobby", "still talking")

        # guests no longer admitted: acme's guests are closed, new ones refused; default unaffected
        r = http_request(s.port, "PATCH", f"/g/acme{url}", headers=AUTH,
                         body={"allow_guests": False})
        assert r.status == 200 and r.json()["allow_guests"] is False
        await g.wait_closed()
        assert g.close_code == 1008
        h = await Client.connect(s.port, path="/g/acme/ws")
        await h.fail("guests_not_allowed", "hello", nick="harry")
        await h.close()
        await d.ping()
    finally:
        await close_all([g, d])

    s.restart()
    got = http_get(s.port, f"/g/acme{url}", headers=AUTH).json()
    assert got == {"allow_guests": False, "registered": "participant", "guests": "read_only",
                   "overridden": ["allow_guests", "guests"]}
    assert http_get(s.port, url, headers=AUTH).json() == defaults
    r = http_request(s.port, "PATCH", f"/g/acme{url}", headers=AUTH,
                     body={"allow_guests": None, "guests": None})
    assert r.json() == defaults
    g = await Client.connect(s.port, "gary", path="/g/acme/ws")
    await g.enter("support")
    await g.say("support", "back")
    await g.close()
