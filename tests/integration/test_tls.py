"""TLS on any listener, named listeners and the PROXY protocol (docs/OPERATIONS.md, "Listeners",
"TLS", "PROXY protocol"): real python3 ssl clients against certificates made at test time with
the openssl command."""

import asyncio
import signal
import socket
import ssl
import struct
import subprocess
import time

import pytest
import websockets.client
import websockets.exceptions

from conftest import PARLEYD, dedent
from parley_client import TIMEOUT, Client, ConnectionEnded, close_all, eventually, read_response
from transports import direct_client, http, poll_client, sse_client


# --------------------------------------------------------------------------------------------
# Certificates and clients
# --------------------------------------------------------------------------------------------

def make_cert(directory, cn):
    """A self-signed EC certificate for `cn` (and 127.0.0.1): (cert path, key path)."""
    cert, key = directory / f"{cn}.crt", directory / f"{cn}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return cert, key


@pytest.fixture
def certs(tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    return {cn: make_cert(d, cn) for cn in ("first", "second")}


def client_ctx(cafile=None):
    """A client context that trusts cafile (or checks nothing when None)."""
    ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tls_config(cert, key, extra=""):
    return dedent(f"""
        [tls]
        cert_file = {cert}
        key_file = {key}

        [listener public]
        address = 127.0.0.1:0
        tls = on
        """) + dedent(extra)


def peer_cn(port, ctx=None):
    """The CN of the certificate a new TLS connection to port gets."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with (ctx or client_ctx()).wrap_socket(raw) as s:
            der = s.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, text=True,
                         capture_output=True, check=True, timeout=TIMEOUT).stdout
    return out.strip().rsplit("=", 1)[-1].strip()


def https_get(port, path, ctx=None):
    """(status, headers (lower-case), body) of one HTTPS GET."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with (ctx or client_ctx()).wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                      .encode())
            resp, _ = read_response(s)
            return resp.status, resp.headers, resp.body


def closed_without_http(sock, timeout=TIMEOUT):
    """Reads until the peer closes (at most `timeout` s); True if no HTTP answer came."""
    sock.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(got) < 65536:
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            break
        if not data:
            break
        got += data
    else:
        return False  # still open
    return not got.startswith(b"HTTP/")


# --------------------------------------------------------------------------------------------
# HTTPS, HSTS, everything on one port
# --------------------------------------------------------------------------------------------

def test_https_get_with_hsts_and_the_port_file(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key))
    assert server.listeners["public"] == ("http", True, server.ports["public"])
    assert server.listeners["default"] == ("http", False, server.port)
    port = server.ports["public"]
    status, headers, body = https_get(port, "/api/v1/rooms", client_ctx(cert))
    assert status == 200 and b"lobby" in body
    assert headers["strict-transport-security"] == "max-age=31536000"
    status, headers, body = https_get(port, "/")  # the web client's page, over TLS too
    assert status == 200 and b"<html" in body.lower()
    assert "strict-transport-security" in headers
    # errors get it as well, and plain HTTP never does
    status, headers, _ = https_get(port, "/no/such/page")
    assert status == 404 and "strict-transport-security" in headers
    status, headers, _ = asyncio.run(http(server.port, "GET", "/api/v1/rooms"))
    assert status == 200 and "strict-transport-security" not in headers
    assert peer_cn(port) == "first"


def test_hsts_max_age_zero_sends_no_header(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key, "[tls]\nhsts_max_age = 0\n"))
    status, headers, _ = https_get(server.ports["public"], "/api/v1/rooms")
    assert status == 200 and "strict-transport-security" not in headers


async def test_one_tls_port_serves_websocket_sse_poll_and_rest(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key))
    port, ctx = server.ports["public"], client_ctx(cert)
    alice = await Client.connect(port, "alice", ssl=ctx)
    bob = await Client.connect(port, "bob", ssl=ctx)
    streamer = await sse_client(port, "streamer", ssl=ctx)
    poller = await poll_client(port, "poller", ssl=ctx)
    everyone = [alice, bob, streamer, poller]
    try:
        assert streamer.ws.headers["strict-transport-security"] == "max-age=31536000"
        for c in everyone:
            await c.enter("lobby")
        await alice.say("lobby", "hello over wss")
        for c in (bob, streamer, poller):
            assert (await c.event("message", text="hello over wss"))["nick"] == "alice"
        await streamer.say("lobby", "and over SSE")
        assert (await alice.event("message", text="and over SSE"))["nick"] == "streamer"
        await poller.say("lobby", "and by polling")
        assert (await bob.event("message", text="and by polling"))["nick"] == "poller"
        status, headers, body = await http(port, "GET", "/api/v1/rooms", ssl=ctx)
        assert status == 200 and b"lobby" in body
        m = server.metrics()
        assert m["parley_tls_connections"] >= 3  # two WebSockets and the event stream
        assert m["parley_websockets"] == 2
    finally:
        await close_all(everyone)


