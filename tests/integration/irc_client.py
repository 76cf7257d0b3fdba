"""A small asyncio IRC client for the IRC gateway's tests: raw lines in and out, so that tests can
check exact bytes, with a parser of its own (independent of the server's) and helpers to register
and to wait for a line."""

import asyncio
import re

from parley_client import TIMEOUT

IRC_CONFIG = "[irc]\nlisten = 127.0.0.1:0\nserver_name = irc.test\nnetwork = TestNet\n"


def unescape_tag(value):
    out, i = [], 0
    table = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(table.get(value[i + 1], value[i + 1]))
            i += 2
            continue
        if ch != "\\":
            out.append(ch)
        i += 1
    return "".join(out)


class Line:
    """One parsed line: tags (dict), source, command, params (the trailing one included)."""

    def __init__(self, raw):
        self.raw = raw
        self.tags = {}
        rest = raw
        if rest.startswith("@"):
            tags, rest = rest[1:].split(" ", 1)
            for tag in tags.split(";"):
                k, _, v = tag.partition("=")
                self.tags[k] = unescape_tag(v)
        self.source = None
        if rest.startswith(":"):
            self.source, rest = rest[1:].split(" ", 1)
        trailing = None
        if " :" in rest:
            rest, trailing = rest.split(" :", 1)
        parts = rest.split()
        self.command = parts[0]
        self.params = parts[1:] + ([trailing] if trailing is not None else [])

    @property
    def nick(self):
        return self.source.split("!")[0] if self.source else None

    @property
    def text(self):
        return self.params[-1] if self.params else None

    def __repr__(self):
        return f"Line({self.raw!r})"


class IrcClient:
    def __init__(self, reader, writer, label=""):
        self.reader = reader
        self.writer = writer
        self.label = label
        self.seen = []  # every line read, in order
        self.pending = []  # lines read but not yet taken by expect()

    @classmethod
    async def open(cls, port, label="", ssl=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20, ssl=ssl)
        return cls(reader, writer, label)

    @classmethod
    async def registered(cls, port, nick, caps=(), ssl=None):
        c = await cls.open(port, nick, ssl)
        await c.register(nick, caps)
        return c

    async def send(self, *lines):
        self.writer.write("".join(f"{x}\r\n" for x in lines).encode())
        await self.writer.drain()

    async def send_raw(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def read_line(self, timeout=TIMEOUT):
        raw = await asyncio.wait_for(self.reader.readline(), timeout)
        if not raw:
            raise ConnectionError(f"[{self.label}] closed; seen: {self.seen[-8:]}")
        assert raw.endswith(b"\r\n"), f"[{self.label}] a line without CR LF: {raw!r}"
        assert len(raw.split(b" :", 1)[0]) <= 512 or raw.startswith(b"@")
        line = Line(raw[:-2].decode())
        self.seen.append(line)
        return line

    async def expect(self, pred, timeout=TIMEOUT, what=None):
        """The first pending or arriving line matching pred (a command or numeric, or a function);
        lines before it stay pending for later expects."""
        if isinstance(pred, str):
            cmd = pred
            pred = lambda ln: ln.command == cmd  # noqa: E731
            what = what or cmd
        for i, ln in enumerate(self.pending):
            if pred(ln):
                del self.pending[i]
                return ln
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"[{self.label}] no {what or 'matching line'}; "
                                     f"pending: {self.pending[-10:]}")
            try:
                ln = await self.read_line(left)
            except asyncio.TimeoutError:
                continue
            if pred(ln):
                return ln
            self.pending.append(ln)

    async def no_line(self, pred, timeout=0.3):
        """Asserts that no matching line is pending or arrives within timeout (a PING round trip
        is used as the barrier, so the wait is not what decides)."""
        if isinstance(pred, str):
            cmd = pred
            pred = lambda ln: ln.command == cmd  # noqa: E731
        token = f"barrier{id(self)}{len(self.seen)}"
        await self.send(f"PING {token}")
        await self.expect(lambda ln: ln.command == "PONG" and ln.text == token)
        found = [ln for ln in self.pending if pred(ln)]
        assert not found, f"[{self.label}] unexpected {found}"

    async def register(self, nick, caps=()):
        await self.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :Real Name")
        await self.expect("CAP")
        if caps:
            await self.send(f"CAP REQ :{' '.join(caps)}")
            ack = await self.expect("CAP")
            assert ack.params[1] == "ACK", ack
        await self.send("CAP END")
        await self.expect("001")
        await self.expect(lambda ln: ln.command in ("376", "422"), what="end of MOTD")
        self.pending.clear()
        self.label = nick

    async def join(self, chan):
        """JOINs and returns the channel the server put us on (JOIN, topic, NAMES consumed)."""
        await self.send(f"JOIN {chan}")
        j = await self.expect(lambda ln: ln.command == "JOIN" and ln.nick == self.label
                              or ln.command in ("403", "471", "405", "473", "474", "475"),
                              what=f"JOIN {chan}")
        if j.command != "JOIN":
            return j
        await self.expect("366")
        self.pending = [x for x in self.pending if x.command not in ("332", "353")]
        return j.params[0]

    async def names(self, chan):
        await self.send(f"NAMES {chan}")
        names = []
        while True:
            ln = await self.expect(lambda x: x.command in ("353", "366"))
            if ln.command == "366":
                return names
            names += ln.text.split()

    async def closed(self, timeout=TIMEOUT):
        """Reads until the server closes; returns the lines read."""
        out = []
        while True:
            try:
                out.append(await self.read_line(timeout))
            except ConnectionError:
                return out

    async def close(self):
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def numeric_re(num, text):
    return lambda ln: ln.command == num and re.search(text, ln.raw)


class WsIrcClient(IrcClient):
    """IRC over WebSocket (GET /irc, ircv3.net "websocket"): one line per message without CR LF,
    text frames for text.ircv3.net, binary for binary.ircv3.net. `frames` records the kind of
    every message received (str or bytes)."""

    def __init__(self, ws, label=""):
        super().__init__(None, None, label)
        self.ws = ws
        self.frames = []

    @classmethod
    async def open_ws(cls, port, label="", subprotocols=("text.ircv3.net",), ssl=None,
                      path="/irc"):
        import websockets.client
        ws = await websockets.client.connect(
            f"{'wss' if ssl else 'ws'}://127.0.0.1:{port}{path}", ssl=ssl, ping_interval=None,
            subprotocols=list(subprotocols) or None, open_timeout=TIMEOUT, close_timeout=5,
            max_size=None)
        return cls(ws, label)

    @classmethod
    async def registered_ws(cls, port, nick, caps=(), **kw):
        c = await cls.open_ws(port, nick, **kw)
        await c.register(nick, caps)
        return c

    @property
    def binary(self):
        return self.ws.subprotocol == "binary.ircv3.net"

    async def send(self, *lines):
        for x in lines:
            await self.ws.send(x.encode() if self.binary else x)

    async def send_raw(self, data):
        await self.ws.send(data)

    async def read_line(self, timeout=TIMEOUT):
        import websockets.exceptions
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed as e:
            raise ConnectionError(f"[{self.label}] closed ({e}); seen: {self.seen[-8:]}")
        self.frames.append(type(msg))
        raw = msg.decode() if isinstance(msg, bytes) else msg
        assert "\r" not in raw and "\n" not in raw, f"[{self.label}] CR or LF in {raw!r}"
        line = Line(raw)
        self.seen.append(line)
        return line

    async def close(self):
        await self.ws.close()
