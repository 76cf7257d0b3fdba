"""Accounts on the IRC gateway (docs/PROTOCOL.md, "IRC gateway", "Accounts on IRC"): SASL PLAIN
and SCRAM-SHA-256 (the client side of SCRAM written here with hashlib and hmac), PASS
account:password, the SASL numerics, account-tag, extended-join and account-notify as another IRC
client sees them, an account's rights being the same on the web and on IRC; and colours between
the web and IRC in a mixed table."""

import base64
import hashlib
import hmac
import os

from accounts_kit import FAST, PASSWORD, Accounts, api, connect_account
from irc_client import IRC_CONFIG, IrcClient
from parley_client import LOBBY_AND_DUO, Client

CONFIG = FAST + IRC_CONFIG + LOBBY_AND_DUO


def b64(data):
    return base64.b64encode(data).decode()


async def start(port, nick, caps=("sasl",)):
    """A connection that negotiated caps and sent NICK and USER, registration held open."""
    c = await IrcClient.open(port, nick)
    await c.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :Real Name")
    ls = await c.expect("CAP")
    await c.send(f"CAP REQ :{' '.join(caps)}")
    assert (await c.expect("CAP")).params[1] == "ACK"
    return c, ls


async def finish(c):
    await c.send("CAP END")
    welcome = await c.expect("001")
    await c.expect(lambda ln: ln.command in ("376", "422"), what="end of MOTD")
    c.pending.clear()
    return welcome


async def sasl_plain(c, name, password=PASSWORD):
    await c.send("AUTHENTICATE PLAIN")
    assert (await c.expect("AUTHENTICATE")).params == ["+"]
    await c.send("AUTHENTICATE " + b64(f"{name}\0{name}\0{password}".encode()))


