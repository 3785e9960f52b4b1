"""Recipients: operators register who they transfer to and with which safeguards; admin only, 422 with a code."""
from __future__ import annotations

from sqlalchemy import text

from consent_service.audit import service as audit
from consent_service.generations import service as generations

ACME = {"key": "acme-us", "name": "Acme Analytics Inc.", "country": "US", "dpf_certified": True,
        "scc": "2025-06-30", "bcr": False}


def test_register_list_get_and_defaults(client, auth, clock):
    admin = auth("admin")
    created = client.post("/v1/recipients", json=ACME, headers=admin)
    assert created.status_code == 201
    assert created.json == ACME | {"created_at": clock().isoformat(), "updated_at": clock().isoformat()}
    plain = client.post("/v1/recipients", json={"key": "mail_de", "name": "Mail GmbH", "country": "DE"}, headers=admin)
    assert (plain.json["dpf_certified"], plain.json["scc"], plain.json["bcr"]) == (False, None, False)
    listed = client.get("/v1/recipients", headers=admin).json["recipients"]
    assert [r["key"] for r in listed] == ["acme-us", "mail_de"]
    assert client.get("/v1/recipients/acme-us", headers=admin).json == created.json


def test_admin_scope_only(client, auth):
    reader = auth("consents:read", "consents:write")
    assert client.get("/v1/recipients", headers=reader).status_code == 403
    assert client.post("/v1/recipients", json=ACME, headers=reader).status_code == 403
    assert client.get("/v1/recipients").status_code == 401


def test_invalid_recipients_are_refused_with_a_code_and_nothing_is_stored(client, auth):
    admin = auth("admin")
    cases = [
        ({**ACME, "key": "Acme"}, "validation_error", "key"),
        ({**ACME, "key": "-acme"}, "validation_error", "key"),
        ({**ACME, "key": "a"}, "validation_error", "key"),
        ({**ACME, "country": "usa"}, "validation_error", "country"),
        ({**ACME, "country": "us"}, "validation_error", "country"),
        ({**ACME, "scc": "30/06/2025"}, "validation_error", "scc"),
        ({**ACME, "name": ""}, "validation_error", "name"),
        ({**ACME, "dpf_certified": "maybe"}, "validation_error", "dpf_certified"),
        ({**ACME, "extra": 1}, "validation_error", "extra"),
        ({k: v for k, v in ACME.items() if k != "country"}, "validation_error", "country"),
        ({**ACME, "country": "IN"}, "dpf_outside_us", "dpf_certified"),
        ({**ACME, "scc": "2026-01-16"}, "scc_in_future", "scc"),
    ]
    for body, code, field in cases:
        answer = client.post("/v1/recipients", json=body, headers=admin)
        assert (answer.status_code, answer.json["code"]) == (422, code), body
        assert field in answer.json["errors"], body
    assert client.get("/v1/recipients", headers=admin).json["recipients"] == []


def test_duplicate_key_is_a_conflict_and_an_unknown_key_not_found(client, auth):
    admin = auth("admin")
    client.post("/v1/recipients", json=ACME, headers=admin)
    again = client.post("/v1/recipients", json=ACME | {"name": "Other"}, headers=admin)
    assert (again.status_code, again.json["code"]) == (409, "conflict")
    assert client.get("/v1/recipients/acme-us", headers=admin).json["name"] == ACME["name"]
    assert client.get("/v1/recipients/nobody", headers=admin).json["code"] == "not_found"
    assert client.patch("/v1/recipients/nobody", json={"bcr": True}, headers=admin).status_code == 404


def test_patch_changes_only_the_fields_sent_and_the_audit_log_keeps_the_values_before(client, auth, clock, session):
    admin = auth("admin")
    client.post("/v1/recipients", json=ACME, headers=admin)
    clock.advance(days=3)
    changed = client.patch("/v1/recipients/acme-us", json={"dpf_certified": False, "scc": None}, headers=admin)
    assert changed.status_code == 200
    assert changed.json == ACME | {"dpf_certified": False, "scc": None, "created_at": "2026-01-15T09:30:00+00:00",
                                   "updated_at": clock().isoformat()}
    entries = audit.list_entries(session=session, action="recipient_updated")
    assert [(e.target, e.details["changed"]) for e in entries] == [("acme-us", ["dpf_certified", "scc"])]
    assert entries[0].details["before"]["dpf_certified"] is True and entries[0].details["before"]["scc"] == "2025-06-30"
    assert entries[0].actor.startswith("test (")
    assert [e.target for e in audit.list_entries(session=session, action="recipient_created")] == ["acme-us"]


def test_patch_sending_the_same_values_changes_nothing(client, auth, clock, session):
    admin = auth("admin")
    client.post("/v1/recipients", json=ACME, headers=admin)
    clock.advance(days=1)
    same = client.patch("/v1/recipients/acme-us", json={"bcr": False, "name": ACME["name"]}, headers=admin)
    assert same.json["updated_at"] == same.json["created_at"]
    assert audit.list_entries(session=session, action="recipient_updated") == []


def test_invalid_patch_leaves_the_recipient_unchanged(client, auth):
    admin = auth("admin")
    client.post("/v1/recipients", json=ACME, headers=admin)
    for body, code in [({"country": "DE"}, "dpf_outside_us"), ({"scc": "2027-01-01"}, "scc_in_future"),
                       ({"key": "other"}, "validation_error"), ({"name": None}, "validation_error"),
                       ({"country": "DE", "name": "Moved"}, "dpf_outside_us")]:
        answer = client.patch("/v1/recipients/acme-us", json=body, headers=admin)
        assert (answer.status_code, answer.json["code"]) == (422, code), body
    assert client.get("/v1/recipients/acme-us", headers=admin).json["country"] == "US"
    assert client.get("/v1/recipients/acme-us", headers=admin).json["name"] == ACME["name"]
    moved = client.patch("/v1/recipients/acme-us", json={"country": "DE", "dpf_certified": False}, headers=admin)
    assert moved.status_code == 200 and moved.json["country"] == "DE"


def test_every_change_to_a_recipient_bumps_the_generation_and_the_snapshot_has_it(app, session):
    """Checks read recipients from the snapshot: plain SQL changes count too (migration 0020's triggers)."""

    def bumps(statement: str) -> bool:
        before = generations.current_generation(session=session)
        session.execute(text(statement))
        session.commit()
        return generations.current_generation(session=session) > before

    assert bumps("INSERT INTO recipients (key, name, country, dpf_certified, scc, bcr, created_at, updated_at)"
                 " VALUES ('sql-us', 'Plain SQL', 'US', true, NULL, false, '2026-01-15 09:30:00', '2026-01-15 09:30:00')")
    assert generations.load(session=session).recipients["sql-us"].safeguards == {"dpf_certified"}
    assert bumps("UPDATE recipients SET dpf_certified = false, bcr = true WHERE key = 'sql-us'")
    assert generations.load(session=session).recipients["sql-us"].safeguards == {"bcr"}
    assert bumps("DELETE FROM recipients WHERE key = 'sql-us'")
    assert "sql-us" not in generations.load(session=session).recipients
