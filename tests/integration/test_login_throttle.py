"""Brute-force protection of the login: after the free failures each further attempt is answered
only after a growing delay, every failure is logged with the address and name, and past the hard
threshold the answer is 429 too_many_attempts with Retry-After (docs/OPERATIONS.md, "Accounts")."""

import json
import signal
import socket
import time

from parley_client import http_request, read_response

CONFIG = """
[accounts]
hash_limits = min
login_free_failures = 2
login_delay_ms = 300
login_max_delay_ms = 600
login_max_failures = 5
login_window = 60
"""


def register(port, name, email):
    r = http_request(port, "POST", "/api/v1/auth/register",
                     {"name": name, "email": email, "password": "right password"})
    assert r.status == 201


def attempt(port, name, password):
    start = time.monotonic()
    r = http_request(port, "POST", "/api/v1/auth/login", {"name": name, "password": password},
                     headers={"Content-Type": "application/json"})
    return r, time.monotonic() - start


def test_failed_logins_slow_down_then_refuse(parley):
    server = parley(CONFIG)
    port = server.port
    register(port, "quinn", "q@example.org")
    for _ in range(2):  # free failures
        r, _ = attempt(port, "quinn", "wrong guess 1")
        assert r.status == 401
    r, took = attempt(port, "quinn", "wrong guess 2")  # third: 300 ms
    assert r.status == 401 and took >= 0.3
    r, took = attempt(port, "quinn", "wrong guess 3")  # fourth: 600 ms
    assert r.status == 401 and took >= 0.6
    r, took = attempt(port, "quinn", "wrong guess 4")  # fifth: capped at 600 ms
    assert r.status == 401 and took >= 0.6
    # Five failures: refused, even with the right password, without trying.
    for password in ("wrong guess 5", "right password"):
        r, _ = attempt(port, "quinn", password)
        assert r.status == 429 and r.json()["error"]["code"] == "too_many_attempts"
        assert 1 <= int(r.headers["retry-after"]) <= 60
    log = server.stderr()
    assert log.count("failed login for 'quinn' from 127.0.0.1") == 5
    assert "refused: too many failures" in log
    # The address counts too: another name from the same address is refused as well.
    r, _ = attempt(port, "someone", "whatever pass")
    assert r.status == 429


def test_unknown_names_count_and_success_resets(parley):
    server = parley(CONFIG)
    port = server.port
    register(port, "rita", "r@example.org")
    for _ in range(2):
        assert attempt(port, "nobody", "some password")[0].status == 401
    assert "failed login for 'nobody' from 127.0.0.1" in server.stderr()
    # The address has 2 failures: the next attempt waits, even for a right password.
    r, took = attempt(port, "rita", "right password")
    assert r.status == 200 and took >= 0.3


def login_bytes(name, password, keep_alive=True):
    body = json.dumps({"name": name, "password": password}).encode()
    return (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + (b"" if keep_alive else b"Connection: close\r\n")
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def test_pipelined_request_waits_for_the_login(parley):
    server = parley(CONFIG)
    port = server.port
    register(port, "sam", "s@example.org")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(login_bytes("sam", "right password")
                  + b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first, rest = read_response(s)
        second, _ = read_response(s, rest)
    assert first.status == 200 and "token" in first.json()
    assert second.status == 200 and second.json() == {"status": "ok"}


def test_client_leaving_or_shutdown_while_a_login_waits(parley):
    server = parley(CONFIG.replace("login_delay_ms = 300", "login_delay_ms = 20000")
                    .replace("login_max_delay_ms = 600", "login_max_delay_ms = 20000"))
    port = server.port
    register(port, "tom", "t@example.org")
    for _ in range(2):
        assert attempt(port, "tom", "wrong guess 1")[0].status == 401
    # The next attempt waits 20 s: leave before the answer.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(login_bytes("tom", "wrong guess 2"))
    assert http_request(port, "GET", "/healthz").status == 200  # everyone else is served
    # Another waits; the server stops meanwhile: it answers 503 shutting_down and exits at once.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(login_bytes("tom", "wrong guess 3"))
    assert http_request(port, "GET", "/healthz").status == 200  # the login is now pending
    server.proc.send_signal(signal.SIGTERM)
    resp, _ = read_response(s)
    s.close()
    assert resp.status == 503 and resp.json()["error"]["code"] == "shutting_down"
    assert server.proc.wait(10) == 0
