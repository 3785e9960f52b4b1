"""gunicorn's log records, rewritten by PrivacyFilter: networks for addresses, no quoted request, no URI."""
from __future__ import annotations

import logging

import pytest

from consent_service.gunicorn_logging import PrivacyFilter, bound_addresses


def _filtered(msg: str, *args, own=()) -> str:
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, msg, args, None)
    assert PrivacyFilter(own).filter(record)
    return record.getMessage()


@pytest.mark.parametrize("peer, network", [("203.0.113.77", "203.0.113.0"), ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::")])
def test_a_malformed_request_is_logged_with_the_network_and_without_what_was_sent(peer, network):
    message = _filtered(f"Invalid request from ip={peer}: Invalid HTTP request line: 'GET /v1/subjects/customer/c-77 x'")
    assert message == f"Invalid request from network={network}: Invalid HTTP request line"


def test_an_application_error_is_logged_without_its_uri():
    message = _filtered("Error handling request %s %s", "GET", "/preferences/Wk5aTjE.ZxK3Yw.signed?x=1")
    assert message == "Error handling request GET [uri not logged]"
    assert _filtered("Error handling request %s", "/unsubscribe/abc") == "Error handling request - [uri not logged]"


def test_gunicorns_own_address_stays_and_other_addresses_and_emails_are_redacted():
    own = bound_addresses(["10.1.2.3:8000", "[::1]:8000", "unix:/run/consent.sock"])
    assert own == {"10.1.2.3", "::1"}
    assert _filtered("Listening at: %s (%s)", "http://10.1.2.3:8000", 42, own=own) == "Listening at: http://10.1.2.3:8000 (42)"
    assert _filtered("peer 198.51.100.9 sent jane@example.org", own=own) == "peer 198.51.100.0 sent [email]"
