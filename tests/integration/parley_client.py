"""Client-side helpers for the Parley integration tests.

- `Client`: an asyncio WebSocket client (python3-websockets 10.4) that reads `welcome`, sends
  commands with automatic ids, matches replies by id and buffers events for `wait_for`.
- `RawWS`: a blocking raw-socket WebSocket client that builds frames by hand, for malformed input.
- `http_request` / `raw_http`: HTTP over http.client or over a hand-written byte string.
- `parse_metrics`: the Prometheus text format as a dict.
"""

import asyncio
import base64
import hashlib
import http.client
import itertools
import json
import os
import re
import socket
import struct
import time
from dataclasses import dataclass, field

import websockets.client
import websockets.exceptions

# Generous: the suite also runs against the ASan build.

# The rooms most tests run with: the Lobby and a room whose tables hold two.
LOBBY_AND_DUO = """
[room lobby]
title = Lobby
topic = Say hello

[room duo]
title = Duo
topic = Two per table
capacity = 2
"""

TIMEOUT = 10.0
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


# --------------------------------------------------------------------------------------------
# Async JSON client
# --------------------------------------------------------------------------------------------

@dataclass
class Received:
    t: float  # time.monotonic() when the reader task got it
    msg: dict


class Client:
    """One WebSocket connection speaking the Parley protocol.

    A background task reads every message as it arrives and stamps it with its arrival time, so
    tests can compare the order in which different connections got things.
    """

    def __init__(self, ws, label=""):
        self.ws = ws
        self.label = label
        self.inbox: list[Received] = []
        self.closed = False
        self.nick = None
        self.colour = None
        self.welcome = None
        self._ids = itertools.count(1)
        self._wakeup = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    # ---- connection --------------------------------------------------------------------------

    @classmethod
    async def connect(cls, port, nick=None, colour=None, *, compression=None, path="/ws",
                      ssl=None):
        """With an ssl context the connection is wss://."""
        ws = await websockets.client.connect(
            f"{'wss' if ssl else 'ws'}://127.0.0.1:{port}{path}",
            ssl=ssl,
            ping_interval=None,
            max_size=None,
            max_queue=None,
            compression=compression,
            open_timeout=TIMEOUT,
            close_timeout=5,
        )
        client = cls(ws, label=nick or "")
        first = await client.next_message()
        assert first.get("type") == "welcome", f"first message is not welcome: {first}"
        client.welcome = first
        if nick is not None:
            await client.hello(nick, colour)
        return client

    async def hello(self, nick, colour=None):
        args = {"nick": nick}
        if colour is not None:
            args["colour"] = colour
        reply = await self.cmd("hello", **args)
        self.nick = reply["nick"]
        self.colour = reply["colour"]
        self.label = self.nick
        return reply

    async def close(self):
        """Leaves as a user does: `quit` (the session ends at once, no resume), then the close."""
        if not self.closed:
            try:
                await self.send({"type": "quit"})
            except Exception:  # noqa: BLE001 - closing anyway (the connection may be gone)
                pass
        await self.ws.close()
        try:
            await asyncio.wait_for(self._reader, TIMEOUT)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    @property
    def close_code(self):
        return self.ws.close_code

    @property
    def close_reason(self):
        return self.ws.close_reason

    async def wait_closed(self, timeout=TIMEOUT):
        await asyncio.wait_for(self._reader, timeout)

    async def _read(self):
        try:
            async for raw in self.ws:
                if not isinstance(raw, str):
                    msg = {"type": "__binary__", "data": raw}
                else:
                    msg = json.loads(raw)
                    assert isinstance(msg, dict), f"server sent a non-object: {raw!r}"
                self.inbox.append(Received(time.monotonic(), msg))
                self._wakeup.set()
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._wakeup.set()

    # ---- receiving ---------------------------------------------------------------------------

    async def wait_received(self, pred, timeout=TIMEOUT, what="a matching message"):
        """Removes and returns the first buffered or arriving `Received` whose msg matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, rec in enumerate(self.inbox):
                if pred(rec.msg):
                    del self.inbox[i]
                    return rec
            if self.closed:
                raise AssertionError(
                    f"[{self.label}] connection closed (code {self.ws.close_code} "
                    f"{self.ws.close_reason!r}) while waiting for {what}; buffered: {self._brief()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"[{self.label}] timed out waiting for {what}; buffered: {self._brief()}")
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_for(self, pred, timeout=TIMEOUT, what="a matching message"):
        return (await self.wait_received(pred, timeout, what)).msg

    async def next_message(self, timeout=TIMEOUT):
        return await self.wait_for(lambda m: True, timeout, "any message")

    async def event(self, type_, timeout=TIMEOUT, **match):
        """Waits for an event of `type_` whose members equal `match` (use from_= for `from`)."""
        match = {k.rstrip("_"): v for k, v in match.items()}

        def pred(m):
            return m.get("type") == type_ and all(m.get(k) == v for k, v in match.items())

        return await self.wait_for(pred, timeout, f"event {type_} {match}")

    async def no_event(self, type_, timeout=0.3, **match):
        """Asserts that no such event is buffered or arrives within `timeout`."""
        match = {k.rstrip("_"): v for k, v in match.items()}

        def pred(m):
            return m.get("type") == type_ and all(m.get(k) == v for k, v in match.items())

        found = [r.msg for r in self.inbox if pred(r.msg)]
        assert not found, f"[{self.label}] unexpected {type_}: {found}"
        try:
            msg = await self.wait_for(pred, timeout)
        except AssertionError:
            return
        raise AssertionError(f"[{self.label}] unexpected {type_}: {msg}")

    def buffered(self, type_=None):
        return [r.msg for r in self.inbox if type_ is None or r.msg.get("type") == type_]

    def discard(self, type_):
        """Drops buffered messages of `type_` (to keep a flood from piling up)."""
        self.inbox = [r for r in self.inbox if r.msg.get("type") != type_]

    def _brief(self):
        return [r.msg for r in self.inbox][-8:]

    # ---- sending -----------------------------------------------------------------------------

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    def next_id(self):
        return next(self._ids)

    async def send_cmd(self, type_, /, **args):
        """Sends a command with a fresh id and returns the id (without waiting)."""
        cmd_id = self.next_id()
        await self.send({"type": type_, "id": cmd_id, **args})
        return cmd_id

    async def reply_received(self, cmd_id, timeout=TIMEOUT):
        def pred(m):
            return m.get("type") in ("ok", "error") and m.get("id") == cmd_id

        return await self.wait_received(pred, timeout, f"reply to id {cmd_id!r}")

    async def reply(self, cmd_id, timeout=TIMEOUT):
        return (await self.reply_received(cmd_id, timeout)).msg

    async def request(self, type_, /, **args):
        """Sends a command and returns its reply, `ok` or `error`."""
        return await self.reply(await self.send_cmd(type_, **args))

    async def cmd(self, type_, /, **args):
        """Sends a command and returns its `ok` reply; fails the test on `error`."""
        reply = await self.request(type_, **args)
        assert reply["type"] == "ok", f"[{self.label}] {type_} {args} failed: {reply}"
        return reply

    async def fail(self, code, type_, /, **args):
        """Sends a command that must fail with error `code`; returns the error reply."""
        cmd_id = await self.send_cmd(type_, **args)
        reply = await self.reply(cmd_id)
        assert reply["type"] == "error", f"[{self.label}] {type_} {args}: expected {code}, got {reply}"
        assert reply["code"] == code, f"[{self.label}] {type_} {args}: expected {code}, got {reply}"
        assert reply["id"] == cmd_id
        assert isinstance(reply.get("message"), str) and reply["message"]
        return reply

    # ---- common commands ---------------------------------------------------------------------

    async def enter(self, room, lurk=None):
        args = {"room": room}
        if lurk is not None:
            args["lurk"] = lurk
        return await self.cmd("enter", **args)

    async def say(self, room, text):
        """Says `text` and returns the ok reply (which comes once the message is durable)."""
        return await self.cmd("say", room=room, text=text)

    async def ping(self):
        return await self.cmd("ping")


async def flood_until_slow_reader_dropped(server, flooder, observer, room="lobby"):
    """flooder says ~1 KiB messages in room (observer reads them) until parleyd has dropped one
    slow reader (at most 5,000 messages); asserts that it did."""
    padding = "f" * 1024
    for batch in range(250):
        ids = [await flooder.send_cmd("say", room=room, text=f"{batch}.{i} {padding}")
               for i in range(20)]
        for cmd_id in ids:
            reply = await flooder.reply(cmd_id)
            assert reply["type"] == "ok", reply
        flooder.discard("message")
        observer.discard("message")
        m = await asyncio.get_running_loop().run_in_executor(None, server.metrics)
        if m["parley_slow_readers_dropped_total"] >= 1:
            return
    raise AssertionError("the slow reader was never dropped")


async def eventually(probe, done, tries=100, delay=0.05):
    """Calls the coroutine function `probe` until `done(result)` (for effects the server applies
    asynchronously, such as a disconnect); returns the last result either way."""
    for _ in range(tries):
        result = await probe()
        if done(result):
            break
        await asyncio.sleep(delay)
    return result


async def connect_many(port, nicks, **kw):
    return list(await asyncio.gather(*(Client.connect(port, n, **kw) for n in nicks)))


async def close_all(clients):
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


# --------------------------------------------------------------------------------------------
# Raw WebSocket over a plain socket
# --------------------------------------------------------------------------------------------

def build_frame(opcode, payload=b"", *, fin=True, mask=True, rsv=0, length=None):
    """One WebSocket frame. `rsv` is a 3-bit value (RSV1 = 4); `length` overrides the length."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 1 << 16:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        head += key
        payload = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    return bytes(head) + payload


