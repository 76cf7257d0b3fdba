"""Every IRC command's replies and error numerics, exactly (docs/PROTOCOL.md, "IRC gateway",
"Commands, replies and errors"): the numeric, the target nick, the parameters, and the trailing
text where it is fixed. Mixed with WebSocket users where rights come from the web: a web host's
eject is a KICK from that host, a change of rights is a MODE +o/-o every IRC member sees, a ban
answers JOIN with 474."""

import base64
import re
import time

from accounts_kit import FAST, PASSWORD, Accounts, connect_account
from irc_client import IRC_CONFIG, IrcClient
from parley_client import LOBBY_AND_DUO, Client, http_request

CONFIG = IRC_CONFIG + LOBBY_AND_DUO
ADMIN = "[server]\nadmin_token = tok\n"


async def irc_user(server, nick, caps=()):
    return await IrcClient.registered(server.irc_port, nick, caps)


async def logged_in(server, name):
    """An IRC client logged in to account name with PASS (a registered account)."""
    c = await IrcClient.open(server.irc_port, name)
    await c.send(f"PASS :{name}:{PASSWORD}", f"NICK {name}", "USER u 0 * :Real")
    await c.expect("001")
    await c.expect(lambda ln: ln.command in ("376", "422"))
    c.pending.clear()
    return c


def put_acl(server, obj, acl):
    r = http_request(server.port, "PUT", f"/api/v1/admin/acl/{obj}", {"acl": acl},
                     {"Authorization": "Bearer tok"})
    assert r.status == 200, r


def near_now(secs):
    return abs(int(secs) - time.time()) < 3600


# ---- registration, CAP, PING/PONG, unknown commands ---------------------------------------------

async def test_registration_cap_ping_and_line_errors(parley):
    server = parley(CONFIG)
    web = await Client.connect(server.port, "held")
    c = await IrcClient.open(server.irc_port)
    # 451 for commands that need registration, and for unknown ones before it
    for cmd in ("JOIN #lobby", "PRIVMSG #lobby :x", "MODE x", "WHOIS x", "FROB"):
        await c.send(cmd)
        assert (await c.expect("451")).raw == ":irc.test 451 * :You have not registered"
    # 461 names the command
    for cmd in ("USER a", "CAP", "PASS", "PING"):
        await c.send(cmd)
        assert (await c.expect("461")).raw == \
            f":irc.test 461 * {cmd.split()[0]} :Not enough parameters"
    # 409: PING or PONG without an origin
    await c.send("PING :", "PONG", "PONG :")
    for _ in range(3):
        assert (await c.expect("409")).raw == ":irc.test 409 * :No origin specified"
    # nick errors
    await c.send("NICK", "NICK :", "NICK 9lives", "NICK held")
    assert (await c.expect("431")).raw == ":irc.test 431 * :No nickname given"
    assert (await c.expect("431")).raw == ":irc.test 431 * :No nickname given"
    assert (await c.expect("432")).raw == ":irc.test 432 * 9lives :Erroneous nickname"
    assert (await c.expect("433")).raw == ":irc.test 433 * held :Nickname is already in use"
    # CAP: unknown subcommand 410, an unknown capability NAKs the whole request, REQ alone 461
    await c.send("CAP LS 302")
    ls = await c.expect("CAP")
    assert ls.params[:2] == ["*", "LS"]
    await c.send("NICK fresh", "CAP BOGUS", "CAP REQ :batch nonesuch", "CAP REQ",
                 "CAP REQ :batch", "CAP LIST")
    assert (await c.expect("410")).raw == ":irc.test 410 fresh BOGUS :Invalid CAP command"
    assert (await c.expect("CAP")).raw == ":irc.test CAP fresh NAK :batch nonesuch"
    assert (await c.expect("461")).raw == ":irc.test 461 fresh CAP :Not enough parameters"
    assert (await c.expect("CAP")).raw == ":irc.test CAP fresh ACK :batch"
    assert (await c.expect("CAP")).raw == ":irc.test CAP fresh LIST :cap-notify batch"
    await c.send("USER f 0 * :Fresh", "CAP END")
    assert (await c.expect("001")).params[0] == "fresh"
    # 462 once registered; 421 for unknown commands
    await c.send("USER f 0 * :again", "PASS x", "FROB", "PING :tok")
    assert (await c.expect("462")).raw == ":irc.test 462 fresh :You may not reregister"
    assert (await c.expect("462")).raw == ":irc.test 462 fresh :You may not reregister"
    assert (await c.expect("421")).raw == ":irc.test 421 fresh FROB :Unknown command"
    assert (await c.expect("PONG")).raw == ":irc.test PONG irc.test :tok"
    # a registered rename: 431/432/433 with the current nick as target
    await c.send("NICK", "NICK a!b", "NICK HELD")
    assert (await c.expect("431")).raw == ":irc.test 431 fresh :No nickname given"
    assert (await c.expect("432")).raw == ":irc.test 432 fresh a!b :Erroneous nickname"
    assert (await c.expect("433")).raw == ":irc.test 433 fresh HELD :Nickname is already in use"
    # 417: a line over 512 bytes is refused, the connection goes on
    await c.send("PRIVMSG #lobby :" + "x" * 600)
    assert (await c.expect("417")).raw == ":irc.test 417 fresh :Input line was too long"
    # QUIT: ERROR and the close
    await c.send("QUIT :done")
    assert (await c.closed())[-1].raw == "ERROR :Closing link: fresh (Quit: done)"
    await web.close()


