"""/metrics counts the community events operators watch: registrations, validations, logins (good,
wrong and refused by the brute-force limit), messages refused by the word list, ejections, bans
and broadcasts — summed over chat groups."""

import os
import subprocess

import pytest

from conftest import PARLEYD
from parley_client import Client, close_all
from smtp_sink import SmtpSink
from test_accounts import api, login, mail_link_and_code, register

CONFIG = """
[accounts]
hash_limits = min
login_free_failures = 1
login_delay_ms = 1
login_max_delay_ms = 1
login_max_failures = 3

[moderation]
words = darn

[room kids]
moderated = true

[group acme]
"""

COUNTERS = ["parley_registrations_total", "parley_validations_total", "parley_logins_total",
            "parley_login_failures_total", "parley_logins_refused_total",
            "parley_moderated_total", "parley_ejections_total", "parley_bans_total",
            "parley_broadcasts_total"]


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.stop()


async def test_community_counters(parley, smtp):
    s = parley(CONFIG + smtp.config(), start=False)
    env = dict(os.environ, PARLEY_SYSOP_PASSWORD="boss password")
    p = subprocess.run([PARLEYD, "--data-dir", str(s.data_dir), "--config", str(s.config_file),
                        "--create-sysop", "boss"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    s.start()
    port = s.port
    assert {k: s.metrics()[k] for k in COUNTERS} == {k: 0 for k in COUNTERS}

    register(port, "alice", "alice@example.org")
    _, link, _ = mail_link_and_code(smtp, "alice@example.org")
    r, _ = api(port, "GET", link.split(str(port), 1)[1].removeprefix("/api/v1/auth/"))
    assert r.status == 200
    boss = login(port, "boss", "boss password")["token"]
    login(port, "alice", "wrong password", status=401)
    login(port, "alice", "wrong again", status=401)
    login(port, "alice", "and again", status=401)
    login(port, "alice", "correct horse", status=429)  # past login_max_failures

    host = await Client.connect(port)
    await host.cmd("hello", token=boss)
    guest, other = await Client.connect(port, "gus"), await Client.connect(port, "otto")
    acme = await Client.connect(port, "gus", path="/g/acme/ws")
    try:
        for c in (host, guest, other):
            await c.enter("kids")
        await guest.fail("moderated", "say", room="kids", text="darn")
        await other.fail("moderated", "pm", room="kids", to="gus", text="darn it")
        await host.cmd("broadcast", room="kids", text="hello all tables")
        await host.cmd("eject", room="kids", nick="gus")
        await host.cmd("eject", room="kids", nick="otto", ban=60)
        await acme.enter("lobby")
        await acme.say("lobby", "darn")  # acme's lobby is not moderated: not counted
    finally:
        await close_all([host, guest, other, acme])

    m = s.metrics()
    assert {k: m[k] for k in COUNTERS} == {
        "parley_registrations_total": 1, "parley_validations_total": 1,
        "parley_logins_total": 1, "parley_login_failures_total": 3,
        "parley_logins_refused_total": 1, "parley_moderated_total": 2,
        "parley_ejections_total": 2, "parley_bans_total": 1, "parley_broadcasts_total": 1}
