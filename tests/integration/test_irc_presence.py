"""Presence across the IRC gateway and the web (docs/PROTOCOL.md, "IRC gateway" and the JSON
`nick` command): nick changes after registration, seen by IRC and web users at the same tables,
once per IRC client however many tables are shared, and their error numerics and codes."""

from accounts_kit import FAST, connect_account, login, register
from irc_client import IRC_CONFIG, IrcClient
from parley_client import LOBBY_AND_DUO, Client

CONFIG = IRC_CONFIG + LOBBY_AND_DUO


def irc_server(parley, extra=""):
    return parley(CONFIG + extra)


async def isupport_tokens(c):
    """The tokens of the 005 lines VERSION repeats (up to the one with MAXTARGETS)."""
    await c.send("VERSION")
    tokens = []
    for _ in range(5):
        ln = await c.expect("005")
        tokens += ln.params
        if any(t.startswith("MAXTARGETS=") for t in ln.params):
            return tokens
    return tokens


async def test_irc_nick_change_seen_by_irc_and_web(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "webster")
    await web.enter("lobby")
    await web.enter("duo")
    a = await IrcClient.registered(server.irc_port, "changer")
    b = await IrcClient.registered(server.irc_port, "watcher")
    for chan in ("#lobby", "#duo"):
        await a.join(chan)
        await b.join(chan)
    await a.send("NICK Renamed")
    # the renamer and the other IRC user: one NICK line each, though they share two channels
    mine = await a.expect("NICK")
    assert mine.raw == ":changer!parley@parley NICK Renamed"
    theirs = await b.expect("NICK")
    assert theirs.raw == ":changer!parley@parley NICK Renamed"
    await a.no_line("NICK")
    await b.no_line("NICK")
    # the web user: one nick_changed per shared table
    for room in ("lobby", "duo"):
        ev = await web.event("nick_changed", room=room)
        assert (ev["old"], ev["nick"], ev["table"]) == ("changer", "Renamed", 1)
        assert ev["colour"].startswith("#")
    members = (await web.cmd("members", room="lobby"))["members"]
    assert "Renamed" in [m["nick"] for m in members] and "changer" not in str(members)
    # the new nick works: messages come from it, the old one is free
    await a.send("PRIVMSG #lobby :after the change")
    msg = await web.event("message", text="after the change")
    assert msg["nick"] == "Renamed"
    assert (await b.expect("PRIVMSG")).source == "Renamed!parley@parley"
    c = await IrcClient.registered(server.irc_port, "changer")
    await c.join("#lobby")
    await a.send("PRIVMSG changer :hi, new changer")
    assert (await c.expect("PRIVMSG")).source == "Renamed!parley@parley"
    # a change of case only is allowed; the same nick again is silent
    await a.send("NICK renamed")
    assert (await b.expect("NICK")).raw == ":Renamed!parley@parley NICK renamed"
    await a.expect("NICK")
    await a.send("NICK renamed")
    await a.no_line("NICK")
    # WHOIS finds the new nick
    await b.send("WHOIS renamed")
    assert (await b.expect("311")).params[1] == "renamed"
    for x in (a, b, c):
        await x.close()
    await web.close()


async def test_irc_nick_change_errors(parley):
    server = irc_server(parley, FAST)
    register(server.port, "Mona", "mona@example.org")
    web = await Client.connect(server.port, "webby")
    a = await IrcClient.registered(server.irc_port, "alpha")
    await IrcClient.registered(server.irc_port, "beta")
    await a.send("NICK")
    assert (await a.expect("431")).raw == ":irc.test 431 alpha :No nickname given"
    await a.send("NICK 9lives", "NICK sysop")
    assert (await a.expect("432")).raw == ":irc.test 432 alpha 9lives :Erroneous nickname"
    assert (await a.expect("432")).params[1] == "sysop"
    await a.send("NICK BETA", "NICK WEBBY", "NICK mona")
    assert (await a.expect("433")).raw == ":irc.test 433 alpha BETA :Nickname is already in use"
    assert (await a.expect("433")).params[1] == "WEBBY"
    assert (await a.expect("433")).text == "Nickname is registered to an account"
    await a.no_line("NICK")
    # still alpha
    await a.send("WHOIS alpha")
    assert (await a.expect("311")).params[1] == "alpha"
    await a.close()
    await web.close()