# ---- channels: JOIN, PART, TOPIC, NAMES, LIST -------------------------------------------------------

async def test_join_part_topic_names_list_errors(parley):
    server = parley(CONFIG + "[access]\nguests = participant\n")
    a = await irc_user(server, "anna")
    b = await irc_user(server, "bert")
    d1 = await irc_user(server, "duo1")
    assert await a.join("#lobby") == "#lobby"
    # JOIN: 461, 476 (no channel name), 403 (no such room, no such table), 473 (a private room)
    await a.send("JOIN", "JOIN lobby", "JOIN #", "JOIN #lobby/0", "JOIN #nosuch", "JOIN #lobby/7",
                 "JOIN #~private-424242")
    assert (await a.expect("461")).raw == ":irc.test 461 anna JOIN :Not enough parameters"
    for bad in ("lobby", "#", "#lobby/0"):
        assert (await a.expect("476")).raw == f":irc.test 476 anna {bad} :Bad Channel Mask"
    assert (await a.expect("403")).raw == ":irc.test 403 anna #nosuch :No such channel"
    assert (await a.expect("403")).raw == ":irc.test 403 anna #lobby/7 :No such channel"
    assert (await a.expect("473")).raw == \
        ":irc.test 473 anna #~private-424242 :Cannot join channel (+i)"
    # 471: a full table asked for by number (duo seats two)
    assert await d1.join("#duo") == "#duo"
    assert await b.join("#duo") == "#duo"
    await a.send("JOIN #duo/1")
    assert (await a.expect("471")).raw == ":irc.test 471 anna #duo/1 :Cannot join channel (+l)"
    # PART: 461, 403, 442
    await a.send("PART", "PART #nosuch", "PART #duo")
    assert (await a.expect("461")).raw == ":irc.test 461 anna PART :Not enough parameters"
    assert (await a.expect("403")).raw == ":irc.test 403 anna #nosuch :No such channel"
    assert (await a.expect("442")).raw == ":irc.test 442 anna #duo :You're not on that channel"
    # TOPIC: 461, 442, 403, 331, and 482 for a participant setting it
    await a.send("TOPIC", "TOPIC #duo", "TOPIC #nosuch", "TOPIC #lobby", "TOPIC #lobby :mine")
    assert (await a.expect("461")).raw == ":irc.test 461 anna TOPIC :Not enough parameters"
    assert (await a.expect("442")).raw == ":irc.test 442 anna #duo :You're not on that channel"
    assert (await a.expect("403")).raw == ":irc.test 403 anna #nosuch :No such channel"
    assert (await a.expect("331")).raw == ":irc.test 331 anna #lobby :No topic is set"
    assert (await a.expect("482")).raw == \
        ":irc.test 482 anna #lobby :You're not channel operator"
    # NAMES: no parameter, a channel one is not on (an empty list)
    await a.send("NAMES", "NAMES #duo")
    assert (await a.expect("366")).raw == ":irc.test 366 anna * :End of /NAMES list"
    assert (await a.expect("366")).raw == ":irc.test 366 anna #duo :End of /NAMES list"
    await a.no_line("353")
    # LIST: 321, one 322 per table (people, then topic or the room's title), 323
    await a.send("LIST #duo,#nosuch")
    assert (await a.expect("321")).raw == ":irc.test 321 anna Channel :Users  Name"
    assert (await a.expect("322")).raw == ":irc.test 322 anna #duo 2 :Duo"
    assert (await a.expect("323")).raw == ":irc.test 323 anna :End of /LIST"
    for x in (a, b, d1):
        await x.close()


