"""The answer table's vocabulary: a case writes through the API as a caller would, then checks, and
asserts the exact (allowed, reason, basis) of the first purpose it checks.

Case modules live in tests/regimes/answer_cases/ (one per topic, each with a CASES list);
tests/regimes/test_answer_table.py runs every one of them on both databases.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tests.regimes.helpers import post_events, rules_with

SUBJECT = {"kind": "customer", "id": "c-1"}


@dataclass(frozen=True)
class Case:
    name: str
    check: dict  # a POST /v1/checks body without its subject (customer c-1)
    expect: tuple[bool, str, str | None]  # (allowed, reason, basis) of the first purpose checked
    # Consent-events bodies for c-1, a minute apart: "subject" picks another customer, "error" the
    # 422 code the write must be refused with (and "field" the field it names: nothing is written
    # then); {"wait_days": n} moves the clock instead, and
    # {"request": (method, path, body)} makes another call that must succeed (an erasure, ...).
    writes: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)  # published after the writes
    late_writes: list[dict] = field(default_factory=list)  # after the notices
    setup: list[tuple[str, str, dict]] = field(default_factory=list)  # admin (method, path, body) first, each 2xx
    rules: Callable[[dict], None] | None = None  # an edit of the shipped rules file for this case


def c(purpose: str, country: str | None = None, **extra) -> dict:
    """A check of one purpose, in a country when given."""
    return {"purposes": [purpose], **({"country": country} if country else {}), **extra}


def grant(purpose: str, method: str = "api", **context) -> dict:
    return {"events": [{"purpose": purpose, "decision": "granted", "method": method}], **context}


def refuse(purpose: str, method: str = "api", decision: str = "denied", **context) -> dict:
    return {"events": [{"purpose": purpose, "decision": decision, "method": method}], **context}


def wait(days: int) -> dict:
    return {"wait_days": days}


def erase(kind: str = "customer", subject: str = "c-1") -> dict:
    return {"request": ("DELETE", f"/v1/subjects/{kind}/{subject}", None)}


def notice(*purposes: str, material: bool = True, version: str = "2026-06-01") -> dict:
    return {"kind": "privacy", "version": version, "material": material, "purposes": list(purposes),
            "url": f"https://example.com/privacy/{version}"}


def run(case: Case, *, client, headers, clock, app_with, tmp_path) -> tuple[bool, str, str | None]:
    """Play the case through the API and answer its first purpose's (allowed, reason, basis)."""
    if case.rules is None:
        return _play(case, client, headers, clock)
    app = app_with(rules_file=rules_with(tmp_path, case.rules))
    with app.app_context():
        return _play(case, app.test_client(), headers, clock)


def _play(case: Case, client, headers, clock) -> tuple[bool, str, str | None]:
    for method, path, body in case.setup:
        response = client.open(path, method=method, json=body, headers=headers)
        assert 200 <= response.status_code < 300, (path, response.json)
    _write(client, headers, clock, case.writes)
    for published in case.notices:
        clock.advance(minutes=1)
        assert client.post("/v1/notices", json=published, headers=headers).status_code == 201
    _write(client, headers, clock, case.late_writes)
    clock.advance(minutes=1)
    answer = client.post("/v1/checks", json={"subject": SUBJECT, **case.check}, headers=headers)
    assert answer.status_code == 200, answer.json
    decision = answer.json["decisions"][case.check["purposes"][0]]
    return decision["allowed"], decision["reason"], decision["basis"]


def _write(client, headers, clock, bodies: list[dict]) -> None:
    for body in bodies:
        if "wait_days" in body:
            clock.advance(days=body["wait_days"])
        elif "request" in body:
            clock.advance(minutes=1)
            method, path, json = body["request"]
            response = client.open(path, method=method, json=json, headers=headers)
            assert 200 <= response.status_code < 300, (path, response.json)
        elif "error" in body:
            _refused(client, headers, clock, dict(body))
        else:
            post_events(client, headers, clock, dict(body))


def _refused(client, headers, clock, body: dict) -> None:
    """A write refused with its code (and the field it names, if "field" is given) leaves the
    subject's ledger as it was: its revision does not move."""
    field_named = body.pop("field", None)
    state = f"/v1/subjects/customer/{body.get('subject', SUBJECT['id'])}/consents"
    revision = client.get(state, headers=headers).json["revision"]
    if field_named is None:
        post_events(client, headers, clock, body)
    else:
        clock.advance(minutes=1)
        subject, error = body.pop("subject", SUBJECT["id"]), body.pop("error")
        body.setdefault("notice_version", "2026-01-01")
        response = client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body, headers=headers)
        assert response.status_code == 422 and response.json["code"] == error, response.json
        assert field_named in response.json["errors"], response.json
    assert client.get(state, headers=headers).json["revision"] == revision
