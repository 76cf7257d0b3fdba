"""HTTP: static files, health, metrics, REST rooms, bad requests, limits and keep-alive."""

import http.client
import json
import socket
import time

import pytest

from conftest import WEB_ROOT
from parley_client import (TIMEOUT, Client, close_all, connect_many, connection_closed, eventually,
                           http_get, http_request, parse_metrics, raw_http, read_response)

ADMIN = """
[server]
admin_token = s3cret-token
"""
AUTH = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/json"}

METRICS = {
    "parley_connections": "gauge",
    "parley_websockets": "gauge",
    "parley_direct_sockets": "gauge",
    "parley_tunnels": "gauge",
    "parley_connections_accepted_total": "counter",
    "parley_connections_refused_total": "counter",
    "parley_connections_refused_per_address_total": "counter",
    "parley_rooms": "gauge",
    "parley_tables": "gauge",
    "parley_sessions": "gauge",
    "parley_messages_in_total": "counter",
    "parley_messages_out_total": "counter",
    "parley_bytes_in_total": "counter",
    "parley_bytes_out_total": "counter",
    "parley_slow_readers_dropped_total": "counter",
    "parley_rate_limited_total": "counter",
    "parley_flood_dropped_total": "counter",
    "parley_store_messages_total": "counter",
    "parley_store_failures_total": "counter",
    "parley_store_queue": "gauge",
}


@pytest.fixture
def web_root(tmp_path):
    """A web root with known files, next to a secret that must never be served."""
    root = tmp_path / "site" / "web"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Parley test</title><p>index</p>\n")
    (root / "css" / "app.css").write_text("body { color: #333; }\n")
    (root / "app.js").write_text("console.log('parley');\n")
    (tmp_path / "site" / "secret.txt").write_text("TOP-SECRET-CONTENT\n")
    return root


# --------------------------------------------------------------------------------------------
# Static files
# --------------------------------------------------------------------------------------------

def test_static_files(parley, web_root):
    server = parley(web_root=web_root)
    r = http_get(server.port, "/")
    assert r.status == 200
    assert r.content_type.startswith("text/html")
    assert r.body == (web_root / "index.html").read_bytes()
    r = http_get(server.port, "/index.html")
    assert r.status == 200 and r.body == (web_root / "index.html").read_bytes()
    r = http_get(server.port, "/css/app.css")
    assert r.status == 200 and r.content_type.startswith("text/css")
    assert r.body == (web_root / "css" / "app.css").read_bytes()
    r = http_get(server.port, "/app.js")
    assert r.status == 200 and "javascript" in r.content_type
    assert r.body == (web_root / "app.js").read_bytes()


def test_shipped_web_client_index(server):
    index = WEB_ROOT / "index.html"
    assert index.exists(), "web/index.html is missing from the repository"
    r = http_get(server.port, "/")
    assert r.status == 200 and r.content_type.startswith("text/html")
    assert r.body == index.read_bytes()


@pytest.mark.parametrize("path", ["/nope.html", "/css/nope.css", "/api/v1/nothing",
                                  "/api/v2/rooms", "/wsx"])
