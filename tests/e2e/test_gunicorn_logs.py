"""gunicorn's own log lines (its error log and, when on, its access log) name no client address, path or value."""
from __future__ import annotations

import secrets
import socket
from urllib.parse import urlsplit

import pytest

from tests import run_logs
from tests.e2e.gunicorn import serving

pytestmark = pytest.mark.e2e

# A loopback address standing in for a visitor's (every 127.x.y.z reaches 127.0.0.1 here); the scan looks for it.
CLIENT = "127.203.0.77"
CLIENT_NETWORK = "127.203.0.0"


def _send_raw(port: int, request: bytes) -> bytes:
    """One request sent as given, from CLIENT, and the whole answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(CLIENT, 0)) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_gunicorn_logs_a_client_network_and_no_address_path_or_value(postgres_url):
    subject, email = f"cust-{secrets.token_hex(6)}", f"jane.{secrets.token_hex(4)}@example.org"
    for kind, value in (("ip", CLIENT), ("subject_id", subject), ("email", email)):
        run_logs.remember_secret(kind, value)
    with serving(postgres_url, name="gunicorn-private-logs", GUNICORN_CMD_ARGS="--access-logfile -") as server:
        port = urlsplit(server.url).port
        # A malformed request line: gunicorn answers 400 itself and warns, quoting what the client sent.
        refused = _send_raw(port, f"GET /v1/subjects/customer/{subject} {email} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert refused.startswith(b"HTTP/1.1 400")
        # A good one, logged by gunicorn's access log: the query and the referrer carry the values.
        served = _send_raw(port, (f"GET /healthz?subject={subject} HTTP/1.1\r\nHost: x\r\n"
                                  f"Referer: http://127.0.0.1/{email}\r\nConnection: close\r\n\r\n").encode())
        assert served.startswith(b"HTTP/1.1 200")
    log = server.log_text()
    assert f"Invalid request from network={CLIENT_NETWORK}: Invalid HTTP" in log
    assert f"Listening at: {server.url} (" in log  # gunicorn's own address is no one's personal data
    access = [line for line in log.splitlines() if line.startswith(f"{CLIENT_NETWORK} [")]
    assert access and '"GET - HTTP/1.1" 200' in access[0], log
    for value in (CLIENT, subject, email):
        assert value not in log
