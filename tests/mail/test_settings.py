"""SMTP_URL, SMTP_FROM and SMTP_TIMEOUT_SECONDS are read and checked at start; a bad value names itself, never the
password."""
from __future__ import annotations

import pytest

from consent_service.config import ConfigError, Settings
from consent_service.mail.transport import BadSmtpUrl, SmtpTarget, SmtpTransport

PASSWORD = "s3cr%2Fet-pass"


def _settings(tmp_path, **environ: str) -> Settings:
    return Settings.from_env({"CONSENT_ENV": "testing", **environ}, instance_path=str(tmp_path)).validated()


def test_without_smtp_url_there_is_no_transport(tmp_path):
    settings = _settings(tmp_path)
    assert (settings.smtp_url, settings.smtp_from, settings.smtp_timeout_seconds) == ("", "", 10)
    assert SmtpTransport.from_settings(settings) is None


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("smtp://mail.example.com", SmtpTarget("mail.example.com", 25, "none")),
        ("smtp://mail.example.com:587?starttls=true", SmtpTarget("mail.example.com", 587, "starttls")),
        ("smtp://mail.example.com/?starttls=false", SmtpTarget("mail.example.com", 25, "none")),
        ("smtps://mail.example.com", SmtpTarget("mail.example.com", 465, "tls")),
        (f"smtps://me%40example.com:{PASSWORD}@mail.example.com:2465",
         SmtpTarget("mail.example.com", 2465, "tls", "me@example.com", "s3cr/et-pass")),
        ("smtp://[::1]:2525", SmtpTarget("::1", 2525, "none")),
    ],
)
def test_smtp_urls_are_read(url, target):
    assert SmtpTarget.parse(url) == target


def test_the_password_is_read_but_never_shown():
    target = SmtpTarget.parse(f"smtps://me:{PASSWORD}@mail.example.com")
    assert target.password == "s3cr/et-pass" and "s3cr" not in repr(target)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "must start with smtp:// or smtps://"),
        ("mail.example.com", "must start with smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example.com:99999", "valid port"),
        ("smtp://mail.example.com:port", "valid port"),
        ("smtp://mail.example.com/inbox", "no path"),
        ("smtp://mail.example.com?tls=true", r"unknown options \(tls\)"),
        ("smtp://mail.example.com?starttls=maybe", "starttls must be true or false"),
        ("smtps://mail.example.com?starttls=true", "TLS from the start"),
        (f"smtp://:{PASSWORD}@mail.example.com", "password but no user"),
    ],
)
def test_a_bad_url_refuses_to_start_saying_why(tmp_path, url, message):
    with pytest.raises(BadSmtpUrl, match=message):
        SmtpTarget.parse(url)
    with pytest.raises(ConfigError, match=message) as refused:
        _settings(tmp_path, SMTP_URL=url, SMTP_FROM="privacy@example.com")
    assert PASSWORD not in str(refused.value) and "s3cr" not in str(refused.value)


def test_smtp_from_is_required_with_smtp_url(tmp_path):
    with pytest.raises(ConfigError, match="SMTP_FROM must be set when SMTP_URL is"):
        _settings(tmp_path, SMTP_URL="smtp://127.0.0.1:2525")


@pytest.mark.parametrize("sender", ["privacy", "Example <privacy>", "a@b\r\nBcc: x@y.test", "<>"])
def test_smtp_from_must_be_one_address(tmp_path, sender):
    with pytest.raises(ConfigError, match="SMTP_FROM must be"):
        _settings(tmp_path, SMTP_URL="smtp://127.0.0.1:2525", SMTP_FROM=sender)


def test_a_good_configuration_builds_its_transport(tmp_path):
    settings = _settings(tmp_path, SMTP_URL="smtp://127.0.0.1:2525?starttls=true",
                         SMTP_FROM="Example Privacy <privacy@example.com>", SMTP_TIMEOUT_SECONDS="3")
    transport = SmtpTransport.from_settings(settings)
    assert transport is not None
    assert transport.target == SmtpTarget("127.0.0.1", 2525, "starttls")
    assert (transport.sender, transport.timeout, transport.local_hostname) == (
        "Example Privacy <privacy@example.com>", 3, "example.com")


@pytest.mark.parametrize(("raw", "message"), [("0", "at least 1"), ("301", "an integer from 1 to 300"), ("ten", "an integer")])
def test_the_timeout_is_bounded(tmp_path, raw, message):
    with pytest.raises(ConfigError, match=f"SMTP_TIMEOUT_SECONDS must be {message}"):
        _settings(tmp_path, SMTP_TIMEOUT_SECONDS=raw)


def test_production_refuses_a_password_in_the_clear_beyond_loopback(tmp_path):
    production = {
        "CONSENT_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "KEY_ENCRYPTION_KEYS": "J4Bq0dV1Q4b2mKc3b6YlD6W1rPv5cF2dX3zZJr0kQyM=",
        "ERASURE_PEPPER": "p" * 40,
        "TOKEN_ISSUER": "https://consent.example.com",
        "SMTP_FROM": "privacy@example.com",
    }

    def start(url: str) -> Settings:
        return Settings.from_env({**production, "SMTP_URL": url}, instance_path=str(tmp_path)).validated()

    with pytest.raises(ConfigError, match="sends its password unencrypted") as refused:
        start(f"smtp://me:{PASSWORD}@mail.example.com")
    assert "s3cr" not in str(refused.value)
    for url in (f"smtp://me:{PASSWORD}@mail.example.com?starttls=true", f"smtps://me:{PASSWORD}@mail.example.com",
                f"smtp://me:{PASSWORD}@127.0.0.1:25", "smtp://mail.example.com"):
        assert start(url).smtp_url == url
