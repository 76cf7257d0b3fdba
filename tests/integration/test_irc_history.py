"""Stored history on the IRC gateway (docs/PROTOCOL.md, "IRC gateway", "History"):
draft/chathistory with every selector by msgid= and timestamp=, TARGETS, the chathistory batch, the
FAIL codes, ISUPPORT CHATHISTORY, and the history replayed on JOIN to clients that do not fetch it
themselves; labeled-response. Messages are said by a web user, whose `ok` comes once the message is stored."""

import datetime

from irc_client import IRC_CONFIG, IrcClient
from parley_client import LOBBY_AND_DUO, Client
from test_irc import uncoloured

CONFIG = IRC_CONFIG + LOBBY_AND_DUO
CAPS = ("batch", "draft/chathistory", "server-time", "message-tags")


def stamp(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


async def batch(c, command):
    """Sends a CHATHISTORY command; returns the texts and tags of the batch's messages."""
    await c.send(command)
    start = await c.expect("BATCH")
    assert start.params[0].startswith("+") and start.params[1] == "chathistory", start
    ref = start.params[0][1:]
    out = []
    while True:
        ln = await c.expect(lambda x: x.command in ("PRIVMSG", "BATCH"))
        if ln.command == "BATCH":
            assert ln.params == [f"-{ref}"], ln
            return out
        assert ln.tags["batch"] == ref and "time" in ln.tags and "msgid" in ln.tags, ln
        out.append(ln)


async def said_six(parley):
    """A web user who said m1..m6 in the lobby: (server, client, [(msg_id, ts, text)])."""
    server = parley(CONFIG)
    web = await Client.connect(server.port, "poster")
    await web.enter("lobby")
    msgs = []
    for i in range(1, 7):
        ok = await web.say("lobby", f"m{i}")
        msgs.append((ok["msg_id"], ok["ts"], f"m{i}"))
    return server, web, msgs


async def test_chathistory_selectors_in_a_batch(parley):
    server, web, msgs = await said_six(parley)
    c = await IrcClient.open(server.irc_port)
    await c.send("CAP LS 302", "NICK reader", "USER u 0 * :R")
    ls = await c.expect("CAP")
    assert "draft/chathistory" in ls.text.split() and "batch" in ls.text.split()
    await c.send(f"CAP REQ :{' '.join(CAPS)}", "CAP END")
    isupport = [x async for x in _isupport(c)]
    assert "CHATHISTORY=100" in isupport and "MSGREFTYPES=msgid,timestamp" in isupport
    # JOIN replays nothing to a client with draft/chathistory: it fetches
    await c.send("JOIN #lobby")
    await c.expect("366")
    await c.no_line(lambda x: x.command in ("PRIVMSG", "BATCH"))
    ids = [m[0] for m in msgs]

    def texts(lines):
        return [uncoloured(x.text) for x in lines]

    lines = await batch(c, "CHATHISTORY LATEST #lobby * 10")
    assert texts(lines) == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert [int(x.tags["msgid"]) for x in lines] == ids
    assert lines[0].source == "poster!parley@parley" and lines[0].params[0] == "#lobby"
    assert lines[0].tags["time"] == stamp(msgs[0][1])
    assert texts(await batch(c, "CHATHISTORY LATEST #lobby * 2")) == ["m5", "m6"]
    assert texts(await batch(c, f"CHATHISTORY LATEST #lobby msgid={ids[3]} 10")) == ["m5", "m6"]
    assert texts(await batch(c, f"CHATHISTORY BEFORE #lobby msgid={ids[3]} 2")) == ["m2", "m3"]
    assert texts(await batch(c, f"CHATHISTORY AFTER #lobby msgid={ids[1]} 2")) == ["m3", "m4"]
    around = texts(await batch(c, f"CHATHISTORY AROUND #lobby msgid={ids[2]} 3"))
    assert "m3" in around and len(around) == 3
    assert texts(await batch(c, f"CHATHISTORY BETWEEN #lobby msgid={ids[0]} msgid={ids[4]} 10")) \
        == ["m2", "m3", "m4"]
    assert texts(await batch(c, f"CHATHISTORY BETWEEN #lobby msgid={ids[4]} msgid={ids[0]} 2")) \
        == ["m3", "m4"]  # from the newer end: the newest two
    # by timestamp (messages said in the same millisecond share one)
    ts = [m[1] for m in msgs]

    def texts_where(pred, limit=5, newest=False):
        sel = [m[2] for m in msgs if pred(m[1])]
        return sel[-limit:] if newest else sel[:limit]

    assert texts(await batch(c, f"CHATHISTORY AFTER #lobby timestamp={stamp(ts[3])} 5")) \
        == texts_where(lambda t: t > ts[3])
    assert texts(await batch(c, f"CHATHISTORY BEFORE #lobby timestamp={stamp(ts[2])} 5")) \
        == texts_where(lambda t: t < ts[2], newest=True)
    assert texts(await batch(c, f"CHATHISTORY BETWEEN #lobby timestamp={stamp(ts[0] - 1)} "
                                f"timestamp={stamp(ts[5] + 1)} 5")) \
        == ["m1", "m2", "m3", "m4", "m5"]
    # an empty batch: nothing after the last one; a nick (private messages are not stored)
    assert await batch(c, f"CHATHISTORY AFTER #lobby msgid={ids[5]} 5") == []
    assert await batch(c, "CHATHISTORY LATEST poster * 5") == []
    # a limit above CHATHISTORY is clamped, not refused
    assert len(await batch(c, "CHATHISTORY LATEST #lobby * 5000")) == 6
    # TARGETS: the channels with messages in the window, with the latest time
    await c.send(f"CHATHISTORY TARGETS timestamp={stamp(ts[0] - 1000)} "
                 f"timestamp={stamp(ts[5] + 1000)} 10")
    start = await c.expect("BATCH")
    assert start.params[1] == "draft/chathistory-targets"
    t = await c.expect("CHATHISTORY")
    assert t.params == ["TARGETS", "#lobby", stamp(ts[5])] and t.tags["batch"] == start.params[0][1:]
    assert (await c.expect("BATCH")).params == ["-" + start.params[0][1:]]
    await c.close()
    await web.close()


async def _isupport(c):
    while True:
        ln = await c.expect(lambda x: x.command in ("005", "376", "422"))
        if ln.command != "005":
            return
        for tok in ln.params[1:-1]:
            yield tok


async def test_chathistory_errors(parley):
    server, web, msgs = await said_six(parley)
    c = await IrcClient.registered(server.irc_port, "reader", CAPS)
    cases = [
        ("CHATHISTORY FROB #lobby * 5", ["INVALID_PARAMS", "FROB"]),
        ("CHATHISTORY LATEST #lobby *", ["NEED_MORE_PARAMS", "LATEST"]),
        ("CHATHISTORY BETWEEN #lobby * 5", ["NEED_MORE_PARAMS", "BETWEEN"]),
        ("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z", ["NEED_MORE_PARAMS", "TARGETS"]),
        ("CHATHISTORY BEFORE #lobby * 5", ["INVALID_PARAMS", "BEFORE", "#lobby"]),
        ("CHATHISTORY BEFORE #lobby msgid=abc 5", ["INVALID_PARAMS", "BEFORE", "#lobby"]),
        ("CHATHISTORY BEFORE #lobby timestamp=yesterday 5", ["INVALID_PARAMS", "BEFORE", "#lobby"]),
        ("CHATHISTORY LATEST #lobby * 0", ["INVALID_PARAMS", "LATEST", "#lobby"]),
        ("CHATHISTORY LATEST #lobby * many", ["INVALID_PARAMS", "LATEST", "#lobby"]),
        ("CHATHISTORY LATEST #nosuch * 5", ["INVALID_TARGET", "LATEST", "#nosuch"]),
        ("CHATHISTORY LATEST #lobby/99 * 5", ["INVALID_TARGET", "LATEST", "#lobby/99"]),
        ("CHATHISTORY LATEST nobody * 5", ["INVALID_TARGET", "LATEST", "nobody"]),
        ("CHATHISTORY TARGETS msgid=1 msgid=2 5", ["INVALID_PARAMS", "TARGETS"]),
    ]
    for command, params in cases:
        await c.send(command)
        fail = await c.expect("FAIL")
        assert fail.params[0] == "CHATHISTORY" and fail.params[1:-1] == params, (command, fail)
    await c.send("CHATHISTORY")
    assert (await c.expect("461")).params[1] == "CHATHISTORY"
    await c.no_line("BATCH")
    await c.close()
    await web.close()


async def test_join_replays_recent_history(parley):
    server, web, msgs = await said_six(parley)
    # with batch and server-time: a chathistory batch after NAMES
    c = await IrcClient.registered(server.irc_port, "joiner", ("batch", "server-time"))
    await c.send("JOIN #lobby")
    await c.expect("366")
    start = await c.expect("BATCH")
    assert start.params[1:] == ["chathistory", "#lobby"]
    got = []
    for _ in range(6):
        ln = await c.expect("PRIVMSG")
        assert ln.tags["batch"] == start.params[0][1:] and "time" in ln.tags
        got.append(uncoloured(ln.text))
    assert got == ["m1", "m2", "m3", "m4", "m5", "m6"]
    await c.expect("BATCH")
    await c.close()
    # a plain client: the same messages as ordinary lines
    p = await IrcClient.registered(server.irc_port, "plain")
    await p.send("JOIN #lobby")
    await p.expect("366")
    first = await p.expect("PRIVMSG")
    assert first.raw.startswith(":poster!parley@parley PRIVMSG #lobby :\x03")
    assert uncoloured(first.text) == "m1"
    await p.close()
    await web.close()


async def test_labeled_response(parley):
    server = parley(CONFIG)
    c = await IrcClient.registered(server.irc_port, "labeller",
                                   ("labeled-response", "batch", "echo-message", "message-tags"))
    await c.join("#lobby")
    # one line: the label on it
    await c.send("@label=a1 PING tok")
    pong = await c.expect("PONG")
    assert pong.tags == {"label": "a1"} and pong.text == "tok"
    # nothing to answer: ACK
    await c.send("@label=b2 PONG x")
    assert (await c.expect("ACK")).raw == "@label=b2 :irc.test ACK"
    # the echo of one's own message is its response
    await c.send("@label=c3 PRIVMSG #lobby :hi")
    echo = await c.expect("PRIVMSG")
    assert echo.tags["label"] == "c3" and "msgid" in echo.tags and echo.text == "hi"
    # several lines: a labeled-response batch; errors are labelled too
    await c.send("@label=d\\s4 NAMES #lobby")
    start = await c.expect("BATCH")
    assert start.tags == {"label": "d 4"} and start.params[1] == "labeled-response"
    ref = start.params[0][1:]
    assert (await c.expect("353")).tags == {"batch": ref}
    assert (await c.expect("366")).tags == {"batch": ref}
    assert (await c.expect("BATCH")).params == [f"-{ref}"]
    await c.send("@label=e5 PART")
    assert (await c.expect("461")).tags == {"label": "e5"}
    # a batch inside the response (the history replayed on JOIN) nests in it
    n = await IrcClient.registered(server.irc_port, "nester", ("labeled-response", "batch"))
    await n.send("@label=f6 JOIN #lobby")
    outer = await n.expect("BATCH")
    assert outer.tags == {"label": "f6"} and outer.params[1] == "labeled-response"
    oref = outer.params[0][1:]
    assert (await n.expect("JOIN")).tags == {"batch": oref}
    inner = await n.expect("BATCH")
    assert inner.tags == {"batch": oref} and inner.params[1:] == ["chathistory", "#lobby"]
    iref = inner.params[0][1:]
    replayed = await n.expect("PRIVMSG")
    assert replayed.tags == {"batch": iref} and replayed.text == "hi"
    assert (await n.expect("BATCH")).params == [f"-{iref}"]
    assert (await n.expect("BATCH")).params == [f"-{oref}"]
    await n.close()
    # without the capability, no label
    plain = await IrcClient.registered(server.irc_port, "plainer")
    await plain.send("@label=x PING tok")
    assert (await plain.expect("PONG")).tags == {}
    await c.close()
    await plain.close()
