"""A real SMTP server on loopback for the integration tests (python3-aiosmtpd), run in a thread
with its own asyncio loop on an ephemeral port. It keeps every message it accepts."""

import asyncio
import email
import email.policy
import threading
import time

from aiosmtpd.smtp import SMTP


class SmtpSink:
    def __init__(self, answer_quit=True):
        self.messages = []  # (envelope recipients, email.message.EmailMessage)
        self.answer_quit = answer_quit  # False: a relay that never answers QUIT
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server = None
        self.port = None
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(self._loop.create_server(
                lambda: SMTP(self), "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert started.wait(10), "SMTP sink did not start"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        if not self.answer_quit:
            await asyncio.sleep(3600)  # cancelled when the sink stops
        return "221 Bye"

    def wait_for(self, to, timeout=10.0):
        """The first message to `to` (waits for it); returns (subject, body text)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for rcpts, msg in self.messages:
                    if to in rcpts:
                        self.messages.remove((rcpts, msg))
                        return str(msg["subject"]), msg.get_content()
            time.sleep(0.02)
        raise AssertionError(f"no mail to {to} within {timeout} s (have {len(self.messages)})")

    def config(self):
        """The [mail] section that sends here."""
        return (f"[mail]\nsmtp_host = 127.0.0.1\nsmtp_port = {self.port}\nstarttls = off\n"
                "from = parley@chat.test\ntimeout = 5\n")

    def stop(self):
        def shut():
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(shut)
        self._thread.join(10)