async def test_topic_who_time_after_332(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + "[access]\nguests = host\n")
    a = await irc_user(server, "setter")
    b = await irc_user(server, "reader")
    await a.join("#lobby")
    await b.join("#lobby")
    await a.send("TOPIC #lobby :Cake at four")
    assert (await a.expect("TOPIC")).raw == ":setter!parley@parley TOPIC #lobby :Cake at four"
    assert (await b.expect("TOPIC")).raw == ":setter!parley@parley TOPIC #lobby :Cake at four"
    await b.send("TOPIC #lobby")
    assert (await b.expect("332")).raw == ":irc.test 332 reader #lobby :Cake at four"
    twt = await b.expect("333")
    assert twt.params[:3] == ["reader", "#lobby", "setter"] and near_now(twt.params[3])
    # TOPICLEN is the core's 1000 bytes, but an IRC line holds fewer: 417 before that
    await a.send("TOPIC #lobby :" + "t" * 600, "TOPIC #lobby :" + "t" * 400)
    assert (await a.expect("417")).raw == ":irc.test 417 setter :Input line was too long"
    assert (await a.expect("TOPIC")).text == "t" * 400
    # on JOIN too, right after 332; a topic set on the web names the web host
    web = await Client.connect(server.port, "webhost")
    await web.enter("lobby")
    await web.cmd("edit_table", room="lobby", table=1, topic="From the web")
    assert (await a.expect("TOPIC")).raw == ":webhost!parley@parley TOPIC #lobby :From the web"
    c = await irc_user(server, "joiner")
    await c.send("JOIN #lobby")
    await c.expect("JOIN")
    assert (await c.expect(lambda ln: ln.command.isdigit())).raw == \
        ":irc.test 332 joiner #lobby :From the web"
    nxt = await c.expect(lambda ln: ln.command.isdigit())
    assert nxt.command == "333" and nxt.params[:3] == ["joiner", "#lobby", "webhost"]
    # the setter and time survive a restart (the store keeps them)
    for x in (a, b, c, web):
        await x.close()
    server.restart()
    d = await irc_user(server, "later")
    await d.send("JOIN #lobby")
    await d.expect("332")
    assert (await d.expect("333")).params[:3] == ["later", "#lobby", "webhost"]
    await d.close()


# ---- messages ---------------------------------------------------------------------------------------

async def test_privmsg_and_notice_errors(parley):
    server = parley(CONFIG + "[access]\nguests = participant\n")
    a = await irc_user(server, "amy")
    b = await irc_user(server, "bob")
    far = await irc_user(server, "far")
    await a.join("#lobby")
    await b.join("#lobby")
    await far.join("#duo")
    await a.send("PRIVMSG", "PRIVMSG #lobby", "PRIVMSG #lobby :", "PRIVMSG nobody :x",
                 "PRIVMSG #nosuch :x", "PRIVMSG #duo :x", "PRIVMSG far :x", "PRIVMSG bob,far :x")
    assert (await a.expect("411")).raw == ":irc.test 411 amy :No recipient given (PRIVMSG)"
    assert (await a.expect("412")).raw == ":irc.test 412 amy :No text to send"
    assert (await a.expect("412")).raw == ":irc.test 412 amy :No text to send"
    assert (await a.expect("401")).raw == ":irc.test 401 amy nobody :No such nick/channel"
    assert (await a.expect("401")).raw == ":irc.test 401 amy #nosuch :No such nick/channel"
    assert (await a.expect("404")).raw == ":irc.test 404 amy #duo :Cannot send to channel"
    assert (await a.expect("401")).raw == \
        ":irc.test 401 amy far :No such nick at a table you sit at"
    assert (await a.expect("407")).raw == \
        ":irc.test 407 amy bob,far :Too many recipients (one a message)"
    # NOTICE: the same misuses, never an error reply
    a.pending.clear()
    await a.send("NOTICE", "NOTICE #lobby", "NOTICE nobody :x", "NOTICE #nosuch :x",
                 "NOTICE #duo :x", "NOTICE far :x", "NOTICE bob,far :x")
    await a.no_line(lambda ln: ln.command != "PONG")
    # 301 to the sender of a PRIVMSG to someone away
    await b.send("AWAY :out")
    assert (await b.expect("306")).raw == ":irc.test 306 bob :You have been marked as being away"
    await a.send("PRIVMSG bob :hi")
    assert (await a.expect("301")).raw == ":irc.test 301 amy bob :out"
    await b.send("AWAY")
    assert (await b.expect("305")).raw == \
        ":irc.test 305 bob :You are no longer marked as being away"
    for x in (a, b, far):
        await x.close()


