"""Accounts end to end against the real server: registration with e-mail validation through a real
SMTP server on loopback (link and code), login, logout, password change and token revocation,
hello with a token, guests, the banned list, and the sysop bootstrap (docs/PROTOCOL.md,
"Accounts"; docs/OPERATIONS.md, "Accounts")."""

import os
import re
import subprocess

from accounts_kit import (FAST, api, error_code, link_path, login, mail_link_and_code, register,
                          sysop_token)
from conftest import PARLEYD
from parley_client import Client, close_all, http_get, http_request
from smtp_sink import SmtpSink


def test_register_and_validate_by_link(parley, smtp):
    server = parley(FAST + smtp.config())
    port = server.port
    acc = register(port, "Alice", "alice@example.org")["account"]
    assert acc == {"name": "Alice", "email": "alice@example.org", "class": "provisional",
                   "sysop": False, "colour": None, "created": acc["created"],
                   "must_change_password": False}
    subject, link, code = mail_link_and_code(smtp, "alice@example.org")
    assert subject
    assert link.startswith(f"http://localhost:{port}/api/v1/auth/validate?token=")
    path = link_path(link)
    r = http_get(port, path)
    assert r.status == 200 and r.content_type.startswith("text/html")
    assert b"Your account is validated" in r.body
    j = login(port, "alice")  # any spelling of the name
    assert j["account"]["class"] == "registered"
    # The link works once; a made-up one gets a clear error page.
    r = http_get(port, path)
    assert r.status == 400 and b"does not work" in r.body
    r = http_get(port, "/api/v1/auth/validate?token=nonsense")
    assert r.status == 400 and r.content_type.startswith("text/html")


async def test_validate_by_code_while_connected(parley, smtp):
    server = parley(FAST + smtp.config())
    port = server.port
    register(port, "bob", "Bob@Example.org")
    _, _, code = mail_link_and_code(smtp, "Bob@Example.org")
    token = login(port, "bob@example.org")["token"]  # log in by e-mail, any case
    c = await Client.connect(port)
    try:
        hello = await c.cmd("hello", token=token)
        assert hello["nick"] == "bob" and hello["class"] == "provisional"
        wrong = "000000" if code != "000000" else "111111"
        r, j = api(port, "POST", "validate", {"code": wrong}, token)
        assert r.status == 400 and error_code(j) == "bad_code"
        r, j = api(port, "POST", "validate", {"code": code}, token)
        assert r.status == 200 and j["account"]["class"] == "registered"
        ev = await c.event("account")
        assert ev["class"] == "registered" and ev["name"] == "bob"
        r, j = api(port, "POST", "validate", {"code": code}, token)
        assert r.status == 409 and error_code(j) == "already_validated"
        r, j = api(port, "POST", "resend", None, token)
        assert r.status == 409 and error_code(j) == "already_validated"
    finally:
        await c.close()


def test_resend_sends_a_new_mail(parley, smtp):
    server = parley(FAST + smtp.config())
    port = server.port
    register(port, "carol", "carol@example.org")
    _, first_link, _ = mail_link_and_code(smtp, "carol@example.org")
    token = login(port, "carol")["token"]
    r, _ = api(port, "POST", "resend", None, token)
    assert r.status == 200
    _, link, code = mail_link_and_code(smtp, "carol@example.org")
    assert link != first_link
    # The old link no longer works; the new code does.
    assert http_get(port, link_path(first_link)).status == 400
    r, j = api(port, "POST", "validate", {"code": code}, token)
    assert r.status == 200 and j["account"]["class"] == "registered"


