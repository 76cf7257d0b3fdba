"""The IRC gateway ([irc] listen; docs/PROTOCOL.md, "IRC gateway"): registration and its errors,
CAP negotiation, PING/PONG, channels as tables, PRIVMSG/NOTICE, the IRCv3 tags, bad input, and IRC
and WebSocket users at the same tables. Raw lines where the exact bytes matter; one test with
python3-irc, a real IRC client library."""

import asyncio
import re
import time

import irc.client

from accounts_kit import FAST, Accounts, connect_account
from conftest import FLOOD_OFF
from irc_client import IRC_CONFIG, IrcClient, numeric_re
from parley_client import LOBBY_AND_DUO, TIMEOUT, Client, eventually, http_request
from test_tls import client_ctx, make_cert, tls_config

CONFIG = IRC_CONFIG + LOBBY_AND_DUO


def irc_server(parley, extra=""):
    server = parley(CONFIG + extra)
    assert server.irc_port and server.irc_port != server.port
    return server


def uncoloured(text):
    """A web user's text as IRC shows it starts with the sender's colour code (test_irc_accounts
    checks it): the text without it."""
    assert re.match(r"\x03\d\d", text), text
    return text[3:]


async def irc_user(server, nick, caps=()):
    return await IrcClient.registered(server.irc_port, nick, caps)


# ---- registration -----------------------------------------------------------------------------

async def test_registration_welcome_isupport_lusers(parley):
    server = irc_server(parley)
    c = await IrcClient.open(server.irc_port)
    await c.send("NICK alice", "USER al 0 * :Alice Liddell")
    lines = []
    while not lines or lines[-1].command not in ("376", "422"):
        lines.append(await c.read_line())
    nums = [ln.command for ln in lines]
    assert nums == ["001", "002", "003", "004", "005", "005", "005", "251", "252", "253", "254",
                    "255", "265", "266", "422"]
    assert all(ln.source == "irc.test" and ln.params[0] == "alice" for ln in lines)
    assert lines[0].raw == ":irc.test 001 alice :Welcome to the TestNet IRC network, alice"
    assert lines[3].params[1:] == ["irc.test", lines[3].params[2], "i", "bnt", "bov"]
    tokens = dict(t.partition("=")[::2] for ln in lines[4:7] for t in ln.params[1:-1])
    assert tokens["CHANTYPES"] == "#"
    assert tokens["PREFIX"] == "(ov)@+"
    assert tokens["NETWORK"] == "TestNet"
    assert tokens["NICKLEN"] == "24" and tokens["CHANNELLEN"] == "39"
    assert tokens["TOPICLEN"] == "1000" and "UTF8ONLY" in tokens
    assert {"CASEMAPPING", "CHANMODES"} <= tokens.keys()
    assert lines[4].text == "are supported by this server"
    assert tokens["CHATHISTORY"] == "100" and tokens["MSGREFTYPES"] == "msgid,timestamp"
    assert lines[7].raw == ":irc.test 251 alice :There are 1 users and 0 invisible on 1 servers"
    assert lines[10].params[1] == "2"  # channels formed: the tables of lobby and duo
    assert lines[-1].raw == ":irc.test 422 alice :MOTD File is missing"
    m = server.metrics()
    assert m["parley_irc_connections"] == 1
    # LUSERS, VERSION and TIME on request
    await c.send("LUSERS", "VERSION", "TIME")
    await c.expect("266")
    v = await c.expect("351")
    assert v.params[1].startswith("parley-") and v.params[2] == "irc.test"
    await c.expect("005")
    t = await c.expect("391")
    assert t.params[1] == "irc.test" and re.match(r"\d+$", t.params[2])
    await c.close()


async def test_motd_file(parley, tmp_path):
    motd = tmp_path / "motd.txt"
    motd.write_text("Welcome to Parley.\nBe kind.\n")
    server = irc_server(parley, f"[irc]\nmotd_file = {motd}\n")
    c = await IrcClient.open(server.irc_port)
    await c.send("NICK bob", "USER b 0 * :B")
    start = await c.expect("375")
    assert start.text == "- irc.test Message of the day - "
    assert (await c.expect("372")).text == "Welcome to Parley."
    assert (await c.expect("372")).text == "Be kind."
    assert (await c.expect("376")).text == "End of /MOTD command."
    await c.send("MOTD")
    await c.expect("375")
    await c.expect("376")
    await c.close()