async def test_read_only_cannot_send(parley):
    server = parley(CONFIG + "[access]\nguests = read_only\n")
    a = await irc_user(server, "looker")
    await a.join("#lobby")
    await a.send("PRIVMSG #lobby :hello?")
    assert (await a.expect("404")).raw == ":irc.test 404 looker #lobby :Cannot send to channel"
    await a.close()


# ---- queries: WHO, WHOIS, WHOWAS, MOTD, LUSERS, VERSION, TIME, MONITOR --------------------------

async def test_query_commands_and_their_errors(parley):
    server = parley(CONFIG)
    a = await irc_user(server, "asker")
    await a.join("#lobby")
    await a.send("WHOIS", "WHOIS nobody", "WHO nobody", "WHO #nosuch")
    assert (await a.expect("431")).raw == ":irc.test 431 asker :No nickname given"
    assert (await a.expect("401")).raw == ":irc.test 401 asker nobody :No such nick/channel"
    assert (await a.expect("318")).raw == ":irc.test 318 asker nobody :End of /WHOIS list"
    assert (await a.expect("315")).raw == ":irc.test 315 asker nobody :End of WHO list"
    assert (await a.expect("315")).raw == ":irc.test 315 asker #nosuch :End of WHO list"
    await a.send("WHO #lobby %tnf,42")
    assert (await a.expect("354")).raw == ":irc.test 354 asker 42 asker H"
    await a.expect("315")
    await a.send("WHOWAS", "WHOWAS nobodyever")
    assert (await a.expect("431")).raw == ":irc.test 431 asker :No nickname given"
    assert (await a.expect("406")).raw == \
        ":irc.test 406 asker nobodyever :There was no such nickname"
    assert (await a.expect("369")).raw == ":irc.test 369 asker nobodyever :End of WHOWAS"
    await a.send("MOTD")
    assert (await a.expect("422")).raw == ":irc.test 422 asker :MOTD File is missing"
    await a.send("LUSERS")
    assert (await a.expect("251")).raw == \
        ":irc.test 251 asker :There are 1 users and 0 invisible on 1 servers"
    assert (await a.expect("252")).raw == ":irc.test 252 asker 0 :operator(s) online"
    assert (await a.expect("253")).raw == ":irc.test 253 asker 0 :unknown connection(s)"
    assert (await a.expect("254")).params[2] == "channels formed"
    assert (await a.expect("255")).raw == ":irc.test 255 asker :I have 1 clients and 0 servers"
    assert (await a.expect("265")).params[1:3] == ["1", "1"]
    assert (await a.expect("266")).params[1:3] == ["1", "1"]
    await a.send("VERSION")
    v = await a.expect("351")
    assert v.params[2:] == ["irc.test", "Parley chat server, IRC gateway"]
    assert re.fullmatch(r"parley-\S+", v.params[1])
    assert (await a.expect("005")).params[-1] == "are supported by this server"
    await a.send("TIME")
    t = await a.expect("391")
    assert t.params[1] == "irc.test" and near_now(t.params[2]) and t.params[3] == "0"
    await a.close()


