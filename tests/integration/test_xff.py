"""X-Forwarded-For ([server] trusted_proxies): believed only from a trusted peer, whose forwarded
client (the right-most address that is not itself a trusted proxy) is what the per-address cap,
the login throttle, the logs and the core (guest bans) see; from any other peer the header is
ignored (docs/OPERATIONS.md, "Behind a reverse proxy")."""

import socket

from parley_client import (TIMEOUT, RawWS, http_request, read_response)

CAP1 = "[server]\nmax_connections_per_address = 1\n"
TRUSTED = "trusted_proxies = 127.0.0.1, 10.0.0.0/8\n"
THROTTLE = """
[accounts]
hash_limits = min
login_free_failures = 10
login_max_failures = 2
login_window = 60
"""


def open_with(port, xff):
    """A keep-alive connection that made one request with X-Forwarded-For xff (None: none);
    returns (socket, status)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    extra = f"X-Forwarded-For: {xff}\r\n" if xff is not None else ""
    s.sendall(f"GET /healthz HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
    r, _ = read_response(s)
    return s, r.status


def test_trusted_proxy_connections_count_for_the_forwarded_client(parley):
    server = parley(CAP1 + TRUSTED)
    held = []
    try:
        # the proxy itself (127.0.0.1) is not counted: two clients through it both get in
        for xff in ("203.0.113.5", "198.51.100.7", None):
            s, status = open_with(server.port, xff)
            held.append(s)
            assert status == 200, xff
        # the same client again is over its cap, however the left part of the chain is forged
        for xff in ("203.0.113.5", "192.0.2.66, 203.0.113.5", "203.0.113.5, 10.1.2.3"):
            s, status = open_with(server.port, xff)
            s.close()
            assert status == 429, xff
        # a forged right-most entry is what the trusted proxy saw: another client
        s, status = open_with(server.port, "203.0.113.5, 192.0.2.66")
        held.append(s)
        assert status == 200
        # several header lines are one list
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.9\r\n"
                      b"X-Forwarded-For: 198.51.100.7\r\n\r\n")
            r, _ = read_response(s)
            assert r.status == 429
    finally:
        for s in held:
            s.close()


def test_forwarded_address_in_the_login_throttle_and_the_log(parley):
    server = parley(THROTTLE + "[server]\n" + TRUSTED)

    def login(name, xff):
        return http_request(server.port, "POST", "/api/v1/auth/login",
                            {"name": name, "password": "no such password"},
                            headers={"Content-Type": "application/json", "X-Forwarded-For": xff})

    for i in range(2):
        assert login(f"nobody{i}", "203.0.113.5").status == 401
    assert login("nobody9", "203.0.113.5").status == 429  # that address: too many failures
    assert login("nobody8", "198.51.100.7").status == 401  # another client is not affected
    log = server.stderr()
    assert "failed login for 'nobody0' from 203.0.113.5" in log
    assert "failed login for 'nobody8' from 198.51.100.7" in log


def test_untrusted_peers_cannot_forge_their_address(parley):
    # no trusted_proxies: the header is ignored, 127.0.0.1 counts
    server = parley(CAP1 + THROTTLE)
    s, status = open_with(server.port, "203.0.113.5")
    try:
        assert status == 200
        _, status = open_with(server.port, "198.51.100.7")
        assert status == 429
    finally:
        s.close()
    # the list names other proxies only: 127.0.0.1 is not trusted either
    server = parley(CAP1 + "trusted_proxies = 10.0.0.0/8, ::1\n")
    s, status = open_with(server.port, "203.0.113.5")
    try:
        assert status == 200
        _, status = open_with(server.port, "198.51.100.7")
        assert status == 429
    finally:
        s.close()


def test_websocket_through_a_trusted_proxy_is_the_forwarded_client(parley):
    server = parley(CAP1 + TRUSTED)
    held = []

    def ws_via(xff):
        ws = RawWS(server.port, handshake=False)
        ws.sock.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"
                        b"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        b"Sec-WebSocket-Version: 13\r\nX-Forwarded-For: " + xff.encode()
                        + b"\r\n\r\n")
        r, _ = read_response(ws.sock)
        held.append(ws)
        return r.status

    try:
        assert ws_via("203.0.113.5") == 101
        assert ws_via("198.51.100.7") == 101
        assert ws_via("203.0.113.5") == 429
    finally:
        for ws in held:
            ws.close()


def test_bad_trusted_proxies_stop_the_server(parley):
    server = parley("[server]\ntrusted_proxies = 10.0.0.0/40\n", start=False)
    try:
        server.start()
        raise AssertionError("started with a bad trusted_proxies")
    except AssertionError as e:
        assert "exited with" in str(e), e
    assert "trusted_proxies: '10.0.0.0/40' is not an address or ADDRESS/BITS" in server.stderr()
    server.problems.clear()