def test_login_logout_password_and_revocation(parley):
    server = parley(FAST)
    port = server.port
    register(port, "dave", "dave@example.org")
    j = login(port, "dave", "wrong password", status=401)
    assert error_code(j) == "unauthorized"
    first = login(port, "dave")
    t1, t2 = first["token"], login(port, "DAVE")["token"]
    assert t1 != t2 and len(t1) == 43 and first["expires"] > first["account"]["created"]
    r, j = api(port, "GET", "me", token=t1)
    assert r.status == 200 and j["account"]["name"] == "dave"
    r, j = api(port, "POST", "password", {"old": "not it at all", "new": "battery staple"}, t1)
    assert r.status == 401 and error_code(j) == "unauthorized"
    r, j = api(port, "POST", "password", {"old": "correct horse", "new": "short"}, t1)
    assert r.status == 400 and error_code(j) == "weak_password"
    r, j = api(port, "POST", "password", {"old": "correct horse", "new": "battery staple"}, t1)
    assert r.status == 200, j
    assert api(port, "GET", "me", token=t1)[0].status == 200  # this session stays
    r, j = api(port, "GET", "me", token=t2)  # the other one is revoked
    assert r.status == 401 and error_code(j) == "unauthorized"
    assert r.headers.get("www-authenticate") == "Bearer"
    login(port, "dave", "correct horse", status=401)
    login(port, "dave", "battery staple")
    r, _ = api(port, "POST", "logout", None, t1)
    assert r.status == 200
    assert api(port, "GET", "me", token=t1)[0].status == 401
    assert api(port, "POST", "logout", None, t1)[0].status == 401
    assert api(port, "GET", "me")[0].status == 401
    assert api(port, "GET", "me", token="x" * 43)[0].status == 401
    # Tokens outlive a restart (only their hash is stored).
    t3 = login(port, "dave", "battery staple")["token"]
    server.restart()
    assert api(server.port, "GET", "me", token=t3)[0].status == 200


def test_register_refusals(parley):
    server = parley(FAST)
    port = server.port
    register(port, "erin", "erin@example.org")
    cases = [
        ({"name": "ERIN", "email": "x@example.org", "password": "long enough"}, 409, "name_taken"),
        ({"name": "erin2", "email": "ERIN@example.org", "password": "long enough"}, 409,
         "email_taken"),
        ({"name": "1abc", "email": "y@example.org", "password": "long enough"}, 400,
         "nick_invalid"),
        ({"name": "admin", "email": "y@example.org", "password": "long enough"}, 400,
         "nick_reserved"),
        ({"name": "frank", "email": "y@example.org", "password": "short"}, 400, "weak_password"),
        ({"name": "frank", "email": "y@example.org", "password": "x" * 257}, 400,
         "weak_password"),
        ({"name": "frank", "email": "not an address", "password": "long enough"}, 400,
         "bad_email"),
        ({"name": "frank", "email": "y@example.org"}, 400, "bad_request"),
        ({"name": 7, "email": "y@example.org", "password": "long enough"}, 400, "bad_request"),
    ]
    for body, status, code in cases:
        r, j = api(port, "POST", "register", body)
        assert (r.status, error_code(j)) == (status, code), body
    r = http_request(port, "POST", "/api/v1/auth/register", body="{not json")
    assert r.status == 400 and r.json()["error"]["code"] == "bad_request"
    r = http_request(port, "GET", "/api/v1/auth/register")
    assert r.status == 405
    r = http_request(port, "GET", "/api/v1/auth/nothing")
    assert r.status == 404


def test_mail_disabled_registration_still_works(parley):
    server = parley(FAST)
    register(server.port, "gina", "gina@example.org")
    assert "account 'gina' cannot be validated by mail" in server.stderr()
    token = login(server.port, "gina")["token"]
    r, j = api(server.port, "POST", "resend", None, token)
    assert r.status == 503 and error_code(j) == "mail_disabled"


