"""Mass assignment: every JSON body refuses unknown fields, so server-owned ones cannot be set."""
from __future__ import annotations

from consent_service.vocabulary import Scope

# Fields the server owns somewhere in the model; none is accepted in any request body.
SERVER_OWNED = {"id": "x", "sequence": 1, "hash": "x", "prev_hash": "x", "created_at": "2026-01-01T00:00:00Z",
                "recorded_at": "2026-01-01T00:00:00Z", "ip": "192.0.2.1", "revision": 9, "publishable_key": "pk_x",
                "secret": "whsec_x", "subject_id": "someone-else", "kind": "visitor", "property_id": "p-2"}


def json_operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            if "application/json" in content:
                yield path, method


def test_every_json_body_refuses_server_owned_and_unknown_fields(client, make_key, prop):
    headers = {"Authorization": f"Bearer {make_key(*(scope.value for scope in Scope))}"}
    spec = client.get("/openapi.json").json
    operations = list(json_operations(spec))
    assert len(operations) >= 10
    for path, method in operations:
        url = (path.replace("{property_key}", prop.publishable_key).replace("{kind}", "customer")
               .replace("{subject_id}", "c-1").replace("{property_id}", "p-1").replace("{webhook_id}", "w-1")
               .replace("{event_id}", "1"))
        response = client.open(url, method=method.upper(), json=SERVER_OWNED, headers=headers)
        assert response.status_code == 422, (method, path, response.status_code, response.json)
        # Each one is refused: as an unknown field, or (where a body names the same word for its own
        # meaning, e.g. a notice's kind) as an invalid value; none of them slips through.
        missing = set(SERVER_OWNED) - set(response.json["errors"])
        assert not missing, (method, path, missing)