async def test_direct_json_socket_over_tls(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key, """
        [listener bots]
        address = 127.0.0.1:0
        protocol = json
        tls = on
        """))
    assert server.listeners["bots"] == ("json", True, server.ports["bots"])
    ctx = client_ctx(cert)
    bot = await direct_client(server.ports["bots"], "bot", ssl=ctx)
    web = await Client.connect(server.ports["public"], "web", ssl=ctx)
    try:
        await bot.enter("lobby")
        await web.enter("lobby")
        await bot.say("lobby", "beep over TLS")
        assert (await web.event("message", text="beep over TLS"))["nick"] == "bot"
        await web.say("lobby", "hello, bot")
        assert (await bot.event("message", text="hello, bot"))["nick"] == "web"
        assert server.metrics()["parley_direct_sockets"] == 1
    finally:
        await close_all([bot, web])


# --------------------------------------------------------------------------------------------
# Refusals: old TLS, plain text, silence
# --------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ssl.TLSVersion.TLSv1_1, on purpose
def test_tls_1_1_is_refused(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key))
    before = server.metrics()["parley_tls_handshake_failures_total"]
    ctx = client_ctx()
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer TLS 1.1 at all
    with socket.create_connection(("127.0.0.1", server.ports["public"]), timeout=TIMEOUT) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw).close()

    def failures():
        return server.metrics()["parley_tls_handshake_failures_total"]
    asyncio.run(eventually_sync(failures, lambda n: n == before + 1))
    # TLS 1.2 works
    ctx12 = client_ctx()
    ctx12.minimum_version = ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", server.ports["public"]), timeout=TIMEOUT) as raw:
        with ctx12.wrap_socket(raw) as s:
            assert s.version() == "TLSv1.2"
            assert "ECDHE" in s.cipher()[0] and ("GCM" in s.cipher()[0] or "CHACHA" in s.cipher()[0])


async def eventually_sync(fn, done):
    return await eventually(lambda: asyncio.sleep(0, fn()), done)


def test_plain_http_to_a_tls_port_is_closed(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key))
    before = server.metrics()["parley_tls_handshake_failures_total"]
    with socket.create_connection(("127.0.0.1", server.ports["public"]), timeout=TIMEOUT) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert closed_without_http(s)
    assert server.metrics()["parley_tls_handshake_failures_total"] == before + 1
    assert https_get(server.ports["public"], "/api/v1/rooms")[0] == 200  # still serving


def test_a_silent_client_is_closed_at_the_handshake_timeout(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key, "[tls]\nhandshake_timeout = 1\n"))
    with socket.create_connection(("127.0.0.1", server.ports["public"]), timeout=TIMEOUT) as s:
        assert closed_without_http(s, timeout=TIMEOUT)  # generous: the timeout is 1 s
    assert server.metrics()["parley_tls_handshake_failures_total"] == 1
    assert "TLS handshake timed out" in server.stderr()


# --------------------------------------------------------------------------------------------
# SIGHUP reload
# --------------------------------------------------------------------------------------------