async def test_irc_nick_change_outside_any_channel(parley):
    server = irc_server(parley)
    a = await IrcClient.registered(server.irc_port, "loner")
    await a.send("NICK hermit")
    assert (await a.expect("NICK")).raw == ":loner!parley@parley NICK hermit"
    await a.send("WHOIS hermit")
    assert (await a.expect("311")).params[1] == "hermit"
    await a.close()


async def test_web_nick_command_seen_by_irc_and_web(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "surfer")
    other = await Client.connect(server.port, "viewer")
    await web.enter("lobby")
    await other.enter("lobby")
    ic = await IrcClient.registered(server.irc_port, "ircy")
    await ic.join("#lobby")
    reply = await web.cmd("nick", nick="Wave")
    assert reply["nick"] == "Wave"
    ev = await other.event("nick_changed", room="lobby")
    assert (ev["old"], ev["nick"]) == ("surfer", "Wave")
    own = await web.event("nick_changed", room="lobby")
    assert (own["old"], own["nick"]) == ("surfer", "Wave")
    assert (await ic.expect("NICK")).raw == ":surfer!parley@parley NICK Wave"
    # says carry the new nick; the old one can be taken
    await web.say("lobby", "new name, same me")
    assert (await ic.expect("PRIVMSG")).source == "Wave!parley@parley"
    newcomer = await Client.connect(server.port, "surfer")
    await newcomer.close()
    for c in (web, other):
        await c.close()
    await ic.close()


async def test_web_nick_command_errors(parley, smtp):
    server = irc_server(parley, FAST)
    register(server.port, "Mona", "mona@example.org")
    a = await Client.connect(server.port, "anna")
    await Client.connect(server.port, "bert")
    await IrcClient.registered(server.irc_port, "ircbert")
    await a.fail("nick_taken", "nick", nick="BERT")
    await a.fail("nick_taken", "nick", nick="ircbert")
    await a.fail("nick_invalid", "nick", nick="x")
    await a.fail("nick_reserved", "nick", nick="Admin")
    await a.fail("nick_registered", "nick", nick="mona")
    await a.fail("bad_request", "nick", nick=7)
    fresh = await Client.connect(server.port)
    await fresh.fail("hello_first", "nick", nick="early")
    # an account's nick is its name
    token = login(server.port, "Mona")["token"]
    mona = await connect_account(server.port, token)
    await mona.fail("forbidden", "nick", nick="Monique")
    for c in (a, fresh, mona):
        await c.close()


# ---- away-notify, SETNAME, WHOX ----------------------------------------------------------------

async def test_away_notify(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "webwatch")
    await web.enter("lobby")
    a = await IrcClient.registered(server.irc_port, "napper")
    b = await IrcClient.registered(server.irc_port, "notified", ["away-notify"])
    c = await IrcClient.registered(server.irc_port, "nocap")
    d = await IrcClient.registered(server.irc_port, "elsewhere", ["away-notify"])
    for x in (a, b, c):
        await x.join("#lobby")
    await d.join("#duo")
    await a.send("AWAY :out for a walk")
    await a.expect("306")
    assert (await b.expect("AWAY")).raw == ":napper!parley@parley AWAY :out for a walk"
    await a.send("AWAY")
    await a.expect("305")
    assert (await b.expect("AWAY")).raw == ":napper!parley@parley AWAY"
    await c.no_line("AWAY")  # no cap
    await d.no_line("AWAY")  # no shared channel
    await a.no_line("AWAY")  # not to oneself
    # an away client joining a channel: its AWAY follows its JOIN
    await a.send("AWAY :still out")
    await a.expect("306")
    await b.expect("AWAY")
    await a.join("#duo")
    joined = await d.expect("JOIN")
    assert joined.nick == "napper"
    assert (await d.expect("AWAY")).raw == ":napper!parley@parley AWAY :still out"
    for x in (a, b, c, d):
        await x.close()
    await web.close()


