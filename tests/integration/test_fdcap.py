"""The open-file cap: parleyd sizes max_connections from RLIMIT_NOFILE, refuses connections beyond it
cleanly (503, or an immediate close when even that is impossible), and serves again once
connections go. The server runs under `prlimit --nofile=128` so the cap is reached quickly."""

import shutil
import socket

import pytest

from conftest import Server
from parley_client import Client, ConnectionEnded, close_all, eventually, read_response

NOFILE = 128
RESERVE = 64  # docs/OPERATIONS.md: descriptors kept back for the database, log and listener


class CappedServer(Server):
    def argv(self):
        return ["prlimit", f"--nofile={NOFILE}:{NOFILE}", "--"] + super().argv()


def refused_cleanly(sock):
    """True if the server answered 503 or closed the connection, within the timeout."""
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        resp, _ = read_response(sock)
        return resp.status == 503
    except (ConnectionEnded, ConnectionError, OSError):
        return True  # closed at once (accepted and dropped by the reserve-descriptor trick)


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
async def test_open_file_cap_refuses_then_recovers(tmp_path):
    server = CappedServer(tmp_path / "capped", "[server]\nheader_timeout = 60\n")
    server.start()
    try:
        assert f"max_connections lowered from 19000 to {NOFILE - RESERVE}" in server.stderr()
        cap = NOFILE - RESERVE
        held = []
        for _ in range(cap):  # each holds a slot: a request head that never completes
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\n")
            held.append(s)
        # Well past the cap, and past the descriptor limit itself: every extra connection is
        # refused without hanging, and the server stays up.
        extra = []
        for _ in range(2 * NOFILE):
            try:
                extra.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            except OSError:
                pass  # the listen backlog may be full for a moment
        assert len(extra) > NOFILE
        for s in extra:
            assert refused_cleanly(s)
            s.close()
        assert server.running
        for s in held:
            s.close()

        async def try_client():
            try:
                return await Client.connect(server.port, "survivor")
            except Exception:
                return None

        c = await eventually(try_client, lambda c: c is not None, tries=100, delay=0.1)
        assert c is not None, "no connection accepted after the held ones closed"
        await c.enter("lobby")
        await c.say("lobby", "still here")
        m = server.metrics()
        assert m["parley_connections_refused_total"] >= 1
        await close_all([c])
    finally:
        problems = server.finish()
        assert not problems, problems