def close_payload(code, reason=b""):
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes
    rsv: int = 0

    @property
    def close_code(self):
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self):
        return self.payload[2:].decode("utf-8", "replace")


class ConnectionEnded(Exception):
    """The server closed (or reset) the TCP connection."""


class RawWS:
    """A blocking WebSocket client over a raw socket, for sending frames the library won't."""

    def __init__(self, port, *, rcvbuf=None, path="/ws", timeout=TIMEOUT, handshake=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        self.path = path
        self._ids = itertools.count(1)
        self.welcome = None
        if handshake:
            self.handshake()

    def handshake(self):
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), f"handshake refused: {lines[0]}"
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert headers.get("sec-websocket-accept") == expect, headers
        self.welcome = self.recv_json()
        assert self.welcome["type"] == "welcome", self.welcome

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError as e:
            raise ConnectionEnded("connection reset") from e
        if not data:
            raise ConnectionEnded("connection closed by server")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    # ---- sending -----------------------------------------------------------------------------

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(build_frame(opcode, payload, **kw))

    def send_text(self, text, **kw):
        self.send_frame(OP_TEXT, text, **kw)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_cmd(self, type_, /, **args):
        cmd_id = next(self._ids)
        self.send_json({"type": type_, "id": cmd_id, **args})
        return cmd_id

    def cmd(self, type_, /, **args):
        """Sends a command and returns its ok reply, skipping events that come before it."""
        cmd_id = self.send_cmd(type_, **args)
        while True:
            msg = self.recv_json()
            if msg.get("type") in ("ok", "error") and msg.get("id") == cmd_id:
                assert msg["type"] == "ok", msg
                return msg

    # ---- receiving ---------------------------------------------------------------------------

    def recv_frame(self):
        b0, b1 = self._take(2)
        assert not b1 & 0x80, "the server sent a masked frame"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        return Frame(bool(b0 & 0x80), b0 & 0x0F, self._take(n), (b0 >> 4) & 7)

    def recv_json(self):
        """The next text message as JSON (the server never fragments)."""
        f = self.recv_frame()
        assert f.opcode == OP_TEXT and f.fin, f"expected a whole text frame, got {f}"
        return json.loads(f.payload)

    def recv_reply(self, cmd_id):
        while True:
            msg = self.recv_json()
            if msg.get("type") in ("ok", "error") and msg.get("id") == cmd_id:
                return msg

    def expect_close(self, code, reply=True):
        """Reads until a close frame; asserts its code; answers it; asserts the TCP close."""
        while True:
            try:
                f = self.recv_frame()
            except ConnectionEnded:
                raise AssertionError(f"connection ended without a close frame (expected {code})")
            if f.opcode == OP_CLOSE:
                break
        assert f.close_code == code, f"close code {f.close_code} ({f.close_reason!r}), expected {code}"
        reason = f.close_reason
        if reply:
            try:
                self.send_frame(OP_CLOSE, close_payload(code))
            except OSError:
                pass
        self.expect_eof()
        return reason

    def expect_eof(self, timeout=TIMEOUT):
        """Asserts the server closes the TCP connection within `timeout` (data is discarded)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        self.buf = b""
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(65536):
                    return
            except ConnectionResetError:
                return
            except socket.timeout:
                break
        raise AssertionError("the server did not close the TCP connection")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    reason: str
    headers: dict  # lower-case names
    body: bytes
    closed: bool = False  # the server closed the connection after the answer (raw_http only)

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self):
        return self.headers.get("content-type", "")


def http_request(port, method, path, body=None, headers=None, conn=None):
    """One request with http.client; pass `conn` to reuse a keep-alive connection."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if own:
            conn.close()