async def test_setname(parley):
    server = irc_server(parley)
    a = await IrcClient.registered(server.irc_port, "namer", ["setname"])
    b = await IrcClient.registered(server.irc_port, "seer", ["setname"])
    c = await IrcClient.registered(server.irc_port, "blind")
    for x in (a, b, c):
        await x.join("#lobby")
    await c.send("WHOIS namer")
    assert (await c.expect("311")).text == "Real Name"  # USER's realname
    await a.send("SETNAME :Nora Namer")
    assert (await a.expect("SETNAME")).raw == ":namer!parley@parley SETNAME :Nora Namer"
    assert (await b.expect("SETNAME")).raw == ":namer!parley@parley SETNAME :Nora Namer"
    await c.no_line("SETNAME")
    await c.send("WHOIS namer", "WHO namer")
    assert (await c.expect("311")).text == "Nora Namer"
    assert (await c.expect("352")).text == "0 Nora Namer"
    await a.send("SETNAME :" + "x" * 201, "SETNAME :", "SETNAME")
    fail = await a.expect("FAIL")
    assert fail.raw == ":irc.test FAIL SETNAME INVALID_REALNAME :Realname is too long"
    assert (await a.expect("FAIL")).text == "Realname is empty"
    assert (await a.expect("461")).raw == ":irc.test 461 namer SETNAME :Not enough parameters"
    await a.send("CAP LS 302")
    assert "setname" in (await a.expect("CAP")).text.split()
    for x in (a, b, c):
        await x.close()


async def test_whox(parley):
    server = irc_server(parley, "[access]\nguests = host\n")
    web = await Client.connect(server.port, "webx")
    await web.enter("lobby")
    a = await IrcClient.registered(server.irc_port, "asker")
    await a.join("#lobby")
    await a.send("AWAY :brb")
    await a.expect("306")
    await a.send("WHO #lobby %tcnfar,42")
    rows = sorted([(await a.expect("354")).raw for _ in range(2)])
    assert rows == [":irc.test 354 asker 42 #lobby asker G@ 0 :Real Name",
                    ":irc.test 354 asker 42 #lobby webx H@ 0 :webx"]
    assert (await a.expect("315")).raw == ":irc.test 315 asker #lobby :End of WHO list"
    await a.send("WHO webx %nuhs")
    assert (await a.expect("354")).raw == ":irc.test 354 asker parley parley irc.test webx"
    await a.send("WHO webx %t")  # no token given: 0
    assert (await a.expect("354")).raw == ":irc.test 354 asker 0"
    assert "WHOX" in await isupport_tokens(a)
    await a.close()
    await web.close()


# ---- MONITOR and WHOWAS ------------------------------------------------------------------------