async def test_registration_errors(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "webby")
    c = await IrcClient.open(server.irc_port)
    await c.send("JOIN #lobby")
    assert (await c.expect("451")).raw == ":irc.test 451 * :You have not registered"
    await c.send("PRIVMSG #lobby :hi", "FROB")
    await c.expect("451")
    await c.expect("451")
    await c.send("NICK")
    assert (await c.expect("431")).raw == ":irc.test 431 * :No nickname given"
    for bad in ("1abc", "a", "admin", "has!bang"):
        await c.send(f"NICK {bad}")
        assert (await c.expect("432")).raw == f":irc.test 432 * {bad} :Erroneous nickname"
    await c.send("NICK webby")
    assert (await c.expect("433")).raw == ":irc.test 433 * webby :Nickname is already in use"
    await c.send("NICK WEBBY")  # nicks compare case-folded
    await c.expect("433")
    await c.send("USER onlyone")
    assert (await c.expect("461")).raw == ":irc.test 461 * USER :Not enough parameters"
    await c.send("PASS whatever", "NICK carol", "USER c 0 * :Carol")
    await c.expect("001")
    await c.send("USER c 0 * :again")
    assert (await c.expect("462")).raw == ":irc.test 462 carol :You may not reregister"
    await c.send("PASS x")
    await c.expect("462")
    await c.send("FROB a b")
    assert (await c.expect("421")).raw == ":irc.test 421 carol FROB :Unknown command"
    await c.send("PART")
    assert (await c.expect("461")).raw == ":irc.test 461 carol PART :Not enough parameters"
    # a second IRC client cannot take carol either
    d = await IrcClient.open(server.irc_port)
    await d.send("NICK carol")
    await d.expect("433")
    await d.close()
    await c.close()
    await web.close()


async def test_cap_negotiation(parley):
    server = irc_server(parley)
    c = await IrcClient.open(server.irc_port)
    await c.send("CAP LS 302", "NICK dora", "USER d 0 * :D")
    ls = await c.expect("CAP")
    assert ls.raw == (":irc.test CAP * LS :cap-notify echo-message message-tags multi-prefix "
                      "server-time sasl=PLAIN,SCRAM-SHA-256 account-notify account-tag "
                      "extended-join batch draft/chathistory labeled-response "
                      "draft/account-registration=before-connect,email-required,"
                      "custom-account-name away-notify setname invite-notify")
    # replies name the client by the nick it gave (before registration too)
    await c.send("CAP REQ :server-time frob")
    assert (await c.expect("CAP")).raw == ":irc.test CAP dora NAK :server-time frob"
    await c.send("CAP REQ :server-time echo-message")
    assert (await c.expect("CAP")).raw == ":irc.test CAP dora ACK :server-time echo-message"
    await c.send("CAP REQ :-echo-message")
    assert (await c.expect("CAP")).raw == ":irc.test CAP dora ACK :-echo-message"
    await c.send("CAP LIST")
    assert (await c.expect("CAP")).raw == ":irc.test CAP dora LIST :cap-notify server-time"
    await c.send("CAP FROB")
    assert (await c.expect("410")).raw == ":irc.test 410 dora FROB :Invalid CAP command"
    await c.no_line("001")  # registration waits for CAP END
    await c.send("CAP END")
    await c.expect("001")
    await c.send("CAP LIST")
    assert (await c.expect("CAP")).raw == ":irc.test CAP dora LIST :cap-notify server-time"
    await c.close()


async def test_ping_pong_and_idle_timeout(parley):
    server = irc_server(parley, "[irc]\nping_interval = 1\n")
    c = await irc_user(server, "pinger")
    await c.send("PING :some token")
    assert (await c.expect("PONG")).raw == ":irc.test PONG irc.test :some token"
    await c.send("PING")
    assert (await c.expect("461")).params[1] == "PING"
    # silence: the server pings; an answer keeps the connection
    ping = await c.expect("PING")
    assert ping.raw == "PING :irc.test"
    await c.send("PONG :irc.test")
    await c.expect("PING")
    # no answer this time: closed with ERROR
    lines = await c.closed()
    assert lines[-1].raw == "ERROR :Ping timeout: 2 seconds"
    await c.close()


async def test_quit(parley):
    server = irc_server(parley)
    a = await irc_user(server, "quitter")
    b = await irc_user(server, "stayer")
    await a.join("#lobby")
    await b.join("#lobby")
    await a.send("QUIT :gone fishing")
    lines = await a.closed()
    assert lines[-1].raw == "ERROR :Closing link: quitter (Quit: gone fishing)"
    part = await b.expect("PART")
    assert part.raw == ":quitter!parley@parley PART #lobby :disconnected"
    await a.close()
    await b.close()


# ---- channels -----------------------------------------------------------------------------------

