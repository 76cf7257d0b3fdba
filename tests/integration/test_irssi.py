"""A real terminal IRC client against the gateway: irssi (Debian package) in a detached tmux
session on a private tmux socket, with a temporary HOME and its own config (no server to
autoconnect to; nick set), joins #lobby, talks both ways with a web user (parley_client), changes
its nick, parts and quits. What the web user receives is asserted on its events, what irssi shows
on the tmux pane (`tmux capture-pane`). Every wait is bounded. Skipped only when irssi or tmux is
missing (scripts/deps.sh check installs both)."""

import asyncio
import shutil
import subprocess

import pytest

from irc_client import IRC_CONFIG
from parley_client import LOBBY_AND_DUO, Client

pytestmark = pytest.mark.skipif(not (shutil.which("irssi") and shutil.which("tmux")),
                                reason="irssi or tmux is not installed (scripts/deps.sh check)")

IRSSI_CONFIG = """servers = ( );
chatnets = {{ parley = {{ type = "IRC"; max_kicks = "1"; max_msgs = "1"; max_whois = "1"; }}; }};
settings = {{
  core = {{ real_name = "Irssi Tester"; user_name = "irssi"; nick = "{nick}"; }};
  "fe-common/core" = {{ autolog = "no"; theme = "default"; }};
  "irc/core" = {{ skip_motd = "yes"; }};
}};
"""


class Tmux:
    """One tmux server on its own socket (nothing else of the machine's tmux is touched)."""

    def __init__(self, tmp_path):
        self.socket = str(tmp_path / "tmux.sock")

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.socket, *args], check=check, timeout=10,
                              capture_output=True, text=True)

    def type(self, text):
        self.run("send-keys", "-t", "irc", "-l", text)
        self.run("send-keys", "-t", "irc", "Enter")

    def pane(self):
        return self.run("capture-pane", "-p", "-J", "-t", "irc", "-S", "-200").stdout

    async def shows(self, text, tries=100, delay=0.1):
        """Waits (at most tries x delay) until the pane shows text; returns the pane."""
        pane = ""
        for _ in range(tries):
            pane = self.pane()
            if text in pane:
                return pane
            await asyncio.sleep(delay)
        raise AssertionError(f"irssi never showed {text!r}; the pane:\n{pane}")

    def alive(self):
        return self.run("has-session", "-t", "irc", check=False).returncode == 0

    def kill(self):
        self.run("kill-server", check=False)


async def test_irssi_joins_talks_with_a_web_user_and_leaves(parley, tmp_path):
    server = parley(IRC_CONFIG + LOBBY_AND_DUO)
    home = tmp_path / "home"
    (home / ".irssi").mkdir(parents=True)
    (home / ".irssi" / "config").write_text(IRSSI_CONFIG.format(nick="termuser"))
    web = await Client.connect(server.port, "webber")
    await web.enter("lobby")
    tmux = Tmux(tmp_path)
    cmd = (f"env HOME={home} TERM=screen irssi --home={home / '.irssi'} -n termuser "
           f"-c 127.0.0.1 -p {server.irc_port}")
    tmux.run("new-session", "-d", "-s", "irc", "-x", "200", "-y", "50", cmd)
    try:
        await tmux.shows("Welcome to the")
        tmux.type("/join #lobby")
        entered = await web.event("member_entered", room="lobby", nick="termuser")
        assert entered["table"] == 1
        await tmux.shows("webber")  # the NAMES list of #lobby
        # irssi -> web
        tmux.type("hello from a real terminal")
        msg = await web.event("message", room="lobby", text="hello from a real terminal")
        assert msg["nick"] == "termuser"
        # web -> irssi
        await web.say("lobby", "hello back from the browser")
        pane = await tmux.shows("hello back from the browser")
        assert "webber" in pane
        # a nick change, seen by the web user and shown by irssi
        tmux.type("/nick termpal")
        ev = await web.event("nick_changed", room="lobby")
        assert (ev["old"], ev["nick"]) == ("termuser", "termpal")
        await tmux.shows("You're now known as termpal")
        # leaving
        tmux.type("/part #lobby see you")
        left = await web.event("member_left", room="lobby", nick="termpal")
        assert left["reason"] == "left"  # the core keeps no part message
        tmux.type("/quit bye now")
        for _ in range(100):
            if not tmux.alive():
                break
            await asyncio.sleep(0.1)
        assert not tmux.alive(), "irssi did not exit after /quit"
        assert server.metrics()["parley_irc_connections"] == 0
    finally:
        tmux.kill()
        await web.close()
