"""Fixtures for the Parley integration tests: a fresh parleyd per test, in its own temp dir.

The binary comes from $PARLEYD (default: build/parleyd of this repository). At the end of every
test each server still running is stopped with SIGTERM and must exit 0 without sanitizer reports.
Tests written as `async def` are run with asyncio.run (no plugin needed).
"""

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parley_client import TIMEOUT, http_get, parse_metrics  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PARLEYD = os.environ.get("PARLEYD", str(REPO / "build" / "parleyd"))
WEB_ROOT = REPO / "web"
TEST_TIMEOUT = 120  # whole-test guard against hangs
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
# Configuration for tests that talk like bots (hundreds of says as fast as possible): no flood
# control, as for load tests (docs/OPERATIONS.md, "Flood control").
FLOOD_OFF = "[flood]\nmessages_per_sec = 0\ncommands_per_sec = 0\n"


def dedent(text):
    return textwrap.dedent(text).lstrip("\n")


class Server:
    """One parleyd process (and its restarts) in `workdir`."""

    def __init__(self, workdir, config=None, web_root=None, extra_args=()):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.dir / "var"
        self.port_file = self.dir / "port"
        self.config_file = None
        if config is not None:
            self.config_file = self.dir / "parley.ini"
            self.config_file.write_text(dedent(config))
        self.web_root = Path(web_root) if web_root else WEB_ROOT
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.json_port = None  # the direct socket's port ([server] json_listen)
        self.irc_port = None  # the IRC gateway's port ([irc] listen)
        # every listener by name ("default", "json", [listener NAME], "tls" of --tls-listen):
        # its port, and in `listeners` its (protocol, tls, port) when there are named ones
        self.ports = {}
        self.listeners = {}
        self.runs = 0
        self.stderr_files = []
        self.problems = []

    def argv(self):
        argv = [PARLEYD, "--listen", "127.0.0.1:0", "--port-file", str(self.port_file),
                "--data-dir", str(self.data_dir), "--web-root", str(self.web_root)]
        if self.config_file:
            argv += ["--config", str(self.config_file)]
        return argv + self.extra_args

    def start(self, timeout=TIMEOUT):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.port_file.exists():
            self.port_file.unlink()
        self.runs += 1
        err = self.dir / f"stderr.{self.runs}.log"
        self.stderr_files.append(err)
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        with open(err, "wb") as errf:
            self.proc = subprocess.Popen(self.argv(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=errf, stderr=errf, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.port_file.exists():
                text = self.port_file.read_text()
                if text.endswith("\n") and self._read_ports(text):
                    return self
            if self.proc.poll() is not None:
                raise AssertionError(f"parleyd exited with {self.proc.returncode} at start:\n"
                                     f"{self.stderr()}")
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"parleyd did not write its port file in {timeout} s:\n{self.stderr()}")

    def _read_ports(self, text):
        """The port file: the implicit listeners' ports one a line (HTTP, then the direct
        socket's when json_listen is set), then with named listeners "NAME PROTOCOL TLS PORT"
        for every listener (docs/OPERATIONS.md)."""
        numbers, named = [], {}
        for line in text.splitlines():
            f = line.split()
            if len(f) == 1 and f[0].isdigit():
                numbers.append(int(f[0]))
            elif len(f) == 4 and f[3].isdigit():
                named[f[0]] = (f[1], f[2] == "on", int(f[3]))
            else:
                return False
        if not numbers and not named:
            return False
        self.listeners = named
        self.ports = {name: port for name, (_, _, port) in named.items()}
        if numbers:
            self.ports.setdefault("default", numbers[0])
            if len(numbers) > 1:
                self.ports.setdefault("json", numbers[1])
        self.port = self.ports.get("default")
        self.json_port = self.ports.get("json")
        self.irc_port = self.ports.get("irc")  # the IRC gateway ([irc] listen)
        return True

    def stderr(self, run=None):
        f = self.stderr_files[-1 if run is None else run - 1]
        return f.read_text(errors="replace") if f.exists() else ""

    def all_stderr(self):
        return "".join(f"--- parleyd run {i} stderr ---\n{f.read_text(errors='replace')}"
                       for i, f in enumerate(self.stderr_files, 1) if f.exists())

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _check_sanitizers(self):
        text = self.stderr()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                self.problems.append(f"run {self.runs}: sanitizer report ({marker!r}) in stderr")

    def stop(self, timeout=15):
        """SIGTERM; returns the exit code. A non-zero exit or a sanitizer report is a problem."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.problems.append(f"run {self.runs}: no exit within {timeout} s of SIGTERM")
        rc = self.proc.returncode
        if rc != 0:
            self.problems.append(f"run {self.runs}: exit status {rc} (expected 0 after SIGTERM)")
        self._check_sanitizers()
        return rc

    def kill(self):
        """SIGKILL (a crash simulation); only sanitizer reports so far are checked."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        else:
            self.problems.append(f"run {self.runs}: had already exited with {self.proc.returncode}")
        self._check_sanitizers()

    def restart(self, hard=False):
        self.kill() if hard else self.stop()
        return self.start()

    def finish(self):
        """Stops the server if still running; returns the problems seen over its life."""
        if self.proc is not None and self.proc.returncode is None:
            self.stop()
        return self.problems

    # ---- conveniences ------------------------------------------------------------------------

    def metrics(self):
        r = http_get(self.port, "/metrics")
        assert r.status == 200, r
        return parse_metrics(r.body.decode())

    def assert_problem_free(self):
        assert not self.problems, self.problems


@pytest.fixture
def parley(tmp_path, request):
    """Factory: parley(config=None, web_root=None, extra_args=()) starts a fresh server."""
    servers = []
    request.node.parley_servers = servers

    def factory(config=None, web_root=None, extra_args=(), start=True):
        s = Server(tmp_path / f"server{len(servers) + 1}", config, web_root, extra_args)
        servers.append(s)
        return s.start() if start else s

    yield factory
    problems = []
    for s in servers:
        problems += s.finish()
    if problems:
        pytest.fail("server problems:\n" + "\n".join(problems) + "\n"
                    + "\n".join(s.all_stderr()[-6000:] for s in servers), pytrace=False)


@pytest.fixture
def smtp(request):
    """A real SMTP server on loopback that keeps the mail parleyd sends (smtp.config() is the
    [mail] section to give the server). The test's servers are stopped before it: a relay that
    vanishes in the middle of an SMTP session is a test of its own (test_accounts.py)."""
    sink = SmtpSink()
    yield sink
    for s in getattr(request.node, "parley_servers", []):
        s.finish()
    sink.stop()


@pytest.fixture
def server(parley):
    """A server with the default configuration."""
    return parley()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        for i, s in enumerate(getattr(item, "parley_servers", []), 1):
            report.sections.append((f"parleyd #{i} stderr (tail)", s.all_stderr()[-6000:]))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs `async def` tests in a fresh event loop with an overall timeout."""
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def guarded():
        await asyncio.wait_for(func(**args), TEST_TIMEOUT)

    asyncio.run(guarded())
    return True


def pytest_configure(config):
    if not os.path.exists(PARLEYD):
        raise pytest.UsageError(f"parleyd binary not found at {PARLEYD} (set PARLEYD)")