async def test_monitor_numerics_and_a_full_list(parley):
    server = parley(CONFIG)
    m = await irc_user(server, "watcher")
    await m.send("MONITOR", "MONITOR +", "MONITOR + watcher,ghost", "MONITOR L")
    assert (await m.expect("461")).raw == ":irc.test 461 watcher MONITOR :Not enough parameters"
    assert (await m.expect("461")).raw == ":irc.test 461 watcher MONITOR :Not enough parameters"
    assert (await m.expect("730")).raw == ":irc.test 730 watcher :watcher!parley@parley"
    assert (await m.expect("731")).raw == ":irc.test 731 watcher :ghost"
    assert (await m.expect("732")).raw == ":irc.test 732 watcher :watcher"
    assert (await m.expect("732")).raw == ":irc.test 732 watcher :ghost"
    assert (await m.expect("733")).raw == ":irc.test 733 watcher :End of MONITOR list"
    # 98 more fill the list (100); the next is refused with 734 and the rest of the list
    names = [f"n{i:03d}" for i in range(98)]
    for i in range(0, 98, 20):
        await m.send("MONITOR + " + ",".join(names[i:i + 20]))
    for _ in names:
        await m.expect("731")
    await m.send("MONITOR + extra1,extra2")
    assert (await m.expect("734")).raw == \
        ":irc.test 734 watcher 100 extra1,extra2 :Monitor list is full."
    await m.no_line("731")
    await m.close()


# ---- MODE, KICK, INVITE ----------------------------------------------------------------------------

async def test_mode_kick_invite_errors(parley):
    server = parley(CONFIG + "[access]\nguests = participant\n")
    v = await irc_user(server, "visitor")
    o = await irc_user(server, "other")
    x = await irc_user(server, "elsewhere")
    await v.join("#lobby")
    await o.join("#lobby")
    await x.join("#duo")
    # MODE: 461, 403, 324 + 329, 368 (bans: none shown to a non-host), 472, 482
    await v.send("MODE", "MODE #nosuch", "MODE #lobby", "MODE #lobby b", "MODE #lobby +k key",
                 "MODE #lobby +o other")
    assert (await v.expect("461")).raw == ":irc.test 461 visitor MODE :Not enough parameters"
    assert (await v.expect("403")).raw == ":irc.test 403 visitor #nosuch :No such channel"
    assert (await v.expect("324")).raw == ":irc.test 324 visitor #lobby +nt"
    created = await v.expect("329")
    assert created.params[:2] == ["visitor", "#lobby"] and near_now(created.params[2])
    assert (await v.expect("368")).raw == ":irc.test 368 visitor #lobby :End of channel ban list"
    assert (await v.expect("472")).raw == ":irc.test 472 visitor k :is unknown mode char to me"
    assert (await v.expect("482")).raw == \
        ":irc.test 482 visitor #lobby :You're not channel operator"
    # user modes: 221, 501, 502, 401
    await v.send("MODE visitor", "MODE visitor +w", "MODE other", "MODE nobody")
    assert (await v.expect("221")).raw == ":irc.test 221 visitor +i"
    assert (await v.expect("501")).raw == ":irc.test 501 visitor :Unknown MODE flag"
    assert (await v.expect("502")).raw == \
        ":irc.test 502 visitor :Can't change mode for other users"
    assert (await v.expect("401")).raw == ":irc.test 401 visitor nobody :No such nick/channel"
    # KICK: 461, 403, 442, 401, 441, 482
    await v.send("KICK #lobby", "KICK #nosuch other", "KICK #duo elsewhere", "KICK #lobby nobody",
                 "KICK #lobby elsewhere", "KICK #lobby other :go")
    assert (await v.expect("461")).raw == ":irc.test 461 visitor KICK :Not enough parameters"
    assert (await v.expect("403")).raw == ":irc.test 403 visitor #nosuch :No such channel"
    assert (await v.expect("442")).raw == ":irc.test 442 visitor #duo :You're not on that channel"
    assert (await v.expect("401")).raw == ":irc.test 401 visitor nobody :No such nick/channel"
    assert (await v.expect("441")).raw == \
        ":irc.test 441 visitor elsewhere #lobby :They aren't on that channel"
    assert (await v.expect("482")).raw == \
        ":irc.test 482 visitor #lobby :You're not channel operator"
    # INVITE: 461, 403, 442, 401, 441
    await v.send("INVITE other", "INVITE other #nosuch", "INVITE other #duo",
                 "INVITE nobody #lobby", "INVITE elsewhere #lobby")
    assert (await v.expect("461")).raw == ":irc.test 461 visitor INVITE :Not enough parameters"
    assert (await v.expect("403")).raw == ":irc.test 403 visitor #nosuch :No such channel"
    assert (await v.expect("442")).raw == ":irc.test 442 visitor #duo :You're not on that channel"
    assert (await v.expect("401")).raw == ":irc.test 401 visitor nobody :No such nick/channel"
    assert (await v.expect("441")).raw == \
        ":irc.test 441 visitor elsewhere #lobby :They aren't on that channel"
    await o.no_line("KICK")
    for c in (v, o, x):
        await c.close()