async def test_sighup_reloads_the_certificate_without_dropping_connections(parley, certs, tmp_path):
    (c1, k1), (c2, k2) = certs["first"], certs["second"]
    live_cert, live_key = tmp_path / "live.crt", tmp_path / "live.key"
    live_cert.write_bytes(c1.read_bytes())
    live_key.write_bytes(k1.read_bytes())
    server = parley(tls_config(live_cert, live_key))
    port = server.ports["public"]
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, peer_cn, port) == "first"
    old = await Client.connect(port, "old", ssl=client_ctx())
    try:
        await old.enter("lobby")
        live_cert.write_bytes(c2.read_bytes())
        live_key.write_bytes(k2.read_bytes())
        server.proc.send_signal(signal.SIGHUP)

        async def reloaded():
            return "TLS certificate reloaded" in server.stderr()
        await eventually(reloaded, bool)
        assert await loop.run_in_executor(None, peer_cn, port) == "second"
        new = await Client.connect(port, "new", ssl=client_ctx())
        try:
            await new.enter("lobby")
            await old.say("lobby", "still here")
            assert (await new.event("message", text="still here"))["nick"] == "old"
        finally:
            await new.close()

        # a broken certificate is refused and the loaded one stays
        live_cert.write_text("not a certificate\n")
        server.proc.send_signal(signal.SIGHUP)

        async def refused():
            return "TLS certificate not reloaded" in server.stderr()
        await eventually(refused, bool)
        assert await loop.run_in_executor(None, peer_cn, port) == "second"
        await old.say("lobby", "after the bad reload")
        await old.event("message", text="after the bad reload")
    finally:
        await old.close()


# --------------------------------------------------------------------------------------------
# Startup errors
# --------------------------------------------------------------------------------------------