async def test_join_part_names_topic(parley):
    server = irc_server(parley, "[access]\nguests = host\n")
    a = await irc_user(server, "anna")
    b = await irc_user(server, "ben")
    await a.send("JOIN #lobby")
    assert (await a.expect("JOIN")).raw == ":anna!parley@parley JOIN #lobby"
    assert (await a.expect("353")).raw == ":irc.test 353 anna = #lobby :@anna"
    assert (await a.expect("366")).raw == ":irc.test 366 anna #lobby :End of /NAMES list"
    assert await b.join("#lobby") == "#lobby"
    assert (await a.expect("JOIN")).raw == ":ben!parley@parley JOIN #lobby"
    assert await a.names("#lobby") == ["@anna", "@ben"]
    # TOPIC: none, then set by a host (everyone at the table sees it), then read
    await a.send("TOPIC #lobby")
    assert (await a.expect("331")).raw == ":irc.test 331 anna #lobby :No topic is set"
    await a.send("TOPIC #lobby :Tea at five")
    assert (await a.expect("TOPIC")).raw == ":anna!parley@parley TOPIC #lobby :Tea at five"
    assert (await b.expect("TOPIC")).text == "Tea at five"
    await b.send("TOPIC #lobby")
    assert (await b.expect("332")).raw == ":irc.test 332 ben #lobby :Tea at five"
    who_time = await b.expect("333")  # RPL_TOPICWHOTIME: the host who set it, when (s)
    assert who_time.params[:3] == ["ben", "#lobby", "anna"]
    assert abs(int(who_time.params[3]) - time.time()) < 3600
    # a joiner sees the topic before NAMES
    c = await irc_user(server, "cleo")
    await c.send("JOIN #LOBBY")
    await c.expect("JOIN")
    assert (await c.expect(lambda ln: ln.command in ("332", "353"))).command == "332"
    # errors
    await a.send("JOIN #nosuch", "JOIN lobby", "JOIN #lobby/99")
    assert (await a.expect("403")).raw == ":irc.test 403 anna #nosuch :No such channel"
    assert (await a.expect("476")).raw == ":irc.test 476 anna lobby :Bad Channel Mask"
    assert (await a.expect("403")).params[1] == "#lobby/99"
    await a.send("PART #duo", "PART #nosuch", "TOPIC #duo")
    assert (await a.expect("442")).raw == ":irc.test 442 anna #duo :You're not on that channel"
    assert (await a.expect("403")).params[1] == "#nosuch"
    assert (await a.expect("442")).params[1] == "#duo"
    # several channels at once, PART with a reason, JOIN 0
    await a.send("JOIN #duo,#nosuch")
    assert (await a.expect(lambda ln: ln.command == "JOIN" and ln.nick == "anna")).params == [
        "#duo"]
    await a.expect("403")
    await a.send("PART #duo :bye now")
    assert (await a.expect("PART")).raw == ":anna!parley@parley PART #duo :bye now"
    await a.send("JOIN 0")
    assert (await a.expect("PART")).params[0] == "#lobby"
    assert (await b.expect("PART")).raw == ":anna!parley@parley PART #lobby :left"
    for x in (a, b, c):
        await x.close()


async def test_overflow_tables_and_hopping(parley):
    server = irc_server(parley)
    a = await irc_user(server, "ada")
    b = await irc_user(server, "bea")
    c = await irc_user(server, "cai")
    assert await a.join("#duo") == "#duo"
    assert await b.join("#duo") == "#duo"
    # duo holds two a table: the core seats the third at table 2
    assert await c.join("#duo") == "#duo/2"
    assert await c.names("#duo/2") == ["cai"]
    # table 1 is full
    await c.send("JOIN #duo")
    assert (await c.expect("471")).raw == ":irc.test 471 cai #duo :Cannot join channel (+l)"
    # hopping: PART the old table, JOIN the new; each table's people see their side
    await b.send("JOIN #duo/2")
    assert (await b.expect("PART")).raw == ":bea!parley@parley PART #duo :hopping"
    assert (await b.expect("JOIN")).params == ["#duo/2"]
    assert (await a.expect("PART")).raw == ":bea!parley@parley PART #duo :hopped"
    assert (await c.expect("JOIN")).raw == ":bea!parley@parley JOIN #duo/2"
    assert sorted(await b.names("#duo/2")) == ["bea", "cai"]
    # entering at a chosen table
    d = await irc_user(server, "dov")
    assert await d.join("#duo/1") == "#duo"
    for x in (a, b, c, d):
        await x.close()


async def test_who_whois_list(parley):
    server = irc_server(parley, "[access]\nguests = host\n[room den]\ntitle = The Den\n")
    a = await irc_user(server, "ann")
    b = await irc_user(server, "Bill")
    far = await irc_user(server, "far")
    await a.join("#lobby")
    await b.join("#lobby")
    await far.join("#duo")
    await a.send("WHO #lobby")
    who = [await a.expect("352"), await a.expect("352")]
    assert sorted(ln.raw for ln in who) == [
        ":irc.test 352 ann #lobby parley parley irc.test Bill H@ :0 Real Name",
        ":irc.test 352 ann #lobby parley parley irc.test ann H@ :0 Real Name"]
    assert (await a.expect("315")).raw == ":irc.test 315 ann #lobby :End of WHO list"
    await a.send("WHO #duo", "WHO bill", "WHO far", "WHO nobody")
    assert (await a.expect("315")).params[1] == "#duo"  # not on it: nobody listed
    assert (await a.expect("352")).params[1:3] == ["#lobby", "parley"]
    await a.expect("315")
    assert (await a.expect("352")).raw == ":irc.test 352 ann * parley parley irc.test far H :0 Real Name"
    await a.expect("315")
    assert (await a.expect("315")).params[1] == "nobody"
    await a.no_line("352")
    # WHOIS: the nick as held, the tables shared with the asker only
    await a.send("WHOIS BILL")
    assert (await a.expect("311")).raw == ":irc.test 311 ann Bill parley parley * :Real Name"
    assert (await a.expect("319")).raw == ":irc.test 319 ann Bill :@#lobby"
    assert (await a.expect("312")).params[1:3] == ["Bill", "irc.test"]
    assert (await a.expect("318")).raw == ":irc.test 318 ann Bill :End of /WHOIS list"
    await a.send("WHOIS far")
    await a.expect("311")
    assert (await a.expect(lambda ln: ln.command in ("319", "312"))).command == "312"
    await a.send("WHOIS nobody")
    assert (await a.expect("401")).raw == ":irc.test 401 ann nobody :No such nick/channel"
    await a.expect("318")
    # LIST: every table of every room the client may see
    await a.send("LIST")
    await a.expect("321")
    rows = []
    while True:
        ln = await a.expect(lambda x: x.command in ("322", "323"))
        if ln.command == "323":
            break
        rows.append(ln.params[1:])
    assert rows == [["#den", "0", "The Den"], ["#duo", "1", "Duo"], ["#lobby", "2", "Lobby"]]
    await a.send("LIST #duo,#nosuch")
    await a.expect("321")
    assert (await a.expect("322")).params[1:] == ["#duo", "1", "Duo"]
    await a.expect("323")
    for x in (a, b, far):
        await x.close()