class Scram:
    """The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), ASCII passwords."""

    def __init__(self, user, password):
        self.user, self.password = user, password
        self.nonce = b64(os.urandom(18))
        self.first_bare = f"n={user},r={self.nonce}"

    def first(self):
        return ("n,," + self.first_bare).encode()

    def final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert attrs["r"].startswith(self.nonce)
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(attrs["s"]),
                                     int(attrs["i"]))
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        stored = hashlib.sha256(client_key).digest()
        without_proof = f"c={b64(b'n,,')},r={attrs['r']}"
        auth_msg = f"{self.first_bare},{server_first},{without_proof}".encode()
        sig = hmac.digest(stored, auth_msg, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        server_key = hmac.digest(salted, b"Server Key", "sha256")
        self.expected = "v=" + b64(hmac.digest(server_key, auth_msg, "sha256"))
        return f"{without_proof},p={b64(proof)}".encode()


async def sasl_scram(c, name, password=PASSWORD):
    s = Scram(name, password)
    await c.send("AUTHENTICATE SCRAM-SHA-256")
    assert (await c.expect("AUTHENTICATE")).params == ["+"]
    await c.send("AUTHENTICATE " + b64(s.first()))
    server_first = base64.b64decode((await c.expect("AUTHENTICATE")).params[0]).decode()
    await c.send("AUTHENTICATE " + b64(s.final(server_first)))
    return s


async def test_sasl_plain_logs_in_and_the_numerics(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("alice")
    c, ls = await start(server.irc_port, "alice")
    assert "sasl=PLAIN,SCRAM-SHA-256" in ls.text.split()
    await sasl_plain(c, "alice")
    assert (await c.expect("900")).raw == (":irc.test 900 alice alice!parley@parley alice "
                                           ":You are now logged in as alice")
    assert (await c.expect("903")).raw == ":irc.test 903 alice :SASL authentication successful"
    # already authenticated
    await c.send("AUTHENTICATE PLAIN")
    assert (await c.expect("907")).raw == (":irc.test 907 alice :You have already authenticated "
                                           "using SASL")
    assert (await finish(c)).params[0] == "alice"  # the account's own name as nick
    await c.send("WHOIS alice")
    await c.expect("318")
    await c.close()


async def test_sasl_scram_sha_256(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("bob")
    c, _ = await start(server.irc_port, "bobby")
    s = await sasl_scram(c, "bob")
    final = base64.b64decode((await c.expect("AUTHENTICATE")).params[0]).decode()
    assert final == s.expected  # the server proved it knows the credentials
    await c.no_line("900")  # logged in only once the client accepts the server's proof
    await c.send("AUTHENTICATE +")
    assert (await c.expect("900")).params[2] == "bob"
    await c.expect("903")
    assert (await finish(c)).params[0] == "bobby"
    await c.close()
    # a wrong password fails the proof: 904
    c, _ = await start(server.irc_port, "bobby")
    await sasl_scram(c, "bob", "not the password")
    assert (await c.expect("904")).params[1].startswith("SASL authentication failed")
    await c.close()


async def test_sasl_failures_abort_and_mechanisms(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("carol")
    c, _ = await start(server.irc_port, "guesty")
    await sasl_plain(c, "carol", "wrong password")
    assert (await c.expect("904")).raw == ":irc.test 904 guesty :SASL authentication failed"
    await c.send("AUTHENTICATE EXTERNAL")
    assert (await c.expect("908")).raw == (":irc.test 908 guesty PLAIN,SCRAM-SHA-256 :are "
                                           "available SASL mechanisms")
    await c.expect("904")
    await c.send("AUTHENTICATE PLAIN")
    await c.expect("AUTHENTICATE")
    await c.send("AUTHENTICATE *")
    assert (await c.expect("906")).raw == ":irc.test 906 guesty :SASL authentication aborted"
    # too long: 905
    await c.send("AUTHENTICATE PLAIN")
    await c.expect("AUTHENTICATE")
    for _ in range(21):
        await c.send("AUTHENTICATE " + "A" * 400)
    assert (await c.expect("905")).raw == ":irc.test 905 guesty :SASL message too long"
    # not base64
    await c.send("AUTHENTICATE PLAIN")
    await c.expect("AUTHENTICATE")
    await c.send("AUTHENTICATE !!!")
    await c.expect("904")
    # an exchange left open at CAP END is aborted and the client registers as a guest
    await c.send("AUTHENTICATE PLAIN")
    await c.expect("AUTHENTICATE")
    await c.send("CAP END")
    await c.expect("906")
    assert (await c.expect("001")).params[0] == "guesty"
    await c.close()
    # an account's name as nick without logging in to it: 433
    c = await IrcClient.open(server.irc_port, "x")
    await c.send("NICK carol", "USER u 0 * :x")
    assert (await c.expect("433")).params[1] == "carol"
    await c.close()
    # AUTHENTICATE without the capability
    c = await IrcClient.open(server.irc_port, "x")
    await c.send("AUTHENTICATE PLAIN")
    await c.expect("421")
    await c.close()


async def test_sasl_in_chunks_of_400(parley, smtp):
    server = parley(CONFIG + smtp.config())
    name, long_pw = "abcdefghijklmnopqrstu", "p" * 256
    acc = Accounts(server, smtp)
    acc.registered(name)
    r, j = api(server.port, "POST", "password", {"old": PASSWORD, "new": long_pw},
               acc.tokens[name])
    assert r.status == 200, j
    for nick, message in (("one", f"{name}\0{name}\0{long_pw}"),  # exactly 400: then "+"
                          ("two", f"{name}\0{name}\0{long_pw[:-8]}wrongpw!")):
        c, _ = await start(server.irc_port, nick)
        await c.send("AUTHENTICATE PLAIN")
        await c.expect("AUTHENTICATE")
        msg = b64(message.encode())
        assert len(msg) == 400
        await c.send("AUTHENTICATE " + msg)
        await c.no_line(lambda ln: ln.command in ("903", "904"))  # waits for the rest
        await c.send("AUTHENTICATE +")
        await c.expect("903" if nick == "one" else "904")
        await c.close()


async def test_pass_account_password_fallback(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("erin")
    c = await IrcClient.open(server.irc_port, "erin")
    await c.send(f"PASS :erin:{PASSWORD}", "NICK erin", "USER u 0 * :Erin")
    assert (await c.expect("900")).params[2] == "erin"
    assert (await c.expect("001")).params[0] == "erin"
    await c.close()
    c = await IrcClient.open(server.irc_port, "erin")
    await c.send("PASS :erin:wrong password", "NICK erin", "USER u 0 * :Erin")
    assert (await c.expect("464")).raw == ":irc.test 464 erin :Password incorrect"
    lines = await c.closed()
    assert any(x.command == "ERROR" for x in lines)


async def test_account_tag_extended_join_and_account_notify(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("fred")
    watcher = await IrcClient.registered(server.irc_port, "watcher",
                                         ("message-tags", "account-tag", "extended-join",
                                          "account-notify"))
    await watcher.join("#lobby")
    c, _ = await start(server.irc_port, "fred")
    await sasl_plain(c, "fred")
    await c.expect("903")
    await finish(c)
    await c.send("JOIN #lobby")
    own = await c.expect("JOIN")
    assert own.params == ["#lobby"]  # no extended-join asked for
    join = await watcher.expect("JOIN")
    assert join.raw.endswith(":fred!parley@parley JOIN #lobby fred :Real Name")  # USER's realname
    await c.send("PRIVMSG #lobby :hello")
    msg = await watcher.expect("PRIVMSG")
    assert msg.tags["account"] == "fred" and msg.text == "hello"
    # a guest: "*" in extended-join, no account tag
    guest = await IrcClient.registered(server.irc_port, "gus", ("account-notify",))
    await guest.join("#lobby")
    assert (await watcher.expect("JOIN")).params[:2] == ["#lobby", "*"]
    await guest.send("PRIVMSG #lobby :hi")
    msg = await watcher.expect("PRIVMSG")
    assert "account" not in msg.tags
    # a web user logged in to an account carries its account too
    web = await connect_account(server.port, Accounts(server, smtp).registered("gina"))
    await web.enter("lobby")
    assert (await watcher.expect("JOIN")).params[:2] == ["#lobby", "gina"]
    await web.cmd("say", room="lobby", text="from the web")
    msg = await watcher.expect("PRIVMSG")
    assert msg.tags["account"] == "gina" and msg.text.endswith("from the web")
    # logging in after registration: ACCOUNT to peers with account-notify
    Accounts(server, smtp).registered("hank")
    await guest.send("CAP REQ sasl")
    await guest.expect("CAP")
    await sasl_plain(guest, "hank")
    await guest.expect("903")
    assert (await watcher.expect("ACCOUNT")).raw == ":gus!parley@parley ACCOUNT hank"
    assert (await guest.expect("ACCOUNT")).params == ["hank"]
    for x in (watcher, c, guest, web):
        await x.close()


async def test_the_same_account_has_the_same_rights(parley, smtp):
    server = parley(CONFIG + smtp.config() + "[server]\nadmin_token = tok\n")
    acc = Accounts(server, smtp)
    acc.registered("reader")
    acc.registered("boss")
    from parley_client import http_request
    r = http_request(server.port, "PUT", "/api/v1/admin/acl/room/lobby",
                     {"acl": [{"who": "user", "name": "reader", "right": "read_only"},
                              {"who": "user", "name": "boss", "right": "host"}]},
                     {"Authorization": "Bearer tok"})
    assert r.status == 200, r
    # on the web: the reader cannot speak
    web = await connect_account(server.port, acc.tokens["reader"])
    await web.enter("lobby")
    await web.fail("read_only", "say", room="lobby", text="may I?")
    await web.close()
    # on IRC, logged in to the same account: 404
    c, _ = await start(server.irc_port, "reader")
    await sasl_plain(c, "reader")
    await c.expect("903")
    await finish(c)
    await c.send("JOIN #lobby")
    await c.expect("JOIN")
    await c.send("PRIVMSG #lobby :may I?")
    assert (await c.expect("404")).params[1] == "#lobby"
    # the host account is a channel operator
    b, _ = await start(server.irc_port, "boss")
    await sasl_plain(b, "boss")
    await b.expect("903")
    await finish(b)
    await b.join("#lobby")
    assert "@boss" in await b.names("#lobby")
    await c.close()
    await b.close()


# ---- colours (util/irccolour.h) ----------------------------------------------------------------

async def test_colours_both_ways_in_a_mixed_table(parley):
    server = parley(CONFIG)
    irc = await IrcClient.registered(server.irc_port, "ircer")
    await irc.join("#lobby")
    web = await Client.connect(server.port, "webber", colour="#ff0000")
    await web.enter("lobby")
    await irc.expect("JOIN")
    # web -> IRC: the sender's colour as a two-digit mIRC code (red is 04) on every line
    await web.say("lobby", "hello\nsecond line")
    lines = [await irc.expect("PRIVMSG") for _ in range(2)]
    assert [x.raw for x in lines] == [":webber!parley@parley PRIVMSG #lobby :\x0304hello",
                                      ":webber!parley@parley PRIVMSG #lobby :\x0304second line"]
    # IRC -> web: formatting removed; the leading colour (12: blue) becomes the sender's colour
    await irc.send("PRIVMSG #lobby :\x0312,01blue \x02bold\x02 and \x1ditalic\x1d\x0f")
    ev = await web.event("message", nick="ircer")
    assert ev["text"] == "blue bold and italic" and ev["colour"] == "#0000fc"
    # plain text from IRC passes unchanged, and IRC users' messages get no colour code on IRC
    other = await IrcClient.registered(server.irc_port, "other")
    await other.join("#lobby")
    await irc.send("PRIVMSG #lobby :plain")
    assert (await web.event("message", nick="ircer"))["text"] == "plain"
    mine = await other.expect(lambda x: x.command == "PRIVMSG" and x.text == "plain")
    assert mine.raw == ":ircer!parley@parley PRIVMSG #lobby :plain"
    # only formatting: nothing to send
    await irc.send("PRIVMSG #lobby :\x02\x0f")
    await irc.expect("412")
    for x in (irc, web, other):
        await x.close()


# ---- draft/account-registration -----------------------------------------------------------------

async def test_register_and_verify_with_the_mailed_code(parley, smtp):
    server = parley(CONFIG + smtp.config())
    Accounts(server, smtp).registered("taken")
    c = await IrcClient.open(server.irc_port, "newbie")
    await c.send("CAP LS 302")
    ls = await c.expect("CAP")
    assert ("draft/account-registration=before-connect,email-required,custom-account-name"
            in ls.text.split())
    await c.send("NICK newbie", "USER u 0 * :N")
    # refusals, before the connection registered (before-connect)
    for command, code in ((f"REGISTER taken new@example.org {PASSWORD}", "ACCOUNT_EXISTS"),
                          ("REGISTER newbie not-an-address long enough pw", "INVALID_EMAIL"),
                          (f"REGISTER newbie * {PASSWORD}", "INVALID_EMAIL"),
                          ("REGISTER newbie new@example.org short", "WEAK_PASSWORD"),
                          (f"REGISTER admin new@example.org {PASSWORD}", "BAD_ACCOUNT_NAME")):
        await c.send(command.replace(PASSWORD, ":" + PASSWORD) if " " in PASSWORD else command)
        fail = await c.expect("FAIL")
        assert fail.params[:2] == ["REGISTER", code], (command, fail)
    await c.send(f"REGISTER * newbie@example.org :{PASSWORD}")
    reply = await c.expect("REGISTER")
    assert reply.params[:2] == ["VERIFICATION_REQUIRED", "newbie"]
    _, body = smtp.wait_for("newbie@example.org")
    import re
    code = re.search(r"\b(\d{6})\b", body).group(1)
    await c.send("VERIFY newbie 000000" if code != "000000" else "VERIFY newbie 111111")
    assert (await c.expect("FAIL")).params[:3] == ["VERIFY", "INVALID_CODE", "newbie"]
    await c.send(f"VERIFY newbie {code}")
    assert (await c.expect("VERIFY")).params[:2] == ["SUCCESS", "newbie"]
    assert (await c.expect("900")).params[2] == "newbie"
    await c.send("CAP END")
    assert (await c.expect("001")).params[0] == "newbie"
    await c.send(f"REGISTER other other@example.org :{PASSWORD}")
    assert (await c.expect("FAIL")).params[1] == "ALREADY_AUTHENTICATED"
    await c.close()
    # the account is a registered one: SASL works with it
    d, _ = await start(server.irc_port, "newbie")
    await sasl_plain(d, "newbie")
    await d.expect("903")
    await d.close()


async def test_validated_on_the_web_while_logged_in_on_irc(parley, smtp):
    server = parley(CONFIG + smtp.config() + "[access]\nregistered = host\n")
    acc = Accounts(server, smtp)
    acc.provisional("pia")  # guest rights until validated
    c, _ = await start(server.irc_port, "pia")
    await sasl_plain(c, "pia")
    await c.expect("903")
    await finish(c)
    await c.join("#lobby")
    assert await c.names("#lobby") == ["pia"]
    from accounts_kit import follow_link
    follow_link(server.port, acc.mail["pia"][0])
    assert (await c.expect("MODE")).raw == ":irc.test MODE #lobby +o pia"
    await c.close()


async def test_irc_password_checks_are_throttled_like_web_logins(parley, smtp):
    server = parley(IRC_CONFIG + LOBBY_AND_DUO + smtp.config() +
                    "[accounts]\nhash_limits = min\nlogin_free_failures = 1\nlogin_delay_ms = 1\n"
                    "login_max_delay_ms = 1\nlogin_max_failures = 2\nlogin_window = 60\n")
    Accounts(server, smtp).registered("tina")
    c, _ = await start(server.irc_port, "tester")
    for _ in range(2):
        await sasl_plain(c, "tina", "wrong password")
        assert (await c.expect("904")).raw == ":irc.test 904 tester :SASL authentication failed"
    await sasl_plain(c, "tina")  # even the right password, past the limit
    refused = await c.expect("904")
    assert refused.text.startswith("SASL authentication failed: too many attempts: retry in ")
    await c.close()
    # the web login of the same account is refused too: one count
    r, j = api(server.port, "POST", "login", {"name": "tina", "password": PASSWORD})
    assert r.status == 429 and j["error"]["code"] == "too_many_attempts"
    # PASS past the limit: the connection is closed with the reason
    d = await IrcClient.open(server.irc_port, "x")
    await d.send(f"PASS :tina:{PASSWORD}", "NICK tester2", "USER u 0 * :x")
    lines = await d.closed()
    assert lines[-1].raw.startswith("ERROR :too many attempts: retry in ")
