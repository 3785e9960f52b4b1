"""Send mail over SMTP (smtplib): read SMTP_URL, open one connection per batch, and turn failures into ours.

Nothing here logs or raises with a recipient address or a body in it: server replies often echo the address
("550 <bob@example.com>: no such user"), so every reply is blanked of addresses before it leaves this module.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from consent_service.errors import ServiceError
from consent_service.vocabulary import EMAIL_PATTERN

Security = Literal["none", "starttls", "tls"]
T = TypeVar("T")

EXAMPLE = "e.g. smtps://user:password@mail.example.com or smtp://mail.example.com:587?starttls=true"
# One bare address: no display name, no blanks or line breaks (so nothing can be smuggled into a header).
ADDRESS = re.compile(EMAIL_PATTERN)
# An address in a server's reply, with the angle brackets around it if any.
QUOTED_ADDRESS = re.compile(rf"<?{ADDRESS.pattern}>?")
ERROR_CHARACTERS = 400


class SmtpSettings(Protocol):
    """What the transport reads of the settings (config.py asks this module to check SMTP_URL, so no import back)."""

    @property
    def smtp_url(self) -> str: ...

    @property
    def smtp_from(self) -> str: ...

    @property
    def smtp_timeout_seconds(self) -> int: ...


class BadSmtpUrl(ValueError):
    """SMTP_URL cannot be read; the message names what is wrong and never repeats the password."""


class MailNotSent(ServiceError):
    """The server did not take the mail. `permanent`: it refused this mail for good (trying again is futile)."""

    status, code, message = 503, "mail_not_sent", "The mail server did not take the mail."

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to hand mail over: host, port, TLS from the start (`tls`) or after STARTTLS, login."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """`smtp://[user:password@]host[:port][?starttls=true]` or `smtps://[user:password@]host[:port]`."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port  # reading the port is what checks it
        except ValueError:
            raise BadSmtpUrl(f"SMTP_URL is not a URL with a valid port ({EXAMPLE})") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise BadSmtpUrl(f"SMTP_URL must start with smtp:// or smtps:// ({EXAMPLE}), not {parts.scheme or '?'}://")
        if not parts.hostname:
            raise BadSmtpUrl(f"SMTP_URL names no host ({EXAMPLE})")
        if parts.path not in ("", "/") or parts.fragment:
            raise BadSmtpUrl(f"SMTP_URL takes no path or fragment after the host ({EXAMPLE})")
        try:
            options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
        except ValueError:
            raise BadSmtpUrl(f"SMTP_URL's query is not name=value pairs ({EXAMPLE})") from None
        unknown = sorted(set(options) - {"starttls"})
        if unknown:
            raise BadSmtpUrl(f"SMTP_URL has unknown options ({', '.join(unknown)}); only ?starttls=true is read")
        starttls = options.get("starttls", "false").lower()
        if starttls not in ("true", "false"):
            raise BadSmtpUrl("SMTP_URL's starttls must be true or false")
        if parts.scheme == "smtps" and starttls == "true":
            raise BadSmtpUrl("SMTP_URL: smtps:// is TLS from the start; starttls=true goes with smtp:// only")
        if parts.password is not None and not parts.username:
            raise BadSmtpUrl("SMTP_URL has a password but no user name")
        security: Security = "tls" if parts.scheme == "smtps" else ("starttls" if starttls == "true" else "none")
        return cls(
            host=parts.hostname,
            port=port or (465 if security == "tls" else 25),
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


def check_sender(sender: str) -> str:
    """SMTP_FROM as given (`privacy@example.com` or `Example <privacy@example.com>`), or ValueError."""
    if "\r" in sender or "\n" in sender:
        raise ValueError("SMTP_FROM must be one line")
    _, address = parseaddr(sender)
    if not ADDRESS.fullmatch(address):
        raise ValueError("SMTP_FROM must be an address, e.g. privacy@example.com or Example <privacy@example.com>")
    return sender


@dataclass(frozen=True)
class Envelope:
    """One message as the outbox hands it over; `message_id` makes the Message-ID stable across retries."""

    message_id: str
    to: str
    subject: str
    text: str
    html: str | None


class SmtpTransport:
    """Sends to one configured server; `connection()` opens a session that sends several messages."""

    def __init__(
        self,
        *,
        target: SmtpTarget,
        sender: str,
        timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.target = target
        self.sender = sender
        self.timeout = timeout
        # Certificates are verified against the system's store; tests hand in a context trusting their own.
        self.ssl_context = ssl_context or ssl.create_default_context()
        # Said in EHLO; the sender's domain rather than socket.getfqdn(), which can wait on DNS.
        self.local_hostname = local_hostname or _domain_of(sender) or "localhost"

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> SmtpTransport | None:
        """The transport SMTP_URL names (checked at start), or None when it is not set."""
        if not settings.smtp_url:
            return None
        return cls(
            target=SmtpTarget.parse(settings.smtp_url),
            sender=settings.smtp_from,
            timeout=settings.smtp_timeout_seconds,
        )

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        connection = Connection(self)
        try:
            yield connection
        finally:
            connection.close()

    def build(self, envelope: Envelope, *, date: datetime) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = envelope.to
        message["Subject"] = envelope.subject
        message["Date"] = format_datetime(date)
        # The outbox id: a retry after a lost reply carries the same Message-ID, which lets receivers drop it.
        message["Message-ID"] = f"<{envelope.message_id}@{self.local_hostname}>"
        message.set_content(envelope.text)
        if envelope.html is not None:
            message.add_alternative(envelope.html, subtype="html")
        return message


class Connection:
    """An SMTP session opened at the first send and opened again after a failure broke it."""

    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        """Hand one message over, or raise MailNotSent; each step is bounded by the timeout as a whole."""
        try:
            if self.smtp is None:
                self.smtp = self._bounded(self._open)
            smtp = self.smtp
            refused = self._bounded(lambda: smtp.send_message(message))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise MailNotSent(
                f"recipient refused: {_reply(*next(iter(error.recipients.values())))}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            # A refusal of this message's content is final; of our login or sender, it waits for the operator.
            permanent = isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500
            raise MailNotSent(_reply(error.smtp_code, error.smtp_error), permanent=permanent) from None
        except smtplib.SMTPNotSupportedError as error:
            self._drop()
            raise MailNotSent(_scrub(f"not supported by the server: {error}"), permanent=True) from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise MailNotSent(_scrub(f"{type(error).__name__}: {error}")) from None
        if refused:  # several recipients and some refused: ours have one, so this cannot be partial
            raise MailNotSent("recipient refused", permanent=True)

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):  # the mail is sent; QUIT is a courtesy
                self._bounded(self.smtp.quit)
            self._drop()

    def _open(self) -> smtplib.SMTP:
        target, transport = self.transport.target, self.transport
        smtp: smtplib.SMTP
        if target.security == "tls":
            smtp = smtplib.SMTP_SSL(
                target.host,
                target.port,
                local_hostname=transport.local_hostname,
                timeout=transport.timeout,
                context=transport.ssl_context,
            )
        else:
            smtp = smtplib.SMTP(
                target.host, target.port, local_hostname=transport.local_hostname, timeout=transport.timeout
            )
        self.smtp = smtp  # so a timeout while greeting can close it
        smtp.ehlo()
        if target.security == "starttls":
            smtp.starttls(context=transport.ssl_context)
            smtp.ehlo()
        if target.username:
            smtp.login(target.username, target.password or "")
        return smtp

    def _bounded(self, step: Callable[[], T]) -> T:
        """Socket timeouts bound each read, not a server that trickles a byte at a time; this bounds the step,
        so a mail whose lease runs out is not still being sent when another worker takes it over."""
        fired = threading.Event()
        watchdog = threading.Timer(self.transport.timeout, self._abort, (fired,))
        watchdog.start()
        try:
            return step()
        except (OSError, smtplib.SMTPServerDisconnected):
            if fired.is_set():
                raise TimeoutError(f"timed out after {self.transport.timeout:g} s") from None
            raise
        finally:
            watchdog.cancel()

    def _abort(self, fired: threading.Event) -> None:
        fired.set()
        sock = self.smtp.sock if self.smtp is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to interrupt
                sock.shutdown(socket.SHUT_RDWR)

    def _drop(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return _scrub(f"SMTP {code} {words}")


def _scrub(text: str) -> str:
    """The text without any address in it, on one line and bounded."""
    return " ".join(QUOTED_ADDRESS.sub("<address>", text).split())[:ERROR_CHARACTERS]


def _domain_of(sender: str) -> str | None:
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or None