async def test_away(parley):
    server = irc_server(parley)
    a = await irc_user(server, "asker")
    b = await irc_user(server, "sleeper")
    await a.join("#lobby")
    await b.join("#lobby")
    await b.send("AWAY :gone to lunch")
    assert (await b.expect("306")).raw == ":irc.test 306 sleeper :You have been marked as being away"
    await a.send("PRIVMSG sleeper :are you there?")
    assert (await a.expect("301")).raw == ":irc.test 301 asker sleeper :gone to lunch"
    assert (await b.expect("PRIVMSG")).text == "are you there?"
    await a.send("NOTICE sleeper :quiet one", "WHO sleeper", "WHOIS sleeper")
    assert (await a.expect("352")).params[6] == "G"
    await a.expect("311")
    assert (await a.expect("301")).text == "gone to lunch"  # WHOIS; the NOTICE got none
    await b.send("AWAY")
    assert (await b.expect("305")).raw == ":irc.test 305 sleeper :You are no longer marked as being away"
    await a.send("WHO #lobby")
    flags = sorted([(await a.expect("352")).params[6] for _ in range(2)])
    assert flags == ["H", "H"]
    for x in (a, b):
        await x.close()


async def test_invite_to_a_private_table(parley):
    server = irc_server(parley)
    a = await irc_user(server, "inviter")
    b = await irc_user(server, "invitee")
    web = await Client.connect(server.port, "webpal")
    await web.enter("lobby")
    await a.join("#lobby")
    await b.join("#lobby")
    await a.send("INVITE invitee #lobby")
    assert (await a.expect("341")).raw == ":irc.test 341 inviter invitee #lobby"
    inv = await b.expect("INVITE")
    assert inv.source == "inviter!parley@parley" and inv.params[0] == "invitee"
    assert re.fullmatch(r"#~invite-\d+", inv.params[1])
    await b.send(f"JOIN {inv.params[1]}")
    chan = (await b.expect("JOIN")).params[0]
    assert re.fullmatch(r"#~private-\d+", chan)
    assert sorted(await b.names(chan)) == ["invitee", "inviter"]
    assert (await a.expect(lambda ln: ln.command == "JOIN" and ln.nick == "inviter")).raw == \
        f":inviter!parley@parley JOIN {chan}"
    await a.send(f"PRIVMSG {chan} :just us")
    assert (await b.expect(lambda ln: ln.command == "PRIVMSG" and ln.params[0] == chan)).text == \
        "just us"
    await web.no_event("message", text="just us")
    # an invitation that is gone, someone at another table, nobody
    await b.send(f"JOIN {inv.params[1]}", "INVITE nobody #lobby", "INVITE webpal #duo")
    assert (await b.expect("403")).params[1] == inv.params[1]
    assert (await b.expect("401")).params[1] == "nobody"
    assert (await b.expect("442")).params[1] == "#duo"
    # from the web to IRC
    reply = await web.cmd("invite", room="lobby", to="invitee")
    inv = await b.expect("INVITE")
    assert inv.source == "webpal!parley@parley", inv
    assert inv.params[1] == f"#~invite-{reply['invite']}"
    await b.send(f"JOIN {inv.params[1]}")
    chan2 = (await b.expect("JOIN")).params[0]
    accepted = await web.event("invite_accepted")
    assert "#" + accepted["room"]["name"] == chan2
    await b.send(f"PART {chan2} :bye")
    await web.event("member_left", room=accepted["room"]["name"], nick="invitee")
    for x in (a, b, web):
        await x.close()