def test_not_found(parley, web_root, path):
    server = parley(web_root=web_root)
    r = raw_http(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert r.status == 404, (path, r)
    assert r.closed, "a 404 answer must close the connection"


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
    "/css/../../secret.txt", "/css/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt",
    "/../../../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd", "/%00/../secret.txt", "/index.html%00.txt",
])
def test_path_traversal(parley, web_root, path):
    server = parley(web_root=web_root)
    r = raw_http(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert r.status in (400, 404), (path, r.status)
    assert b"TOP-SECRET" not in r.body and b"root:" not in r.body
    assert r.closed
    assert http_get(server.port, "/").status == 200


def test_method_not_allowed(server):
    for method, path in (("POST", "/healthz"), ("DELETE", "/api/v1/rooms"), ("PUT", "/metrics"),
                         ("POST", "/api/v1/rooms/lobby/history")):
        r = http_request(server.port, method, path, body="")
        assert r.status == 405, (method, path, r)
        assert "allow" in r.headers, (method, path, r.headers)
        assert "GET" in r.headers["allow"]


# --------------------------------------------------------------------------------------------
# Health and metrics
# --------------------------------------------------------------------------------------------

def test_healthz(server):
    r = http_get(server.port, "/healthz")
    assert r.status == 200
    assert r.content_type.startswith("application/json")
    assert r.json() == {"status": "ok"}


async def test_metrics(server):
    a, b = await connect_many(server.port, ["alice", "bob"])
    try:
        await a.enter("lobby")
        await b.enter("lobby")
        for i in range(3):
            await a.say("lobby", f"counted {i}")
        await a.cmd("pm", room="lobby", to="bob", text="counted too")
        for i in range(3):
            await b.event("message", text=f"counted {i}")
        await b.event("private", text="counted too")

        r = http_get(server.port, "/metrics")
        assert r.status == 200
        assert r.content_type.startswith("text/plain")
        m = parse_metrics(r.body.decode())
        for name, kind in METRICS.items():
            assert name in m.values, f"metric {name} missing"
            assert m.types.get(name) == kind, f"{name}: TYPE {m.types.get(name)}, expected {kind}"
        assert m["parley_websockets"] == 2
        assert m["parley_connections"] == 3  # two WebSockets and this HTTP request
        assert m["parley_connections_accepted_total"] >= 3
        assert m["parley_connections_refused_total"] == 0
        assert m["parley_rooms"] == 1
        assert m["parley_tables"] == 1
        assert m["parley_sessions"] == 2
        assert m["parley_messages_in_total"] == 4
        assert m["parley_messages_out_total"] >= 8  # 3 says and a pm to two people each
        assert m["parley_bytes_in_total"] > 0 and m["parley_bytes_out_total"] > 0
        assert m["parley_slow_readers_dropped_total"] == 0
        assert m["parley_rate_limited_total"] == 0 and m["parley_flood_dropped_total"] == 0
        assert m["parley_connections_refused_per_address_total"] == 0
        assert m["parley_store_messages_total"] == 3  # pms are not stored
        assert m["parley_store_failures_total"] == 0
        assert m["parley_store_queue"] == 0
    finally:
        await close_all([a, b])

    # Counters only grow; gauges follow the disconnects.
    async def settled():
        return server.metrics()

    m = await eventually(settled, lambda m: m["parley_websockets"] == 0)
    assert m["parley_websockets"] == 0 and m["parley_sessions"] == 0
    assert m["parley_messages_in_total"] == 4


# --------------------------------------------------------------------------------------------
# REST rooms
# --------------------------------------------------------------------------------------------

async def test_rest_rooms(parley):
    server = parley("""
        [room lobby]
        title = Lobby
        topic = Say hello
        [room duo]
        title = Duo
        capacity = 2
    """)
    r = http_get(server.port, "/api/v1/rooms")
    assert r.status == 200 and r.content_type.startswith("application/json")
    assert r.json() == {"rooms": [
        {"name": "duo", "title": "Duo", "topic": "", "capacity": 2, "tables": 1, "users": 0,
         "moderated": False, "folder": "/"},
        {"name": "lobby", "title": "Lobby", "topic": "Say hello", "capacity": 32, "tables": 1,
         "users": 0, "moderated": False, "folder": "/"},
    ]}
    clients = await connect_many(server.port, ["ann", "bob", "cat"])
    try:
        for c in clients:
            await c.enter("duo")
        r = http_get(server.port, "/api/v1/rooms/duo")
        assert r.status == 200
        assert r.json() == {
            "room": {"name": "duo", "title": "Duo", "topic": "", "capacity": 2, "tables": 2,
                     "users": 3, "moderated": False, "folder": "/"},
            "tables": [
                {"number": 1, "name": "Duo", "users": 2, "lurkers": 0, "capacity": 2,
                 "full": True, "topic": ""},
                {"number": 2, "name": "Duo #2", "users": 1, "lurkers": 0, "capacity": 2,
                 "full": False, "topic": ""},
            ],
        }
    finally:
        await close_all(clients)
    r = http_get(server.port, "/api/v1/rooms/nosuchroom")
    assert r.status == 404 and r.content_type.startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "no_such_room" and isinstance(err["message"], str)


def test_create_room_disabled_without_token(server):
    body = {"name": "games"}
    r = http_request(server.port, "POST", "/api/v1/rooms", body=body,
                     headers={"Authorization": "Bearer anything"})
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    r = http_request(server.port, "POST", "/api/v1/rooms", body=body)
    assert r.status in (401, 403)
    assert http_get(server.port, "/api/v1/rooms/games").status == 404


async def test_create_room(parley):
    server = parley(ADMIN + "[chat]\ndefault_capacity = 7\n")
    port = server.port

    def post(body, headers=AUTH):
        return http_request(port, "POST", "/api/v1/rooms",
                            body=body if isinstance(body, str) else json.dumps(body),
                            headers=headers)

    good = {"name": "games", "title": "Games", "topic": "Play nice", "capacity": 40}
    r = post(good, headers={"Content-Type": "application/json"})
    assert r.status == 401 and r.json()["error"]["code"] == "unauthorized"
    r = post(good, headers={"Authorization": "Bearer wrong", "Content-Type": "application/json"})
    assert r.status == 401 and r.json()["error"]["code"] == "unauthorized"
    r = post(good, headers={"Authorization": "s3cret-token"})
    assert r.status == 401
    r = post(good)
    assert r.status == 201, r
    assert r.content_type.startswith("application/json")
    assert r.json() == {"room": {"name": "games", "title": "Games", "topic": "Play nice",
                                 "capacity": 40, "tables": 1, "users": 0, "moderated": False, "folder": "/"}}
    r = post(good)
    assert r.status == 409 and r.json()["error"]["code"] == "room_exists"
    r = post({"name": "lobby"})
    assert r.status == 409 and r.json()["error"]["code"] == "room_exists"

    # Defaults: title = name, topic = "", capacity = the configured default.
    r = post({"name": "plain-room_2"})
    assert r.status == 201
    assert r.json()["room"] == {"name": "plain-room_2", "title": "plain-room_2", "topic": "",
                                "capacity": 7, "tables": 1, "users": 0, "moderated": False, "folder": "/"}
    assert post({"name": "9lives", "capacity": 1}).status == 201
    assert post({"name": "big", "capacity": 10000}).status == 201

    for bad in ('{"name": "oops"', "[]", '"games2"', "", {"title": "no name"},
                {"name": "Games2"}, {"name": "-games"}, {"name": "_games"}, {"name": "a b"},
                {"name": "x" * 33}, {"name": ""}, {"name": "gämes"}, {"name": 42},
                {"name": "games2", "capacity": 0}, {"name": "games2", "capacity": 10001},
                {"name": "games2", "capacity": "40"}, {"name": "games2", "capacity": -1},
                {"name": "games2", "title": 5}):
        r = post(bad)
        assert r.status == 400, (bad, r)
        assert r.json()["error"]["code"] == "bad_request", bad
    assert http_get(port, "/api/v1/rooms/games2").status == 404
    assert post({"name": "x" * 32}).status == 201

    names = [room["name"] for room in http_get(port, "/api/v1/rooms").json()["rooms"]]
    assert names == sorted(names)
    assert set(names) == {"lobby", "games", "plain-room_2", "9lives", "big", "x" * 32}

    # The new room is usable over WebSocket ...
    async with await Client.connect(port, "alice") as a:
        rooms = {room["name"]: room for room in (await a.cmd("rooms"))["rooms"]}
        assert rooms["games"]["topic"] == "Play nice"
        reply = await a.enter("games")
        assert reply["table"]["name"] == "Games"
        await a.say("games", "first game")
    # ... and survives a restart.
    server.restart()
    r = http_get(server.port, "/api/v1/rooms/games")
    assert r.status == 200
    assert r.json()["room"] == {"name": "games", "title": "Games", "topic": "Play nice",
                                "capacity": 40, "tables": 1, "users": 0, "moderated": False, "folder": "/"}
    async with await Client.connect(server.port, "bob") as b:
        history = (await b.enter("games"))["history"]
        assert [m["text"] for m in history] == ["first game"]


def test_create_room_body_too_large(parley):
    server = parley(ADMIN)
    body = json.dumps({"name": "huge", "topic": "t" * (70 * 1024)}).encode()
    req = (b"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n"
           b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
           + b"\r\n\r\n" + body)
    r = raw_http(server.port, req)
    assert r.status == 413
    assert r.closed
    assert http_get(server.port, "/api/v1/rooms/huge").status == 404


# --------------------------------------------------------------------------------------------
# Bad requests and limits
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"this is not http\r\n\r\n",
    b"GET\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",  # TLS hello
    b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
], ids=["words", "no-target", "tls", "bad-header", "bad-length"])
def test_http_garbage(server, data):
    r = raw_http(server.port, data)
    assert r.status == 400, r
    assert r.closed
    assert http_get(server.port, "/healthz").status == 200