async def test_monitor_web_and_irc_nicks(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "webon")
    m = await IrcClient.registered(server.irc_port, "monitorer")
    assert "MONITOR=100" in await isupport_tokens(m)
    await m.send("MONITOR + WebOn,ircfriend,9bad")
    assert (await m.expect("730")).raw == ":irc.test 730 monitorer :webon!parley@parley"
    assert (await m.expect("731")).raw == ":irc.test 731 monitorer :ircfriend"
    await m.no_line(lambda ln: ln.command in ("730", "731"))  # 9bad is no nick
    # an IRC user coming online and leaving, a web user leaving
    f = await IrcClient.registered(server.irc_port, "ircfriend")
    assert (await m.expect("730")).text == "ircfriend!parley@parley"
    await f.send("QUIT")
    await f.closed()
    assert (await m.expect("731")).text == "ircfriend"
    await web.close()
    assert (await m.expect("731")).text == "webon"
    # a rename: the old nick goes offline, a watched new one comes online
    await m.send("MONITOR + newname")
    assert (await m.expect("731")).text == "newname"
    r = await IrcClient.registered(server.irc_port, "oldname")
    await m.send("MONITOR + oldname")
    assert (await m.expect("730")).text == "oldname!parley@parley"
    await r.send("NICK newname")
    assert (await m.expect("731")).text == "oldname"
    assert (await m.expect("730")).text == "newname!parley@parley"
    # L, S, -, C
    await m.send("MONITOR L")
    listed = []
    while True:
        ln = await m.expect(lambda x: x.command in ("732", "733"))
        if ln.command == "733":
            break
        listed.append(ln.text)
    assert sorted(listed) == ["WebOn", "ircfriend", "newname", "oldname"]
    await m.send("MONITOR - WebOn,ircfriend,oldname", "MONITOR S")
    assert (await m.expect("730")).text == "newname!parley@parley"
    await m.send("MONITOR C", "MONITOR L")
    assert (await m.expect("733")).text == "End of MONITOR list"
    await m.no_line("732")
    # errors: no targets, unknown subcommand, a full list
    await m.send("MONITOR +", "MONITOR X")
    assert (await m.expect("461")).raw == ":irc.test 461 monitorer MONITOR :Not enough parameters"
    assert (await m.expect("FAIL")).params[:2] == ["MONITOR", "INVALID_PARAMS"]
    nicks = [f"nick{i:03d}" for i in range(101)]  # two lines: one would pass 512 bytes
    await m.send(f"MONITOR + {','.join(nicks[:50])}", f"MONITOR + {','.join(nicks[50:])}")
    full = await m.expect("734")
    assert full.raw == ":irc.test 734 monitorer 100 nick100 :Monitor list is full."
    await m.close()
    await r.close()


async def test_whowas(parley):
    server = irc_server(parley)
    a = await IrcClient.registered(server.irc_port, "asker")
    web = await Client.connect(server.port, "ghost")
    await web.close()
    b = await IrcClient.registered(server.irc_port, "firstname")
    await b.send("NICK secondname")
    await b.expect("NICK")
    await a.send("WHOWAS ghost")
    first = await a.expect("314")
    assert first.raw == ":irc.test 314 asker ghost parley parley * :ghost"
    assert (await a.expect("312")).params[1:3] == ["ghost", "irc.test"]
    assert (await a.expect("369")).raw == ":irc.test 369 asker ghost :End of WHOWAS"
    await a.send("WHOWAS FIRSTNAME 1")
    assert (await a.expect("314")).params[1] == "firstname"
    await a.expect("369")
    await a.send("WHOWAS nobodyever", "WHOWAS")
    assert (await a.expect("406")).raw == ":irc.test 406 asker nobodyever :There was no such nickname"
    assert (await a.expect("369")).params[1] == "nobodyever"
    assert (await a.expect("431")).raw == ":irc.test 431 asker :No nickname given"
    await a.close()
    await b.close()


async def test_invite_notify(parley):
    server = irc_server(parley)
    a = await IrcClient.registered(server.irc_port, "inviter")
    b = await IrcClient.registered(server.irc_port, "invitee")
    n = await IrcClient.registered(server.irc_port, "notified", ["invite-notify"])
    q = await IrcClient.registered(server.irc_port, "quiet")
    o = await IrcClient.registered(server.irc_port, "otherchan", ["invite-notify"])
    for x in (a, b, n, q):
        await x.join("#lobby")
    await o.join("#duo")
    await a.send("INVITE invitee #lobby")
    await a.expect("341")
    assert (await n.expect("INVITE")).raw == ":inviter!parley@parley INVITE invitee #lobby"
    assert (await b.expect("INVITE")).params[1].startswith("#~invite-")  # the invitee's own
    await q.no_line("INVITE")
    await o.no_line("INVITE")
    await a.no_line("INVITE")
    for x in (a, b, n, q, o):
        await x.close()