async def test_mode_and_kick(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + "[access]\nregistered = host\n")
    boss = await irc_user(server, "boss")
    web = await connect_account(server.port, Accounts(server, smtp).registered("chief"))
    await web.enter("lobby")
    visitor = await irc_user(server, "visitor")
    await boss.join("#lobby")
    await visitor.join("#lobby")
    # channel modes: what always holds, an empty ban list, no changes
    await visitor.send("MODE #lobby", "MODE #lobby b", "MODE #lobby +o boss", "MODE #lobby +k key",
                     "MODE #nosuch")
    assert (await visitor.expect("324")).raw == ":irc.test 324 visitor #lobby +nt"
    assert (await visitor.expect("329")).params[:2] == ["visitor", "#lobby"]
    assert (await visitor.expect("368")).raw == ":irc.test 368 visitor #lobby :End of channel ban list"
    assert (await visitor.expect("482")).params[1] == "#lobby"
    assert (await visitor.expect("472")).raw == ":irc.test 472 visitor k :is unknown mode char to me"
    assert (await visitor.expect("403")).params[1] == "#nosuch"
    # user modes
    await visitor.send("MODE visitor", "MODE visitor +i", "MODE visitor +x", "MODE boss", "MODE nobody")
    assert (await visitor.expect("221")).raw == ":irc.test 221 visitor +i"
    assert (await visitor.expect("501")).raw == ":irc.test 501 visitor :Unknown MODE flag"
    assert (await visitor.expect("502")).raw == ":irc.test 502 visitor :Can't change mode for other users"
    assert (await visitor.expect("401")).params[1] == "nobody"
    # KICK: guests are not hosts here
    await visitor.send("KICK #lobby boss :out")
    assert (await visitor.expect("482")).raw == ":irc.test 482 visitor #lobby :You're not channel operator"
    await visitor.send("KICK #lobby nobody", "KICK #duo boss")
    assert (await visitor.expect("401")).raw == ":irc.test 401 visitor nobody :No such nick/channel"
    assert (await visitor.expect("442")).params[1] == "#duo"
    await visitor.send("KICK #lobby")
    await visitor.expect("461")
    # a host kicks: the kicked gets KICK from the host, the others from the server
    await web.cmd("leave", room="lobby")
    await boss.close()
    await web.enter("lobby")
    await web.cmd("eject", room="lobby", nick="visitor", scope="table", reason="out you go")
    assert (await visitor.expect("KICK")).raw == ":chief!parley@parley KICK #lobby visitor :out you go"
    await visitor.send("JOIN #lobby")  # a table eject without a ban: may come back
    assert (await visitor.expect("JOIN")).params == ["#lobby"]
    await visitor.close()
    await web.close()


# ---- messages -----------------------------------------------------------------------------------

async def test_privmsg_notice_and_their_errors(parley):
    server = irc_server(parley)
    a = await irc_user(server, "amy")
    b = await irc_user(server, "bo")
    far = await irc_user(server, "far")
    await a.join("#lobby")
    await b.join("#lobby")
    await far.join("#duo")
    await a.send("PRIVMSG #lobby :hello, table")
    got = await b.expect("PRIVMSG")
    assert got.raw == ":amy!parley@parley PRIVMSG #lobby :hello, table"
    await a.no_line("PRIVMSG")  # no echo without echo-message
    # private: at a shared table
    await a.send("PRIVMSG bo :just you")
    assert (await b.expect("PRIVMSG")).raw == ":amy!parley@parley PRIVMSG bo :just you"
    await far.no_line("PRIVMSG")
    # NOTICE reaches people as a message, and is never answered with an error
    await a.send("NOTICE #lobby :a notice")
    assert (await b.expect("PRIVMSG")).text == "a notice"
    a.pending.clear()
    await a.send("NOTICE nobody :x", "NOTICE #nosuch :x", "NOTICE #duo :x", "NOTICE far :x",
                 "NOTICE bo")
    await a.no_line(lambda ln: ln.command not in ("PONG",))
    # errors
    await a.send("PRIVMSG nobody :x")
    assert (await a.expect("401")).raw == ":irc.test 401 amy nobody :No such nick/channel"
    await a.send("PRIVMSG far :x")
    assert (await a.expect("401")).raw == (":irc.test 401 amy far :No such nick at a table you "
                                           "sit at")
    await a.send("PRIVMSG", "PRIVMSG #lobby", "PRIVMSG #lobby :")
    assert (await a.expect("411")).raw == ":irc.test 411 amy :No recipient given (PRIVMSG)"
    assert (await a.expect("412")).raw == ":irc.test 412 amy :No text to send"
    await a.expect("412")
    await a.send("PRIVMSG #duo :x", "PRIVMSG #nosuch :x", "PRIVMSG bo,far :x")
    assert (await a.expect("404")).raw == ":irc.test 404 amy #duo :Cannot send to channel"
    assert (await a.expect("401")).raw == ":irc.test 401 amy #nosuch :No such nick/channel"
    assert (await a.expect("407")).params[1] == "bo,far"
    await b.no_line("PRIVMSG")
    m = server.metrics()
    assert m["parley_irc_messages_total"] == 3
    for x in (a, b, far):
        await x.close()


async def test_long_and_multiline_texts_are_cut_into_lines(parley):
    server = irc_server(parley)
    a = await irc_user(server, "irc")
    await a.join("#lobby")
    web = await Client.connect(server.port, "web")
    await web.enter("lobby")
    await a.expect("JOIN")
    text = "é" * 600 + "\nsecond line"
    await web.say("lobby", text)
    parts = []
    while sum(len(p) for p in parts) < 600:
        ln = await a.expect("PRIVMSG")
        assert len(ln.raw.encode()) + 2 <= 512
        parts.append(uncoloured(ln.text))
    assert "".join(parts) == "é" * 600
    assert uncoloured((await a.expect("PRIVMSG")).text) == "second line"
    await web.close()
    await a.close()


