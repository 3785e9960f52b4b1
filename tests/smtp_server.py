"""A real SMTP server on loopback (aiosmtpd) in a thread of its own, keeping every message it accepts."""
from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from ssl import SSLContext

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: list[str]


class LoopbackSmtp:
    """`.url` to send to, `.messages` as parsed, `.envelopes` as given in MAIL FROM / RCPT TO.

    `login=(user, password)` requires AUTH; `tls_context` offers STARTTLS; addresses in `.refused` are
    answered 550 with the address echoed, as real servers do."""

    def __init__(self, *, login: tuple[str, str] | None = None, tls_context: SSLContext | None = None) -> None:
        self.login = login
        self.tls_context = tls_context
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.refused: set[str] = set()
        self.logins: list[str] = []
        self._arrived = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="loopback-smtp", daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def start(self) -> LoopbackSmtp:
        # Everything on the loop runs in its thread: the caller's thread may run a loop of its own (Playwright's).
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> asyncio.base_events.Server:
        return await self._loop.create_server(self._protocol, HOST, 0)

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()

        async def cancel_sessions() -> None:
            sessions = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in sessions:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        asyncio.run_coroutine_threadsafe(cancel_sessions(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least `count` have arrived; AssertionError after `timeout` seconds."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert arrived, f"{len(self.messages)} of {count} messages arrived within {timeout} s"
        return list(self.messages)

    def _protocol(self) -> SMTP:
        return SMTP(
            self,
            hostname="smtp.test",
            loop=self._loop,
            authenticator=self._authenticate if self.login else None,
            # AUTH offered without TLS on loopback; not required, since aiosmtpd warns about requiring it
            # without TLS. The tests check `.logins` instead.
            auth_require_tls=False,
            tls_context=self.tls_context,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.login is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client waiting).
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._arrived:
            self.envelopes.append(Envelope(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos)))
            self.messages.append(message)  # type: ignore[arg-type]  (policy.default makes EmailMessage)
            self._arrived.notify_all()
        return "250 OK: queued"
