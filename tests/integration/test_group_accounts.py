"""Accounts belong to a chat group: each group has its own accounts, tokens, sysop (bootstrapped
with its own one-time password), banned list and validation links (docs/PROTOCOL.md, "Accounts")."""

import os
import re
import subprocess

from conftest import PARLEYD
from parley_client import Client, http_get, http_request
from smtp_sink import SmtpSink

CONFIG = """
[accounts]
hash_limits = min

[group acme]
title = ACME Corp
hosts = acme.example
"""


def call(port, method, path, body=None, token=None, host=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if host:
        headers["Host"] = host
    return http_request(port, method, path, body=body, headers=headers)


async def test_accounts_are_per_group(parley):
    s = parley(CONFIG)
    port = s.port
    # Each group got its own sysop with its own one-time password.
    passwords = re.findall(r"created 'sysop' with the one-time password (\S+)", s.stderr())
    assert len(passwords) == 2 and passwords[0] != passwords[1]

    body = {"name": "alice", "email": "alice@example.org", "password": "correct horse"}
    assert call(port, "POST", "/g/acme/api/v1/auth/register", body).status == 201
    # The same name and address are free in the default group: another person.
    assert call(port, "POST", "/api/v1/auth/register", body).status == 201
    assert call(port, "POST", "/api/v1/auth/register", body).status == 409

    r = call(port, "POST", "/api/v1/auth/login", {"name": "alice", "password": "correct horse"},
             host="acme.example")
    assert r.status == 200
    acme_token = r.json()["token"]
    assert call(port, "GET", "/g/acme/api/v1/auth/me", token=acme_token).status == 200
    assert call(port, "GET", "/api/v1/auth/me", token=acme_token).status == 401
    # Logging in to acme does not log in to the default group, and the reverse.
    c = await Client.connect(port)
    try:
        await c.fail("unauthorized", "hello", token=acme_token)
    finally:
        await c.close()
    c = await Client.connect(port, path="/g/acme/ws")
    try:
        assert (await c.cmd("hello", token=acme_token))["nick"] == "alice"
    finally:
        await c.close()

    # acme's sysop administers acme only. Which password is acme's: the one that logs in there.
    for pw in passwords:
        r = call(port, "POST", "/g/acme/api/v1/auth/login", {"name": "sysop", "password": pw})
        if r.status == 200:
            break
    assert r.status == 200
    sysop = r.json()["token"]
    r = call(port, "POST", "/g/acme/api/v1/auth/password", {"old": pw, "new": "acme sysop pw"},
             token=sysop)
    assert r.status == 200
    assert call(port, "POST", "/g/acme/api/v1/rooms", {"name": "news"}, token=sysop).status == 201
    assert call(port, "POST", "/api/v1/rooms", {"name": "news"}, token=sysop).status == 403
    assert call(port, "GET", "/g/acme/api/v1/admin/words", token=sysop).status == 200
    # The chat groups API stays with the admin_token.
    assert call(port, "GET", "/api/v1/admin/groups", token=sysop).status == 403


def test_banned_list_and_links_per_group(parley):
    smtp = SmtpSink()
    try:
        s = parley(CONFIG + smtp.config() + "[server]\nadmin_token = adm1n\n")
        port = s.port
        admin = "adm1n"
        r = call(port, "POST", "/g/acme/api/v1/admin/banned", {"pattern": "spam.example"},
                 token=admin)
        assert r.status == 201
        body = {"name": "bob", "email": "bob@spam.example", "password": "correct horse"}
        assert call(port, "POST", "/g/acme/api/v1/auth/register", body).status == 403
        assert call(port, "POST", "/api/v1/auth/register", body).status == 201
        assert call(port, "GET", "/api/v1/admin/banned", token=admin).json() == {"banned": []}
        # The validation link of an acme account leads back to acme.
        body = {"name": "carl", "email": "carl@example.org", "password": "correct horse"}
        assert call(port, "POST", "/g/acme/api/v1/auth/register", body).status == 201
        _, text = smtp.wait_for("carl@example.org")
        link = re.search(r"http://\S+/g/acme/api/v1/auth/validate\?token=\S+", text)
        assert link, text
        path = link.group(0).split(str(port), 1)[1]
        r = http_get(port, path)
        assert r.status == 200 and b"validated" in r.body
        r = call(port, "POST", "/g/acme/api/v1/auth/login",
                 {"name": "carl", "password": "correct horse"})
        assert r.json()["account"]["class"] == "registered"
    finally:
        smtp.stop()


def test_create_sysop_in_a_chat_group(parley):
    s = parley(CONFIG, start=False)
    base = [PARLEYD, "--data-dir", str(s.data_dir), "--config", str(s.config_file)]
    env = dict(os.environ, PARLEY_SYSOP_PASSWORD="acme boss pass")
    p = subprocess.run(base + ["--create-sysop", "boss", "--group", "acme"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "sysop 'boss' of group acme ready" in p.stdout
    p = subprocess.run(base + ["--create-sysop", "boss", "--group", "nope"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "no chat group 'nope'" in p.stderr
    p = subprocess.run(base + ["--group", "acme"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "--group goes with --create-sysop" in p.stderr

    s.start()
    login = {"name": "boss", "password": "acme boss pass"}
    r = call(s.port, "POST", "/g/acme/api/v1/auth/login", login)
    assert r.status == 200 and r.json()["account"]["sysop"] is True
    token = r.json()["token"]
    # a sysop of acme, not of the default group
    assert call(s.port, "POST", "/api/v1/auth/login", login).status == 401
    assert call(s.port, "GET", "/g/acme/api/v1/admin/settings", token=token).status == 200
    assert call(s.port, "GET", "/api/v1/admin/settings", token=token).status in (401, 403)