async def test_ircv3_server_time_message_tags_echo(parley):
    server = irc_server(parley)
    plain = await irc_user(server, "plain")
    timed = await irc_user(server, "timed", ["server-time"])
    tagged = await irc_user(server, "tagged", ["message-tags", "server-time", "echo-message",
                                          "multi-prefix"])
    for x in (plain, timed, tagged):
        await x.join("#lobby")
    await tagged.send("@+example.com/colour=red;+typing=active PRIVMSG #lobby :tagged hello")
    echo = await tagged.expect("PRIVMSG")
    assert set(echo.tags) == {"time", "msgid"}  # client tags are not relayed
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", echo.tags["time"])
    got_plain = await plain.expect("PRIVMSG")
    assert got_plain.raw == ":tagged!parley@parley PRIVMSG #lobby :tagged hello"
    got_timed = await timed.expect("PRIVMSG")
    assert got_timed.tags == {"time": echo.tags["time"]}
    # TAGMSG is accepted and dropped
    await tagged.send("@+typing=active TAGMSG #lobby")
    await plain.no_line("TAGMSG")
    await timed.no_line("TAGMSG")
    # a web user sees the same message id
    web = await Client.connect(server.port, "web")
    await web.enter("lobby")
    await tagged.send("PRIVMSG #lobby :for the web too")
    msg = await web.event("message", text="for the web too")
    echo = await tagged.expect("PRIVMSG")
    assert echo.tags["msgid"] == str(msg["msg_id"])
    for x in (plain, timed, tagged, web):
        await x.close()


# ---- IRC and web at one table ---------------------------------------------------------------------

async def test_mixed_table_irc_and_websocket(parley):
    server = irc_server(parley, "[access]\nguests = host\n")
    web = await Client.connect(server.port, "webster")
    await web.enter("lobby")
    ic = await irc_user(server, "ircy", ["message-tags"])
    await ic.join("#lobby")
    await web.event("member_entered", room="lobby", table=1, nick="ircy")
    assert sorted(await ic.names("#lobby")) == ["@ircy", "@webster"]
    # web -> IRC, with the web's message id
    reply = await web.say("lobby", "hello from the web")
    got = await ic.expect("PRIVMSG")
    assert got.source == "webster!parley@parley" and uncoloured(got.text) == "hello from the web"
    assert got.tags["msgid"] == str(reply["msg_id"])
    # IRC -> web
    await ic.send("PRIVMSG #lobby :hello from IRC")
    msg = await web.event("message", text="hello from IRC")
    assert msg["nick"] == "ircy" and msg["room"] == "lobby"
    # private both ways
    await ic.send("PRIVMSG webster :psst")
    pm = await web.event("private", text="psst")
    assert (pm["from"], pm["to"]) == ("ircy", "webster")
    await web.cmd("pm", room="lobby", to="ircy", text="psst back")
    got = await ic.expect("PRIVMSG")
    assert got.source == "webster!parley@parley" and got.params[0] == "ircy"
    assert uncoloured(got.text) == "psst back"
    # topics both ways
    await web.cmd("edit_table", room="lobby", table=1, topic="set on the web")
    assert (await ic.expect("TOPIC")).text == "set on the web"
    await ic.send("TOPIC #lobby :set on IRC")
    await web.event("table_updated", room="lobby", table=1, topic="set on IRC")
    # broadcast -> NOTICE
    await web.cmd("broadcast", room="lobby", text="closing soon")
    note = await ic.expect("NOTICE")
    assert note.source == "webster!parley@parley" and note.params[0] == "#lobby"
    assert uncoloured(note.text) == "closing soon"
    # leaving and coming back
    await web.cmd("leave", room="lobby")
    assert (await ic.expect("PART")).raw.endswith(":webster!parley@parley PART #lobby :left")
    await web.enter("lobby")
    assert (await ic.expect("JOIN")).raw.endswith(":webster!parley@parley JOIN #lobby")
    await ic.send("PART #lobby :later")
    left = await web.event("member_left", nick="ircy")
    assert left["reason"] == "left"
    await ic.close()
    await web.close()