def http_get(port, path, **kw):
    return http_request(port, "GET", path, **kw)


def read_response(sock, buf=b""):
    """Reads one HTTP response from `sock`; returns (Response, leftover bytes)."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionEnded(f"connection closed before a full response head: {buf!r}")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    assert version == "HTTP/1.1", lines[0]
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        data = sock.recv(65536)
        if not data:
            raise ConnectionEnded("connection closed in the middle of a body")
        buf += data
    return Response(int(status), reason[0] if reason else "", headers, buf[:n]), buf[n:]


def connection_closed(sock, timeout=TIMEOUT):
    """True if the peer closes the connection within `timeout` without sending more."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def raw_http(port, data, *, check_closed=True, timeout=TIMEOUT):
    """Sends raw bytes, reads one response and (optionally) whether the server then closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        resp, rest = read_response(s)
        if check_closed:
            resp.closed = not rest and connection_closed(s, timeout)
        return resp


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

@dataclass
class Metrics:
    values: dict = field(default_factory=dict)  # "name" or "name{labels}" -> float
    types: dict = field(default_factory=dict)  # name -> "counter" / "gauge" / ...

    def __getitem__(self, name):
        return self.values[name]


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)(?:\s+-?\d+)?$")


def parse_metrics(text):
    m = Metrics()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                m.types[parts[2]] = parts[3]
            continue
        match = _SAMPLE.match(line)
        assert match, f"unparsable metrics line: {line!r}"
        m.values[match.group(1)] = float(match.group(2))
    return m