def test_ws_without_upgrade(server):
    r = raw_http(server.port, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.status == 426
    assert r.closed
    r = http_get(server.port, "/ws")
    assert r.status == 426


@pytest.mark.parametrize("drop", ["Sec-WebSocket-Key", "Sec-WebSocket-Version", "Connection"])
def test_bad_websocket_handshake(server, drop):
    headers = {"Host": "x", "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}
    del headers[drop]
    head = "GET /ws HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    r = raw_http(server.port, head.encode())
    # Without "Connection: Upgrade" it is arguably no upgrade attempt at all (426).
    expected = (400, 426) if drop == "Connection" else (400,)
    assert r.status in expected, r
    assert r.closed


def test_websocket_extension_offer_ignored(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                  b"Sec-WebSocket-Protocol: chat\r\n\r\n")
        r, rest = read_response(s)
        assert r.status == 101
        assert r.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert "sec-websocket-extensions" not in r.headers
        assert "sec-websocket-protocol" not in r.headers


async def test_websocket_with_compression_offer_works(server):
    async with await Client.connect(server.port, "alice", compression="deflate") as a:
        await a.enter("lobby")
        await a.say("lobby", "uncompressed " * 50)


def test_header_timeout(parley):
    server = parley("[server]\nheader_timeout = 1\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        r, rest = read_response(s)
        assert r.status == 408
        assert not rest and connection_closed(s)
    # A connection that sends nothing at all is closed too (408 or silently, like an idle
    # keep-alive connection).
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        first = s.recv(65536)
        if first:
            r, rest = read_response(s, first)
            assert r.status == 408 and not rest and connection_closed(s)
    # A prompt request is answered normally.
    assert http_get(server.port, "/healthz").status == 200


def test_too_many_header_fields(server):
    head = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(
        f"X-Field-{i}: {i}\r\n" for i in range(70)) + "\r\n"
    r = raw_http(server.port, head.encode())
    assert r.status == 431 and r.closed
    # 60 fields are fine.
    head = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(
        f"X-Field-{i}: {i}\r\n" for i in range(60)) + "\r\n"
    r = raw_http(server.port, head.encode(), check_closed=False)
    assert r.status == 200


def test_huge_request_head(server):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"
    r = raw_http(server.port, head)
    assert r.status == 431 and r.closed
    head = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    r = raw_http(server.port, head)
    assert r.status == 431 and r.closed
    assert http_get(server.port, "/healthz").status == 200


def test_keep_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        r1 = http_get(server.port, "/healthz", conn=conn)
        sock = conn.sock
        r2 = http_get(server.port, "/api/v1/rooms", conn=conn)
        assert conn.sock is sock, "the server closed a keep-alive connection"
        assert r1.status == 200 and r2.status == 200
        assert r2.json()["rooms"][0]["name"] == "lobby"
    finally:
        conn.close()
    # Two pipelined requests in one write get two answers in order.
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /api/v1/rooms/lobby HTTP/1.1\r\nHost: x\r\n\r\n")
        r1, rest = read_response(s)
        r2, rest = read_response(s, rest)
        assert r1.json() == {"status": "ok"}
        assert r2.json()["room"]["name"] == "lobby"
        # Then an error answer closes the connection.
        s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        r3, rest = read_response(s, rest)
        assert r3.status == 404 and not rest and connection_closed(s)


async def test_max_connections(parley):
    server = parley("[server]\nmax_connections = 5\n")
    port = server.port
    clients = await connect_many(port, [f"user{i}" for i in range(5)])
    try:
        r = raw_http(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert r.status == 503
        assert r.headers.get("retry-after") == "5"
        assert r.closed
        # A WebSocket attempt is refused the same way.
        with pytest.raises(Exception):
            await Client.connect(port, "sixth")

        await close_all(clients[:2])

        async def try_connect():
            try:
                return await Client.connect(port, "newcomer")
            except Exception:
                return None

        newcomer = await eventually(try_connect, lambda c: c is not None)
        assert newcomer is not None, "no new connection accepted after others closed"
        clients.append(newcomer)
        await newcomer.enter("lobby")
        await newcomer.say("lobby", "made it")
        m = server.metrics()
        assert m["parley_connections_refused_total"] >= 2
    finally:
        await close_all(clients)


def test_client_closed_connections_free_their_slot(parley):
    """A connection the client hangs up on stops counting against max_connections at once.

    Each request below is made on a new connection that the client closes after the answer.
    A 503 is retried for up to a second (the server notices hang-ups asynchronously), which is
    plenty for a local server; holding closed connections for seconds is not.
    """
    server = parley("[server]\nmax_connections = 2\n")
    for i in range(6):
        for _attempt in range(10):
            r = http_get(server.port, "/healthz")
            if r.status != 503:
                break
            time.sleep(0.1)
        assert r.status == 200, f"request {i}: {r.status} (earlier, closed connections still count)"
    m = server.metrics()
    assert m["parley_connections"] == 1, m.values