def start_fails(tmp_path, config, *args):
    conf = tmp_path / "tls.ini"
    conf.write_text(dedent(config))
    r = subprocess.run([PARLEYD, "--config", str(conf), "--listen", "127.0.0.1:0", "--port-file",
                        str(tmp_path / "port"), "--data-dir", str(tmp_path / "var"), *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode != 0, r
    assert not (tmp_path / "port").exists()
    return r.stderr


def test_bad_tls_configurations_stop_the_start(tmp_path, certs):
    (c1, k1), (_, k2) = certs["first"], certs["second"]
    listener = "[listener public]\naddress = 127.0.0.1:0\ntls = on\n"
    err = start_fails(tmp_path, listener)
    assert "listener public has tls = on but [tls] cert_file is not set" in err, err
    err = start_fails(tmp_path, f"[tls]\ncert_file = {tmp_path}/none.crt\nkey_file = {k1}\n"
                      + listener)
    assert "cannot read [tls] cert_file" in err and "No such file" in err, err
    err = start_fails(tmp_path, f"[tls]\ncert_file = {c1}\nkey_file = {tmp_path}/none.key\n"
                      + listener)
    assert "cannot read [tls] key_file" in err, err
    err = start_fails(tmp_path, f"[tls]\ncert_file = {c1}\nkey_file = {c1}\n" + listener)
    assert "is not a usable PEM private key" in err, err
    err = start_fails(tmp_path, f"[tls]\ncert_file = {c1}\nkey_file = {k2}\n" + listener)
    assert "does not match the certificate" in err, err
    err = start_fails(tmp_path, "[listener x]\ntls = on\n")
    assert "[listener x] has no address" in err, err
    err = start_fails(tmp_path, "[listener x]\naddress = 127.0.0.1:0\nproxy_protocol = v3\n")
    assert "proxy_protocol must be off, v1, v2 or any" in err, err
    err = start_fails(tmp_path, "", "--tls-listen", "127.0.0.1:0")
    assert "listener tls has tls = on but [tls] cert_file is not set" in err, err


def test_tls_listen_flag(parley, certs):
    cert, key = certs["first"]
    server = parley(f"[tls]\ncert_file = {cert}\nkey_file = {key}\n",
                    extra_args=["--tls-listen", "127.0.0.1:0"])
    assert server.listeners["tls"][:2] == ("http", True)
    assert https_get(server.ports["tls"], "/api/v1/rooms")[0] == 200


# --------------------------------------------------------------------------------------------
# PROXY protocol
# --------------------------------------------------------------------------------------------

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v1(ip, port=40000):
    return f"PROXY TCP4 {ip} 127.0.0.1 {port} 443\r\n".encode()


def proxy_v2(ip=None, port=40000, local=False):
    if local:
        return V2_SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    if ":" in ip:
        addrs = socket.inet_pton(socket.AF_INET6, ip) + socket.inet_pton(socket.AF_INET6, "::1")
        return V2_SIG + bytes([0x21, 0x21]) + struct.pack("!H", 36) + addrs + \
            struct.pack("!HH", port, 443)
    addrs = socket.inet_aton(ip) + socket.inet_aton("127.0.0.1")
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", 12) + addrs + \
        struct.pack("!HH", port, 443)


PROXIED = """
    [server]
    max_connections_per_address = 2

    [listener lb]
    address = 127.0.0.1:0
    proxy_protocol = any
    """


def proxied_get(port, header, path="/api/v1/rooms"):
    """Sends header and a GET; the response, or None if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(header + f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                  .encode())
        try:
            return read_response(s)[0]
        except (ConnectionEnded, ConnectionResetError):
            return None


def test_proxy_v1_and_v2_name_the_client_for_the_per_address_cap(parley):
    server = parley(PROXIED)
    port = server.ports["lb"]
    held = []
    try:
        # two connections from 203.0.113.7 (one v1, one v2) are its quota
        for header in (proxy_v1("203.0.113.7"), proxy_v2("203.0.113.7")):
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            s.sendall(header)
            held.append(s)

        def conns():
            return server.metrics()["parley_connections_accepted_total"]
        asyncio.run(eventually_sync(conns, lambda n: n >= 3))  # 2 held + this metrics request
        third = proxied_get(port, proxy_v1("203.0.113.7", 40001))
        assert third is not None and third.status == 429, third
        assert b"too many connections from your address" in third.body
        # other clients behind the same balancer are served, v1, v2 and IPv6 alike
        for header in (proxy_v1("203.0.113.8"), proxy_v2("198.51.100.1"),
                       proxy_v2("2001:db8::9")):
            r = proxied_get(port, header)
            assert r is not None and r.status == 200, (header, r)
        # a LOCAL command (the balancer's health check) keeps the socket's address
        r = proxied_get(port, proxy_v2(local=True))
        assert r is not None and r.status == 200
        assert server.metrics()["parley_connections_refused_per_address_total"] == 1
    finally:
        for s in held:
            s.close()


async def test_the_core_sees_the_proxied_address(parley):
    """The address a session reports (in logs, to flood control and login throttles) is the
    proxied client's: a WebSocket session behind a PROXY header, closed for flooding, is logged
    with it."""
    server = parley(dedent(PROXIED) + "[flood]\ncommands_per_sec = 1\ncommands_burst = 1\n"
                    "max_violations = 1\n")
    sock = socket.create_connection(("127.0.0.1", server.ports["lb"]), timeout=TIMEOUT)
    sock.sendall(proxy_v1("192.0.2.55", 51234))
    sock.setblocking(False)
    ws = await websockets.client.connect(f"ws://127.0.0.1:{server.ports['lb']}/ws", sock=sock,
                                         ping_interval=None, open_timeout=TIMEOUT)
    client = Client(ws, "flooder")
    try:
        assert (await client.next_message())["type"] == "welcome"
        for _ in range(10):  # bounded: the second refused command closes
            if client.closed:
                break
            try:
                await client.send_cmd("ping")
            except websockets.exceptions.ConnectionClosed:
                break  # closed for flooding while this one was on its way
            await asyncio.sleep(0.01)
        await client.wait_closed()
        assert client.close_code == 1008
    finally:
        await client.close()
    assert "closing flooding client 192.0.2.55:51234" in server.stderr()


def test_missing_or_malformed_proxy_headers_are_closed_and_counted(parley):
    server = parley(PROXIED)
    port = server.ports["lb"]
    assert proxied_get(port, b"") is None  # plain HTTP where a header must come first
    assert proxied_get(port, b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n") is None
    assert proxied_get(port, V2_SIG + bytes([0x21, 0x11, 0x00, 0x04]) + b"\x00" * 4) is None
    assert server.metrics()["parley_proxy_header_failures_total"] == 3


def test_a_proxy_header_before_tls(parley, certs):
    cert, key = certs["first"]
    server = parley(tls_config(cert, key, """
        [listener lbtls]
        address = 127.0.0.1:0
        tls = on
        proxy_protocol = v2
        """))
    with socket.create_connection(("127.0.0.1", server.ports["lbtls"]), timeout=TIMEOUT) as raw:
        raw.sendall(proxy_v2("203.0.113.99"))
        with client_ctx().wrap_socket(raw) as s:
            s.sendall(b"GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            resp, _ = read_response(s)
    assert resp.status == 200 and "strict-transport-security" in resp.headers
