"""The SMTP transport against a real server on loopback: plain, with a login, with STARTTLS; refusals and an
unreachable server become MailNotSent, with no address in the message."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from consent_service.mail.transport import Envelope, MailNotSent, SmtpTarget, SmtpTransport
from tests.smtp_server import LoopbackSmtp

WHEN = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.timezone.utc)
SENDER = "Example Privacy <privacy@example.com>"


def envelope(to: str = "person@example.net", html: str | None = None, subject: str = "Bestätigen Sie Ihre Anfrage"):
    return Envelope(message_id="mail_0123", to=to, subject=subject, text="Folgen Sie dem Link: https://x.test/v/1",
                    html=html)


def transport_for(url: str, *, timeout: float = 5, ssl_context: ssl.SSLContext | None = None) -> SmtpTransport:
    return SmtpTransport(target=SmtpTarget.parse(url), sender=SENDER, timeout=timeout, ssl_context=ssl_context)


def send(transport: SmtpTransport, *envelopes: Envelope) -> None:
    with transport.connection() as connection:
        for each in envelopes:
            connection.send(transport.build(each, date=WHEN))


@contextmanager
def server(**options) -> Iterator[LoopbackSmtp]:
    running = LoopbackSmtp(**options).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_plain_mail_arrives_as_written(smtp_server):
    send(transport_for(smtp_server.url), envelope())
    [message] = smtp_server.wait_for(1)
    assert message["From"] == SENDER and message["To"] == "person@example.net"
    assert message["Subject"] == "Bestätigen Sie Ihre Anfrage"
    assert message["Message-ID"] == "<mail_0123@example.com>"
    assert message["Date"] == "Thu, 15 Jan 2026 09:30:00 +0000"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Folgen Sie dem Link: https://x.test/v/1"
    assert smtp_server.envelopes[0].mail_from == "privacy@example.com"
    assert smtp_server.envelopes[0].rcpt_tos == ["person@example.net"]


def test_html_goes_beside_the_text_and_one_connection_sends_several(smtp_server):
    send(transport_for(smtp_server.url), envelope(html="<p>Folgen Sie dem <a href='https://x.test/v/1'>Link</a></p>"),
         envelope(to="other@example.net"))
    first, second = smtp_server.wait_for(2)
    assert first.get_content_type() == "multipart/alternative"
    assert first.get_body(("plain",)).get_content().startswith("Folgen Sie")
    assert "<a href='https://x.test/v/1'>" in first.get_body(("html",)).get_content()
    assert second["To"] == "other@example.net"


def test_a_login_from_the_url_is_used():
    with server(login=("mailer@example.com", "p@ss:word/1")) as running:
        send(transport_for(f"smtp://mailer%40example.com:p%40ss%3Aword%2F1@127.0.0.1:{running.port}"), envelope())
        running.wait_for(1)
        assert running.logins == ["mailer@example.com"]


def test_a_wrong_password_is_ours_to_fix_and_not_repeated():
    with server(login=("mailer", "right")) as running:
        with pytest.raises(MailNotSent) as refused:
            send(transport_for(f"smtp://mailer:wrong-secret@127.0.0.1:{running.port}"), envelope())
        assert not refused.value.permanent
        assert refused.value.message.startswith("SMTP 535")
        assert "wrong-secret" not in refused.value.message
        assert running.messages == []


def test_starttls_upgrades_before_login():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
        .not_valid_before(WHEN - dt.timedelta(days=1)).not_valid_after(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with _files(pem, key) as (cert_file, key_file):
        server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(cadata=pem.decode())
    with server(login=("mailer", "pw"), tls_context=server_context) as running:
        send(transport_for(f"smtp://mailer:pw@127.0.0.1:{running.port}?starttls=true", ssl_context=client_context),
             envelope())
        running.wait_for(1)
        assert running.logins == ["mailer"]
        # The system's trust store does not know the test's certificate: verification is on by default.
        with pytest.raises(MailNotSent, match="SSLCertVerificationError"):
            send(transport_for(f"smtp://127.0.0.1:{running.port}?starttls=true"), envelope())


def test_a_refused_recipient_is_final_and_its_address_is_not_kept(smtp_server):
    smtp_server.refused.add("gone@example.net")
    with pytest.raises(MailNotSent) as refused:
        send(transport_for(smtp_server.url), envelope(to="gone@example.net"))
    assert refused.value.permanent
    assert refused.value.message.startswith("recipient refused: SMTP 550 5.1.1 <address>")
    assert "gone@" not in refused.value.message
    # The same connection goes on to the next mail.
    with transport_for(smtp_server.url).connection() as connection:
        transport = connection.transport
        with pytest.raises(MailNotSent):
            connection.send(transport.build(envelope(to="gone@example.net"), date=WHEN))
        connection.send(transport.build(envelope(), date=WHEN))
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["person@example.net"]


def test_an_unreachable_server_is_worth_another_try():
    with closed_port() as port, pytest.raises(MailNotSent) as failed:
        send(transport_for(f"smtp://127.0.0.1:{port}", timeout=2), envelope())
    assert not failed.value.permanent
    assert failed.value.message.startswith("ConnectionRefusedError")


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port bound but never listening: connecting is refused, and nobody else can take it meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def _files(pem: bytes, key) -> Iterator[tuple[str, str]]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(pem)
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        yield str(cert_file), str(key_file)
