"""Issue 25, acceptance item 1, as a person would: a German customer asks for deletion on the public page in
Chromium, gets the verification mail on a loopback SMTP server, follows the link, sees the service's own part done
and the operator's systems told by webhook; checks then answer `suppressed` for marketing, the receipt verifies with
the JWKS, and once the one downstream system reports, the person is told by mail. A real gunicorn, a real webhook
worker and a real mailer process, on SQLite and PostgreSQL."""
from __future__ import annotations

import email.message
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import jwt
import pytest
import requests

from tests import run_logs
from tests.e2e.conftest import ROOT
from tests.webhooks.conftest import Receiver, load_receiver_example

pytestmark = pytest.mark.e2e

CUSTOMER = "anna.schmidt@example.com"
SYSTEM = "crm"
VERIFY_LINK = re.compile(r"https?://[^\s]+/privacy-requests/verify/[A-Za-z0-9_.\-]+")
STATUS_LINK = re.compile(r"https?://[^\s]+/privacy-requests/status/[A-Za-z0-9_.\-]+")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def server(monkeypatch, request, smtp_server, database_url):
    """gunicorn with mail through the loopback SMTP server and one downstream system that must report back."""
    monkeypatch.setenv("SMTP_URL", smtp_server.url)
    monkeypatch.setenv("SMTP_FROM", "privacy@example.com")
    monkeypatch.setenv("PRIVACY_REQUEST_SYSTEMS", SYSTEM)
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # the receiver is on 127.0.0.1
    return request.getfixturevalue("live_server")


@pytest.fixture
def workers(server) -> Iterator[None]:
    """`flask webhooks run` and `flask mail run`, as `make run`'s Procfile starts them."""
    processes = []
    for name, command in (("webhooks", ["webhooks", "run", "--poll-interval", "0.1"]), ("mail", ["mail", "run"])):
        log = run_logs.service_log(f"privacy-requests-{name}-worker").open("w")
        processes.append((subprocess.Popen([sys.executable, "-m", "flask", *command], env=server.env, cwd=ROOT,
                                           stdout=log, stderr=subprocess.STDOUT), log))
    yield
    for process, log in processes:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def api(server, admin: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}{path}", headers={"Authorization": f"Bearer {admin}"}, timeout=10,
                            **kwargs)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_german_customer_deletes_their_data_from_the_public_page(server, workers, receiver, smtp_server, browser,
                                                                     screenshot):
    admin = server.flask("keys", "create", "--name", "privacy-admin", "--scope", "admin", "--scope",
                         "consents:read", "--scope", "consents:write").stdout.strip()
    seeded = server.flask("demo", "seed").stdout
    pk = re.search(r"Demo property: (pk_[A-Za-z0-9_-]+)", seeded).group(1)  # url-safe base64: "-" too
    hook = api(server, admin, "POST", "/v1/webhooks", json={
        "url": receiver.url, "event_types": ["privacy_request.verified", "privacy_request.completed"]})
    assert hook.status_code == 201, hook.text
    granted = api(server, admin, "POST", f"/v1/subjects/customer/{CUSTOMER}/consent-events", json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "written"}],
        "notice_version": "2020-05-01", "country": "DE"})
    assert granted.status_code == 201, granted.text

    # The public page, in German, with no script at all.
    context = browser.new_context(locale="de-DE", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        response = page.goto(f"{server.url}/privacy-requests/{pk}?lang=de")
        assert response.status == 200, page.content()
        assert page.locator("html").get_attribute("lang") == "de"
        page.check("#type-deletion")
        page.fill("#identifier", CUSTOMER)
        page.select_option("#jurisdiction", "DE")
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        screenshot(page, "privacy-request-sent-de")
        assert page.locator("html").get_attribute("lang") == "de"

        # The verification mail, in German, on the loopback SMTP server.
        smtp_server.wait_for(1, 30)
        verification = smtp_server.messages[0]
        assert verification["To"] == CUSTOMER
        link = VERIFY_LINK.search(text_of(verification)).group(0)
        assert link.startswith(server.url)
        # Nothing ran before the link was followed and confirmed.
        listed = api(server, admin, "GET", "/v1/privacy-requests").json()["requests"]
        assert [r["status"] for r in listed] == ["unverified"]
        request_id = listed[0]["id"]
        assert listed[0]["law"] == "gdpr"

        page.goto(link)
        # Following the link only asks; the confirmation is a button (a mail scanner's GET runs nothing).
        assert api(server, admin, "GET", f"/v1/privacy-requests/{request_id}").json()["status"] == "unverified"
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        screenshot(page, "privacy-request-verified-de")
        shown = page.locator("main").inner_text()
        assert SYSTEM in shown  # the system still to report is named on the status page

        request = api(server, admin, "GET", f"/v1/privacy-requests/{request_id}").json()
        assert request["status"] == "in_progress"
        assert {s["name"]: s["status"] for s in request["systems"]} == {SYSTEM: "pending"}
        assert "own_part_done" in [step["action"] for step in request["steps"]]

        # The downstream webhook, signed, names the request and what to do.
        verified = wait_for(lambda: [r for r in receiver.accepted() if r.event["type"] == "privacy_request.verified"],
                            30, "the privacy_request.verified webhook")[0]
        load_receiver_example().verify(hook.json()["secret"], verified.headers, verified.body)
        data = verified.event["data"]
        assert (data["request"], data["type"], data["subject"], data["systems"]) == (
            request_id, "deletion", {"kind": "customer", "id": CUSTOMER}, [SYSTEM])

        # The service's own data: erased, so marketing is suppressed from now on.
        check = api(server, admin, "POST", "/v1/checks", json={
            "subject": {"kind": "customer", "id": CUSTOMER}, "purposes": ["marketing"], "country": "DE"}).json()
        assert (check["decisions"]["marketing"]["allowed"], check["decisions"]["marketing"]["reason"]) == (
            False, "suppressed")

        # The system reports back; the request completes and the person is told.
        reported = api(server, admin, "POST", f"/v1/privacy-requests/{request_id}/systems/{SYSTEM}",
                       json={"status": "done"})
        assert reported.status_code == 200, reported.text
        assert reported.json()["status"] == "completed"
        smtp_server.wait_for(2, 30)
        outcome = text_of(smtp_server.messages[1])
        status_link = STATUS_LINK.search(outcome).group(0)
        page.goto(status_link)
        screenshot(page, "privacy-request-completed-de")
        assert "Erledigt" in page.locator("main").inner_text()

        # The person's receipt, from the status page: it names the request and what was done, names nobody,
        # and verifies with the published keys.
        href = page.locator("a[href$='/receipt']").first.get_attribute("href")
        receipt = requests.get(f"{server.url}{href}" if href.startswith("/") else href, timeout=10).text
        jwks = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10).json()
        header = jwt.get_unverified_header(receipt)
        assert header["typ"] == "privacy-request-receipt+jwt"
        key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
        claims = jwt.decode(receipt, key.key, algorithms=["EdDSA"], options={"verify_aud": False})
        assert (claims["request"], claims["type"], claims["status"]) == (request_id, "deletion", "completed")
        assert {"own_part_done", "completed"} <= {action["action"] for action in claims["actions"]}
        assert CUSTOMER not in receipt and CUSTOMER not in str(claims)
    finally:
        context.close()