async def test_eject_is_a_kick_and_rights_are_modes(parley, smtp):
    server = parley(FAST + smtp.config() + CONFIG + "[access]\nregistered = host\n"
                    "[server]\nadmin_token = tok\n")
    boss = await connect_account(server.port, Accounts(server, smtp).registered("boss"))
    await boss.enter("lobby")
    victim = await irc_user(server, "victim")
    witness = await irc_user(server, "witness")
    await victim.join("#lobby")
    await witness.join("#lobby")
    assert sorted(await witness.names("#lobby")) == ["@boss", "victim", "witness"]
    await boss.cmd("eject", room="lobby", nick="victim", reason="be nice")
    assert (await victim.expect("KICK")).raw == ":boss!parley@parley KICK #lobby victim :be nice"
    assert (await witness.expect("KICK")).raw == ":boss!parley@parley KICK #lobby victim :be nice"
    await victim.send("PRIVMSG #lobby :back?")
    await victim.expect("404")
    # the room's access list makes guests hosts: each is told with a MODE of its own
    r = http_request(server.port, "PUT", "/api/v1/admin/acl/room/lobby",
                     {"acl": [{"who": "guests", "right": "host"},
                              {"who": "registered", "right": "host"}]},
                     {"Authorization": "Bearer tok"})
    assert r.status == 200, r
    assert (await witness.expect("MODE")).raw == ":irc.test MODE #lobby +o witness"
    assert sorted(await witness.names("#lobby")) == ["@boss", "@witness"]
    # and none takes them out
    r = http_request(server.port, "PUT", "/api/v1/admin/acl/room/lobby",
                     {"acl": [{"who": "registered", "right": "host"}]},
                     {"Authorization": "Bearer tok"})
    assert r.status == 200, r
    assert (await witness.expect("PART")).raw == ":witness!parley@parley PART #lobby :access"
    await boss.event("member_left", nick="witness")
    for x in (victim, witness, boss):
        await x.close()


async def test_a_hosted_event_ending_parts_its_channels(parley):
    server = irc_server(parley, "[server]\nadmin_token = tok\n")
    auth = {"Authorization": "Bearer tok"}
    r = http_request(server.port, "POST", "/api/v1/admin/events", {"name": "talk"}, auth)
    assert r.status == 201, r
    c = await irc_user(server, "fan")
    assert await c.join("#talk") == "#talk"  # the stage: the audience reads (a lurker)
    assert await c.join("#talk-audience") == "#talk-audience"
    await c.send("PRIVMSG #talk :hello?")
    await c.expect("404")
    r = http_request(server.port, "POST", "/api/v1/admin/events/talk/end", None, auth)
    assert r.status == 200, r
    parts = {(await c.expect("PART")).raw for _ in range(2)}
    assert parts == {":fan!parley@parley PART #talk :the event has ended",
                     ":fan!parley@parley PART #talk-audience :the event has ended"}
    await c.send("JOIN #talk")
    assert (await c.expect("FAIL")).params[:3] == ["JOIN", "EVENT_ENDED", "#talk"]
    await c.close()


async def test_read_only_cannot_speak_nor_set_the_topic(parley):
    server = irc_server(parley, "[access]\nguests = read_only\n")
    ro = await irc_user(server, "reader")
    await ro.send("JOIN #lobby")
    await ro.expect("JOIN")
    assert (await ro.expect("353")).text == "reader"  # a lurker sees itself
    await ro.send("PRIVMSG #lobby :may I?")
    assert (await ro.expect("404")).raw == ":irc.test 404 reader #lobby :Cannot send to channel"
    await ro.send("TOPIC #lobby :mine")
    assert (await ro.expect("482")).raw == (":irc.test 482 reader #lobby :You're not channel "
                                            "operator")
    # others do not see a lurker
    other = await irc_user(server, "other")
    await other.join("#lobby")
    assert await other.names("#lobby") == ["other"]
    await ro.close()
    await other.close()


async def test_participants_cannot_set_the_topic(parley):
    server = irc_server(parley)
    p = await irc_user(server, "part")
    await p.join("#lobby")
    await p.send("TOPIC #lobby :mine")
    await p.expect("482")
    await p.close()


async def test_moderated_word_gets_the_standard_warning(parley):
    server = irc_server(parley, "[moderation]\nwords = darn\n[room kids]\nmoderated = true\n")
    a = await irc_user(server, "kid")
    b = await irc_user(server, "pal")
    await a.join("#kids")
    await b.join("#kids")
    await a.send("PRIVMSG #kids :oh darn it")
    note = await a.expect("NOTICE")
    assert note.raw == ':irc.test NOTICE kid :Possible objectionable message NOT sent: "oh darn it"'
    await a.send("PRIVMSG pal :darn")
    await a.expect("NOTICE")
    await b.no_line("PRIVMSG")
    await a.close()
    await b.close()


# ---- bad input, limits ------------------------------------------------------------------------------

async def test_bad_input_is_answered_not_fatal(parley):
    server = irc_server(parley)
    c = await irc_user(server, "fuzz")
    await c.join("#lobby")
    await c.send("PRIVMSG #lobby :" + "x" * 600)
    assert (await c.expect("417")).raw == ":irc.test 417 fuzz :Input line was too long"
    await c.send_raw(b"PRIVMSG #lobby :" + b"y" * 20000 + b"\r\nPING after\r\n")
    await c.expect("417")
    assert (await c.expect("PONG")).text == "after"
    await c.send("@+big=" + "t" * 4100 + " PING x")
    await c.expect("417")
    await c.send_raw(b"PRIVMSG #lobby :\xff\xfe bad\r\n")
    fail = await c.expect("FAIL")
    assert fail.raw == ":irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected: this server " \
                       "accepts UTF-8 only"
    await c.send_raw(b"@bad!tag PING\r\n:src\r\n\r\n   \r\nPING \x00\r\n")
    assert (await c.expect("FAIL")).params[:2] == ["*", "INVALID_MESSAGE"]
    await c.expect("FAIL")
    await c.expect("FAIL")
    await c.send("PING still-here")
    assert (await c.expect("PONG")).text == "still-here"
    assert server.metrics()["parley_irc_refused_total"] >= 6
    await c.close()


