"""IRC over WebSocket (docs/PROTOCOL.md, "IRC over WebSocket"): GET /irc on the HTTP listeners,
ws and wss, subprotocols text.ircv3.net and binary.ircv3.net, one line per message without CR LF,
in the same channels as plain IRC clients and web users."""

import re

import pytest

from irc_client import IRC_CONFIG, IrcClient, WsIrcClient
from parley_client import LOBBY_AND_DUO, Client
from test_tls import client_ctx, make_cert, tls_config

CONFIG = IRC_CONFIG + LOBBY_AND_DUO


@pytest.mark.parametrize("sub", ["text.ircv3.net", "binary.ircv3.net"])
async def test_irc_over_websocket_with_plain_irc_and_web(parley, sub):
    server = parley(CONFIG)
    web = await Client.connect(server.port, "webuser")
    await web.enter("lobby")
    ws = await WsIrcClient.open_ws(server.port, subprotocols=[sub])
    assert ws.ws.subprotocol == sub
    await ws.send("CAP LS 302", "NICK wsuser", "USER u 0 * :WS User")
    assert "server-time" in (await ws.expect("CAP")).text.split()
    await ws.send("CAP END")
    welcome = await ws.expect("001")
    assert welcome.raw == ":irc.test 001 wsuser :Welcome to the TestNet IRC network, wsuser"
    await ws.expect(lambda ln: ln.command in ("376", "422"))
    ws.pending.clear()
    ws.label = "wsuser"
    tcp = await IrcClient.registered(server.irc_port, "tcpuser")
    await ws.join("#lobby")
    await tcp.join("#lobby")
    assert sorted(await ws.names("#lobby")) == ["tcpuser", "webuser", "wsuser"]
    # WebSocket IRC -> plain IRC and web
    await ws.send("PRIVMSG #lobby :from a browser IRC client")
    assert (await tcp.expect("PRIVMSG")).raw == \
        ":wsuser!parley@parley PRIVMSG #lobby :from a browser IRC client"
    msg = await web.event("message", text="from a browser IRC client")
    assert msg["nick"] == "wsuser"
    # web and plain IRC -> WebSocket IRC
    await web.say("lobby", "from the web")
    got = await ws.expect("PRIVMSG")  # with the web user's colour as an IRC colour code
    assert got.source == "webuser!parley@parley" and got.params[0] == "#lobby"
    assert re.fullmatch("\x03\\d\\d" + "from the web", got.text), got
    await tcp.send("PRIVMSG #lobby :from a terminal")
    assert (await ws.expect("PRIVMSG")).text == "from a terminal"
    # a long text: several lines, each its own message
    await web.say("lobby", "x" * 1000)
    got = ""
    for _ in range(5):
        got += re.sub("^\x03\\d\\d", "", (await ws.expect("PRIVMSG")).text)
        if len(got) >= 1000:
            break
    assert got == "x" * 1000
    # one frame kind per subprotocol
    assert set(ws.frames) == {bytes if sub == "binary.ircv3.net" else str}
    # a trailing CR LF sent anyway is dropped; PING works
    await ws.send("PING :tok\r\n")
    assert (await ws.expect("PONG")).text == "tok"
    await ws.send("QUIT :bye")
    closing = await ws.expect("ERROR")
    assert closing.text == "Closing link: wsuser (Quit: bye)"
    left = await web.event("member_left", nick="wsuser")
    assert left["reason"] == "disconnected"
    await tcp.close()
    await web.close()


async def test_no_subprotocol_is_text_and_bad_input_is_answered(parley):
    server = parley(CONFIG)
    ws = await WsIrcClient.open_ws(server.port, subprotocols=())
    assert ws.ws.subprotocol is None
    await ws.register("plainws")
    await ws.send("FROB")
    assert (await ws.expect("421")).raw == ":irc.test 421 plainws FROB :Unknown command"
    await ws.send("PRIVMSG #lobby :" + "y" * 9000)
    assert (await ws.expect("417")).text == "Input line was too long"
    # a binary message that is not UTF-8: FAIL, the connection stays
    await ws.send_raw(b"PRIVMSG #lobby :\xff\xfe")
    assert (await ws.expect("FAIL")).params[:2] == ["PRIVMSG", "INVALID_UTF8"]
    await ws.send("PING :still")
    assert (await ws.expect("PONG")).text == "still"
    assert set(ws.frames) == {str}
    await ws.close()


async def test_unknown_subprotocol_is_not_chosen(parley):
    server = parley(CONFIG)
    ws = await WsIrcClient.open_ws(server.port, subprotocols=["chat.example", "binary.ircv3.net"])
    assert ws.ws.subprotocol == "binary.ircv3.net"  # the first one the gateway speaks
    await ws.close()
    other = await WsIrcClient.open_ws(server.port, subprotocols=["chat.example"])
    assert other.ws.subprotocol is None  # no Sec-WebSocket-Protocol in the answer
    await other.close()
    # /ws keeps speaking JSON without a subprotocol
    web = await Client.connect(server.port, "stillweb")
    await web.close()


async def test_irc_over_wss_and_group_paths(parley, tmp_path):
    cert, key = make_cert(tmp_path, "wss")
    server = parley(CONFIG + tls_config(cert, key) + "\n[group second]\nhosts = other.test\n")
    tls_port = server.ports["public"]
    a = await WsIrcClient.registered_ws(tls_port, "secure", ssl=client_ctx(cert),
                                        subprotocols=["binary.ircv3.net"])
    b = await IrcClient.registered(server.irc_port, "plainer")
    await a.join("#lobby")
    await b.join("#lobby")
    await b.send("PRIVMSG #lobby :to wss")
    assert (await a.expect("PRIVMSG")).raw == ":plainer!parley@parley PRIVMSG #lobby :to wss"
    assert set(a.frames) == {bytes}
    # /g/second/irc is the second group's gateway: nobody of the default group is there
    c = await WsIrcClient.registered_ws(server.port, "grouped", path="/g/second/irc")
    await c.send("WHOIS plainer")
    assert (await c.expect("401")).params[1] == "plainer"
    m = server.metrics()
    assert m["parley_irc_connections"] == 3
    for x in (a, b, c):
        await x.close()


async def test_websocket_switch_off(parley):
    """[irc] websocket = off: GET /irc is no WebSocket endpoint (404), plain IRC and /ws stay."""
    import websockets.exceptions
    server = parley(CONFIG.replace("[irc]\n", "[irc]\nwebsocket = off\n"))
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
        await WsIrcClient.open_ws(server.port)
    assert e.value.status_code == 404
    irc = await IrcClient.registered(server.irc_port, "stillirc")
    web = await Client.connect(server.port, "stillweb")
    await irc.close()
    await web.close()