# ---- rights from the web: eject, ban, host -------------------------------------------------------

async def test_web_host_eject_is_a_kick_and_a_ban_answers_474(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + "[access]\nregistered = host\n")
    acc = Accounts(server, smtp)
    chief = await connect_account(server.port, acc.registered("chief"))
    await chief.enter("lobby")
    acc.registered("keeper")
    keeper = await logged_in(server, "keeper")  # a host on IRC: the account's rights
    victim = await irc_user(server, "victim")
    witness = await irc_user(server, "witness")
    for c in (keeper, victim, witness):
        assert await c.join("#lobby") == "#lobby"
    # an IRC host's KICK: the host is the source, its reason the text, for everyone
    await keeper.send("KICK #lobby witness :bye now")
    for c in (witness, victim, keeper):
        assert (await c.expect("KICK")).raw == \
            ":keeper!parley@parley KICK #lobby witness :bye now"
    left = await chief.event("member_left", nick="witness")
    assert left["reason"] == "ejected"
    # a web host's eject: the same, from the web host
    await chief.cmd("eject", room="lobby", nick="victim", scope="table", reason="calm down")
    for c in (victim, keeper):
        assert (await c.expect("KICK")).raw == \
            ":chief!parley@parley KICK #lobby victim :calm down"
    # without a reason: "ejected"; with a ban (guests: by nick and address), JOIN answers 474
    assert await victim.join("#lobby") == "#lobby"
    await chief.cmd("eject", room="lobby", nick="victim", ban=600)
    assert (await keeper.expect("KICK")).raw == ":chief!parley@parley KICK #lobby victim :ejected"
    await victim.expect("KICK")
    await victim.send("JOIN #lobby", "JOIN #lobby/1")
    assert (await victim.expect("474")).raw == \
        ":irc.test 474 victim #lobby :Cannot join channel (+b)"
    assert (await victim.expect("474")).raw == \
        ":irc.test 474 victim #lobby/1 :Cannot join channel (+b)"
    # a host sees the ban in MODE #chan b: the mask, who set it, when it ends
    await keeper.send("MODE #lobby b")
    ban = await keeper.expect("367")
    assert ban.params[:4] == ["keeper", "#lobby", "victim!*@*", "chief"]
    assert int(ban.params[4]) > time.time()
    assert (await keeper.expect("368")).raw == \
        ":irc.test 368 keeper #lobby :End of channel ban list"
    for c in (victim, witness, keeper, chief):
        await c.close()


async def test_rights_changes_are_modes_every_member_sees(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + ADMIN +
                    "[access]\nregistered = host\nguests = participant\n")
    chief = await connect_account(server.port, Accounts(server, smtp).registered("chief"))
    await chief.enter("lobby")
    a = await irc_user(server, "promoted")
    b = await irc_user(server, "onlooker")
    await a.join("#lobby")
    await b.join("#lobby")
    assert sorted(await b.names("#lobby")) == ["@chief", "onlooker", "promoted"]
    # the web's access list makes guests hosts: every member sees each MODE +o
    put_acl(server, "room/lobby", [{"who": "guests", "right": "host"},
                                   {"who": "registered", "right": "host"}])
    seen = sorted([(await b.expect("MODE")).raw for _ in range(2)])
    assert seen == [":irc.test MODE #lobby +o onlooker", ":irc.test MODE #lobby +o promoted"]
    seen = sorted([(await a.expect("MODE")).raw for _ in range(2)])
    assert seen == [":irc.test MODE #lobby +o onlooker", ":irc.test MODE #lobby +o promoted"]
    assert sorted(await b.names("#lobby")) == ["@chief", "@onlooker", "@promoted"]
    # back to participants: MODE -o
    put_acl(server, "room/lobby", [{"who": "guests", "right": "participant"},
                                   {"who": "registered", "right": "host"}])
    seen = sorted([(await b.expect("MODE")).raw for _ in range(2)])
    assert seen == [":irc.test MODE #lobby -o onlooker", ":irc.test MODE #lobby -o promoted"]
    # moderated (a participant in a moderated room) is no channel mode: nothing is told
    put_acl(server, "room/lobby", [{"who": "guests", "right": "moderated"},
                                   {"who": "registered", "right": "host"}])
    await b.no_line("MODE")
    # read-only: the others see them leave (they lurk)
    put_acl(server, "room/lobby", [{"who": "guests", "right": "read_only"},
                                   {"who": "registered", "right": "host"}])
    parts = sorted([(await chief.event("member_left"))["nick"] for _ in range(2)])
    assert parts == ["onlooker", "promoted"]
    for c in (a, b, chief):
        await c.close()