async def test_flood_is_refused_then_disconnected(parley):
    server = irc_server(parley)
    c = await irc_user(server, "flood")
    await c.join("#lobby")
    await c.send(*[f"PRIVMSG #lobby :{i}" for i in range(60)])
    fail = await c.expect("FAIL")
    assert fail.params[:2] == ["PRIVMSG", "RATE_LIMITED"]
    lines = await c.closed()
    assert lines[-1].raw == "ERROR :Excess Flood"
    await c.close()


async def test_connection_cap_refusal(parley):
    server = parley(CONFIG + "[server]\nmax_connections_per_address = 1\n")
    first = await IrcClient.open(server.irc_port)
    await first.send("PING x")
    await first.expect("PONG")
    second = await IrcClient.open(server.irc_port)
    lines = await second.closed()
    assert [ln.raw for ln in lines] == ["ERROR :Too many connections from your address"]
    await first.close()
    await second.close()


async def test_accounts_only_server_refuses_irc_guests(parley):
    server = irc_server(parley, "[access]\nallow_guests = no\n")
    c = await IrcClient.open(server.irc_port)
    await c.send("NICK visitor", "USER v 0 * :V")
    lines = await c.closed()
    assert lines[-1].raw == ("ERROR :This server admits accounts only: log in with SASL or PASS "
                             "account:password")
    assert not [ln for ln in lines if ln.command == "001"]
    await c.close()


async def test_shutdown_sends_error(parley):
    server = irc_server(parley)
    c = await irc_user(server, "last")
    server.stop()
    lines = await c.closed()
    assert lines[-1].raw == "ERROR :Server shutting down"
    await c.close()


async def test_flood_off_many_messages_in_order(parley):
    server = irc_server(parley, FLOOD_OFF)
    a = await irc_user(server, "talker")
    b = await irc_user(server, "listener")
    await a.join("#lobby")
    await b.join("#lobby")
    await a.send(*[f"PRIVMSG #lobby :n{i}" for i in range(300)])
    for i in range(300):
        assert (await b.expect("PRIVMSG")).text == f"n{i}"
    await a.close()
    await b.close()


# ---- a real IRC client library ----------------------------------------------------------------------

async def test_python_irc_library_talks_with_a_web_user(parley):
    server = irc_server(parley)
    web = await Client.connect(server.port, "webfriend")
    await web.enter("lobby")
    reactor = irc.client.IRC()  # python3-irc 8.5 (Debian): the reactor
    got = []
    conn = reactor.server().connect("127.0.0.1", server.irc_port, "libuser")
    conn.add_global_handler("welcome", lambda c, e: c.join("#lobby"))
    conn.add_global_handler("join", lambda c, e: c.privmsg("#lobby", "hi from python3-irc")
                            if e.source.nick == "libuser" else None)
    conn.add_global_handler("pubmsg", lambda c, e: got.append((e.source.nick, e.arguments[0])))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    msg = None
    while msg is None and loop.time() < deadline:
        reactor.process_once(0.05)
        found = [m for m in web.buffered("message") if m["text"] == "hi from python3-irc"]
        msg = found[0] if found else None
        await asyncio.sleep(0)
    assert msg and msg["nick"] == "libuser"
    await web.say("lobby", "hello, library")

    async def poll():
        reactor.process_once(0.05)
        return got

    await eventually(poll, lambda g: ("webfriend", "hello, library") in g, tries=200)
    conn.quit("done")
    reactor.process_once(0.2)
    conn.close()
    await web.event("member_left", nick="libuser")
    await web.close()


async def test_irc_over_tls_on_a_named_listener(parley, tmp_path):
    cert, key = make_cert(tmp_path, "irc")
    server = parley(CONFIG + tls_config(cert, key, """
        [listener ircs]
        address = 127.0.0.1:0
        protocol = irc
        tls = on
        """))
    assert server.listeners["ircs"] == ("irc", True, server.ports["ircs"])
    secure = await IrcClient.registered(server.ports["ircs"], "secure", ssl=client_ctx(cert))
    plain = await irc_user(server, "plain")
    await secure.join("#lobby")
    await plain.join("#lobby")
    await secure.send("PRIVMSG #lobby :over TLS")
    assert (await plain.expect("PRIVMSG")).raw == ":secure!parley@parley PRIVMSG #lobby :over TLS"
    await plain.send("PRIVMSG #lobby :in the clear")
    assert (await secure.expect("PRIVMSG")).text == "in the clear"
    assert server.metrics()["parley_irc_connections"] == 2
    await secure.close()
    await plain.close()


def test_port_file_names_the_irc_port(parley):
    server = irc_server(parley)
    assert server.port_file.read_text() == (f"{server.port}\ndefault http off {server.port}\n"
                                            f"irc irc off {server.irc_port}\n")
    off = parley(LOBBY_AND_DUO)  # HTTP on port 0 and no [irc] listen: no IRC
    assert off.irc_port is None
