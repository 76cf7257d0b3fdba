"""Limits of issue 6 point 6, each with its documented answer (docs/OPERATIONS.md, "Limits"): the
size of one header line and of the head ([limits] max_header, max_head: 431), the body
([limits] max_body: 413, refused from its Content-Length before it is sent), idle keep-alive
connections ([server] keepalive_timeout), silent WebSocket and direct sessions ([server]
idle_timeout: a ping or keepalive line, then close 1001) and the per-address cap on the direct
socket. The head's field count, header_timeout and the per-address cap over HTTP, WebSocket and
the tunnels are in test_http.py, test_flood.py and test_tunnel.py."""

import json
import socket
import time

from parley_client import (OP_CLOSE, OP_PING, OP_PONG, TIMEOUT, RawWS,
                           connection_closed, http_get, raw_http, read_response)
from test_direct import read_lines

ADMIN = "[server]\nadmin_token = s3cret-token\n"


def get_with(port, headers):
    head = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return raw_http(port, (head + "\r\n").encode(), check_closed=False)


def test_one_header_line_is_limited_on_its_own(parley):
    server = parley()
    # default max_header 4096: one line of 5 KiB is refused though the head (8 KiB) has room
    r = raw_http(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 5000
                 + b"\r\n\r\n")
    assert r.status == 431 and r.closed
    assert r.body == b"request header field too large\n"
    # the name counts too
    r = raw_http(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-" + b"n" * 5000
                 + b": v\r\n\r\n")
    assert r.status == 431
    # three lines of 2.5 KiB each are fine (under both limits)
    assert get_with(server.port, [(f"X-Part-{i}", "p" * 2500) for i in range(3)]).status == 200


def test_head_and_line_limits_from_config(parley):
    server = parley("[limits]\nmax_head = 32768\nmax_header = 1024\n")
    # 20 KiB of head in lines of 1000 bytes: within the configured head
    assert get_with(server.port, [(f"X-Part-{i}", "p" * 1000) for i in range(20)]).status == 200
    r = get_with(server.port, [("X-Big", "b" * 1100)])
    assert r.status == 431 and r.body == b"request header field too large\n"
    r = get_with(server.port, [(f"X-Part-{i}", "p" * 1000) for i in range(40)])
    assert r.status == 431 and r.body == b"request head too large\n"


def test_body_limit_refuses_by_content_length_before_the_body(parley):
    server = parley(ADMIN + "[limits]\nmax_body = 2048\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        # only the head: the answer must come without the 4 KiB announced
        s.sendall(b"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
        r, rest = read_response(s)
        assert r.status == 413 and r.body == b"request body too large\n"
        assert connection_closed(s)
    # a chunked body has no length up front: refused once it passes max_body
    body = json.dumps({"name": "huge", "topic": "t" * 3000}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500])
                       for i in range(0, len(body), 500)) + b"0\r\n\r\n"
    r = raw_http(server.port, b"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 b"s3cret-token\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
                 b"\r\n\r\n" + chunked)
    assert r.status == 413 and r.closed
    # within the limit it works
    body = json.dumps({"name": "small", "topic": "t" * 1000})
    r = raw_http(server.port, (f"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                               f"s3cret-token\r\nContent-Type: application/json\r\nContent-Length: "
                               f"{len(body)}\r\n\r\n{body}").encode(), check_closed=False)
    assert r.status == 201, r


