"""The JSON protocol over the transports other than the WebSocket, behind the interface that
parley_client.Client uses of a websockets connection (async iteration of text messages, send,
close, close_code, close_reason), so every Client helper works over each of them.

- `DirectConn`: newline-delimited JSON over raw TCP ([server] json_listen).
- `SseConn`: GET /api/v1/stream (Server-Sent Events) and POST /api/v1/stream/ID.
- `PollConn`: POST /api/v1/poll, GET /api/v1/poll/ID?since=N and POST /api/v1/poll/ID.
"""

import asyncio
import json

from parley_client import TIMEOUT, Client


class DirectConn:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.close_code = None
        self.close_reason = None

    @classmethod
    async def open(cls, port, ssl=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24, ssl=ssl)
        return cls(reader, writer)

    def __aiter__(self):
        return self

    async def __anext__(self):
        line = await self.reader.readline()
        if not line:
            raise StopAsyncIteration
        assert line.endswith(b"\n"), f"an unterminated line: {line!r}"
        text = line.decode()
        msg = json.loads(text)
        if msg.get("type") == "close":
            self.close_code = msg["code"]
            self.close_reason = msg["reason"]
        return text

    async def send(self, text):
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()

    async def send_raw(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def close(self):
        self.writer.close()


async def direct_client(port, nick=None, ssl=None):
    """A Client over a direct socket (over TLS with an ssl context), welcome read (and hello
    said with nick)."""
    conn = await DirectConn.open(port, ssl)
    client = Client(conn, label=nick or "")
    first = await client.next_message()
    assert first.get("type") == "welcome", first
    client.welcome = first
    if nick is not None:
        await client.hello(nick)
    return client


async def http(port, method, path, body=None, headers=None, timeout=TIMEOUT, ssl=None):
    """One HTTP/1.1 request on a new connection (HTTPS with an ssl context): (status, headers
    dict (lower-case), body bytes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ssl)
    try:
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        writer.write(head.encode() + b"\r\n" + data)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if hdrs.get("transfer-encoding") == "chunked":
        out = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        rest = out
    return status, hdrs, rest


async def post(conn, kind, text):
    """Sends commands on a tunnel: 202, or 404 once the session has ended (the close message may
    still be on its way, as for a WebSocket that sends after the server's close); the status is
    kept in conn.post_status."""
    status, _, body = await http(conn.port, "POST", f"/api/v1/{kind}/{conn.sid}", text.encode(),
                                 {"Parley-Token": conn.token}, ssl=conn.ssl)
    assert status in (202, 404), (status, body)
    conn.post_status = status


class SseConn:
    """One SSE stream (reopened by `reopen`, as EventSource does, with Last-Event-ID)."""

    def __init__(self, port, ssl=None):
        self.port = port
        self.ssl = ssl
        self.sid = None
        self.token = None
        self.last_id = None
        self.close_code = None
        self.close_reason = None
        self.comments = 0
        self.reader = self.writer = None

    async def connect(self, path="/api/v1/stream", headers=None):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port,
                                                                 ssl=self.ssl)
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        self.writer.write(head.encode() + b"\r\n")
        await self.writer.drain()
        status_line = await self.reader.readline()
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = (await self.reader.readline()).decode()
            if line in ("\r\n", ""):
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        return self.status

    async def reopen(self):
        """Drops the stream and opens it again with the session's id, token and Last-Event-ID."""
        self.drop()
        return await self.connect(
            f"/api/v1/stream/{self.sid}?token={self.token}",
            {"Last-Event-ID": str(self.last_id)})

    def drop(self):
        if self.writer:
            self.writer.transport.abort()
        self.reader = self.writer = None

    def __aiter__(self):
        return self

    async def _event(self):
        """The next event's (id, data) or None at the end of the stream."""
        ev_id, data = None, []
        while True:
            reader = self.reader
            if reader is None:
                return None
            try:
                line = await reader.readline()
            except (ConnectionError, OSError):
                return None
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line == "":
                if data:
                    return ev_id, "\n".join(data)
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                ev_id = value
            elif field == "data":
                data.append(value)

    async def __anext__(self):
        while True:
            ev = await self._event()
            if ev is None:
                if self.reader is not None or self.close_code is not None:
                    raise StopAsyncIteration
                await asyncio.sleep(0.05)  # dropped on purpose: wait for reopen
                continue
            ev_id, data = ev
            if ev_id is not None:
                self.last_id = int(ev_id)
            msg = json.loads(data)
            if msg.get("type") == "welcome" and "session" in msg:
                self.sid, self.token = msg["session"], msg["token"]
            if msg.get("type") == "close":
                self.close_code, self.close_reason = msg["code"], msg["reason"]
            return data

    async def send(self, text):
        await post(self, "stream", text)

    async def close(self):
        self.drop()
        self.close_code = self.close_code or 1000


class PollConn:
    def __init__(self, port, ssl=None):
        self.port = port
        self.ssl = ssl
        self.sid = self.token = None
        self.since = 0
        self.close_code = None
        self.close_reason = None
        self.queue = []
        self.stopped = False
        self.inflight = None

    async def open(self):
        status, _, body = await http(self.port, "POST", "/api/v1/poll", b"", ssl=self.ssl)
        assert status == 200, (status, body)
        msgs = json.loads(body)
        self.sid, self.token = msgs[0]["session"], msgs[0]["token"]
        self.queue = [json.dumps(m) for m in msgs]
        self.since = len(msgs)
        return self

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self.queue:
            if self.stopped or self.close_code is not None:
                raise StopAsyncIteration
            self.inflight = asyncio.ensure_future(http(
                self.port, "GET", f"/api/v1/poll/{self.sid}?since={self.since}",
                headers={"Parley-Token": self.token}, timeout=40, ssl=self.ssl))
            status, _, body = await self.inflight
            if status != 200:
                raise StopAsyncIteration
            msgs = json.loads(body)
            for m in msgs:
                # each message is numbered one more than the last; resumed says the next number
                self.since = m["next_seq"] - 1 if m.get("type") == "resumed" else self.since + 1
                if m.get("type") == "close":
                    self.close_code, self.close_reason = m["code"], m["reason"]
            self.queue += [json.dumps(m) for m in msgs]
        return self.queue.pop(0)

    async def send(self, text):
        await post(self, "poll", text)

    async def close(self):
        """Stops polling: the waiting request's connection closes."""
        self.stopped = True
        if self.inflight:
            self.inflight.cancel()


async def tunnel_client(conn, nick=None):
    """A Client over an opened SseConn or PollConn: its welcome read, hello said with nick."""
    client = Client(conn, label=nick or "")
    first = await client.next_message()
    assert first.get("type") == "welcome" and first["session"], first
    client.welcome = first
    if nick is not None:
        await client.hello(nick)
    return client


async def sse_client(port, nick=None, ssl=None):
    conn = SseConn(port, ssl)
    status = await conn.connect()
    assert status == 200, status
    return await tunnel_client(conn, nick)


async def poll_client(port, nick=None, ssl=None):
    return await tunnel_client(await PollConn(port, ssl).open(), nick)