async def test_a_table_open_to_others_only_answers_473(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + ADMIN + "[access]\nguests = participant\n")
    acc = Accounts(server, smtp)
    d1 = await irc_user(server, "first")
    d2 = await irc_user(server, "second")
    await d1.join("#duo")
    await d2.join("#duo")
    vip = await connect_account(server.port, acc.registered("vip"))
    entered = await vip.enter("duo")
    assert entered["table"]["table"] == 2
    put_acl(server, "room/duo/table/2", [{"who": "user", "name": "vip", "right": "participant"}])
    guest = await irc_user(server, "outsider")
    await guest.send("JOIN #duo/2")
    assert (await guest.expect("473")).raw == \
        ":irc.test 473 outsider #duo/2 :Cannot join channel (+i)"
    for c in (d1, d2, guest, vip):
        await c.close()


# ---- labeled-response on answers that come later -------------------------------------------------

async def test_sasl_and_register_answers_carry_their_label(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG)
    Accounts(server, smtp).registered("labby")
    caps = ("sasl", "labeled-response", "batch")
    c = await IrcClient.open(server.irc_port, "labby")
    await c.send("CAP LS 302", "NICK labby", "USER u 0 * :L", f"CAP REQ :{' '.join(caps)}")
    await c.expect(lambda ln: ln.command == "CAP" and ln.params[1] == "ACK")
    await c.send("@label=s1 AUTHENTICATE PLAIN")
    plus = await c.expect("AUTHENTICATE")
    assert plus.tags == {"label": "s1"} and plus.params == ["+"]
    blob = base64.b64encode(f"labby\0labby\0{PASSWORD}".encode()).decode()
    # CAP END with it: registration completes after the answer, outside its batch
    await c.send(f"@label=s2 AUTHENTICATE {blob}", "CAP END")
    start = await c.expect("BATCH")  # 900 and 903, later, in one labelled batch
    assert start.tags == {"label": "s2"} and start.params[1] == "labeled-response"
    ref = start.params[0][1:]
    assert (await c.expect("900")).tags == {"batch": ref}
    assert (await c.expect("903")).tags == {"batch": ref}
    assert (await c.expect("BATCH")).params == [f"-{ref}"]
    assert not [ln for ln in c.seen if ln.command == "ACK"]
    welcome = await c.expect("001")
    assert welcome.tags == {} and welcome.params[0] == "labby"
    assert c.seen.index(welcome) > c.seen.index(start) + 3
    await c.close()
    # REGISTER: its answer comes from the accounts service, with the label
    r = await IrcClient.open(server.irc_port, "newcomer")
    await r.send("CAP LS 302", "NICK newcomer", "USER u 0 * :N",
                 "CAP REQ :labeled-response draft/account-registration")
    await r.expect(lambda ln: ln.command == "CAP" and ln.params[1] == "ACK")
    await r.send(f"@label=r1 REGISTER * newcomer@example.org :{PASSWORD}")
    reply = await r.expect("REGISTER")
    assert reply.tags == {"label": "r1"}
    assert reply.params[:2] == ["VERIFICATION_REQUIRED", "newcomer"]
    await r.send("@label=r2 REGISTER * other@example.org :short")
    fail = await r.expect("FAIL")
    assert fail.tags == {"label": "r2"} and fail.params[:2] == ["REGISTER", "WEAK_PASSWORD"]
    await r.close()