def test_idle_keep_alive_connection_is_closed_after_keepalive_timeout(parley):
    # header_timeout is an hour: only keepalive_timeout can close the idle connection
    server = parley("[server]\nheader_timeout = 3600\nkeepalive_timeout = 1\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        r, rest = read_response(s)
        assert r.status == 200 and "connection" not in r.headers
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # promptly: still served
        r, rest = read_response(s, rest)
        assert r.status == 200
        assert not rest and connection_closed(s)  # then closed silently when idle


def test_a_silent_websocket_is_pinged_then_closed_with_1001(parley):
    server = parley("[server]\nidle_timeout = 2\n")
    with RawWS(server.port) as ws:
        f = ws.recv_frame()
        assert f.opcode == OP_PING and f.payload == b"idle"
        # no pong: the next frame is the close
        f = ws.recv_frame()
        assert f.opcode == OP_CLOSE and f.close_code == 1001 and f.close_reason == "idle timeout"
        ws.expect_eof()


def test_a_websocket_that_answers_pings_stays(parley):
    server = parley("[server]\nidle_timeout = 2\n")
    with RawWS(server.port) as ws:
        for _ in range(3):
            f = ws.recv_frame()
            assert f.opcode == OP_PING, f  # never the close: the pong answered each ping
            ws.send_frame(OP_PONG, f.payload)
        assert ws.cmd("ping")["type"] == "ok"


def test_a_silent_direct_socket_gets_keepalive_then_the_close_line(parley):
    server = parley("[server]\njson_listen = 127.0.0.1:0\nidle_timeout = 2\n")
    with socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT) as s:
        lines = read_lines(s, lambda out: len(out) >= 3)
        assert [m["type"] for m in lines] == ["welcome", "keepalive", "close"]
        assert lines[2] == {"type": "close", "code": 1001, "reason": "idle timeout"}
        assert connection_closed(s)
    # any line (an empty one will do) answers the keepalive
    with socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT) as s:
        for n in range(3):
            lines = read_lines(s, lambda out: len(out) >= (2 if n == 0 else 1))
            assert lines[-1] == {"type": "keepalive"}, lines
            s.sendall(b"\n")


def test_per_address_cap_on_the_direct_socket(parley):
    server = parley("[server]\njson_listen = 127.0.0.1:0\nmax_connections_per_address = 2\n")
    held = []
    try:
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT)
            held.append(s)
            assert read_lines(s, lambda out: out)[0]["type"] == "welcome"
        # the HTTP port shares the count
        r = raw_http(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert r.status == 429
        with socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT) as s:
            lines = read_lines(s, lambda out: False)  # until the server closes
            assert lines == [{"type": "close", "code": 1013,
                              "reason": "too many connections from your address"}]
    finally:
        for s in held:
            s.close()
    # the slots come back once the clients are gone (the server notices hang-ups asynchronously)
    for _attempt in range(50):
        r = http_get(server.port, "/healthz")
        if r.status == 200:
            break
        time.sleep(0.1)
    assert r.status == 200


def test_a_session_closed_for_idleness_can_be_resumed(parley):
    """An idle timeout is a lost connection: the session is detached, not ended."""
    server = parley("[server]\njson_listen = 127.0.0.1:0\nidle_timeout = 2\nresume_window = 30\n")
    with socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT) as s:
        s.sendall(b'{"type":"hello","id":1,"nick":"dozy"}\n')
        lines = read_lines(s, lambda out: out and out[-1]["type"] == "close")
        hello = next(m for m in lines if m.get("id") == 1)
        assert lines[-1] == {"type": "close", "code": 1001, "reason": "idle timeout"}
    with socket.create_connection(("127.0.0.1", server.json_port), timeout=TIMEOUT) as s:
        s.sendall(json.dumps({"type": "resume", "id": 1, "token": hello["resume"],
                              "last_seq": 2}).encode() + b"\n")
        lines = read_lines(s, lambda out: any(m.get("id") == 1 for m in out))
        answer = next(m for m in lines if m.get("id") == 1)
        assert answer["type"] == "resumed", answer
    # the same over a WebSocket
    with RawWS(server.port) as ws:
        token = ws.cmd("hello", nick="sleepy")["resume"]
        assert ws.recv_frame().opcode == OP_PING
        f = ws.recv_frame()
        assert f.opcode == OP_CLOSE and f.close_code == 1001
    with RawWS(server.port) as ws:
        cmd_id = ws.send_cmd("resume", token=token, last_seq=2)
        for _ in range(20):  # bounded: the answer, maybe after the replay and an idle ping
            f = ws.recv_frame()
            if f.opcode == OP_PING:
                ws.send_frame(OP_PONG, f.payload)
                continue
            msg = json.loads(f.payload)
            if msg.get("id") == cmd_id:
                break
        assert msg["type"] == "resumed", msg
