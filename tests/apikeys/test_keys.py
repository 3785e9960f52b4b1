"""Secret keys: minted by the CLI, stored as a hash, scoped, revocable."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from consent_service.apikeys.models import ApiKey
from consent_service.extensions import db

CHECK = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"]}


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_cli_creates_a_key_shown_once_and_stored_as_a_hash(app, client):
    result = cli(app, "keys", "create", "--name", "email-sender", "--scope", "consents:read")
    plain = result.stdout.strip()
    assert re.fullmatch(r"sk_[a-z0-9]{8}_[A-Za-z0-9]{38}", plain)
    stored = db.session.scalars(select(ApiKey)).one()
    assert stored.prefix == plain[:11]
    assert plain not in {stored.secret_hash, stored.prefix, stored.name}
    assert client.post("/v1/checks", json=CHECK, headers={"Authorization": f"Bearer {plain}"}).status_code == 200

    listing = cli(app, "keys", "list").output
    assert stored.prefix in listing and "email-sender" in listing and plain not in listing


def test_missing_or_bad_key_is_401_and_wrong_scope_403(client, make_key):
    assert client.post("/v1/checks", json=CHECK).status_code == 401
    key = make_key("consents:read")
    typo = key[:-1] + ("a" if key[-1] != "a" else "b")
    wrong_secret = key[:12] + "x" * 32 + key[-6:]
    for presented in (typo, wrong_secret, "sk_nothere_" + "a" * 38, "Basic abc", ""):
        response = client.post("/v1/checks", json=CHECK, headers={"Authorization": f"Bearer {presented}"})
        assert response.status_code == 401
        assert response.json == {"status": 401, "code": "unauthorized", "message": "A valid API key is required."}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    forbidden = client.post(
        "/v1/subjects/customer/c-1/consent-events",
        json={"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert forbidden.status_code == 403
    assert forbidden.json["code"] == "forbidden"


def test_revoked_key_stops_working_on_the_next_request(app, client, make_key):
    key = make_key("consents:read")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/checks", json=CHECK, headers=headers).status_code == 200
    assert "revoked" in cli(app, "keys", "revoke", key[:11]).output
    db.session.remove()
    assert client.post("/v1/checks", json=CHECK, headers=headers).status_code == 401


def test_unknown_scope_is_refused_by_the_cli(app):
    result = app.test_cli_runner().invoke(args=["keys", "create", "--name", "x", "--scope", "everything"])
    assert result.exit_code != 0
    assert "everything" in result.output


def test_admin_scope_guards_the_purpose_catalogue(client, auth):
    new_purpose = {"key": "product_research", "name": "Product research", "category": "communication"}
    assert client.post("/v1/purposes", json=new_purpose, headers=auth("consents:write")).status_code == 403
    admin = auth("admin")
    created = client.post("/v1/purposes", json=new_purpose, headers=admin)
    assert created.status_code == 201
    assert created.json["defaults"] == {"opt_in": "denied", "opt_out": "denied"}
    assert client.post("/v1/purposes", json=new_purpose, headers=admin).status_code == 409
    keys = [p["key"] for p in client.get("/v1/purposes", headers=admin).json["purposes"]]
    assert keys[-1] == "product_research" and "recording" in keys and len(keys) == 10


def test_keys_list_has_a_header_and_aligned_columns_and_json(app, make_key, clock):
    active = make_key("consents:read", "admin", name="ops team")
    revoked = make_key("consents:read", name="old")
    assert "revoked" in cli(app, "keys", "revoke", revoked[:11]).output
    lines = cli(app, "keys", "list").stdout.splitlines()
    assert lines[0].split() == ["PREFIX", "NAME", "SCOPES", "CREATED_AT", "REVOKED_AT"]
    assert len(lines) == 3
    # Every column starts where its header does.
    starts = [lines[0].index(title) for title in ("NAME", "SCOPES", "CREATED_AT", "REVOKED_AT")]
    first = lines[1]
    assert first.startswith(active[:11]) and first[starts[0]:].startswith("ops team")
    assert first[starts[1]:].startswith("admin,consents:read") and first.rstrip().endswith("-")
    assert lines[2][starts[3]:].startswith(clock().date().isoformat())
    listed = json.loads(cli(app, "keys", "list", "--json").stdout)
    assert [key["prefix"] for key in listed] == [active[:11], revoked[:11]]
    assert listed[0] == {"prefix": active[:11], "name": "ops team", "scopes": ["admin", "consents:read"],
                         "created_at": listed[0]["created_at"], "revoked_at": None}
    assert listed[1]["revoked_at"] is not None
    assert active not in json.dumps(listed) and revoked not in json.dumps(listed)
