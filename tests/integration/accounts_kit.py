"""Real accounts for the integration tests, made the way people make them (docs/PROTOCOL.md,
"Accounts"): registered over the REST API, validated by following the link (or entering the code)
of the validation mail that a real SMTP server on loopback (smtp_sink.SmtpSink) received, logged in
for a session token, and brought into the chat with `{"type": "hello", "token": …}`. Sysops come
from `parleyd --create-sysop NAME` run before the server starts.

With `FAST` (`[accounts] hash_limits = min`) an account costs a few milliseconds, so a test can make
as many as it needs. The `smtp` fixture (conftest.py) gives the SmtpSink; `smtp.config()` is the
[mail] section that sends to it.
"""

import os
import re
import subprocess
from urllib.parse import urlsplit

from conftest import PARLEYD
from parley_client import Client, http_get, http_request

FAST = "[accounts]\nhash_limits = min\n"
PASSWORD = "correct horse"
SYSOP_PASSWORD = "sysop password 1"


# ---- the REST API of accounts -------------------------------------------------------------------

def api(port, method, what, body=None, token=None, prefix=""):
    """A call of /api/v1/auth/WHAT; returns (Response, JSON body or None)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = http_request(port, method, f"{prefix}/api/v1/auth/{what}", body=body, headers=headers)
    return r, (r.json() if r.body and r.content_type.startswith("application/json") else None)


def register(port, name, email, password=PASSWORD, status=201):
    r, j = api(port, "POST", "register", {"name": name, "email": email, "password": password})
    assert r.status == status, (r.status, j)
    return j


def login(port, name, password=PASSWORD, status=200):
    r, j = api(port, "POST", "login", {"name": name, "password": password})
    assert r.status == status, (r.status, j)
    return j


def error_code(j):
    return j["error"]["code"]


def mail_link_and_code(smtp, to):
    """Waits for the validation mail to `to`; returns (subject, link, code)."""
    subject, body = smtp.wait_for(to)
    link = re.search(r"(http://\S+/api/v1/auth/validate\?token=[A-Za-z0-9_-]+)", body)
    code = re.search(r"\b(\d{6})\b", body)
    assert link and code, body
    return subject, link.group(1), code.group(1)


def link_path(link):
    """The path and query of a validation link (the host part is the configured public_url)."""
    u = urlsplit(link)
    return f"{u.path}?{u.query}"


def follow_link(port, link):
    r = http_get(port, link_path(link))
    assert r.status == 200 and b"Your account is validated" in r.body, (r.status, r.body[:200])


def validate_by_code(port, token, code):
    r, j = api(port, "POST", "validate", {"code": code}, token)
    assert r.status == 200 and j["account"]["class"] == "registered", (r.status, j)
    return j["account"]


def sysop_token(port, name, password=SYSOP_PASSWORD):
    j = login(port, name, password)
    assert j["account"]["sysop"] is True, j
    return j["token"]


def create_sysop(server, name, password=SYSOP_PASSWORD):
    """`parleyd --create-sysop NAME` on a server made with start=False (the way an operator does
    it before the first start); the password comes from PARLEY_SYSOP_PASSWORD."""
    assert not server.running, "create the sysop before starting the server"
    argv = [PARLEYD, "--data-dir", str(server.data_dir), "--create-sysop", name]
    if server.config_file:
        argv += ["--config", str(server.config_file)]
    env = dict(os.environ, PARLEY_SYSOP_PASSWORD=password)
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


# ---- people -------------------------------------------------------------------------------------

class Accounts:
    """Makes accounts on one running server. `smtp` (an SmtpSink the server mails to) is needed for
    registered accounts; without it accounts stay provisional (mail disabled)."""

    def __init__(self, server, smtp=None):
        self.server = server
        self.smtp = smtp
        self.mail = {}  # name -> (link, code) of its validation mail, once read
        self.tokens = {}  # name -> the last session token

    @property
    def port(self):
        return self.server.port

    @staticmethod
    def email(name):
        local = name.lower() if name.isascii() else "u" + name.encode().hex()
        return f"{local}@example.org"

    def _register(self, name):
        account = register(self.port, name, self.email(name))["account"]
        assert account["class"] == "provisional", account
        if self.smtp is not None:
            _, link, code = mail_link_and_code(self.smtp, self.email(name))
            self.mail[name] = (link, code)

    def _login(self, name, cls):
        j = login(self.port, name)
        assert j["account"]["class"] == cls, j
        self.tokens[name] = j["token"]
        return j["token"]

    def provisional(self, name):
        """A new account whose validation mail is read but not followed; returns its token."""
        self._register(name)
        return self._login(name, "provisional")

    def registered(self, name):
        """A new account validated by the link of its mail; returns its token."""
        assert self.smtp is not None, "registered accounts need mail (an SmtpSink)"
        self._register(name)
        follow_link(self.port, self.mail[name][0])
        return self._login(name, "registered")

    def validate_by_code(self, name):
        """Validates a provisional account with the code of its mail (over REST, with its
        token), as someone already connected would."""
        return validate_by_code(self.port, self.tokens[name], self.mail[name][1])

    def sysop(self, name, password=SYSOP_PASSWORD):
        """The token of a sysop made with create_sysop()."""
        token = sysop_token(self.port, name, password)
        self.tokens[name] = token
        return token


async def connect_account(port, token, *, path="/ws", colour=None):
    """A client that says hello with an account's session token (its nick is the account's name);
    the hello reply is kept as `client.hello_reply`."""
    c = await Client.connect(port, path=path)
    args = {"token": token}
    if colour is not None:
        args["colour"] = colour
    try:
        reply = await c.cmd("hello", **args)
    except BaseException:
        await c.close()
        raise
    c.nick, c.colour, c.label = reply["nick"], reply["colour"], reply["nick"]
    c.hello_reply = reply
    return c
