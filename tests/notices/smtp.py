"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler that stores every message it accepts, parsed when taken.

    Parsing happens in :meth:`take`, not while the client waits for the server's reply.
    """

    def __init__(self) -> None:
        self._raw: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        with self._lock:
            self._raw.append(envelope.content)
        return "250 Message accepted for delivery"

    def take_raw(self) -> list[bytes]:
        """Return the raw messages received since the last call and forget them."""
        with self._lock:
            received, self._raw = self._raw, []
        return received

    def take(self) -> list[EmailMessage]:
        """Return the messages received since the last call, parsed, and forget them."""
        return [message_from_bytes(raw, policy=policy.default) for raw in self.take_raw()]


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        # A fixed server name spares a DNS lookup of this host per connection.
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