def test_banned_addresses_and_domains(parley):
    server = parley(FAST + "banned = bad@example.com, spam.example\n"
                    "[server]\nadmin_token = adm1n-token\n")
    port = server.port
    for addr in ("bad@example.com", "BAD@Example.com", "x@spam.example", "y@mx.spam.example"):
        r, j = api(port, "POST", "register", {"name": "hank", "email": addr,
                                              "password": "long enough"})
        assert r.status == 403 and error_code(j) == "email_banned", addr
    register(port, "hank", "good@example.com")
    register(port, "ivan", "ivan@notspam.example")  # not a subdomain

    admin = {"Authorization": "Bearer adm1n-token", "Content-Type": "application/json"}
    r = http_get(port, "/api/v1/admin/banned", headers=admin)
    assert r.status == 200 and r.json() == {"banned": ["bad@example.com", "spam.example"]}
    r = http_request(port, "POST", "/api/v1/admin/banned", {"pattern": "Evil.Example"},
                     headers=admin)
    assert r.status == 201
    assert api(port, "POST", "register", {"name": "jane", "email": "j@evil.example",
                                          "password": "long enough"})[0].status == 403
    r = http_request(port, "POST", "/api/v1/admin/banned", {"pattern": "evil.example"},
                     headers=admin)
    assert r.status == 409
    r = http_request(port, "POST", "/api/v1/admin/banned", {"pattern": "no spaces"},
                     headers=admin)
    assert r.status == 400
    r = http_request(port, "DELETE", "/api/v1/admin/banned", {"pattern": "spam.example"},
                     headers=admin)
    assert r.status == 200
    register(port, "kate", "k@spam.example")
    r = http_request(port, "DELETE", "/api/v1/admin/banned", {"pattern": "spam.example"},
                     headers=admin)
    assert r.status == 404
    # Not a sysop: refused.
    token = login(port, "kate")["token"]
    r = http_get(port, "/api/v1/admin/banned", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    assert http_get(port, "/api/v1/admin/banned").status == 401


async def test_hello_with_token_colour_and_ignores_persist(parley):
    server = parley(FAST)
    port = server.port
    register(port, "Lena", "lena@example.org")
    token = login(port, "lena")["token"]
    c = await Client.connect(port)
    try:
        await c.fail("unauthorized", "hello", token="y" * 43)
        await c.fail("bad_request", "hello", token=token, nick="someone")
        hello = await c.cmd("hello", token=token, nick="Lena")
        assert (hello["nick"], hello["class"], hello["sysop"]) == ("Lena", "provisional", False)
        await c.cmd("colour", colour="#123ABC")
        await c.cmd("ignore", nick="Troll")
        await c.cmd("ignore", nick="Spammer")
        await c.cmd("unignore", nick="spammer")
    finally:
        await c.close()
    c = await Client.connect(port)
    try:
        hello = await c.cmd("hello", token=token)
        assert hello["nick"] == "Lena" and hello["colour"] == "#123abc"
        assert (await c.cmd("ignored"))["ignored"] == ["Troll"]
        # The same account twice at once: the nick is taken.
        other = await Client.connect(port)
        try:
            await other.fail("nick_taken", "hello", token=token)
        finally:
            await other.close()
    finally:
        await c.close()


async def test_guest_cannot_take_an_account_name(parley):
    server = parley(FAST)
    register(server.port, "Mona", "mona@example.org")
    c = await Client.connect(server.port)
    try:
        await c.fail("nick_registered", "hello", nick="MONA")
        await c.fail("nick_registered", "hello", nick="mona")
        assert (await c.cmd("hello", nick="Mona2"))["class"] == "guest"
    finally:
        await c.close()


async def test_guests_off(parley, smtp):
    server = parley(FAST + smtp.config() + "[access]\nallow_guests = no\n")
    port = server.port
    register(port, "nina", "nina@example.org")
    _, link, _ = mail_link_and_code(smtp, "nina@example.org")
    register(port, "otto", "otto@example.org")
    nina = login(port, "nina")["token"]
    otto = login(port, "otto")["token"]
    c = await Client.connect(port)
    try:
        await c.fail("guests_not_allowed", "hello", nick="guesty")
        await c.fail("validation_required", "hello", token=nina)
        assert http_get(port, link_path(link)).status == 200
        hello = await c.cmd("hello", token=nina)
        assert hello["class"] == "registered"
        await c.enter("lobby")
    finally:
        await c.close()
    c = await Client.connect(port)
    try:
        await c.fail("validation_required", "hello", token=otto)
    finally:
        await c.close()


def test_create_sysop_command(parley):
    server = parley(FAST, start=False)
    cfg = str(server.config_file)
    env = dict(os.environ, PARLEY_SYSOP_PASSWORD="boss password 1")
    p = subprocess.run([PARLEYD, "--data-dir", str(server.data_dir), "--config", cfg,
                        "--create-sysop", "Boss"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    env.pop("PARLEY_SYSOP_PASSWORD")
    p = subprocess.run([PARLEYD, "--data-dir", str(server.data_dir), "--config", cfg,
                        "--create-sysop", "Root"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    generated = re.search(r"with the password (\S+)", p.stdout).group(1)
    p = subprocess.run([PARLEYD, "--data-dir", str(server.data_dir), "--config", cfg,
                        "--create-sysop", "1bad"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0 and "cannot create sysop" in p.stderr

    server.start()
    port = server.port
    assert "one-time password" not in server.stderr()  # a sysop exists: no bootstrap
    token = sysop_token(port, "boss", "boss password 1")
    sysop_token(port, "root", generated)
    r = http_request(port, "POST", "/api/v1/rooms", {"name": "games"},
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status == 201, r
    # An ordinary account may not.
    register(port, "pete", "pete@example.org")
    t = login(port, "pete")["token"]
    r = http_request(port, "POST", "/api/v1/rooms", {"name": "games2"},
                     headers={"Authorization": f"Bearer {t}"})
    assert r.status == 403


async def test_first_start_one_time_sysop_password(parley):
    server = parley(FAST)
    port = server.port
    m = re.search(r"created 'sysop' with the one-time password (\S+)", server.stderr())
    assert m, server.stderr()
    j = login(port, "sysop", m.group(1))
    token = j["token"]
    assert j["account"]["sysop"] is True and j["account"]["must_change_password"] is True
    r, j = api(port, "GET", "me", token=token)
    assert j["account"]["must_change_password"] is True
    # Until the password is changed the sysop has no admin rights.
    r = http_request(port, "POST", "/api/v1/rooms", {"name": "games"},
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status == 403
    async with await Client.connect(port) as c:
        hello = await c.cmd("hello", token=token)
        assert hello["nick"] == "sysop" and hello["sysop"] is False
    r, j = api(port, "POST", "password", {"old": m.group(1), "new": "a real password"}, token)
    assert r.status == 200 and j["account"]["must_change_password"] is False
    r = http_request(port, "POST", "/api/v1/rooms", {"name": "games"},
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status == 201
    # The reserved nick "sysop" is the sysop account's own.
    c = await Client.connect(port)
    try:
        await c.fail("nick_reserved", "hello", nick="sysop")
        hello = await c.cmd("hello", token=token)
        assert hello["nick"] == "sysop" and hello["sysop"] is True
    finally:
        await c.close()
    server.restart()
    assert "one-time password" not in server.stderr()


async def test_revoked_tokens_close_their_connections(parley):
    """A logout closes the connection made with that token; a password change closes one made
    with another of the account's tokens; everyone else stays."""
    server = parley(FAST)
    port = server.port
    register(port, "gina", "gina@example.org")
    register(port, "hank", "hank@example.org")
    t1, t2, t3 = (login(port, "gina")["token"] for _ in range(3))

    async def hello(token):
        c = await Client.connect(port)
        await c.cmd("hello", token=token)
        return c

    ch = await hello(login(port, "hank")["token"])
    c1 = await hello(t1)
    clients = [ch, c1]
    try:
        r, _ = api(port, "POST", "logout", None, t1)
        assert r.status == 200
        await c1.wait_closed()
        assert c1.close_code == 1008 and c1.close_reason == "logged out: log in again"
        c2 = await hello(t2)
        clients.append(c2)
        r, j = api(port, "POST", "password", {"old": "correct horse", "new": "battery staple"}, t3)
        assert r.status == 200, j
        await c2.wait_closed()
        assert c2.close_code == 1008
        assert c2.close_reason == "the password was changed: log in again"
        await ch.ping()  # another account
        c = await Client.connect(port)
        clients.append(c)
        await c.fail("unauthorized", "hello", token=t2)  # revoked
        c3 = await hello(t3)  # the token that changed the password stays good
        clients.append(c3)
        await c3.ping()
    finally:
        await close_all(clients)


def test_relay_that_never_answers_quit(parley):
    """A relay that takes the message but never answers QUIT holds the sending thread for at most
    [mail] timeout: the next mail still goes out, and the server still stops at once."""
    sink = SmtpSink(answer_quit=False)
    try:
        server = parley(FAST + sink.config().replace("timeout = 5", "timeout = 2"))
        register(server.port, "quinn", "quinn@example.org")
        mail_link_and_code(sink, "quinn@example.org")
        register(server.port, "quincy", "quincy@example.org")
        mail_link_and_code(sink, "quincy@example.org")
        register(server.port, "quill", "quill@example.org")
        mail_link_and_code(sink, "quill@example.org")
        assert server.stop() == 0, server.problems  # the last QUIT is still unanswered
    finally:
        sink.stop()
